import Foundation

/// What a practitioner does at the institution.
public enum PractitionerRole: String, Sendable, Codable, Hashable, CaseIterable {
    /// 医师
    case doctor
    /// 药师
    case pharmacist
}

/// 医保医师 / 药师 — a practitioner known to the medical-insurance platform.
///
/// `certificateSerial` and `certificateSubject` are filled by the gateway from an X.509
/// certificate it has verified (PR-3); the core does no cryptography and trusts them as given.
public struct Practitioner: Sendable, Codable, Hashable {
    /// National practitioner code, e.g. "D120101000001".
    public var code: String
    public var name: String
    public var role: PractitionerRole
    /// The fixmedins_code of the institution the practitioner works for.
    public var institutionCode: String
    /// 执业证书编号 — practising-certificate number.
    public var qualificationNo: String?
    /// The day independent clinical practice began (PR-1).
    public var independentPracticeSince: Date?
    /// 执业药师 — a licensed pharmacist (PR-2); meaningless for doctors.
    public var licensed: Bool
    public var certificateSerial: String?
    public var certificateSubject: String?

    public init(code: String, name: String, role: PractitionerRole, institutionCode: String,
                qualificationNo: String? = nil, independentPracticeSince: Date? = nil, licensed: Bool = false,
                certificateSerial: String? = nil, certificateSubject: String? = nil) {
        self.code = code
        self.name = name
        self.role = role
        self.institutionCode = institutionCode
        self.qualificationNo = qualificationNo
        self.independentPracticeSince = independentPracticeSince
        self.licensed = licensed
        self.certificateSerial = certificateSerial
        self.certificateSubject = certificateSubject
    }

    /// PR-1: full years of independent clinical work an Internet+ doctor needs (TJ 20).
    public static let internetDoctorMinimumYears = 3
    /// PR-2: pharmacists a designated retail pharmacy needs (Yangzhou notice) …
    public static let pharmacyMinimumPharmacists = 2
    /// … and how many of them must be licensed pharmacists (执业药师).
    public static let pharmacyMinimumLicensed = 1

    /// The day (00:00 Asia/Shanghai) on which the practitioner completes `years` full calendar
    /// years of independent practice, or nil without a start date. A start on 29 February
    /// completes on 28 February.
    public func independentPracticeCompletes(years: Int = Practitioner.internetDoctorMinimumYears) -> Date? {
        guard let since = independentPracticeSince else { return nil }
        let shanghai = WorkingCalendar()
        return shanghai.adding(years: years, to: shanghai.startOfLocalDay(since))
    }

    /// PR-1: a doctor with a practising qualification and at least three full calendar years of
    /// independent clinical work on the Asia/Shanghai day of `at`.
    public func checkInternetDoctor(at: Date) throws {
        let shanghai = WorkingCalendar()
        guard role == .doctor else {
            throw DomainError(.practitionerNotDoctor, .forbidden, rule: .pr1, pointer: "/role",
                              "PR-1: Internet+ diagnosis is given by a doctor; \(code) (\(name)) is a \(role.rawValue)",
                              expected: PractitionerRole.doctor.rawValue, actual: role.rawValue)
        }
        guard let number = qualificationNo, !number.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw DomainError(.practitionerNoQualification, .forbidden, rule: .pr1, pointer: "/qualificationNo",
                              "PR-1: an Internet+ doctor holds a practising qualification; doctor \(code) (\(name)) has no practising-certificate number on record")
        }
        guard let since = independentPracticeSince, let completes = independentPracticeCompletes() else {
            throw DomainError(.practitionerPracticeTooShort, .forbidden, rule: .pr1, pointer: "/independentPracticeSince",
                              "PR-1: an Internet+ doctor has at least \(Practitioner.internetDoctorMinimumYears) years of independent clinical work; doctor \(code) (\(name)) has no start date of independent practice on record")
        }
        guard at >= completes else {
            throw DomainError(.practitionerPracticeTooShort, .forbidden, rule: .pr1, pointer: "/independentPracticeSince",
                              "PR-1: an Internet+ doctor has at least \(Practitioner.internetDoctorMinimumYears) years of independent clinical work; doctor \(code) (\(name)) began on \(shanghai.localDay(since)) and reaches \(Practitioner.internetDoctorMinimumYears) years on \(shanghai.localDay(completes)), not yet on \(shanghai.localDay(at))",
                              expected: "independent practice since ≤ \(shanghai.localDay(shanghai.adding(years: -Practitioner.internetDoctorMinimumYears, to: shanghai.startOfLocalDay(at))))",
                              actual: shanghai.localDay(since))
        }
    }

    /// PR-2: a designated retail pharmacy's staff include at least two pharmacists, at least one
    /// of them licensed. Doctors in `staff` are ignored.
    public static func checkPharmacyStaffing(_ staff: [Practitioner]) throws {
        let pharmacists = staff.filter { $0.role == .pharmacist }
        let licensed = pharmacists.filter(\.licensed).count
        guard pharmacists.count >= pharmacyMinimumPharmacists, licensed >= pharmacyMinimumLicensed else {
            throw DomainError(.pharmacyStaffingInsufficient, .forbidden, rule: .pr2, pointer: "/staff",
                              "PR-2: a retail pharmacy has at least \(pharmacyMinimumPharmacists) pharmacists, at least \(pharmacyMinimumLicensed) of them licensed; it has \(pharmacists.count) pharmacist(s), \(licensed) licensed",
                              expected: "≥ \(pharmacyMinimumPharmacists) pharmacists, ≥ \(pharmacyMinimumLicensed) licensed",
                              actual: "\(pharmacists.count) pharmacists, \(licensed) licensed")
        }
    }
}

