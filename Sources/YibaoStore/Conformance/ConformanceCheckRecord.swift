import Foundation
import YibaoCore

/// One request the gateway checked for an institution, as the passive conformance mode keeps it:
/// the transaction, whether it was accepted, and for a refusal everything the problem said
/// (code, rule, pointer, detail, expected/actual, the string to sign and the signature diagnosis).
///
/// A diagnostic log for the institution's developers, not evidence: it is kept beside the
/// hash-chained trace, never in it, and may be pruned.
public struct ConformanceCheckRecord: Sendable, Codable, Hashable {
    /// Which envelope the request came in.
    public enum Channel: String, Sendable, Codable, Hashable, CaseIterable {
        /// The FSI envelope (`infno` transactions, `cainfo` signature).
        case fsi
        /// The HSE envelope (`appId`, `encData`, `signData`).
        case hse
    }

    /// What the gateway answered.
    public enum Outcome: String, Sendable, Codable, Hashable {
        case accepted
        case refused
    }

    /// Assigned by the store when the record is written; nil before.
    public var id: Int64?
    /// The institution the request claimed: the FSI `fixmedins_code`, the HSE appId's institution —
    /// or the HSE appId itself when it is not registered.
    public var institutionCode: String
    public var channel: Channel
    /// The FSI `infno` (`9001`, `2207` …) or the HSE service name (`ec.query`, `uldFeeInfo` …).
    public var transaction: String
    public var at: Date
    public var outcome: Outcome
    /// `OK` when accepted, else the problem's code (`FSI_SIGNATURE_INVALID` …).
    public var code: String
    public var rule: String?
    public var pointer: String?
    public var detail: String?
    public var expected: String?
    public var actual: String?
    /// The canonical string the gateway computed, for a signature failure.
    public var signString: String?
    /// The signature diagnosis lines (which SDK mistake makes the signature verify).
    public var diagnosis: [String]
    /// The request's own reference: the FSI `msgid`, or the start of the HSE `signData`.
    public var messageId: String?
    /// How an FSI request authenticated itself, e.g. `transport=csb;cainfo=empty;enc=none`: which
    /// dialect its HIS speaks (docs/DIALECTS.md), whatever the institution is configured for.
    public var evidence: String?
    /// HSE: the start of the sealed business data (`encData`) as it arrived, with its length.
    public var sealed: String?
    /// HSE: the business data the gateway decrypted, as JSON with personal data masked (SV-5) and
    /// secrets as fingerprints; nil when it could not be opened.
    public var opened: String?

    public init(id: Int64? = nil, institutionCode: String, channel: Channel, transaction: String, at: Date, outcome: Outcome,
                code: String, rule: String? = nil, pointer: String? = nil, detail: String? = nil, expected: String? = nil,
                actual: String? = nil, signString: String? = nil, diagnosis: [String] = [], messageId: String? = nil, evidence: String? = nil,
                sealed: String? = nil, opened: String? = nil) {
        self.evidence = evidence
        self.sealed = sealed
        self.opened = opened
        self.id = id
        self.institutionCode = institutionCode
        self.channel = channel
        self.transaction = transaction
        self.at = at
        self.outcome = outcome
        self.code = code
        self.rule = rule
        self.pointer = pointer
        self.detail = detail
        self.expected = expected
        self.actual = actual
        self.signString = signString
        self.diagnosis = diagnosis
        self.messageId = messageId
    }
}

extension ConformanceCheckRecord {
    /// A refusal's members as the problem document every party shares (nil for an accepted request).
    public var problem: ProblemDetails? {
        guard outcome == .refused else { return nil }
        return ProblemDetails(status: 0, code: code, rule: rule, pointer: pointer ?? "", detail: detail ?? "", expected: expected, actual: actual,
                              signString: signString, diagnosis: diagnosis)
    }
}
