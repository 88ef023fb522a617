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

