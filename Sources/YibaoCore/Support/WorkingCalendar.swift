import Foundation

/// 工作日 — working days per a published holiday arrangement.
///
/// A day is a working day when it is a make-up workday (调休上班), or when it is a Monday to
/// Friday that is not a holiday. Day boundaries are local to `utcOffsetSeconds` (a fixed
/// offset: mainland China has no daylight saving time). Dates are "yyyy-MM-dd" strings so the
/// calendar is plain data that encodes, compares and can be edited by hand.
///
/// Deadlines follow the usual reading of "within n working days" (民法典 §201–203): counting
/// starts on the day after the triggering event, and the period ends at the end (24:00) of
/// the last day. `deadline(workingDays:after:)` returns the last millisecond of that day.
public struct WorkingCalendar: Sendable, Codable, Hashable {
    /// Offset of local time from UTC in seconds; 8 × 3600 for China Standard Time.
    public var utcOffsetSeconds: Int
    /// "yyyy-MM-dd" days that are not worked (public holidays and the weekend days moved into them).
    public var holidays: Set<String>
    /// "yyyy-MM-dd" weekend days that are worked (调休 make-up workdays).
    public var makeUpWorkdays: Set<String>

    public init(utcOffsetSeconds: Int = 8 * 3600, holidays: Set<String> = [], makeUpWorkdays: Set<String> = []) {
        self.utcOffsetSeconds = utcOffsetSeconds
        self.holidays = holidays
        self.makeUpWorkdays = makeUpWorkdays
    }

    /// Mainland China, per the General Office of the State Council's holiday arrangements for
    /// 2025 (国办发明电〔2024〕12号) and 2026 (国办发明电〔2025〕7号).
    ///
    /// Outside those two years only Saturdays and Sundays are rest days: the arrangement is
    /// published each winter, so deployments add the next year's `holidays` and
    /// `makeUpWorkdays` (or build their own calendar) when it appears.
    public static let china = WorkingCalendar(
        utcOffsetSeconds: 8 * 3600,
        holidays: Set(
            // 2025 — 国办发明电〔2024〕12号
            ["2025-01-01"]
            + WorkingCalendar.dayRange("2025-01-28", "2025-02-04")   // 春节
            + WorkingCalendar.dayRange("2025-04-04", "2025-04-06")   // 清明节
            + WorkingCalendar.dayRange("2025-05-01", "2025-05-05")   // 劳动节
            + WorkingCalendar.dayRange("2025-05-31", "2025-06-02")   // 端午节
            + WorkingCalendar.dayRange("2025-10-01", "2025-10-08")   // 国庆节、中秋节
            // 2026 — 国办发明电〔2025〕7号
            + WorkingCalendar.dayRange("2026-01-01", "2026-01-03")   // 元旦
            + WorkingCalendar.dayRange("2026-02-15", "2026-02-23")   // 春节
            + WorkingCalendar.dayRange("2026-04-04", "2026-04-06")   // 清明节
            + WorkingCalendar.dayRange("2026-05-01", "2026-05-05")   // 劳动节
            + WorkingCalendar.dayRange("2026-06-19", "2026-06-21")   // 端午节
            + WorkingCalendar.dayRange("2026-09-25", "2026-09-27")   // 中秋节
            + WorkingCalendar.dayRange("2026-10-01", "2026-10-07")   // 国庆节
        ),
        makeUpWorkdays: [
            // 2025
            "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
            // 2026
            "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
        ]
    )

    // MARK: - Queries

    /// Whether the local day of `instant` is a working day.
    public func isWorkingDay(_ instant: Date) -> Bool {
        let calendar = gregorian()
        return isWorkingDay(dayStart: calendar.startOfDay(for: instant), calendar: calendar)
    }

    /// The deadline that is `n` working days after `instant`: the end (last millisecond, local
    /// time) of the n-th working day strictly after the local day of `instant`.
    ///
    /// With `n <= 0` it is the end of the local day of `instant` itself.
    public func deadline(workingDays n: Int, after instant: Date) -> Date {
        let calendar = gregorian()
        var day = calendar.startOfDay(for: instant)
        var counted = 0
        while counted < n {
            day = nextDay(day, calendar)
            if isWorkingDay(dayStart: day, calendar: calendar) { counted += 1 }
        }
        return nextDay(day, calendar).addingTimeInterval(-0.001)
    }

    /// Working days strictly after the local day of `from` up to and including the local day
    /// of `to` (0 when `to` is on or before `from`'s day).
    public func workingDays(from: Date, to: Date) -> Int {
        let calendar = gregorian()
        let last = calendar.startOfDay(for: to)
        var day = calendar.startOfDay(for: from)
        var count = 0
        while day < last {
            day = nextDay(day, calendar)
            if isWorkingDay(dayStart: day, calendar: calendar) { count += 1 }
        }
        return count
    }

    /// The local day of `instant` as "yyyy-MM-dd".
    public func localDay(_ instant: Date) -> String {
        let parts = gregorian().dateComponents([.year, .month, .day], from: instant)
        return WorkingCalendar.format(year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0)
    }

    // MARK: - Local-day helpers

    /// The first instant (00:00:00.000 local) of the local day of `instant`.
    public func startOfLocalDay(_ instant: Date) -> Date {
        gregorian().startOfDay(for: instant)
    }

    /// The last millisecond (23:59:59.999 local) of the local day of `instant`.
    public func endOfLocalDay(_ instant: Date) -> Date {
        let calendar = gregorian()
        return nextDay(calendar.startOfDay(for: instant), calendar).addingTimeInterval(-0.001)
    }

    /// The start (00:00 local) of the local day named "yyyy-MM-dd", or nil when malformed.
    public func date(localDay: String) -> Date? {
        guard let (year, month, day) = WorkingCalendar.parse(localDay) else { return nil }
        var parts = DateComponents()
        parts.year = year
        parts.month = month
        parts.day = day
        let calendar = gregorian()
        guard let date = calendar.date(from: parts),
              calendar.component(.month, from: date) == month,
              calendar.component(.day, from: date) == day else { return nil }
        return date
    }

    /// `instant` moved by whole calendar days, months and years in local time; a day that does
    /// not exist in the target month (the 31st, 29 February) clamps to the month's last day.
    public func adding(days: Int = 0, months: Int = 0, years: Int = 0, to instant: Date) -> Date {
        var parts = DateComponents()
        parts.day = days
        parts.month = months
        parts.year = years
        return gregorian().date(byAdding: parts, to: instant) ?? instant
    }

    /// `instant` as local "yyyy-MM-dd HH:mm:ss±hh:mm", for messages and logs.
    public func localTimestamp(_ instant: Date) -> String {
        let calendar = gregorian()
        let parts = calendar.dateComponents([.hour, .minute, .second], from: instant)
        let offset = abs(utcOffsetSeconds)
        let sign = utcOffsetSeconds < 0 ? "-" : "+"
        return localDay(instant) + " "
            + Timestamps.padded(parts.hour ?? 0, 2) + ":" + Timestamps.padded(parts.minute ?? 0, 2)
            + ":" + Timestamps.padded(parts.second ?? 0, 2)
            + sign + Timestamps.padded(offset / 3600, 2) + ":" + Timestamps.padded(offset % 3600 / 60, 2)
    }

    // MARK: - Private

    /// A Gregorian calendar at this calendar's fixed offset; built per call so the struct stays plain data.
    private func gregorian() -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: utcOffsetSeconds) ?? TimeZone(secondsFromGMT: 0)!
        return calendar
    }

    private func nextDay(_ dayStart: Date, _ calendar: Calendar) -> Date {
        calendar.date(byAdding: .day, value: 1, to: dayStart) ?? dayStart.addingTimeInterval(86_400)
    }

    private func isWorkingDay(dayStart: Date, calendar: Calendar) -> Bool {
        let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: dayStart)
        let key = WorkingCalendar.format(year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0)
        if makeUpWorkdays.contains(key) { return true }
        if holidays.contains(key) { return false }
        // Gregorian weekday: 1 = Sunday … 7 = Saturday.
        let weekday = parts.weekday ?? 2
        return weekday != 1 && weekday != 7
    }

    private static func format(year: Int, month: Int, day: Int) -> String {
        "\(Timestamps.padded(year, 4))-\(Timestamps.padded(month, 2))-\(Timestamps.padded(day, 2))"
    }

    private static func parse(_ text: String) -> (Int, Int, Int)? {
        let fields = text.split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0].count == 4, fields[1].count == 2, fields[2].count == 2,
              let year = Int(fields[0]), let month = Int(fields[1]), let day = Int(fields[2]),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        return (year, month, day)
    }

    /// Every "yyyy-MM-dd" day from `first` through `last`, inclusive (used to spell out the
    /// published holiday ranges). Dates are UTC-based: only the day names matter here.
    private static func dayRange(_ first: String, _ last: String) -> [String] {
        guard let (y0, m0, d0) = parse(first), let (y1, m1, d1) = parse(last) else { return [] }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        guard var day = calendar.date(from: DateComponents(year: y0, month: m0, day: d0)),
              let end = calendar.date(from: DateComponents(year: y1, month: m1, day: d1)) else { return [] }
        var days: [String] = []
        while day <= end {
            let parts = calendar.dateComponents([.year, .month, .day], from: day)
            days.append(format(year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0))
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return days
    }
}
