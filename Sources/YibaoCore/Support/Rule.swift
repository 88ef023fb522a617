/// A policy rule of docs/RULES.md, by its stable id. Every refusal names one.
public struct Rule: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    // ID — identity and the electronic voucher (医保电子凭证)
    /// Online insured persons are identified by real-name e-voucher authentication first.
    public static let id1 = Rule(rawValue: "ID-1")
    /// The voucher is activated through an authorised channel; tokens are short-lived and single-use.
    public static let id2 = Rule(rawValue: "ID-2")
    /// A person who is not real-name verified is refused and told to correct their information.
    public static let id3 = Rule(rawValue: "ID-3")
    /// Identity media: e-voucher (01), resident ID number (02), social-security card (03).
    public static let id4 = Rule(rawValue: "ID-4")
    /// A person found defrauding has Internet+ payment and direct settlement suspended.
    public static let id5 = Rule(rawValue: "ID-5")

    // AG — designated institutions and agreements
    /// Only an institution with a signed, active Internet+ supplementary agreement may settle Internet+ services.
    public static let ag1 = Rule(rawValue: "AG-1")
    /// Applications accepted at once; one notice to supplement within 5 working days; not corrected in 5 ⇒ withdrawn.
    public static let ag2 = Rule(rawValue: "AG-2")
    /// Evaluation within 2 months (supplement time excluded); signing within 5 working days; written reasons; negotiation ≤ 60 working days.
    public static let ag3 = Rule(rawValue: "AG-3")
    /// The supplementary agreement's term equals the entity institution's agreement.
    public static let ag4 = Rule(rawValue: "AG-4")
    /// Suspending or terminating the entity agreement suspends or terminates the Internet+ agreement at the same moment.
    public static let ag5 = Rule(rawValue: "AG-5")
    /// Capability conditions for the Internet+ agreement.
    public static let ag6 = Rule(rawValue: "AG-6")
    /// Negative list: false materials or a terminated agreement ⇒ 3 years; dishonesty list ⇒ not accepted.
    public static let ag7 = Rule(rawValue: "AG-7")
    /// Term: first ≤ 2 years; renewal 3–5 years when clean; 1 year after violations.
    public static let ag8 = Rule(rawValue: "AG-8")
    /// Termination triggers.
    public static let ag9 = Rule(rawValue: "AG-9")
    /// The list of signed institutions is public.
    public static let ag10 = Rule(rawValue: "AG-10")
    /// Changes reported within 15 days; an address or legal-representative change ends the agreements within 15 days.
    public static let ag13 = Rule(rawValue: "AG-13")
    /// Designation conditions: no administrative punishment within 6 months; one week's publicity; a written credit commitment.
    public static let ag12 = Rule(rawValue: "AG-12")
    /// The negative list binds the legal representative, major investors, name and address too; a dishonest legal representative bars.
    public static let ag14 = Rule(rawValue: "AG-14")

    // PR — practitioners
    /// An Internet+ doctor holds a practising qualification and ≥ 3 years of independent clinical work.
    public static let pr1 = Rule(rawValue: "PR-1")
    /// A retail pharmacy has ≥ 2 pharmacists, ≥ 1 of them licensed.
    public static let pr2 = Rule(rawValue: "PR-2")
    /// The treating doctor's authenticity can be checked.
    public static let pr3 = Rule(rawValue: "PR-3")

    // SC — scope of online care
    public static let sc1 = Rule(rawValue: "SC-1")
    public static let sc2 = Rule(rawValue: "SC-2")
    public static let sc3 = Rule(rawValue: "SC-3")
    public static let sc4 = Rule(rawValue: "SC-4")

    // RX — electronic prescriptions
    /// Signed by the doctor, reviewed by a pharmacist, uploaded; the platform adds its signature.
    public static let rx1 = Rule(rawValue: "RX-1")
    /// The validity period: an expired prescription cannot be dispensed.
    public static let rx2 = Rule(rawValue: "RX-2")
    /// Dispensing routes: at the institution, home delivery, a designated retail pharmacy.
    public static let rx3 = Rule(rawValue: "RX-3")
    /// A retail pharmacy downloads and dispenses; at most once (or up to the repeat count).
    public static let rx4 = Rule(rawValue: "RX-4")
    /// Traceable end to end; drug traceability codes scanned at sale.
    public static let rx5 = Rule(rawValue: "RX-5")

    // SV — supervision
    /// Information, money and goods flows are traceable (the hash-chained trace).
    public static let sv2 = Rule(rawValue: "SV-2")

    /// Protocol clauses (docs/RULES.md, PROTOCOL-*) that are not policy rules (envelope, replay, sign-in, fields).
    public static let protocolEnvelope = Rule(rawValue: "PROTOCOL-ENVELOPE")
    public static let protocolReplay = Rule(rawValue: "PROTOCOL-REPLAY")
    public static let protocolSignIn = Rule(rawValue: "PROTOCOL-SIGNIN")
    public static let protocolFields = Rule(rawValue: "PROTOCOL-FIELDS")
}

// PY — payment and settlement; XR — settlement away from the place of insurance (异地就医); SV — supervision.
extension Rule {
    /// The Internet follow-up consultation AADG0000 (互联网复诊) is priced and paid like a public hospital's general outpatient consultation.
    public static let py1 = Rule(rawValue: "PY-1")
    /// AADG0000 fees are decomposed and settled in real time.
    public static let py2 = Rule(rawValue: "PY-2")
    /// Drugs are paid under the offline rules (catalogue class, deductible, ratio, cap).
    public static let py3 = Rule(rawValue: "PY-3")
    /// The individual share may be paid from the employee personal account.
    public static let py4 = Rule(rawValue: "PY-4")
    /// Drug delivery fees are never paid by the fund.
    public static let py5 = Rule(rawValue: "PY-5")
    /// Settlement completes through mobile payment.
    public static let py6 = Rule(rawValue: "PY-6")
    /// The fund share is settled with the institution, or with the retail pharmacy for circulated prescriptions.
    public static let py7 = Rule(rawValue: "PY-7")
    /// The institution advances the fund share and declares it later.
    public static let py8 = Rule(rawValue: "PY-8")
    /// If real-time settlement fails, the insured person is reimbursed manually.
    public static let py9 = Rule(rawValue: "PY-9")
    /// Declarations separate Internet from offline fees; smart audit plus manual review; non-compliant fees are refused.
    public static let py10 = Rule(rawValue: "PY-10")
    /// Receipts: e-bill, e-invoice or paper.
    public static let py11 = Rule(rawValue: "PY-11")
    /// Internet+ services fall under the offline institution's total budget and payment methods.
    public static let py12 = Rule(rawValue: "PY-12")

    /// Payable scope follows the place of treatment; deductible, ratio and cap follow the place of insurance.
    public static let xr1 = Rule(rawValue: "XR-1")
    /// Filing: long-term residents or temporary (≤ 12 months).
    public static let xr2 = Rule(rawValue: "XR-2")
    /// Outpatient chronic/special disease: up to 2 extra designated institutions in the filed place.
    public static let xr3 = Rule(rawValue: "XR-3")
    /// Filing after the fact: before discharge settlement, or afterwards with manual reimbursement.
    public static let xr4 = Rule(rawValue: "XR-4")
    /// Beijing–Tianjin–Hebei general outpatient: no filing needed from 2023-01-01 in the pilot.
    public static let xr5 = Rule(rawValue: "XR-5")
    /// Outpatient details are classified by the place of treatment's scope; the place of insurance computes the split.
    public static let xr6 = Rule(rawValue: "XR-6")
    /// Repeated settlements in both places in the same period are flagged for verification.
    public static let xr7 = Rule(rawValue: "XR-7")

    /// Follow-ups at the person's own designated institutions; special-disease fees at their special-disease institution (BJ).
    public static let sc5 = Rule(rawValue: "SC-5")
    /// Online services stay within the subjects approved for Internet diagnosis too (TJ 11).
    public static let sc6 = Rule(rawValue: "SC-6")
    /// The measures are in force only between their first and last day (TJ 30).
    public static let gen1 = Rule(rawValue: "GEN-1")

    /// Medical records, prescriptions, purchases and real-name records are uploaded in real time.
    public static let sv1 = Rule(rawValue: "SV-1")

    /// Smart audit runs in real time on settlement details.
    public static let sv3 = Rule(rawValue: "SV-3")
    /// Statistics: institutions, service volume and fees, drug categories and fees.
    public static let sv4 = Rule(rawValue: "SV-4")
    /// Fraud patterns: fictitious identity, false diagnosis, false prescriptions, forged receipts.
    public static let sv6 = Rule(rawValue: "SV-6")
}
