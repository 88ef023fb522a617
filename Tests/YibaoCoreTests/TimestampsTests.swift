import Foundation
import Testing
@testable import YibaoCore

/// The platform's time formats, checked against Foundation's own formatters (ICU) in Beijing time.
@Suite("Timestamps: the platform's time formats")
struct TimestampsTests {
    /// Around a new year in Beijing (UTC 16:00 the day before), leap days, single digits, a fractional second.
    static let dates: [Date] = [0, 1_767_196_799, 1_767_196_800, 1_709_164_800.999, 1_798_761_599.5, 4_102_444_800, 1_000_000_000.25]
        .map { Date(timeIntervalSince1970: $0) }

    @Test("iso, fsi, day, compact and compactMillis write what ISO8601DateFormatter and DateFormatter write in UTC+8", arguments: dates)
    func sameAsFoundation(date: Date) {
        let iso = ISO8601DateFormatter()
        iso.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        #expect(Timestamps.iso(date) == iso.string(from: date))
        func formatted(_ pattern: String) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.calendar = Calendar(identifier: .gregorian)
            formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
            formatter.dateFormat = pattern
            return formatter.string(from: date)
        }
        #expect(Timestamps.fsi(date) == formatted("yyyy-MM-dd HH:mm:ss"))
        #expect(Timestamps.day(date) == formatted("yyyy-MM-dd"))
        #expect(Timestamps.compact(date) == formatted("yyyyMMddHHmmss"))
        #expect(Timestamps.compactMillis(date) == formatted("yyyyMMddHHmmssSSS"))
        #expect(Timestamps.parseFSI(Timestamps.fsi(date)) == Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)))
    }
}
