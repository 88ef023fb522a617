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
        // Any other member missing is still refused.
        object.removeValue(forKey: "fsiTimeWindowSeconds")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PolicyProfile.self, from: JSONSerialization.data(withJSONObject: object)) }
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
}
