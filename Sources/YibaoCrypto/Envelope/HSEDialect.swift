import Foundation

/// How leniently an HSE envelope is read and how answers are written, per dialect profile
/// (docs/DIALECTS.md §9). ``strict`` is profile `nhsa-2.0`: it refuses every variant below and
/// names it in the diagnosis; `national` accepts what the official-demo-derived vendor code sends.
public struct HSEDialect: Sendable, Hashable, Codable {
    /// How a `timestamp` is written.
    public enum TimestampFormat: String, Sendable, Hashable, Codable, CaseIterable {
        /// Epoch milliseconds (13 digits today).
        case milliseconds
        /// Epoch seconds (10 digits today; the real platform's answers).
        case seconds
        /// Beijing local time `yyyyMMddHHmmss` (Shanxi mobile payment).
        case compact = "yyyyMMddHHmmss"
    }

    /// `encType`/`signType` accepted in any letter case (`sm4`, `sm2` of the official util).
    public var typesAnyCase = false
    /// The `timestamp` forms accepted in a request, each checked against the window.
    public var timestampFormats: Set<TimestampFormat> = [.milliseconds]
    /// Strings to sign accepted besides the canonical one: pairs sorted case-insensitively,
    /// nested values with native JSON types, empty objects dropped.
    public var acceptedSignStrings: [SignStringVariant] = []
    /// Answers: `code` as the string `"0"` (the official util casts it with `(String)`) or a number.
    public var answerCodeAsString = false
    /// Answers: `type` (`00`, or `success` as the real platform writes it).
    public var answerType = "00"
    /// Answers: `message` (`success`, or `成功`).
    public var answerMessage = "success"
    /// Answers: the unit of `timestamp`.
    public var answerTimestamp: TimestampFormat = .milliseconds

    /// A string-to-sign variant seen in the wild, accepted by a lenient dialect.
    public enum SignStringVariant: String, Sendable, Hashable, Codable, CaseIterable {
        case caseInsensitiveSort = "case-insensitive-sort"
        case nativeTypes = "native-types"
        case emptyObjectsDropped = "empty-objects-dropped"

        var variant: HSESignString.Variant {
            switch self {
            case .caseInsensitiveSort: .caseInsensitiveSort
            case .nativeTypes: .numbersNotStringified
            case .emptyObjectsDropped: .emptyObjectsDropped
            }
        }
    }

    public init() {}

    /// Profile `nhsa-2.0`: upper-case types, epoch milliseconds, the canonical string only.
    public static let strict = HSEDialect()

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        typesAnyCase = try container.decodeIfPresent(Bool.self, forKey: .typesAnyCase) ?? false
        timestampFormats = try container.decodeIfPresent(Set<TimestampFormat>.self, forKey: .timestampFormats) ?? [.milliseconds]
        acceptedSignStrings = try container.decodeIfPresent([SignStringVariant].self, forKey: .acceptedSignStrings) ?? []
        answerCodeAsString = try container.decodeIfPresent(Bool.self, forKey: .answerCodeAsString) ?? false
        answerType = try container.decodeIfPresent(String.self, forKey: .answerType) ?? "00"
        answerMessage = try container.decodeIfPresent(String.self, forKey: .answerMessage) ?? "success"
        answerTimestamp = try container.decodeIfPresent(TimestampFormat.self, forKey: .answerTimestamp) ?? .milliseconds
    }

    /// The shape of a timestamp text: 14 digits of a valid Beijing date-time, 13 digits (ms) or 10 (s); nil otherwise.
    public static func detect(_ text: String) -> (format: TimestampFormat, millis: Int64)? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 15, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int64(text) else { return nil }
        if bytes.count == 14, let date = compactDate(text) { return (.compact, Int64((date.timeIntervalSince1970 * 1000).rounded())) }
        if bytes.count <= 11 { return (.seconds, value * 1000) }
        return (.milliseconds, value)
    }

    static func compactDate(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func n(_ r: Range<Int>) -> Int { Int(String(decoding: b[r], as: UTF8.self)) ?? -1 }
        let (y, mo, d, h, mi, s) = (n(0..<4), n(4..<6), n(6..<8), n(8..<10), n(10..<12), n(12..<14))
        guard (1970...9999).contains(y), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 60 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        guard let date = calendar.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s)),
              calendar.component(.day, from: date) == d else { return nil }
        return date
    }

    /// `date` written as `format`.
    public static func write(_ date: Date, as format: TimestampFormat) -> String {
        switch format {
        case .milliseconds: return String(Int64((date.timeIntervalSince1970 * 1000).rounded()))
        case .seconds: return String(Int64(date.timeIntervalSince1970.rounded(.down)))
        case .compact:
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            return String(format: "%04d%02d%02d%02d%02d%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
        }
    }
}
