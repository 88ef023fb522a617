import Foundation

/// PY-10: a reviewer's decision on one flag a settlement was kept with (疑点人工复核): the flagged fees are paid
/// (`accepted`) or refused payment (`refused`, 拒付), wholly or in part, and the month's declaration is recomputed.
public struct FlagReview: Sendable, Codable, Hashable {
    public enum Decision: String, Sendable, Codable, Hashable, CaseIterable {
        case accepted, refused
    }

    /// The flag's position in the settlement's list of flags (0-based).
    public var flag: Int
    /// The flag's id, e.g. `AUD-SCOPE-001`, `XR-7`, `PY-12`.
    public var finding: String
    public var decision: Decision
    /// The part of the settlement's fund share refused payment (fen); 0 when accepted.
    public var refusedFundFen: Int64
    public var note: String
    public var reviewedAt: Date

    public init(flag: Int, finding: String, decision: Decision, refusedFundFen: Int64, note: String, reviewedAt: Date) {
        self.flag = flag
        self.finding = finding
        self.decision = decision
        self.refusedFundFen = refusedFundFen
        self.note = note
        self.reviewedAt = reviewedAt
    }

    /// The id a stored flag starts with (`AUD-SCOPE-001 [PY-10] /pointer: detail` → `AUD-SCOPE-001`).
    public static func finding(of flag: String) -> String {
        String(flag.prefix { !$0.isWhitespace && $0 != ":" })
    }

    /// Decides flag `index` of a settlement whose fund share is `fundFen` and which was already reviewed as `existing`.
    /// A refusal names its reason and refuses `refusedFundFen` (the whole fund share when nil); all refusals together
    /// never exceed the fund share. Each flag is decided once.
    public static func decide(flags: [String], existing: [FlagReview], flag index: Int, decision: Decision, refusedFundFen: Int64?,
                              fundFen: Int64, note: String, at: Date) throws -> FlagReview {
        guard flags.indices.contains(index) else {
            throw DomainError.invalidValue("/flag", "flag is the position of one of the settlement's \(flags.count) flag(s), from 0",
                                           expected: flags.isEmpty ? "a flagged settlement" : "0…\(flags.count - 1)", actual: String(index), rule: .py10)
        }
        if let earlier = existing.first(where: { $0.flag == index }) {
            throw DomainError(.flagAlreadyReviewed, .conflict, rule: .py10, pointer: "/flag",
                              "flag \(index) (\(earlier.finding)) was already reviewed: \(earlier.decision.rawValue)", actual: earlier.decision.rawValue)
        }
        let text = note.trimmingCharacters(in: .whitespacesAndNewlines)
        var refused: Int64 = 0
        if decision == .refused {
            guard !text.isEmpty else { throw DomainError.missing("/note", "\"note\" (why the flagged fees are refused payment, PY-10)") }
            let left = max(0, fundFen - existing.reduce(Int64(0)) { $0 + $1.refusedFundFen })
            refused = refusedFundFen ?? left
            guard refused >= 0, refused <= left else {
                throw DomainError.invalidValue("/refusedFundAmt", "the fund share refused lies between 0.00 and what is left of the settlement's fund share",
                                               expected: "0.00…\(Money.yuan(left))", actual: Money.yuan(refused), rule: .py10)
            }
        } else if let amount = refusedFundFen, amount != 0 {
            throw DomainError.invalidValue("/refusedFundAmt", "an accepted flag refuses nothing", expected: "absent or 0.00", actual: Money.yuan(amount), rule: .py10)
        }
        return FlagReview(flag: index, finding: finding(of: flags[index]), decision: decision, refusedFundFen: refused, note: text, reviewedAt: at)
    }
}
