import Foundation

/// 智能审核 — one finding of the real-time audit of a settlement's fee details (PY-10, SV-3, SV-6).
///
/// A finding either refuses the settlement (``Action/refuse``: a non-compliant fee, PY-10) or lets it
/// through and records it for manual review (``Action/flag``: 人工复核).
public struct AuditFinding: Sendable, Hashable, Codable {
    /// What the finding does to the settlement.
    public enum Action: String, Sendable, Codable {
        /// The settlement is refused (拒付).
        case refuse
        /// The settlement goes ahead; the finding is recorded for manual review (疑点, 人工复核).
        case flag
    }

    /// The stable audit-rule id, e.g. `AUD-SCOPE-001` (see ``SmartAudit/rules``).
    public var id: String
    /// The docs/RULES.md rule the audit rule enforces (PY-10, SV-3, SV-6, ID-5, SC-1, RX-2 …).
    public var rule: Rule
    public var action: Action
    /// RFC 6901 pointer into the 6201 business data, e.g. `/feedetailList/2/cnt`; `/psnNo` for the person.
    public var pointer: String
    /// A sentence for a human naming the line, the numbers and the limit.
    public var detail: String

    public init(id: String, rule: Rule, action: Action, pointer: String, detail: String) {
        self.id = id
        self.rule = rule
        self.action = action
        self.pointer = pointer
        self.detail = detail
    }

    /// How a settlement keeps a flag for review (PY-10): `AUD-SCOPE-001 [PY-10] /feedetailList/2/medListCodg: detail`.
    public var stored: String { "\(id) [\(rule)] \(pointer): \(detail)" }
}

/// What the smart audit knows besides the fee lines: the person, the visit, the prescriptions the
/// lines refer to, what was settled before, and the place of treatment's catalogue.
public struct AuditContext: Sendable {
    /// The insured person being settled.
    public var person: InsuredPerson
    /// The visit being settled (2201 registration); its registration time is the moment
    /// prescriptions are judged at (RX-2). nil when unknown: then only revocation is checked.
    public var visit: Registration?
    /// True when the visit is an online follow-up (a prior offline visit for its condition exists, SC-3).
    public var followUpDiagnosis: Bool
    /// Prescriptions (hiRxno → record) referred to by lines with rxCircFlag, as known to the platform.
    public var prescriptions: [String: PrescriptionRecord]
    /// hiRxno values already settled in earlier payments. A repeatable prescription (maxReptCnt > 1) is
    /// settled once per dispensing: list it here only once its repeats are used up.
    public var settledPrescriptions: Set<String>
    /// Fee lines of the same person settled earlier the same day (any institution), for duplicates.
    public var sameDayLines: [FeeLine]
    /// The place of treatment's catalogue (XR-1: the payable scope follows the place of treatment).
    public var scope: RegionPolicy
    /// SV-3: the most boxes one drug line may supply; defaults to ``SmartAudit/maxDrugBoxesPerLine``.
    public var maxDrugBoxesPerLine: Int
    /// PY-1: the most AADG0000 consultations one visit may charge; defaults to ``SmartAudit/maxConsultationsPerVisit``.
    public var maxConsultationsPerVisit: Int
    /// The institution settling (PY-7: a prescription a retail pharmacy dispensed is settled by that pharmacy);
    /// nil: not checked.
    public var settlingInstitution: String?
    /// SV-1: whether the visit's medical record (FSI 4301 or 4701) was uploaded; nil: not checked.
    public var medicalRecordUploaded: Bool?
    /// SV-6: for a visit settled as an outpatient chronic or special disease (`med_type` 14), the person's chronic-disease
    /// filings in force on the visit's day (2503); nil: not such a visit, not checked.
    public var specialDiseaseFilings: [ChronicFiling]?

    public init(person: InsuredPerson, visit: Registration? = nil, followUpDiagnosis: Bool,
                prescriptions: [String: PrescriptionRecord] = [:], settledPrescriptions: Set<String> = [],
                sameDayLines: [FeeLine] = [], scope: RegionPolicy,
                maxDrugBoxesPerLine: Int = SmartAudit.maxDrugBoxesPerLine,
                maxConsultationsPerVisit: Int = SmartAudit.maxConsultationsPerVisit, settlingInstitution: String? = nil) {
        self.settlingInstitution = settlingInstitution
        self.person = person
        self.visit = visit
        self.followUpDiagnosis = followUpDiagnosis
        self.prescriptions = prescriptions
        self.settledPrescriptions = settledPrescriptions
        self.sameDayLines = sameDayLines
        self.scope = scope
        self.maxDrugBoxesPerLine = maxDrugBoxesPerLine
        self.maxConsultationsPerVisit = maxConsultationsPerVisit
    }
}

/// One fee line under audit, with the 医保处方编号 `hiRxno` it was dispensed from (6201 `feedetailList[i].hiRxno`).
public struct AuditLine: Sendable {
    public var line: FeeLine
    /// The platform's prescription number; required when `line.rxCircFlag` is set.
    public var hiRxno: String?

    public init(line: FeeLine, hiRxno: String? = nil) {
        self.line = line
        self.hiRxno = hiRxno
    }
}

/// 智能审核 — the real-time audit of fee details before settlement (PY-10: smart audit plus manual
/// review, non-compliant fees refused; SV-3: it runs in real time on settlement details) and the
/// fraud patterns of SV-6 (false prescriptions, duplicate settlements).
///
/// ``review(_:context:)`` is a pure function: it returns every finding, in order — the person first,
/// then line by line, each line's findings in the order of ``rules``. ``refusal(_:)`` turns the first
/// refusing finding into the error the gateway returns. Pointers use the 6201 field names
/// (`/feedetailList/<index>/medListCodg`, `…/cnt`, `…/hiRxno`).
public enum SmartAudit {
    /// SV-3: the maximum supply of one drug line, in boxes (a simulator default — the measures give no
    /// number; ``AuditContext/maxDrugBoxesPerLine`` overrides it).
    public static let maxDrugBoxesPerLine = MeasureNumbers.standard.maxDrugBoxesPerLine
    /// PY-1: one Internet follow-up consultation (AADG0000) per visit (``AuditContext/maxConsultationsPerVisit`` overrides it).
    public static let maxConsultationsPerVisit = MeasureNumbers.standard.maxConsultationsPerVisit

    /// ID-5: the person's Internet+ payment and direct settlement are suspended.
    public static let personSuspended = "AUD-PERSON-001"
    /// PY-10: a line outside the place of treatment's catalogue (paid in full by the person, recorded).
    public static let outsideScope = "AUD-SCOPE-001"
    /// SV-3: a quantity above the maximum supply.
    public static let quantityLimit = "AUD-QTY-001"
    /// SC-3 (PY-1): an AADG0000 follow-up consultation without a prior offline visit for the condition.
    public static let consultationWithoutFollowUp = "AUD-CONSULT-001"
    /// SV-3: the same consultation charged twice.
    public static let consultationChargedTwice = "AUD-CONSULT-002"
    /// SV-6: a false prescription — none, or one unknown to the platform.
    public static let prescriptionUnknown = "AUD-RX-001"
    /// SV-6 (RX-4): a prescription settled again.
    public static let prescriptionSettledTwice = "AUD-RX-002"
    /// SV-6: a drug or quantity the prescription does not contain.
    public static let prescriptionMismatch = "AUD-RX-003"
    /// RX-2: a revoked or expired prescription.
    public static let prescriptionNotValid = "AUD-RX-004"
    /// SV-6: the same drug dispensed twice the same day.
    public static let sameDayDuplicate = "AUD-DUP-001"
    /// PY-7: a prescription a retail pharmacy dispensed, settled by another institution.
    public static let prescriptionSettledElsewhere = "AUD-RX-005"
    /// SV-1: the visit's medical record (FSI 4301 or 4701) was not uploaded before the settlement (flag).
    public static let recordNotUploaded = "AUD-REC-001"
    /// SV-6: a prescription whose diagnosis is none of the visit's diagnoses (flag).
    public static let diagnosisMismatch = "AUD-DIAG-001"
    /// SV-6: a special-disease visit (med_type 14) whose diagnoses no chronic-disease filing covers (flag).
    public static let diagnosisNotFiled = "AUD-DIAG-002"

    /// The audit-rule catalogue: id, rule, action, one-line description — also printed by the CLI.
    public static let rules: [(id: String, rule: Rule, action: AuditFinding.Action, summary: String)] = [
        // ID-5: a person found defrauding has Internet+ payment and direct settlement suspended.
        (personSuspended, .id5, .refuse,
         "the person's Internet+ payment and direct settlement are suspended (found defrauding)"),
        // PY-10: declarations are audited; a fee outside the place of treatment's catalogue (XR-1) is paid in full
        // by the person (PY-3) and recorded for manual review.
        (outsideScope, .py10, .flag,
         "a line outside the place of treatment's catalogue: paid in full by the person, recorded for manual review"),
        // SV-3: real-time audit of the details — a drug line above the maximum supply, or AADG0000 more than once.
        (quantityLimit, .sv3, .refuse,
         "a drug line above \(maxDrugBoxesPerLine) boxes, or an AADG0000 line above \(maxConsultationsPerVisit) per visit"),
        // SC-3: a follow-up needs a prior offline visit for the same condition (SC-1: Internet diagnosis only for follow-ups); PY-1: AADG0000 is the follow-up consultation's fee.
        (consultationWithoutFollowUp, .sc3, .refuse,
         "an AADG0000 Internet follow-up consultation charged for a visit that is not a follow-up"),
        // SV-3: the same consultation charged twice — two AADG0000 lines, or one already settled the same day.
        (consultationChargedTwice, .sv3, .refuse,
         "AADG0000 charged twice: more than one line in the settlement, or already settled the same day"),
        // SV-6: false prescriptions — a circulated line without a prescription known to the platform for this person.
        (prescriptionUnknown, .sv6, .refuse,
         "a circulated-prescription line whose hiRxno is missing, unknown to the platform, or another person's"),
        // SV-6 and RX-4: a prescription is dispensed — and settled — at most once.
        (prescriptionSettledTwice, .sv6, .refuse,
         "a prescription already settled in an earlier payment"),
        // SV-6: false prescriptions — a drug the prescription does not contain, or more than it prescribes.
        (prescriptionMismatch, .sv6, .refuse,
         "a circulated line whose drug is not on the prescription, or whose quantity exceeds the prescribed drugCnt"),
        // RX-2: an expired prescription cannot be dispensed; a revoked one neither (RX-1 rxUndo).
        (prescriptionNotValid, .rx2, .refuse,
         "the prescription was revoked, or had expired at the visit"),
        // PY-7: the fund share of a circulated prescription is settled with the retail pharmacy that dispensed it
        // (it settles the drugs itself, FSI 2101/2102), never by the prescribing hospital.
        (prescriptionSettledElsewhere, .py7, .refuse,
         "a prescription a retail pharmacy dispensed, settled by another institution: that pharmacy settles it (FSI 2102)"),
        // SV-6: the same drug dispensed twice the same day (any institution) — settled, recorded for manual review.
        (sameDayDuplicate, .sv6, .flag,
         "a drug line with the same medListCodg as one settled earlier the same day"),
        // SV-1: medical records are uploaded in real time — a visit settled before its record (FSI 4301 or 4701) is flagged.
        (recordNotUploaded, .sv1, .flag,
         "the visit's medical record (FSI 4301 or 4701) was not uploaded before its settlement"),
        // SV-6: false diagnosis — a circulated line's prescription treats a condition the visit's diagnoses (2203) do not name.
        (diagnosisMismatch, .sv6, .flag,
         "a prescription whose main diagnosis (ICD-10 category) is none of the visit's diagnoses"),
        // SV-6: false diagnosis against the filing — a visit settled as a chronic or special disease (med_type 14) whose
        // diagnoses no chronic-disease filing in force (2503) covers.
        (diagnosisNotFiled, .sv6, .flag,
         "a special-disease visit (med_type 14) whose diagnoses none of the person's chronic-disease filings in force covers"),
    ]

    /// Audits `lines` against `context` and returns every finding (empty when clean): the person first,
    /// then each line in order, a line's findings in the order of ``rules``.
    public static func review(_ lines: [AuditLine], context: AuditContext) -> [AuditFinding] {
        var findings: [AuditFinding] = []
        func add(_ id: String, _ pointer: String, _ detail: String) {
            guard let entry = rules.first(where: { $0.id == id }) else { preconditionFailure("audit rule \(id) is not in the catalogue") }
            findings.append(AuditFinding(id: id, rule: entry.rule, action: entry.action, pointer: pointer, detail: detail))
        }
        let person = context.person
        let scope = context.scope
        let consultation = PolicyEngine.consultationCode

        if context.medicalRecordUploaded == false, let visit = context.visit {
            add(recordNotUploaded, "/mdtrtId",
                "visit \(visit.mdtrtId) is settled before its medical record was uploaded (FSI 4301 or 4701, SV-1): recorded for manual review")
        }
        if let filings = context.specialDiseaseFilings, let visit = context.visit {
            let diagnoses = (visit.diagnoses ?? []).filter(\.valid).map(\.code)
            if !diagnoses.isEmpty, !diagnoses.contains(where: { code in filings.contains { $0.covers(code) } }) {
                let filed = filings.map { "\($0.diseaseCode) \($0.diseaseName)" }
                add(diagnosisNotFiled, "/mdtrtId",
                    "visit \(visit.mdtrtId) is settled as a chronic or special disease (med_type 14) for \(diagnoses.joined(separator: ", ")), but "
                    + (filed.isEmpty ? "the person has no chronic-disease filing in force" : "the person's filings in force are for \(filed.joined(separator: "; "))")
                    + ": recorded for manual review")
            }
        }
        if person.internetPaymentSuspended {
            add(personSuspended, "/psnNo",
                "Internet+ payment and direct settlement of \(person.psnNo) are suspended (ID-5): the visit is paid in cash and reimbursed manually")
        }

        let visitTime = context.visit?.registeredAt
        let sameDayConsultation = context.sameDayLines.contains { $0.medListCodg == consultation }
        let sameDayCodes = Set(context.sameDayLines.map(\.medListCodg))
        var consultationLines = 0
        /// Boxes claimed so far in this settlement per (hiRxno, medListCodg), for AUD-RX-003.
        var claimed: [String: Decimal] = [:]
        /// Prescriptions already flagged AUD-DIAG-001 (once per prescription, not per line).
        var flaggedDiagnoses = Set<String>()

        for (index, audited) in lines.enumerated() {
            let line = audited.line
            let at = "/feedetailList/\(index)"
            let label = "line \(index + 1) (feedetlSn \(line.feedetlSn), \(line.medListCodg))"
            let count = DecimalText.plain(line.cnt)
            let item = scope.item(code: line.medListCodg)
            let isConsultation = line.medListCodg == consultation
            let isDrug = item?.kind == .drug

            // AUD-SCOPE-001 (PY-10)
            if item == nil {
                add(outsideScope, at + "/medListCodg",
                    "\(label) is outside the catalogue of \(scope.admdvs) \(scope.name): its \(line.detItemFeeSumamt) is paid in full by the person and recorded for manual review")
            }

            // AUD-QTY-001 (SV-3)
            if isDrug, line.cnt > Decimal(context.maxDrugBoxesPerLine) {
                add(quantityLimit, at + "/cnt",
                    "\(label) supplies \(count) boxes, more than the maximum supply of \(context.maxDrugBoxesPerLine) boxes per drug line")
            } else if isConsultation, line.cnt > Decimal(context.maxConsultationsPerVisit) {
                add(quantityLimit, at + "/cnt",
                    "\(label) charges \(count) Internet follow-up consultations, more than \(context.maxConsultationsPerVisit) per visit")
            }

            // AUD-CONSULT-001 (SC-3, PY-1)
            if isConsultation, !context.followUpDiagnosis {
                add(consultationWithoutFollowUp, at + "/medListCodg",
                    "\(label) charges the Internet follow-up consultation, but the visit\(context.visit.map { " \($0.mdtrtId)" } ?? "") is not a follow-up: no prior offline visit for its condition (SC-1, SC-3)")
            }

            // AUD-CONSULT-002 (SV-3)
            if isConsultation {
                consultationLines += 1
                if consultationLines > context.maxConsultationsPerVisit {
                    add(consultationChargedTwice, at + "/medListCodg",
                        "\(label) is AADG0000 line number \(consultationLines) of this settlement; the consultation is charged at most \(context.maxConsultationsPerVisit) time(s) per visit")
                } else if sameDayConsultation {
                    add(consultationChargedTwice, at + "/medListCodg",
                        "\(label) charges AADG0000, which was already settled for \(person.psnNo) earlier the same day")
                }
            }

            // The prescription rules: circulated lines must name a known prescription; any named one is checked.
            let hiRxno = (audited.hiRxno ?? "").trimmingCharacters(in: .whitespaces)
            var record: PrescriptionRecord?
            if line.rxCircFlag || !hiRxno.isEmpty {
                record = hiRxno.isEmpty ? nil : context.prescriptions[hiRxno]
                // AUD-RX-001 (SV-6)
                if line.rxCircFlag {
                    if hiRxno.isEmpty {
                        add(prescriptionUnknown, at + "/hiRxno",
                            "\(label) is a circulated-prescription line (rxCircFlag 1) without a hiRxno: no prescription backs it")
                    } else if let known = record, known.psnNo != person.psnNo {
                        add(prescriptionUnknown, at + "/hiRxno",
                            "\(label) names prescription \(hiRxno), which was issued to another person, not \(person.psnNo)")
                        record = nil
                    } else if record == nil {
                        add(prescriptionUnknown, at + "/hiRxno",
                            "\(label) names prescription \(hiRxno), which the platform does not know")
                    }
                }
                // AUD-RX-002 (SV-6, RX-4)
                if !hiRxno.isEmpty, context.settledPrescriptions.contains(hiRxno) {
                    add(prescriptionSettledTwice, at + "/hiRxno",
                        "\(label) settles prescription \(hiRxno), which was already settled in an earlier payment")
                }
            }

            if line.rxCircFlag, let record {
                // AUD-RX-003 (SV-6)
                let prescribed = zip(record.drugCodes, record.drugCounts)
                    .filter { $0.0 == line.medListCodg }
                    .reduce(Decimal.zero) { $0 + (DecimalText.parse($1.1) ?? 0) }
                if !record.drugCodes.contains(line.medListCodg) {
                    add(prescriptionMismatch, at + "/medListCodg",
                        "\(label): \(line.medListCodg) is not a drug of prescription \(hiRxno) (\(record.drugCodes.joined(separator: ", ")))")
                } else {
                    let key = hiRxno + "\u{1F}" + line.medListCodg
                    let before = claimed[key] ?? 0
                    let total = before + line.cnt
                    claimed[key] = total
                    if total > prescribed {
                        let earlier = before > 0 ? " (\(DecimalText.plain(total)) with the earlier lines of this settlement)" : ""
                        add(prescriptionMismatch, at + "/cnt",
                            "\(label) claims \(count) boxes\(earlier), more than the \(DecimalText.plain(prescribed)) prescribed by \(hiRxno)")
                    }
                }
                // AUD-DIAG-001 (SV-6): the prescription's diagnosis against the visit's, by ICD-10 category.
                let visitConditions = Set((context.visit?.diagnoses ?? []).filter(\.valid).map { OnlineScope.category($0.code) })
                if let main = record.mainDiagnosisCode, !visitConditions.isEmpty, !visitConditions.contains(OnlineScope.category(main)),
                   !flaggedDiagnoses.contains(hiRxno) {
                    flaggedDiagnoses.insert(hiRxno)
                    add(diagnosisMismatch, at + "/hiRxno",
                        "\(label): prescription \(hiRxno) treats \(main), but the visit's diagnoses are \(visitConditions.sorted().joined(separator: ", ")): recorded for manual review")
                }
                // AUD-RX-004 (RX-2)
                switch record.statusCode(at: visitTime ?? .distantPast) {
                case "3":
                    add(prescriptionNotValid, at + "/hiRxno",
                        "\(label): prescription \(hiRxno) was revoked\(record.revokedAt.map { " at \(Timestamps.fsi($0))" } ?? "")\(record.undoReason.map { " (\($0))" } ?? "")")
                case "2":
                    add(prescriptionNotValid, at + "/hiRxno",
                        "\(label): prescription \(hiRxno) expired at \(Timestamps.fsi(record.validUntil)), before the visit at \(visitTime.map(Timestamps.fsi) ?? "?")")
                default:
                    break
                }
            }

            // AUD-RX-005 (PY-7)
            if let record, let settling = context.settlingInstitution,
               let dispensing = record.dispensings.last(where: { $0.route == .retailPharmacy && $0.institutionCode != settling }) {
                add(prescriptionSettledElsewhere, at + "/hiRxno",
                    "\(label): prescription \(hiRxno) was dispensed by the retail pharmacy \(dispensing.institutionCode) at \(Timestamps.fsi(dispensing.at)); its fund share is settled with that pharmacy, which settles the drugs itself (FSI 2102), not by \(settling)")
            }

            // AUD-DUP-001 (SV-6)
            if isDrug, sameDayCodes.contains(line.medListCodg) {
                add(sameDayDuplicate, at + "/medListCodg",
                    "\(label): \(line.medListCodg) was already dispensed to \(person.psnNo) and settled earlier the same day")
            }
        }
        return findings
    }

    /// The first refusing finding as a `DomainError` (code `AUDIT_REFUSED`, kind `.forbidden`, the finding's
    /// rule and pointer, the detail prefixed with the audit id), or nil when every finding only flags.
    public static func refusal(_ findings: [AuditFinding]) -> DomainError? {
        guard let first = findings.first(where: { $0.action == .refuse }) else { return nil }
        return DomainError(.auditRefused, .forbidden, rule: first.rule, pointer: first.pointer, "\(first.id): \(first.detail)")
    }
}
