import Foundation

/// One conformance case of the catalogue (`catalogue.json`): a stable id, the suite it belongs to,
/// the docs/RULES.md rules and PROTOCOL-* clauses it checks, what it sends and what it expects.
public struct ConformanceCase: Sendable, Codable, Hashable {
    public enum Polarity: String, Sendable, Codable { case positive, negative }

    /// Stable id, e.g. `HSE-SIG-003`; never reused for another meaning.
    public var id: String
    /// `gateway`, `callback-receiver` or `prescription-receiver`.
    public var suite: String
    public var title: String
    /// docs/RULES.md rule ids and PROTOCOL-* clause ids.
    public var rules: [String]
    /// What the case sends.
    public var inputs: String
    /// What the target must do.
    public var expected: String
    public var polarity: Polarity
    /// Gateway fault settings (`yibao serve --fault`) this case must catch; used by the self-checks.
    public var detects: [String]
    /// Earlier cases of the suite whose outcome this one builds on (a paid order, a dispensed
    /// prescription): `--case` runs them too, and when one of them did not pass this case is
    /// skipped, naming it, instead of failing for someone else's reason.
    public var requires: [String]

    public init(id: String, suite: String, title: String, rules: [String], inputs: String, expected: String, polarity: Polarity, detects: [String] = [],
                requires: [String] = []) {
        self.id = id
        self.suite = suite
        self.title = title
        self.rules = rules
        self.inputs = inputs
        self.expected = expected
        self.polarity = polarity
        self.detects = detects
        self.requires = requires
    }

    enum CodingKeys: String, CodingKey { case id, suite, title, rules, inputs, expected, polarity, detects, requires }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        suite = try c.decode(String.self, forKey: .suite)
        title = try c.decode(String.self, forKey: .title)
        rules = try c.decode([String].self, forKey: .rules)
        inputs = try c.decode(String.self, forKey: .inputs)
        expected = try c.decode(String.self, forKey: .expected)
        polarity = try c.decode(Polarity.self, forKey: .polarity)
        detects = try c.decodeIfPresent([String].self, forKey: .detects) ?? []
        requires = try c.decodeIfPresent([String].self, forKey: .requires) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(suite, forKey: .suite)
        try c.encode(title, forKey: .title)
        try c.encode(rules, forKey: .rules)
        try c.encode(inputs, forKey: .inputs)
        try c.encode(expected, forKey: .expected)
        try c.encode(polarity, forKey: .polarity)
        if !detects.isEmpty { try c.encode(detects, forKey: .detects) }
        if !requires.isEmpty { try c.encode(requires, forKey: .requires) }
    }
}
