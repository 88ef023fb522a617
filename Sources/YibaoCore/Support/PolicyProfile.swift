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

    public init(name: String = "nhsa-2.0", vouchers: VoucherPolicy = .standard, agreements: AgreementPolicy = .standard,
                calendar: WorkingCalendar = .china, fsiTimeWindowSeconds: Int = 300, signInLifetimeSeconds: Int = 24 * 3600,
                chronicDiseaseCategories: [String] = OnlineScope.defaultChronicCategories, callbacks: CallbackPolicy = .standard) {
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
}
