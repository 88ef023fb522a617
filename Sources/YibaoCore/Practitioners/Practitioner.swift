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
    /// `false`: registered at the institution but not working there (挂证, a name-only pharmacist), who
    /// does not count for PR-2; nil or `true`: on duty.
    public var onDuty: Bool?
    /// PR-2: a Chinese-medicine pharmacist (中药师) or above, whom a pharmacy selling Chinese herbal pieces needs.
    public var chineseMedicine: Bool?
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

    /// PR-1: full years of independent clinical work an Internet+ doctor needs (TJ 20) by default
    /// (``MeasureNumbers/internetDoctorMinimumYears`` sets it).
    public static let internetDoctorMinimumYears = MeasureNumbers.standard.internetDoctorMinimumYears

    /// The day (00:00 Asia/Shanghai) on which the practitioner completes `years` full calendar
    /// years of independent practice, or nil without a start date. A start on 29 February
    /// completes on 28 February.
    public func independentPracticeCompletes(years: Int = Practitioner.internetDoctorMinimumYears) -> Date? {
        guard let since = independentPracticeSince else { return nil }
        let shanghai = WorkingCalendar()
        return shanghai.adding(years: years, to: shanghai.startOfLocalDay(since))
    }

    /// PR-1: a doctor with a practising qualification and at least `minimumYears` (three in the
    /// measures) full calendar years of independent clinical work on the Asia/Shanghai day of `at`.
    public func checkInternetDoctor(at: Date, minimumYears: Int = Practitioner.internetDoctorMinimumYears) throws {
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
        guard let since = independentPracticeSince, let completes = independentPracticeCompletes(years: minimumYears) else {
            throw DomainError(.practitionerPracticeTooShort, .forbidden, rule: .pr1, pointer: "/independentPracticeSince",
                              "PR-1: an Internet+ doctor has at least \(minimumYears) years of independent clinical work; doctor \(code) (\(name)) has no start date of independent practice on record")
        }
        guard at >= completes else {
            throw DomainError(.practitionerPracticeTooShort, .forbidden, rule: .pr1, pointer: "/independentPracticeSince",
                              "PR-1: an Internet+ doctor has at least \(minimumYears) years of independent clinical work; doctor \(code) (\(name)) began on \(shanghai.localDay(since)) and reaches \(minimumYears) years on \(shanghai.localDay(completes)), not yet on \(shanghai.localDay(at))",
                              expected: "independent practice since ≤ \(shanghai.localDay(shanghai.adding(years: -minimumYears, to: shanghai.startOfLocalDay(at))))",
                              actual: shanghai.localDay(since))
        }
    }

    /// PR-2: a designated retail pharmacy's staff include at least two pharmacists on duty, at least one
    /// of them licensed (the measures' numbers; `measures` sets them). Doctors in `staff` are ignored, and
    /// so are name-only pharmacists (`onDuty` false, 挂证).
    public static func checkPharmacyStaffing(_ staff: [Practitioner], herbalPieces: Bool = false, measures: MeasureNumbers = .standard) throws {
        let pharmacists = staff.filter { $0.role == .pharmacist && $0.onDuty != false }
        let nameOnly = staff.filter { $0.role == .pharmacist && $0.onDuty == false }.count
        let licensed = pharmacists.filter(\.licensed).count
        let needed = measures.pharmacyMinimumPharmacists, neededLicensed = measures.pharmacyMinimumLicensedPharmacists
        guard pharmacists.count >= needed, licensed >= neededLicensed else {
            throw DomainError(.pharmacyStaffingInsufficient, .forbidden, rule: .pr2, pointer: "/staff",
                              "PR-2: a retail pharmacy has at least \(needed) pharmacists on duty, at least \(neededLicensed) of them licensed; it has \(pharmacists.count) pharmacist(s) on duty, \(licensed) licensed" + (nameOnly > 0 ? " (\(nameOnly) registered but not on duty do not count)" : ""),
                              expected: "≥ \(needed) pharmacists, ≥ \(neededLicensed) licensed",
                              actual: "\(pharmacists.count) pharmacists, \(licensed) licensed")
        }
        // YZ: a pharmacy selling Chinese herbal pieces has a Chinese-medicine professional (中药师 or above) on its staff.
        if herbalPieces, !pharmacists.contains(where: { $0.chineseMedicine == true }) {
            throw DomainError(.pharmacyStaffingInsufficient, .forbidden, rule: .pr2, pointer: "/staff",
                              "PR-2: a retail pharmacy selling Chinese herbal pieces has a Chinese-medicine pharmacist (中药师 or above) on duty; none of its \(pharmacists.count) pharmacist(s) on duty is one",
                              expected: "≥ 1 pharmacist with chineseMedicine true", actual: "0")
        }
    }
}

