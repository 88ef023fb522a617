/// A refusal by a domain rule: a stable code, the docs/RULES.md rule, an RFC 6901 pointer into
/// the business data, a sentence for a human, and what was expected versus received.
public struct DomainError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable machine code from the registry (``ErrorCode``), e.g. `TOKEN_REUSED`.
    public typealias Code = ErrorCode

    /// What kind of failure this is, which the HTTP edge maps to a status.
    public enum Kind: String, Sendable, Codable {
        /// The input is malformed or a required field is missing (400).
        case invalid
        /// Authentication failed: signature, credentials, token (401).
        case unauthenticated
        /// A rule forbids it (403 / 422).
        case forbidden
        /// The thing named does not exist (404).
        case notFound
        /// It conflicts with current state: replay, reuse, wrong state (409).
        case conflict
    }

    public var code: Code
    public var kind: Kind
    public var rule: Rule?
    /// RFC 6901 pointer into the business data (or the envelope) naming the offending field; "" for the whole.
    public var pointer: String
    public var detail: String
    public var expected: String?
    public var actual: String?

    public init(_ code: Code, _ kind: Kind, rule: Rule?, pointer: String = "", _ detail: String,
                expected: String? = nil, actual: String? = nil) {
        self.code = code
        self.kind = kind
        self.rule = rule
        self.pointer = pointer
        self.detail = detail
        self.expected = expected
        self.actual = actual
    }

    public var description: String {
        var text = "\(code)"
        if let rule { text += " [\(rule)]" }
        if !pointer.isEmpty { text += " at \(pointer)" }
        text += ": \(detail)"
        if let expected { text += " (expected \(expected)" + (actual.map { ", got \($0)" } ?? "") + ")" }
        return text
    }
}

extension DomainError {
    /// A required field is missing or empty.
    public static func missing(_ pointer: String, _ what: String) -> DomainError {
        DomainError(.fieldMissing, .invalid, rule: .protocolFields, pointer: pointer, "\(what) is required")
    }

    /// A field has a value outside what is allowed.
    public static func invalidValue(_ pointer: String, _ detail: String, expected: String? = nil, actual: String? = nil, rule: Rule? = .protocolFields) -> DomainError {
        DomainError(.fieldInvalid, .invalid, rule: rule, pointer: pointer, detail, expected: expected, actual: actual)
    }
}
