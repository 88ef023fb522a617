import Foundation

/// The catalogue of conformance cases: data (`catalogue.json`, shipped in the module's resources),
/// versioned together with the profile it tests. `yibao conformance list` prints it.
public struct Catalogue: Sendable, Codable, Hashable {
    /// Bumped whenever a case is added, removed or changes meaning.
    public var version: String
    /// The platform profile the cases check (docs/GATEWAY.md).
    public var profile: String
    public var suites: [SuiteDescription]
    public var cases: [ConformanceCase]

    public struct SuiteDescription: Sendable, Codable, Hashable {
        public var name: String
        public var summary: String
        /// What the target must provide (fixture, credentials, endpoints).
        public var prerequisites: String
    }

    /// The catalogue shipped with this build.
    public static func bundled() throws -> Catalogue {
        guard let url = Bundle.module.url(forResource: "catalogue", withExtension: "json") else {
            throw ConformanceError("the conformance catalogue (catalogue.json) is missing from the YibaoConformance resources")
        }
        return try decode(try Data(contentsOf: url))
    }

    /// Parses a catalogue and checks it: unique ids, known suites, at least one rule each.
    public static func decode(_ data: Data) throws -> Catalogue {
        let catalogue: Catalogue
        do { catalogue = try JSONDecoder().decode(Catalogue.self, from: data) } catch {
            throw ConformanceError("the conformance catalogue is not valid: \(error)")
        }
        var seen = Set<String>()
        let suites = Set(catalogue.suites.map(\.name))
        for entry in catalogue.cases {
            guard seen.insert(entry.id).inserted else { throw ConformanceError("case id \(entry.id) appears twice in the catalogue") }
            guard suites.contains(entry.suite) else { throw ConformanceError("case \(entry.id) names an unknown suite \(entry.suite)") }
            guard !entry.rules.isEmpty else { throw ConformanceError("case \(entry.id) names no rule") }
            for required in entry.requires {
                guard let earlier = catalogue.cases.first(where: { $0.id == required }), seen.contains(required), earlier.suite == entry.suite else {
                    throw ConformanceError("case \(entry.id) requires \(required), which is not an earlier case of suite \(entry.suite)")
                }
            }
        }
        return catalogue
    }

    /// The cases of one suite, in catalogue order.
    public func cases(of suite: String) -> [ConformanceCase] { cases.filter { $0.suite == suite } }

    /// `ids` and every case they require, transitively, in catalogue order.
    public func withRequirements(_ ids: Set<String>) -> Set<String> {
        var selected = ids
        var frontier = Array(ids)
        while let id = frontier.popLast() {
            for required in cases.first(where: { $0.id == id })?.requires ?? [] where selected.insert(required).inserted { frontier.append(required) }
        }
        return selected
    }

    /// The case ids that check `rule`.
    public func cases(checking rule: String) -> [String] { cases.filter { $0.rules.contains(rule) }.map(\.id) }
}

/// A conformance-tester failure that is not a case's verdict (bad arguments, unreachable target, bad catalogue).
public struct ConformanceError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One rule of docs/RULES.md (a policy rule or a PROTOCOL-* clause), the source files that cite
/// it, the tests that name it and the conformance cases that check it: a row of `yibao rules`.
/// `rules.json` is generated from docs/RULES.md and the sources by tools/rules/index.py; a test
/// fails when it is stale.
public struct RuleCoverage: Sendable, Codable, Hashable {
    public var id: String
    /// The heading of the rule in docs/RULES.md.
    public var title: String
    public var summary: String
    /// Where the rule comes from (a measure and its article).
    public var source: String
    /// Why a simulator cannot check the rule by machine; nil when it can.
    public var manual: String?
    /// Swift files under Sources/ mentioning the rule (its `Rule` constant or its id, a comment included).
    public var code: [String]
    /// Of those, the files that refuse or flag under the rule (a `rule:` argument, a smart-audit row):
    /// where the rule is enforced, not only named.
    public var refuses: [String]
    /// Test files under Tests/ naming the rule (its constant or its id).
    public var tests: [String]
    /// Catalogue case ids checking it.
    public var cases: [String] = []

    enum CodingKeys: String, CodingKey { case id, title, summary, source, manual, code, refuses, tests }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        title = try container.decodeIfPresent(String.self, forKey: .title) ?? ""
        summary = try container.decode(String.self, forKey: .summary)
        source = try container.decodeIfPresent(String.self, forKey: .source) ?? ""
        manual = try container.decodeIfPresent(String.self, forKey: .manual)
        code = try container.decode([String].self, forKey: .code)
        refuses = try container.decodeIfPresent([String].self, forKey: .refuses) ?? []
        tests = try container.decodeIfPresent([String].self, forKey: .tests) ?? []
    }

    /// What the project does about the rule: `enforced` (code refuses or flags under it, or implements
    /// it, with a test and a conformance case), `manual` (not machine-checkable, see `manual`), or `gap`
    /// naming what is missing.
    public var status: String {
        if manual != nil { return "manual" }
        var missing: [String] = []
        if code.isEmpty { missing.append("code") }
        if tests.isEmpty { missing.append("test") }
        if cases.isEmpty { missing.append("case") }
        return missing.isEmpty ? "enforced" : "gap: no " + missing.joined(separator: ", ")
    }

    /// Every rule with its code and cases.
    public static func bundled(catalogue: Catalogue) throws -> [RuleCoverage] {
        guard let url = Bundle.module.url(forResource: "rules", withExtension: "json") else {
            throw ConformanceError("rules.json is missing from the YibaoConformance resources")
        }
        var rules = try JSONDecoder().decode([RuleCoverage].self, from: try Data(contentsOf: url))
        for index in rules.indices { rules[index].cases = catalogue.cases(checking: rules[index].id) }
        return rules
    }
}
