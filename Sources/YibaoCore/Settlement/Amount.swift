import Foundation

/// 金额 — an amount of money in yuan, held as a `Decimal` (never a binary floating-point number).
///
/// - Wire form: a JSON **string** with at least two decimals, `"12.50"`, `"1234.56"`, `"-3.10"`. An amount
///   that carries more than two decimals (say a price `"0.125"` sent by a hospital) keeps them and is
///   written back unchanged (`"0.125"`): nothing is rounded silently.
/// - Parsing accepts `"12"`, `"12.5"`, `"12.50"`, `"0.125"`, an optional leading `-`; it refuses exponents,
///   blanks, `"12."`, `".5"` and anything else. Decoding also accepts a JSON number (`12.5`), which
///   Foundation reads digit by digit into the `Decimal` (no binary rounding).
/// - Rounding happens only where a rule documents it, always through ``rounded()``: **half-up to 0.01
///   yuan** (ROUND_HALF_UP: a tie at the third decimal goes away from zero; 0.005 → 0.01, 2.675 → 2.68,
///   −0.005 → −0.01), i.e. `NSDecimalRound(…, 2, .plain)`. See `policies/README.md`.
public struct Amount: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The value in yuan.
    public let value: Decimal

    /// An amount of `value` yuan, kept exactly (not rounded).
    public init(_ value: Decimal) { self.value = value }

    /// Parses `"12"`, `"12.5"`, `"12.50"`, `"-3.10"`, `"0.125"` (kept, not rounded); nil for anything else.
    public init?(_ text: String) {
        guard let value = DecimalText.parse(text) else { return nil }
        self.value = value
    }

    /// An amount of `fen` 1/100 yuan (分), the unit `Money` and the stored orders use.
    public init(fen: Int64) {
        self.value = Decimal(fen) / 100
    }

    /// A literal such as `"12.50"`; traps on a malformed literal. Note that `Amount("12.50")` with a
    /// *literal* argument is this initialiser (SE-0213), not the failable one: parse input, which is a
    /// `String` value, with `Amount(text)` or ``parse(_:pointer:rule:)``.
    public init(stringLiteral text: String) {
        guard let value = DecimalText.parse(text) else { preconditionFailure("malformed amount literal \"\(text)\"") }
        self.value = value
    }

    /// Parses input, refusing a malformed amount with `FIELD_INVALID` at `pointer`.
    public static func parse(_ text: String, pointer: String, rule: Rule? = .protocolFields) throws -> Amount {
        guard let amount = Amount(text) else {
            throw DomainError.invalidValue(pointer, "an amount in yuan is digits with an optional '.' and decimals",
                                           expected: "e.g. \"12.50\"", actual: text, rule: rule)
        }
        return amount
    }

    /// 0.00
    public static let zero = Amount(Decimal.zero)

    /// Half-up to 0.01 yuan (ROUND_HALF_UP, away from zero on a tie): 0.005 → 0.01, 24.592 → 24.59, 2.675 → 2.68.
    public func rounded() -> Amount {
        var source = value
        var result = Decimal()
        NSDecimalRound(&result, &source, 2, .plain)
        return Amount(result)
    }

    /// True when the amount has at most two decimals (a whole number of fen).
    public var isWholeFen: Bool { rounded() == self }

    /// The amount in fen after ``rounded()`` (half-up), for the stores that keep fen as `Int64`.
    public var fen: Int64 {
        NSDecimalNumber(decimal: rounded().value * 100).int64Value
    }

    public var isNegative: Bool { value < 0 }

    /// `"1234.56"`: plain digits, at least two decimals, more only if the amount carries them.
    public var description: String { DecimalText.format(value) }

    public static func < (lhs: Amount, rhs: Amount) -> Bool { lhs.value < rhs.value }
    public static func + (lhs: Amount, rhs: Amount) -> Amount { Amount(lhs.value + rhs.value) }
    public static func - (lhs: Amount, rhs: Amount) -> Amount { Amount(lhs.value - rhs.value) }
    public static prefix func - (amount: Amount) -> Amount { Amount(-amount.value) }
    public static func += (lhs: inout Amount, rhs: Amount) { lhs = lhs + rhs }
    public static func -= (lhs: inout Amount, rhs: Amount) { lhs = lhs - rhs }
    /// Exact product (not rounded): price × count.
    public static func * (lhs: Amount, rhs: Decimal) -> Amount { Amount(lhs.value * rhs) }
    public static func * (lhs: Decimal, rhs: Amount) -> Amount { Amount(lhs * rhs.value) }
    /// Exact product (not rounded): amount × ratio.
    public static func * (lhs: Amount, rhs: Ratio) -> Amount { Amount(lhs.value * rhs.value) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let value = DecimalText.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "malformed amount \"\(text)\" (expected e.g. \"12.50\")")
            }
            self.value = value
        } else {
            self.value = try container.decode(Decimal.self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Sequence where Element == Amount {
    /// The exact sum (no rounding).
    public func sum() -> Amount { reduce(.zero, +) }
}

/// 比例 — a proportion between 0 and 1 (a reimbursement ratio, a class-B self-pay share), as a `Decimal`.
/// Wire form: a JSON string with at least two decimals, `"0.85"`, `"0.10"`, `"1.00"`; decoding also accepts
/// a JSON number. Values outside 0…1 are refused.
public struct Ratio: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The proportion, 0 ≤ value ≤ 1.
    public let value: Decimal

    /// nil when `value` is outside 0…1.
    public init?(_ value: Decimal) {
        guard value >= 0, value <= 1 else { return nil }
        self.value = value
    }

    /// Parses `"0.85"`, `"0.1"`, `"1"`; nil when malformed or outside 0…1.
    public init?(_ text: String) {
        guard let value = DecimalText.parse(text) else { return nil }
        self.init(value)
    }

    /// A literal such as `"0.85"`; traps on a malformed literal (`Ratio("0.85")` with a literal argument is this one, SE-0213).
    public init(stringLiteral text: String) {
        guard let ratio = Ratio(text) else { preconditionFailure("malformed ratio literal \"\(text)\" (0…1)") }
        self = ratio
    }

    public static let zero = Ratio(Decimal.zero)!
    public static let one = Ratio(Decimal(1))!

    /// 1 − self.
    public var complement: Ratio { Ratio(1 - value)! }

    /// `"0.85"`: plain digits, at least two decimals.
    public var description: String { DecimalText.format(value) }

    public static func < (lhs: Ratio, rhs: Ratio) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value: Decimal
        if let text = try? container.decode(String.self) {
            guard let parsed = DecimalText.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "malformed ratio \"\(text)\" (expected e.g. \"0.85\")")
            }
            value = parsed
        } else {
            value = try container.decode(Decimal.self)
        }
        guard let ratio = Ratio(value) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "ratio \(value) is outside 0…1")
        }
        self = ratio
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Plain decimal text ↔ `Decimal`, without locales, exponents or floating point.
enum DecimalText {
    /// `-?[0-9]{1,20}(\.[0-9]{1,16})?`, else nil. (`Decimal(string:)` alone would accept "12abc" as 12.)
    static func parse(_ text: String) -> Decimal? {
        var rest = Substring(text)
        var negative = false
        if rest.hasPrefix("-") { negative = true; rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        func digits(_ part: Substring, max: Int) -> Bool {
            !part.isEmpty && part.count <= max && part.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
        guard let whole = parts.first, digits(whole, max: 20) else { return nil }
        if parts.count == 2, !digits(parts[1], max: 16) { return nil }
        guard let magnitude = Decimal(string: String(rest), locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// Plain digits with at least `minimumFractionDigits` decimals: 12.5 → "12.50", 0.125 → "0.125", 3 → "3.00".
    static func format(_ value: Decimal, minimumFractionDigits: Int = 2) -> String {
        let plain = value.description
        var parts = plain.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 { parts.append("") }
        let fraction = parts[1].count < minimumFractionDigits
            ? parts[1] + String(repeating: "0", count: minimumFractionDigits - parts[1].count)
            : parts[1]
        return fraction.isEmpty ? parts[0] : parts[0] + "." + fraction
    }

    /// Plain digits without padding (counts): 2 → "2", 1.5 → "1.5".
    static func plain(_ value: Decimal) -> String { format(value, minimumFractionDigits: 0) }
}
