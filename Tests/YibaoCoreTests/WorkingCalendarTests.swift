import Foundation
import Testing
@testable import YibaoCore

@Suite("WorkingCalendar — 工作日")
struct WorkingCalendarTests {
    let china = WorkingCalendar.china

    @Test("The 2025 and 2026 arrangements are complete: 61 holidays, 11 make-up workdays")
    func arrangementSizes() {
        // 2025: 1 + 8 (春节 28 Jan–4 Feb) + 3 + 5 + 3 + 8 (1–8 Oct) = 28
        // 2026: 3 + 9 (春节 15–23 Feb) + 3 + 5 + 3 + 3 + 7 = 33
        #expect(china.holidays.count == 61)
        #expect(china.makeUpWorkdays.count == 11)
        #expect(china.holidays.contains("2025-02-04"))
        #expect(china.holidays.contains("2026-02-23"))
        #expect(!china.holidays.contains("2026-02-24"))
        #expect(china.utcOffsetSeconds == 8 * 3600)
    }

    @Test("Weekends rest, weekdays work, holidays rest, make-up weekend days work", arguments: [
        ("2026-03-02", true),   // Mon
        ("2026-03-07", false),  // Sat
        ("2026-03-08", false),  // Sun
        ("2026-02-16", false),  // Mon in 春节 (15–23 Feb 2026)
        ("2026-02-14", true),   // Sat, make-up workday before 春节
        ("2026-02-28", true),   // Sat, make-up workday after 春节
        ("2026-03-01", false),  // Sun
        ("2025-01-26", true),   // Sun, make-up workday 2025
        ("2025-02-03", false),  // Mon in 春节 2025
        ("2025-10-11", true),   // Sat, make-up workday after 国庆 2025
        ("2026-10-08", true),   // Thu after 国庆 2026 (1–7 Oct)
        ("2027-01-01", true),   // Fri: 2027 not published here, so only weekends rest
    ])
    func workingDays(day: String, working: Bool) {
        #expect(china.isWorkingDay(cst(day + " 12:00")) == working)
    }

    @Test("Day boundaries are local: 16:30 UTC on 24 Sep 2026 is already Fri 25 Sep (a holiday) in Beijing")
    func localBoundary() {
        let instant = Date(timeIntervalSince1970: 1_790_267_400) // 2026-09-24T16:30:00Z
        #expect(china.localDay(instant) == "2026-09-25")
        #expect(!china.isWorkingDay(instant))
        var utc = china
        utc.utcOffsetSeconds = 0
        #expect(utc.localDay(instant) == "2026-09-24")
        #expect(utc.isWorkingDay(instant))
    }

    @Test("AG-2: 5 working days after Thu 2026-09-24 skip the 25–27 Sep and 1–7 Oct holidays and end Fri 9 Oct")
    func midAutumnAndNationalDay() {
        // Fri 25, Sat 26, Sun 27 中秋 holiday; Mon 28 (1), Tue 29 (2), Wed 30 (3);
        // 1–7 Oct 国庆; Thu 8 (4), Fri 9 (5) → the end of Fri 2026-10-09.
        let deadline = china.deadline(workingDays: 5, after: cst("2026-09-24 10:00"))
        #expect(deadline == endOf("2026-10-09"))
        #expect(china.localTimestamp(deadline) == "2026-10-09 23:59:59+08:00")
    }

    @Test("AG-2: across the 2026 Spring Festival the make-up Saturday 14 Feb counts")
    func springFestival2026() {
        // Fri 2026-02-13: Sat 14 (make-up, 1); 15–23 Feb 春节; Tue 24 (2), Wed 25 (3), Thu 26 (4), Fri 27 (5).
        #expect(china.deadline(workingDays: 5, after: cst("2026-02-13 09:00")) == endOf("2026-02-27"))
        // Mon 2026-02-09: Tue 10 (1), Wed 11 (2), Thu 12 (3), Fri 13 (4), Sat 14 make-up (5).
        #expect(china.deadline(workingDays: 5, after: cst("2026-02-09 09:00")) == endOf("2026-02-14"))
    }

    @Test("AG-2: across the 2025 Spring Festival the make-up Sunday 26 Jan counts")
    func springFestival2025() {
        // Fri 2025-01-24: Sat 25 rests; Sun 26 make-up (1); Mon 27 (2); 28 Jan–4 Feb 春节;
        // Wed 5 (3), Thu 6 (4), Fri 7 (5) → the end of 2025-02-07.
        #expect(china.deadline(workingDays: 5, after: cst("2025-01-24 16:00")) == endOf("2025-02-07"))
    }

    @Test("AG-3: 60 working days after Mon 2026-03-02 end Thu 2026-05-28")
    func negotiationPeriod() {
        // 3–6 Mar (1–4), 9–13 (5–9), 16–20 (10–14), 23–27 (15–19), 30 Mar–3 Apr (20–24);
        // 4–6 Apr 清明; 7–10 Apr (25–28), 13–17 (29–33), 20–24 (34–38), 27–30 Apr (39–42);
        // 1–5 May 劳动节; 6–8 May (43–45), Sat 9 May make-up (46), 11–15 (47–51),
        // 18–22 (52–56), Mon 25–Thu 28 May (57–60).
        #expect(china.deadline(workingDays: 60, after: cst("2026-03-02 10:00")) == endOf("2026-05-28"))
    }

    @Test("A deadline of 0 working days is the end of the same local day")
    func zeroDays() {
        #expect(china.deadline(workingDays: 0, after: cst("2026-02-16 08:00")) == endOf("2026-02-16"))
    }

    @Test("workingDays(from:to:) counts days strictly after `from` up to and including `to`")
    func counting() {
        // 14 Feb (make-up), 24, 25, 26, 27 Feb, 28 Feb (make-up) → 6.
        #expect(china.workingDays(from: cst("2026-02-13 09:00"), to: cst("2026-02-28 09:00")) == 6)
        #expect(china.workingDays(from: cst("2026-09-24 10:00"), to: cst("2026-10-09 23:00")) == 5)
        #expect(china.workingDays(from: cst("2026-09-24 10:00"), to: cst("2026-09-24 23:00")) == 0)
        #expect(china.workingDays(from: cst("2026-09-24 10:00"), to: cst("2026-09-01 10:00")) == 0)
    }

    @Test("Local days round-trip and malformed days are rejected")
    func localDays() {
        #expect(china.localDay(cst("2026-02-28 23:59")) == "2026-02-28")
        #expect(china.date(localDay: "2026-02-30") == nil)
        #expect(china.date(localDay: "2026-2-3") == nil)
        #expect(china.startOfLocalDay(cst("2026-05-01 13:00")) == cst("2026-05-01"))
        #expect(china.endOfLocalDay(cst("2026-05-01 13:00")) == endOf("2026-05-01"))
    }

    @Test("The calendar is plain Codable data")
    func codable() throws {
        let data = try JSONEncoder().encode(china)
        let decoded = try JSONDecoder().decode(WorkingCalendar.self, from: data)
        #expect(decoded == china)
    }

    @Test("A custom calendar: an extra holiday moves the deadline")
    func customHoliday() {
        var custom = WorkingCalendar()
        #expect(custom.deadline(workingDays: 1, after: cst("2027-01-01 10:00")) == endOf("2027-01-04")) // Fri → Mon
        custom.holidays.insert("2027-01-04")
        #expect(custom.deadline(workingDays: 1, after: cst("2027-01-01 10:00")) == endOf("2027-01-05"))
    }
}
