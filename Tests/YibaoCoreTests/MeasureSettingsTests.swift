import Foundation
import Testing
@testable import YibaoCore

/// The numbers the measures state are policy settings (`measures` of the policy profile), with the
/// measures' values as defaults: a changed setting changes the decision and the sentence.
@Suite("Policy settings — the measures' numbers")
struct MeasureSettingsTests {
    @Test("a policy file without `measures` (written before it existed) loads with the measures' values; one with it keeps them")
    func decoding() throws {
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(PolicyProfile.nhsa20)) as? [String: Any])
        #expect(object["measures"] != nil)
        object.removeValue(forKey: "measures")
        let older = try JSONDecoder().decode(PolicyProfile.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(older.measures == .standard && older.measures.temporaryFilingMaxMonths == 12 && older.measures.extraChronicInstitutions == 2)
        var changed = PolicyProfile.nhsa20
        changed.measures.maxDrugBoxesPerLine = 6
        let again = try JSONDecoder().decode(PolicyProfile.self, from: JSONEncoder().encode(changed))
        #expect(again.measures.maxDrugBoxesPerLine == 6)
        // A group left out keeps the nhsa-2.0 value; the name is required.
        object.removeValue(forKey: "fsiTimeWindowSeconds")
        #expect(try JSONDecoder().decode(PolicyProfile.self, from: JSONSerialization.data(withJSONObject: object)).fsiTimeWindowSeconds == PolicyProfile.nhsa20.fsiTimeWindowSeconds)
        object.removeValue(forKey: "name")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PolicyProfile.self, from: JSONSerialization.data(withJSONObject: object)) }
    }

    @Test("PY-6, GEN-1: policies/beijing.json is Beijing's profile — the card may be swiped, the notice has no end; everything else is nhsa-2.0's")
    func beijingProfile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let beijing = try JSONDecoder().decode(PolicyProfile.self, from: Data(contentsOf: root.appendingPathComponent("policies/beijing.json")))
        #expect(beijing.name == "beijing")
        #expect(beijing.measures.cardSwipeSettlement && !PolicyProfile.nhsa20.measures.cardSwipeSettlement)
        #expect(beijing.measures.inForce.contains(Timestamps.parseDay("2030-01-01")!) && !beijing.measures.inForce.contains(Timestamps.parseDay("2020-02-28")!))
        #expect(beijing.measures.problem == nil)
        #expect(beijing.agreements == PolicyProfile.nhsa20.agreements && beijing.calendar == PolicyProfile.nhsa20.calendar)
        #expect(beijing.measures.filingFreePilot == PolicyProfile.nhsa20.measures.filingFreePilot)
    }

    @Test("settings that make no sense are named")
    func problems() {
        #expect(MeasureNumbers.standard.problem == nil)
        #expect(MeasureNumbers(pharmacyMinimumPharmacists: 1, pharmacyMinimumLicensedPharmacists: 2).problem?.contains("pharmacyMinimumLicensedPharmacists") == true)
        #expect(MeasureNumbers(temporaryFilingMaxMonths: 0).problem?.contains("temporaryFilingMaxMonths") == true)
        #expect(MeasureNumbers(maxConsultationsPerVisit: 0).problem?.contains("maxConsultationsPerVisit") == true)
    }

    @Test("XR-2 and XR-3: the temporary filing's months and the extra institutions follow the setting")
    func crossRegion() throws {
        let start = cst("2026-01-10"), sevenMonths = cst("2026-08-09")
        func filing(end: Date, extra: [String] = [], measures: MeasureNumbers) throws -> CrossRegionFiling {
            try CrossRegionFiling(filingId: "F1", psnNo: "P1", kind: .temporary, insuredAdmdvs: "120000", filedAdmdvs: "110000", start: start,
                                  end: end, extraInstitutions: extra, measures: measures)
        }
        _ = try filing(end: sevenMonths, measures: .standard)
        let six = MeasureNumbers(temporaryFilingMaxMonths: 6)
        let error = refusal(.filingTooLong, .xr2, pointer: "/end") { _ = try filing(end: sevenMonths, measures: six) }
        #expect(error?.detail.contains("at most 6 months") == true, "\(String(describing: error?.detail))")
        let three = ["H1", "H2", "H3"]
        refusal(.filingTooManyInstitutions, .xr3, pointer: "/extraInstitutions") { _ = try filing(end: sevenMonths, extra: three, measures: .standard) }
        _ = try filing(end: sevenMonths, extra: three, measures: MeasureNumbers(extraChronicInstitutions: 3))
    }

    @Test("PR-1 and PR-2: the doctor's years and the pharmacy's staffing follow the setting")
    func practitioners() throws {
        let doctor = Practitioner(code: "D1", name: "张医生", role: .doctor, institutionCode: "H1", qualificationNo: "110120000012345",
                                  independentPracticeSince: cst("2022-01-01"))
        try doctor.checkInternetDoctor(at: cst("2026-06-01"))
        let error = refusal(.practitionerPracticeTooShort, .pr1, pointer: "/independentPracticeSince") {
            try doctor.checkInternetDoctor(at: cst("2026-06-01"), minimumYears: 5)
        }
        #expect(error?.detail.contains("at least 5 years") == true)
        let staff = (1...2).map { Practitioner(code: "Y\($0)", name: "药师\($0)", role: .pharmacist, institutionCode: "P1", licensed: $0 == 1) }
        try Practitioner.checkPharmacyStaffing(staff)
        refusal(.pharmacyStaffingInsufficient, .pr2) { try Practitioner.checkPharmacyStaffing(staff, measures: MeasureNumbers(pharmacyMinimumPharmacists: 3)) }
    }

    @Test("a `measures` group that names one setting keeps the measures' values for the rest")
    func partialGroup() throws {
        let measures = try JSONDecoder().decode(MeasureNumbers.self, from: Data(#"{"temporaryFilingMaxMonths": 6}"#.utf8))
        var expected = MeasureNumbers.standard
        expected.temporaryFilingMaxMonths = 6
        #expect(measures == expected)
        #expect(measures.inForce == .tianjinMeasures && measures.filingFreePilot == .tianjinPlan && measures.prescriptionValidityDays == 1...366)
    }

    @Test("the newer settings that make no sense are named too")
    func newerProblems() {
        #expect(MeasureNumbers(prescriptionMinimumValidityDays: 0).problem?.contains("prescriptionMinimumValidityDays") == true)
        #expect(MeasureNumbers(prescriptionMinimumValidityDays: 5, prescriptionMaximumValidityDays: 3).problem?.contains("prescriptionMaximumValidityDays") == true)
        #expect(MeasureNumbers(filingFreePilot: FilingFreePilot(since: "2023-13-01", insuredAreas: [], treatedAreas: [])).problem?.contains("filingFreePilot.since") == true)
        #expect(MeasureNumbers(filingFreePilot: FilingFreePilot(since: "2023-01-01", insuredAreas: ["12"], treatedAreas: [])).problem?.contains("6-digit") == true)
        #expect(MeasureNumbers(inForce: DayWindow(from: "2027-01-01", until: "2026-01-01")).problem?.contains("inForce") == true)
        #expect(MeasureNumbers(inForce: DayWindow(from: "June 2022", until: "")).problem?.contains("inForce.from") == true)
    }

    @Test("GEN-1: the window holds its first and last day whole, in Beijing time; empty ends are open")
    func inForceWindow() {
        let window = DayWindow.tianjinMeasures
        #expect(!window.contains(cst("2022-05-31 23:59")))
        #expect(window.contains(cst("2022-06-01")))
        #expect(window.contains(cst("2027-05-31 23:59")))
        #expect(!window.contains(cst("2027-06-01")), "abolished on 1 June 2027 (TJ 30)")
        #expect(DayWindow.always.contains(cst("2099-01-01")) && DayWindow(from: "", until: "2027-06-01").contains(cst("2001-01-01")))
    }

    @Test("XR-5: the pilot's direction, districts, general outpatient only and first day come from the setting")
    func filingFreePilot() throws {
        func settle(insured: String, treated: String, medType: String? = "11", at day: String = "2026-06-01", pilot: FilingFreePilot) throws -> String {
            try CrossRegionRules.requireDirectSettlement(insured: String(insured.prefix(2)) + "0000", treated: String(treated.prefix(2)) + "0000", filings: [],
                                                         at: cst(day), pointer: "/psn_no", medType: medType, pilot: pilot,
                                                         insuredAdmdvs: insured, treatedAdmdvs: treated)
        }
        // The three places both ways (a region that joins the pilot both ways).
        #expect(try settle(insured: "110100", treated: "120101", pilot: .beijingTianjinHebei) == "filing-free (XR-5)")
        #expect(try settle(insured: "120116", treated: "130102", medType: nil, pilot: .beijingTianjinHebei) == "filing-free (XR-5)")
        refusal(.crossRegionNotFiled, .xr2) { _ = try settle(insured: "310100", treated: "120101", pilot: .beijingTianjinHebei) }
        // The default, the Tianjin plan: Tianjin-insured persons to Beijing and Hebei, not the reverse.
        #expect(MeasureNumbers.standard.filingFreePilot == .tianjinPlan)
        #expect(try settle(insured: "120116", treated: "110105", pilot: .tianjinPlan) == "filing-free (XR-5)")
        refusal(.crossRegionNotFiled, .xr2) { _ = try settle(insured: "110100", treated: "120101", pilot: .tianjinPlan) }
        // Pilot districts: Binhai (120116) in, Heping (120101) out.
        let districts = FilingFreePilot(since: "2023-01-01", insuredAreas: ["120116"], treatedAreas: ["110000"])
        #expect(try settle(insured: "120116", treated: "110105", pilot: districts) == "filing-free (XR-5)")
        refusal(.crossRegionNotFiled, .xr2) { _ = try settle(insured: "120101", treated: "110105", pilot: districts) }
        // General outpatient only, and not before the first day.
        refusal(.crossRegionNotFiled, .xr2) { _ = try settle(insured: "120116", treated: "110105", medType: "14", pilot: .tianjinPlan) }
        refusal(.crossRegionNotFiled, .xr2) { _ = try settle(insured: "120116", treated: "110105", medType: "21", pilot: .tianjinPlan) }
        refusal(.crossRegionNotFiled, .xr2) { _ = try settle(insured: "120116", treated: "110105", at: "2022-12-31", pilot: .tianjinPlan) }
        refusal(.crossRegionNotFiled, .xr2) { _ = try settle(insured: "120116", treated: "110105", pilot: .none) }
    }

    @Test("SC-2 and SC-6: an online subject is among the registered ones and, when approved separately, the Internet ones")
    func internetSubjects() throws {
        var hospital = Institution(code: "H1", name: "Test Hospital", kind: .hospital, admdvs: "120101", subjects: ["A03", "A04", "A07"])
        try hospital.requireOnlineSubject("A07", pointer: "/caty")
        refusal(.subjectNotRegistered, .sc2, pointer: "/caty") { try hospital.requireOnlineSubject("A50", pointer: "/caty") }
        hospital.internetSubjects = ["A03", "A04"]
        try hospital.requireOnlineSubject("A03", pointer: "/caty")
        let error = refusal(.subjectNotApprovedForInternet, .sc6, pointer: "/caty") { try hospital.requireOnlineSubject("A07", pointer: "/caty") }
        #expect(error?.expected == "A03 | A04" && error?.actual == "A07")
        refusal(.subjectNotRegistered, .sc2) { try hospital.requireOnlineSubject("A50", pointer: "/caty") }
    }
}

