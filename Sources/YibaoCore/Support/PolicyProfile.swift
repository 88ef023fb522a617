/// A named policy profile: every number the published measures leave open, as a documented
/// setting with a default (DOMAIN.md: "never a constant buried in code").
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

    /// Every member is required except `measures` (newer than the rest: a policy file written before it still loads).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        vouchers = try container.decode(VoucherPolicy.self, forKey: .vouchers)
        agreements = try container.decode(AgreementPolicy.self, forKey: .agreements)
        calendar = try container.decode(WorkingCalendar.self, forKey: .calendar)
        fsiTimeWindowSeconds = try container.decode(Int.self, forKey: .fsiTimeWindowSeconds)
        signInLifetimeSeconds = try container.decode(Int.self, forKey: .signInLifetimeSeconds)
        chronicDiseaseCategories = try container.decode([String].self, forKey: .chronicDiseaseCategories)
        callbacks = try container.decode(CallbackPolicy.self, forKey: .callbacks)
        measures = try container.decodeIfPresent(MeasureNumbers.self, forKey: .measures) ?? .standard
    }
}

/// Numbers the published measures state, as settings (DOMAIN.md: never a constant buried in code),
/// each defaulting to the measure's value; and the smart audit's thresholds, which the measures
/// leave open. A province or a test that needs another value sets it in the policy file.
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

    public init(internetDoctorMinimumYears: Int = 3, pharmacyMinimumPharmacists: Int = 2, pharmacyMinimumLicensedPharmacists: Int = 1,
                temporaryFilingMaxMonths: Int = 12, extraChronicInstitutions: Int = 2, maxDrugBoxesPerLine: Int = 12, maxConsultationsPerVisit: Int = 1) {
        self.internetDoctorMinimumYears = internetDoctorMinimumYears
        self.pharmacyMinimumPharmacists = pharmacyMinimumPharmacists
        self.pharmacyMinimumLicensedPharmacists = pharmacyMinimumLicensedPharmacists
        self.temporaryFilingMaxMonths = temporaryFilingMaxMonths
        self.extraChronicInstitutions = extraChronicInstitutions
        self.maxDrugBoxesPerLine = maxDrugBoxesPerLine
        self.maxConsultationsPerVisit = maxConsultationsPerVisit
    }

    /// The measures' values.
    public static let standard = MeasureNumbers()

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
        return nil
    }
}
