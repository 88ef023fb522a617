import Foundation
import Testing
@testable import YibaoConformance

@Suite("The conformance catalogue and the rule table")
struct CatalogueTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the bundled catalogue reads, its ids are stable-looking and unique, every suite has positive and negative cases")
    func catalogue() throws {
        let catalogue = try Catalogue.bundled()
        #expect(catalogue.cases.count > 100)
        for entry in catalogue.cases {
            #expect(entry.id.wholeMatch(of: /[A-Z0-9]+(-[A-Z0-9]+)*-\d{2,3}/) != nil, "\(entry.id)")
            #expect(!entry.title.isEmpty && !entry.inputs.isEmpty && !entry.expected.isEmpty, "\(entry.id)")
        }
        for suite in catalogue.suites {
            let cases = catalogue.cases(of: suite.name)
            #expect(cases.contains { $0.polarity == .positive } && cases.contains { $0.polarity == .negative }, "\(suite.name)")
        }
        // Faults named by the cases are the ones `yibao serve --fault` knows (checked against the gateway in the self-checks).
        #expect(Set(catalogue.cases.flatMap(\.detects)) == ["accept-bad-signature", "reuse-token", "pay-twice", "skip-time-window", "accept-replay"])
    }

    @Test("a catalogue with a duplicate id or an unknown suite is refused, naming it")
    func invalidCatalogue() throws {
        let duplicate = #"{"version":"1","profile":"p","suites":[{"name":"s","summary":"","prerequisites":""}],"cases":[{"id":"A-001","suite":"s","title":"t","rules":["ID-1"],"inputs":"i","expected":"e","polarity":"positive"},{"id":"A-001","suite":"s","title":"t","rules":["ID-1"],"inputs":"i","expected":"e","polarity":"negative"}]}"#
        #expect { try Catalogue.decode(Data(duplicate.utf8)) } throws: { "\($0)".contains("A-001 appears twice") }
        let unknown = duplicate.replacingOccurrences(of: #""suite":"s","title":"t","rules":["ID-1"],"inputs":"i","expected":"e","polarity":"negative"}"#,
                                                     with: #""suite":"x","title":"t","rules":["ID-1"],"inputs":"i","expected":"e","polarity":"negative"}"#)
            .replacingOccurrences(of: #"{"id":"A-001","suite":"x""#, with: #"{"id":"A-002","suite":"x""#)
        #expect { try Catalogue.decode(Data(unknown.utf8)) } throws: { "\($0)".contains("unknown suite x") }
    }

    @Test("every rule a case names is a rule of the table; the table matches the sources (tools/rules/index.py --check)")
    func rules() throws {
        let catalogue = try Catalogue.bundled()
        let rules = try RuleCoverage.bundled(catalogue: catalogue)
        let ids = Set(rules.map(\.id))
        for entry in catalogue.cases { for rule in entry.rules { #expect(ids.contains(rule), "\(entry.id) names \(rule)") } }
        #expect(rules.first { $0.id == "RX-1" }?.cases.contains("RX-MUT-001") == true)
        #expect(rules.first { $0.id == "PY-5" }?.code.isEmpty == false)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.root.appendingPathComponent("tools/rules/index.py").path, "--check"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
    }

    @Test("every machine-checkable rule of docs/RULES.md is enforced with code, a test and a case; the others say why not (yibao rules --gaps)")
    func noGaps() throws {
        let rules = try RuleCoverage.bundled(catalogue: try Catalogue.bundled())
        for rule in rules {
            #expect(rule.status == "enforced" || rule.status == "manual", "\(rule.id): \(rule.status)")
            if rule.status == "manual" { #expect(rule.manual?.isEmpty == false, "\(rule.id) is manual without a reason") }
        }
        // A flag kept as text still counts as a code path flagging under its rule (PY-12, XR-7).
        for id in ["PY-12", "XR-7"] { #expect(rules.first { $0.id == id }?.refuses.isEmpty == false, "\(id) flags under its id") }
    }
}
