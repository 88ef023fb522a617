import Foundation

/// Amounts: fen (Int64) inside, yuan with two decimals on the wire.
public enum Money {
    /// 123456 → "1234.56".
    public static func yuan(_ fen: Int64) -> String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        return "\(sign)\(magnitude / 100).\(String(format: "%02d", Int(magnitude % 100)))"
    }

    /// "1234.56" / "12.5" / "12" / "-3.10" → fen; nil for anything else (more than two decimals, exponents, junk,
    /// or more than 10 integer digits — so sums of a request's lines cannot overflow).
    public static func fen(_ text: String) -> Int64? {
        var rest = Substring(text)
        var negative = false
        if rest.hasPrefix("-") { negative = true; rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 10, whole.allSatisfy(\.isASCII), whole.allSatisfy(\.isNumber) else { return nil }
        var cents = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.count <= 2, fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber) else { return nil }
            cents = Int(fraction)! * (fraction.count == 1 ? 10 : 1)
        }
        guard let yuan = Int64(whole) else { return nil }
        let value = yuan * 100 + Int64(cents)
        return negative ? -value : value
    }
}


extension Money {
    /// The largest amount or balance the platform holds: 9,999,999,999.99 yuan (10 integer digits,
    /// as every amount on the wire). Balances set by the agency are bounded by it too, so no sum of
    /// two amounts can overflow.
    public static let maximumFen: Int64 = 999_999_999_999

    /// `balance + amount`, refused (never trapping) when the result leaves 0…``maximumFen``.
    public static func add(_ amount: Int64, to balance: Int64, pointer: String, what: String) throws -> Int64 {
        let (sum, overflow) = balance.addingReportingOverflow(amount)
        guard !overflow, (0...maximumFen).contains(sum) else {
            throw DomainError(.amountOutOfRange, .conflict, rule: nil, pointer: pointer,
                              "\(what) would leave the range 0 to \(yuan(maximumFen)) yuan (balance \(yuan(balance)), change \(yuan(amount))); nothing was changed",
                              expected: "0 … \(yuan(maximumFen))")
        }
        return sum
    }
}
