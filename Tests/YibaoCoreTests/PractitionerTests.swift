import Foundation
import Testing
@testable import YibaoCore

private func doctor(since day: String?) -> Practitioner {
    Practitioner(code: "D120101000001", name: "张医生", role: .doctor, institutionCode: "H12010300001",
                 qualificationNo: "110120000012345", independentPracticeSince: day.map { cst($0) })
}

private func pharmacist(_ number: Int, licensed: Bool) -> Practitioner {
    Practitioner(code: "Y12010300000\(number)", name: "药师\(number)", role: .pharmacist,
                 institutionCode: "P12010300007", licensed: licensed)
}

@Suite("Practitioner — PR-1, PR-2")
struct PractitionerTests {

    @Test("PR-1: three full years of independent practice, counted to the Asia/Shanghai day")
    func threeYears() throws {
        // Independent practice since 2023-06-15 → three full years on 2026-06-15.
        let zhang = doctor(since: "2023-06-15")
        #expect(zhang.independentPracticeCompletes() == cst("2026-06-15"))
        let error = refusal(.practitionerPracticeTooShort, .pr1, pointer: "/independentPracticeSince") {
            try zhang.checkInternetDoctor(at: cst("2026-06-14 23:59"))
        }
        #expect(error?.detail.contains("reaches 3 years on 2026-06-15") == true)
        try zhang.checkInternetDoctor(at: cst("2026-06-15 00:00"))
        // 2026-06-14T16:00Z is already 15 June in Beijing.
        try zhang.checkInternetDoctor(at: Date(timeIntervalSince1970: 1_781_452_800))
    }

    @Test("PR-1: a start on 29 February completes on 28 February three years later")
    func leapDay() {
        // 2024-02-29 + 3 years: 2027 has no 29 February, so the day clamps to 2027-02-28.
        let li = doctor(since: "2024-02-29")
        #expect(li.independentPracticeCompletes() == cst("2027-02-28"))
        refusal(.practitionerPracticeTooShort, .pr1) { try li.checkInternetDoctor(at: cst("2027-02-27 12:00")) }
        #expect(throws: Never.self) { try li.checkInternetDoctor(at: cst("2027-02-28 08:00")) }
    }

    @Test("PR-1: an Internet+ doctor holds a practising qualification")
    func qualification() {
        var noNumber = doctor(since: "2010-01-01")
        noNumber.qualificationNo = nil
        refusal(.practitionerNoQualification, .pr1, pointer: "/qualificationNo") {
            try noNumber.checkInternetDoctor(at: cst("2026-06-15"))
        }
        noNumber.qualificationNo = "  "
        refusal(.practitionerNoQualification, .pr1) { try noNumber.checkInternetDoctor(at: cst("2026-06-15")) }
    }

    @Test("PR-1: without a start date of independent practice the doctor is refused")
    func noStartDate() {
        let unknown = doctor(since: nil)
        refusal(.practitionerPracticeTooShort, .pr1) { try unknown.checkInternetDoctor(at: cst("2026-06-15")) }
    }

    @Test("PR-1: a pharmacist is not an Internet+ doctor")
    func notDoctor() {
        var wang = pharmacist(1, licensed: true)
        wang.qualificationNo = "Y0001"
        wang.independentPracticeSince = cst("2000-01-01")
        let error = refusal(.practitionerNotDoctor, .pr1, pointer: "/role") {
            try wang.checkInternetDoctor(at: cst("2026-06-15"))
        }
        #expect(error?.actual == "pharmacist")
    }

    @Test("PR-2: at least 2 pharmacists, at least 1 of them licensed", arguments: [
        ([true, false], true),
        ([true, true], true),
        ([false, false, true], true),
        ([true], false),
        ([false, false], false),
        ([], false),
    ])
    func staffing(licences: [Bool], allowed: Bool) throws {
        let staff = licences.enumerated().map { pharmacist($0.offset + 1, licensed: $0.element) }
        if allowed {
            try Practitioner.checkPharmacyStaffing(staff)
        } else {
            let error = refusal(.pharmacyStaffingInsufficient, .pr2, pointer: "/staff") {
                try Practitioner.checkPharmacyStaffing(staff)
            }
            let licensed = licences.filter { $0 }.count
            #expect(error?.actual == "\(licences.count) pharmacists, \(licensed) licensed")
            #expect(error?.detail.contains("it has \(licences.count) pharmacist(s) on duty, \(licensed) licensed") == true)
        }
    }

    @Test("PR-2: doctors do not count as pharmacists")
    func doctorsDoNotCount() {
        let staff = [pharmacist(1, licensed: true), doctor(since: "2010-01-01")]
        refusal(.pharmacyStaffingInsufficient, .pr2) { try Practitioner.checkPharmacyStaffing(staff) }
    }

    @Test("A practitioner round-trips through JSON, certificate fields included")
    func codable() throws {
        var zhang = doctor(since: "2023-06-15")
        zhang.certificateSerial = "0A1B2C"
        zhang.certificateSubject = "CN=张医生,O=天津市河西医院"
        let data = try JSONEncoder().encode(zhang)
        #expect(try JSONDecoder().decode(Practitioner.self, from: data) == zhang)
    }
}
