import Foundation

/// A named policy profile: every number the published measures leave open, as a documented
/// setting with a default (docs/RULES.md: "never a constant buried in code").
public struct PolicyProfile: Sendable, Codable, Hashable {
    /// Profile name, reported by the gateway and the conformance tester.
    public var name: String
    /// Token lifetimes (ID-2).
    public var vouchers: VoucherPolicy
    /// Agreement deadlines and terms (AG-2, AG-3, AG-7, AG-8, AG-9).
    public var agreements: AgreementPolicy
    /// Working days for the AG deadlines.
    public var calendar: WorkingCalendar
    /// How far an FSI `inf_time` may be from the gateway's clock, in seconds.
    public var fsiTimeWindowSeconds: Int
    /// How long a 9001 `sign_no` stays valid, in seconds (the platform's sign-in is per working day).
    public var signInLifetimeSeconds: Int
    /// SC-1: ICD-10 categories of the common and chronic diseases that may be followed up online.
    public var chronicDiseaseCategories: [String]
    /// Settlement callback retries.
    public var callbacks: CallbackPolicy
    /// The numbers the measures state (PR-1, PR-2, XR-2, XR-3) and the smart audit's thresholds
    /// (SV-3, PY-1), with the measures' values as defaults. May be left out of a policy file.
    public var measures: MeasureNumbers

    public init(name: String = "nhsa-2.0", vouchers: VoucherPolicy = .standard, agreements: AgreementPolicy = .standard,
                calendar: WorkingCalendar = .china, fsiTimeWindowSeconds: Int = 300, signInLifetimeSeconds: Int = 24 * 3600,
                chronicDiseaseCategories: [String] = OnlineScope.defaultChronicCategories, callbacks: CallbackPolicy = .standard,
                measures: MeasureNumbers = .standard) {
        self.measures = measures
        self.name = name
        self.vouchers = vouchers
        self.agreements = agreements
        self.calendar = calendar
        self.fsiTimeWindowSeconds = fsiTimeWindowSeconds
        self.signInLifetimeSeconds = signInLifetimeSeconds
        self.chronicDiseaseCategories = chronicDiseaseCategories
        self.callbacks = callbacks
    }

    /// The default profile.
    public static let nhsa20 = PolicyProfile()

    enum CodingKeys: String, CodingKey {
        case name, vouchers, agreements, calendar, fsiTimeWindowSeconds, signInLifetimeSeconds, chronicDiseaseCategories, callbacks, measures
    }

    /// `name` is required; a group left out keeps the `nhsa-2.0` values, so a province's profile states only what
    /// differs (policies/beijing.json). A group that is present is read as a whole, except `agreements` and
    /// `measures`, whose members may each be left out too.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let d = PolicyProfile.nhsa20
        name = try container.decode(String.self, forKey: .name)
        vouchers = try container.decodeIfPresent(VoucherPolicy.self, forKey: .vouchers) ?? d.vouchers
        agreements = try container.decodeIfPresent(AgreementPolicy.self, forKey: .agreements) ?? d.agreements
        calendar = try container.decodeIfPresent(WorkingCalendar.self, forKey: .calendar) ?? d.calendar
        fsiTimeWindowSeconds = try container.decodeIfPresent(Int.self, forKey: .fsiTimeWindowSeconds) ?? d.fsiTimeWindowSeconds
        signInLifetimeSeconds = try container.decodeIfPresent(Int.self, forKey: .signInLifetimeSeconds) ?? d.signInLifetimeSeconds
        chronicDiseaseCategories = try container.decodeIfPresent([String].self, forKey: .chronicDiseaseCategories) ?? d.chronicDiseaseCategories
        callbacks = try container.decodeIfPresent(CallbackPolicy.self, forKey: .callbacks) ?? d.callbacks
        measures = try container.decodeIfPresent(MeasureNumbers.self, forKey: .measures) ?? .standard
    }
}

/// Numbers the published measures state, as settings (docs/RULES.md: never a constant buried in code),
/// each defaulting to the measure's value; and the smart audit's thresholds, which the measures
/// leave open. A province or a test that needs another value sets it in the policy file; a member
/// left out of the file keeps its default.
public struct MeasureNumbers: Sendable, Codable, Hashable {
    /// PR-1: full years of independent clinical work an Internet+ doctor needs (TJ 20).
    public var internetDoctorMinimumYears: Int
    /// PR-2: pharmacists a designated retail pharmacy needs (YZ) …
    public var pharmacyMinimumPharmacists: Int
    /// … and how many of them are licensed pharmacists (执业药师).
    public var pharmacyMinimumLicensedPharmacists: Int
    /// XR-2: longest temporary cross-region filing, in months.
    public var temporaryFilingMaxMonths: Int
    /// XR-3: extra designated institutions a chronic/special-disease filing may name in the filed place.
    public var extraChronicInstitutions: Int
    /// SV-3: most boxes one drug line may supply (a simulator default: the measures give no number).
    public var maxDrugBoxesPerLine: Int
    /// PY-1: Internet follow-up consultations (AADG0000) charged per visit.
    public var maxConsultationsPerVisit: Int
    /// RX-2: the shortest and longest validity (`valiDays`) a prescription may be given, in days.
    public var prescriptionMinimumValidityDays: Int
    public var prescriptionMaximumValidityDays: Int
    /// XR-5: the filing-free pilot for general outpatient care across regions.
    public var filingFreePilot: FilingFreePilot
    /// GEN-1: the days the measures are in force; Internet+ business outside them is refused.
    public var inForce: DayWindow
    /// AG-12: no application for designation within this many months of an administrative punishment (YZ: 6).
    public var punishmentFreeMonths: Int
    /// AG-12: days the list of institutions that passed evaluation is publicised before the entity agreement is
    /// signed (YZ: one week). 0 by default: the Tianjin measures, the default profile's base, have no publicity,
    /// and a week of it inside their 5-working-day signing period leaves about two days to sign.
    public var designationPublicityDays: Int
    /// AG-12: the entity agreement is signed with a written credit commitment (YZ); off by default, as above.
    public var creditCommitmentRequired: Bool
    /// AG-13: days within which a change is reported (after it), or announced (before an address or legal-representative
    /// change), and within which the agreements end after such a licence change (YZ: 15).
    public var changeReportDays: Int
    /// PY-6: an Internet+ visit's drugs and special-disease fees may be settled by swiping the social-security card (FSI 2207
    /// with `mdtrt_cert_type` 03) instead of through mobile payment with the e-voucher; the consultation AADG0000 still
    /// settles online (BJ annex §1(3)–(5): true). Off by default: TJ art. 15, every Internet+ settlement through mobile payment.
    public var cardSwipeSettlement: Bool

    public init(internetDoctorMinimumYears: Int = 3, pharmacyMinimumPharmacists: Int = 2, pharmacyMinimumLicensedPharmacists: Int = 1,
                temporaryFilingMaxMonths: Int = 12, extraChronicInstitutions: Int = 2, maxDrugBoxesPerLine: Int = 12, maxConsultationsPerVisit: Int = 1,
                prescriptionMinimumValidityDays: Int = 1, prescriptionMaximumValidityDays: Int = 366,
                filingFreePilot: FilingFreePilot = .tianjinPlan, inForce: DayWindow = .tianjinMeasures,
                punishmentFreeMonths: Int = 6, designationPublicityDays: Int = 0, creditCommitmentRequired: Bool = false, changeReportDays: Int = 15,
                cardSwipeSettlement: Bool = false) {
        self.changeReportDays = changeReportDays
        self.cardSwipeSettlement = cardSwipeSettlement
        self.punishmentFreeMonths = punishmentFreeMonths
        self.designationPublicityDays = designationPublicityDays
        self.creditCommitmentRequired = creditCommitmentRequired
        self.internetDoctorMinimumYears = internetDoctorMinimumYears
        self.pharmacyMinimumPharmacists = pharmacyMinimumPharmacists
        self.pharmacyMinimumLicensedPharmacists = pharmacyMinimumLicensedPharmacists
        self.temporaryFilingMaxMonths = temporaryFilingMaxMonths
        self.extraChronicInstitutions = extraChronicInstitutions
        self.maxDrugBoxesPerLine = maxDrugBoxesPerLine
        self.maxConsultationsPerVisit = maxConsultationsPerVisit
        self.prescriptionMinimumValidityDays = prescriptionMinimumValidityDays
        self.prescriptionMaximumValidityDays = prescriptionMaximumValidityDays
        self.filingFreePilot = filingFreePilot
        self.inForce = inForce
    }

    /// The measures' values.
    public static let standard = MeasureNumbers()

    enum CodingKeys: String, CodingKey {
        case internetDoctorMinimumYears, pharmacyMinimumPharmacists, pharmacyMinimumLicensedPharmacists, temporaryFilingMaxMonths,
             extraChronicInstitutions, maxDrugBoxesPerLine, maxConsultationsPerVisit, prescriptionMinimumValidityDays,
             prescriptionMaximumValidityDays, filingFreePilot, inForce, punishmentFreeMonths, designationPublicityDays, creditCommitmentRequired,
             changeReportDays, cardSwipeSettlement
    }

    /// Every member may be left out: it keeps the measure's value.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = MeasureNumbers.standard
        internetDoctorMinimumYears = try c.decodeIfPresent(Int.self, forKey: .internetDoctorMinimumYears) ?? d.internetDoctorMinimumYears
        pharmacyMinimumPharmacists = try c.decodeIfPresent(Int.self, forKey: .pharmacyMinimumPharmacists) ?? d.pharmacyMinimumPharmacists
        pharmacyMinimumLicensedPharmacists = try c.decodeIfPresent(Int.self, forKey: .pharmacyMinimumLicensedPharmacists) ?? d.pharmacyMinimumLicensedPharmacists
        temporaryFilingMaxMonths = try c.decodeIfPresent(Int.self, forKey: .temporaryFilingMaxMonths) ?? d.temporaryFilingMaxMonths
        extraChronicInstitutions = try c.decodeIfPresent(Int.self, forKey: .extraChronicInstitutions) ?? d.extraChronicInstitutions
        maxDrugBoxesPerLine = try c.decodeIfPresent(Int.self, forKey: .maxDrugBoxesPerLine) ?? d.maxDrugBoxesPerLine
        maxConsultationsPerVisit = try c.decodeIfPresent(Int.self, forKey: .maxConsultationsPerVisit) ?? d.maxConsultationsPerVisit
        prescriptionMinimumValidityDays = try c.decodeIfPresent(Int.self, forKey: .prescriptionMinimumValidityDays) ?? d.prescriptionMinimumValidityDays
        prescriptionMaximumValidityDays = try c.decodeIfPresent(Int.self, forKey: .prescriptionMaximumValidityDays) ?? d.prescriptionMaximumValidityDays
        filingFreePilot = try c.decodeIfPresent(FilingFreePilot.self, forKey: .filingFreePilot) ?? d.filingFreePilot
        inForce = try c.decodeIfPresent(DayWindow.self, forKey: .inForce) ?? d.inForce
        punishmentFreeMonths = try c.decodeIfPresent(Int.self, forKey: .punishmentFreeMonths) ?? d.punishmentFreeMonths
        designationPublicityDays = try c.decodeIfPresent(Int.self, forKey: .designationPublicityDays) ?? d.designationPublicityDays
        creditCommitmentRequired = try c.decodeIfPresent(Bool.self, forKey: .creditCommitmentRequired) ?? d.creditCommitmentRequired
        changeReportDays = try c.decodeIfPresent(Int.self, forKey: .changeReportDays) ?? d.changeReportDays
        cardSwipeSettlement = try c.decodeIfPresent(Bool.self, forKey: .cardSwipeSettlement) ?? d.cardSwipeSettlement
    }

    /// The first setting that makes no sense (a negative count, a zero where one is needed), or nil.
    public var problem: String? {
        if internetDoctorMinimumYears < 0 { return "measures.internetDoctorMinimumYears must be 0 or more" }
        if pharmacyMinimumPharmacists < 1 { return "measures.pharmacyMinimumPharmacists must be 1 or more" }
        if pharmacyMinimumLicensedPharmacists < 0 || pharmacyMinimumLicensedPharmacists > pharmacyMinimumPharmacists {
            return "measures.pharmacyMinimumLicensedPharmacists must be from 0 to pharmacyMinimumPharmacists"
        }
        if temporaryFilingMaxMonths < 1 { return "measures.temporaryFilingMaxMonths must be 1 or more" }
        if extraChronicInstitutions < 0 { return "measures.extraChronicInstitutions must be 0 or more" }
        if maxDrugBoxesPerLine < 1 { return "measures.maxDrugBoxesPerLine must be 1 or more" }
        if maxConsultationsPerVisit < 1 { return "measures.maxConsultationsPerVisit must be 1 or more" }
        if prescriptionMinimumValidityDays < 1 { return "measures.prescriptionMinimumValidityDays must be 1 or more" }
        if prescriptionMaximumValidityDays < prescriptionMinimumValidityDays || prescriptionMaximumValidityDays > Prescription.structuralValidityLimit {
            return "measures.prescriptionMaximumValidityDays must be from prescriptionMinimumValidityDays to \(Prescription.structuralValidityLimit)"
        }
        if let problem = filingFreePilot.problem { return "measures.filingFreePilot.\(problem)" }
        if let problem = inForce.problem { return "measures.inForce.\(problem)" }
        if punishmentFreeMonths < 0 { return "measures.punishmentFreeMonths must be 0 or more" }
        if !(0...60).contains(designationPublicityDays) { return "measures.designationPublicityDays must be from 0 to 60" }
        if !(1...90).contains(changeReportDays) { return "measures.changeReportDays must be from 1 to 90" }
        return nil
    }

    /// RX-2: the validity a prescription may be given.
    public var prescriptionValidityDays: ClosedRange<Int> { prescriptionMinimumValidityDays...prescriptionMaximumValidityDays }
}

/// A span of whole days in Beijing time, `from` and `until` as `yyyy-MM-dd`, both included;
/// either may be empty (open-ended).
public struct DayWindow: Sendable, Codable, Hashable {
    public var from: String
    public var until: String

    public init(from: String, until: String) {
        self.from = from
        self.until = until
    }

    /// GEN-1: the Tianjin measures come into force on 1 June 2022 and are abolished on 1 June 2027 (TJ 30),
    /// so their last day is 31 May 2027.
    public static let tianjinMeasures = DayWindow(from: "2022-06-01", until: "2027-05-31")
    /// No limit.
    public static let always = DayWindow(from: "", until: "")

    enum CodingKeys: String, CodingKey { case from, until }

    /// Either end may be left out of a policy file: it is open.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        from = try c.decodeIfPresent(String.self, forKey: .from) ?? ""
        until = try c.decodeIfPresent(String.self, forKey: .until) ?? ""
    }

    /// The first instant of `from`, or nil when open.
    public var start: Date? { from.isEmpty ? nil : Timestamps.parseDay(from) }
    /// The first instant after `until`, or nil when open.
    public var end: Date? { until.isEmpty ? nil : Timestamps.parseDay(until).map { $0.addingTimeInterval(86_400) } }

    public func contains(_ instant: Date) -> Bool {
        if let start, instant < start { return false }
        if let end, instant >= end { return false }
        return true
    }

    var problem: String? {
        if !from.isEmpty, Timestamps.parseDay(from) == nil { return "from must be yyyy-MM-dd or empty, not \(from)" }
        if !until.isEmpty, Timestamps.parseDay(until) == nil { return "until must be yyyy-MM-dd or empty, not \(until)" }
        if let start, let end, end <= start { return "until must not be before from" }
        return nil
    }
}

/// XR-5: persons insured in `insuredAreas` are settled directly without a filing for general outpatient
/// care in `treatedAreas` from `since`. An area is a 6-digit division code: `120000` a whole province,
/// `120100` a city, `120116` one district (the pilot's districts may be listed one by one).
public struct FilingFreePilot: Sendable, Codable, Hashable {
    /// First day of the pilot, `yyyy-MM-dd`.
    public var since: String
    /// Where the pilot's insured persons are insured.
    public var insuredAreas: [String]
    /// Where they may be treated without filing.
    public var treatedAreas: [String]
    /// The `med_type` values the pilot covers (general outpatient, 普通门诊: `11`). A payment that names
    /// no `med_type` (an HSE mobile payment, a pharmacy purchase) counts as general outpatient.
    public var medTypes: [String]

    public init(since: String, insuredAreas: [String], treatedAreas: [String], medTypes: [String] = ["11"]) {
        self.since = since
        self.insuredAreas = insuredAreas
        self.treatedAreas = treatedAreas
        self.medTypes = medTypes
    }

    /// The Beijing–Tianjin–Hebei pilot from 1 January 2023, both ways between the three places (a region that
    /// joins the pilot in both directions).
    public static let beijingTianjinHebei = FilingFreePilot(since: "2023-01-01", insuredAreas: ["110000", "120000", "130000"],
                                                            treatedAreas: ["110000", "120000", "130000"])
    /// The Tianjin plan (XR, item "free of filing"), the default: from 1 January 2023 Tianjin's insured persons treated in
    /// Beijing and Hebei, general outpatient only. A Beijing-insured person treated in Tianjin files (XR-2).
    public static let tianjinPlan = FilingFreePilot(since: "2023-01-01", insuredAreas: ["120000"], treatedAreas: ["110000", "130000"])
    /// No pilot.
    public static let none = FilingFreePilot(since: "2023-01-01", insuredAreas: [], treatedAreas: [])

    enum CodingKeys: String, CodingKey { case since, insuredAreas, treatedAreas, medTypes }

    /// A member left out of a policy file keeps the default pilot's value.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = FilingFreePilot.tianjinPlan
        since = try c.decodeIfPresent(String.self, forKey: .since) ?? d.since
        insuredAreas = try c.decodeIfPresent([String].self, forKey: .insuredAreas) ?? d.insuredAreas
        treatedAreas = try c.decodeIfPresent([String].self, forKey: .treatedAreas) ?? d.treatedAreas
        medTypes = try c.decodeIfPresent([String].self, forKey: .medTypes) ?? d.medTypes
    }

    /// Whether a person insured in `insured` (a full division code) settles care of `medType` in `treated` without filing at `now`.
    public func covers(insured: String, treated: String, medType: String?, at now: Date) -> Bool {
        guard let start = Timestamps.parseDay(since), now >= start else { return false }
        if let medType, !medType.isEmpty, !medTypes.contains(medType) { return false }
        return insuredAreas.contains { Self.area($0, includes: insured) } && treatedAreas.contains { Self.area($0, includes: treated) }
    }

    /// `120000` includes every `12xxxx`, `120100` every `1201xx`, `120116` only itself.
    static func area(_ area: String, includes code: String) -> Bool {
        var prefix = Substring(area)
        while prefix.count > 2, prefix.hasSuffix("00") { prefix = prefix.dropLast(2) }
        return code.hasPrefix(prefix)
    }

    var problem: String? {
        if Timestamps.parseDay(since) == nil { return "since must be yyyy-MM-dd, not \(since)" }
        for area in insuredAreas + treatedAreas where area.count != 6 || !area.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return "insuredAreas and treatedAreas hold 6-digit division codes, not \(area)"
        }
        return nil
    }
}
