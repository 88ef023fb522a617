import Foundation

/// Time formats of the platform. FSI times are Beijing local time (UTC+8), `yyyy-MM-dd HH:mm:ss`.
public enum Timestamps {
    static let beijing = TimeZone(secondsFromGMT: 8 * 3600)!
    /// The Gregorian calendar in Beijing time, made once (a value: shared between threads safely).
    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = beijing
        return calendar
    }()

    /// ISO 8601 with offset, e.g. `2026-11-23T18:00:00+08:00`, for messages — what
    /// `ISO8601DateFormatter` in Beijing time writes, without making one (an ICU formatter) per call.
    public static func iso(_ date: Date) -> String {
        let parts = components(date)
        return padded(parts.year!, 4) + "-" + padded(parts.month!, 2) + "-" + padded(parts.day!, 2) + "T"
            + padded(parts.hour!, 2) + ":" + padded(parts.minute!, 2) + ":" + padded(parts.second!, 2) + "+08:00"
    }

    /// `yyyy-MM-dd HH:mm:ss` in Beijing time (`inf_time`, `begntime`, `sign_time`).
    public static func fsi(_ date: Date) -> String {
        let parts = components(date)
        return padded(parts.year!, 4) + "-" + padded(parts.month!, 2) + "-" + padded(parts.day!, 2) + " "
            + padded(parts.hour!, 2) + ":" + padded(parts.minute!, 2) + ":" + padded(parts.second!, 2)
    }

    /// `yyyy-MM-dd` in Beijing time.
    public static func day(_ date: Date) -> String {
        let parts = components(date)
        return padded(parts.year!, 4) + "-" + padded(parts.month!, 2) + "-" + padded(parts.day!, 2)
    }

    /// `yyyyMMddHHmmss` in Beijing time (the middle of an FSI `msgid`).
    public static func compact(_ date: Date) -> String {
        let parts = components(date)
        return padded(parts.year!, 4) + padded(parts.month!, 2) + padded(parts.day!, 2) + padded(parts.hour!, 2) + padded(parts.minute!, 2) + padded(parts.second!, 2)
    }

    /// `yyyyMMddHHmmssSSS` in Beijing time (`refmsg_time`, `respond_time` of the real platform).
    public static func compactMillis(_ date: Date) -> String {
        let millis = Int((date.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        return compact(date) + padded((millis + 1000) % 1000, 3)
    }

    /// `value` in decimal with leading zeros up to `width` digits (as `%0Nd`).
    static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.utf8.count >= width ? text : String(repeating: "0", count: width - text.utf8.count) + text
    }

    /// Parses `yyyy-MM-dd HH:mm:ss` (Beijing time); nil when malformed.
    public static func parseFSI(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 19, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x20, bytes[13] == 0x3A, bytes[16] == 0x3A else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            let slice = bytes[range]
            guard slice.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(String(decoding: slice, as: UTF8.self))
        }
        guard let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10),
              let h = number(11..<13), let mi = number(14..<16), let s = number(17..<19),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 60 else { return nil }
        let parts = DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
        guard let date = calendar.date(from: parts), calendar.dateComponents([.day], from: date).day == d else { return nil }
        return date
    }

    /// Parses `yyyy-MM-dd` as the start of that day in Beijing time.
    public static func parseDay(_ text: String) -> Date? { parseFSI(text + " 00:00:00") }

    private static func components(_ date: Date) -> DateComponents {
        calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    }
}
