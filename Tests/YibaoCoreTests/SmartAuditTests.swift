import Foundation
import Testing
@testable import YibaoCore
import YibaoCrypto

/// 智能审核 — the real-time audit of fee details (PY-10, SV-3) and fraud patterns (SV-6), one test per audit rule.
@Suite("Smart audit")
struct SmartAuditTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let metformin = "XA10BAE054A001010100483"      // class A drug, prescribed 2 boxes in the sample
    static let gliclazide = "XA10BBG001A001010103929"     // class B drug, prescribed 1 box
    static let amlodipine = "XC08CAA001A001010101789"     // class A drug, not on the sample prescription
    static let psnNo = "12000000000000000001"
    static let hiRxno = "HIRX12010100000000001"

    /// Tianjin (120000) as the place of treatment.
    static func tianjin() throws -> RegionPolicy {
        let policies = try RegionPolicy.load(directory: root.appendingPathComponent("policies/regions"))
        return try #require(policies["120000"])
    }

    static func time(_ text: String) -> Date { Timestamps.parseFSI(text)! }

    /// The circulating record of samples/rx/diabetes-followup.json (Zhang San, valid 2026-11-23 10:05 → 2026-11-26 10:05).
    static func record(hiRxno: String = hiRxno, edit: (inout PrescriptionRecord) -> Void = { _ in }) throws -> PrescriptionRecord {
        let text = try String(contentsOf: root.appendingPathComponent("samples/rx/diabetes-followup.json"), encoding: .utf8)
        guard case .object(var json) = try JSONValue.parse(text) else { throw DomainError.missing("", "sample") }
        var visit = json["mdtrtinfo"]!.objectValue!
        visit["mdtrtId"] = .string("12010120261123000001")
        json["mdtrtinfo"] = .object(visit)
        let prescription = try Prescription(json: json)
        var record = PrescriptionRecord(hiRxno: hiRxno, rxTraceCode: "T", prescription: prescription, document: "{}",
                                        at: time("2026-11-23 10:06:00"))
        record.stage = .circulating
        edit(&record)
        return record
    }

    static func person(suspended: Bool = false) -> InsuredPerson {
        InsuredPerson(psnNo: psnNo, certno: "120101198001011234", name: "Zhang San", gender: "1", birthDate: "1980-01-01",
                      insutype: "310", insuplcAdmdvs: "120000", internetPaymentSuspended: suspended)
    }

    static func visit(at text: String = "2026-11-23 09:40:00") -> Registration {
        Registration(mdtrtId: "12010120261123000001", psnNo: psnNo, institutionCode: "H12010100001", insutype: "310",
                     iptOtpNo: "MZ20261123001", beginTime: text, medium: .eVoucher, doctorCode: "D12010100001", doctorName: "Li Wei",
                     deptCode: "A03", deptName: "Internal medicine", caty: "A03", registeredAt: time(text))
    }

    static func context(person: InsuredPerson = person(), visit: Registration? = visit(), followUp: Bool = true,
                        prescriptions: [PrescriptionRecord]? = nil, settled: Set<String> = [], sameDay: [FeeLine] = []) throws -> AuditContext {
        let records = try prescriptions ?? [record()]
        return AuditContext(person: person, visit: visit, followUpDiagnosis: followUp,
                            prescriptions: Dictionary(uniqueKeysWithValues: records.map { ($0.hiRxno, $0) }),
                            settledPrescriptions: settled, sameDayLines: sameDay, scope: try tianjin())
    }

    static func fee(_ sn: String, _ code: String, _ price: Amount, _ count: Decimal, circulated: Bool = false) -> FeeLine {
        FeeLine(feedetlSn: sn, medListCodg: code, pric: price, cnt: count, rxCircFlag: circulated)
    }

    static func consultation(_ sn: String = "1", count: Decimal = 1) -> AuditLine {
        AuditLine(line: fee(sn, PolicyEngine.consultationCode, "20.00", count), hiRxno: nil)
    }

    static func drug(_ sn: String, _ code: String, _ price: Amount, _ count: Decimal, hiRxno: String? = hiRxno) -> AuditLine {
        AuditLine(line: fee(sn, code, price, count, circulated: true), hiRxno: hiRxno)
    }

    /// The demo's settlement: the consultation plus the two prescribed drugs, as prescribed.
    static func cleanLines() -> [AuditLine] {
        [consultation(), drug("2", metformin, "12.50", 2), drug("3", gliclazide, "28.60", 1)]
    }

    /// Expects exactly the findings `expected` (id, rule, action, pointer), in order, and that each agrees with the catalogue.
    static func expect(_ findings: [AuditFinding], _ expected: [(String, Rule, AuditFinding.Action, String)],
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(findings.map(\.id) == expected.map(\.0), "\(findings)", sourceLocation: sourceLocation)
        #expect(findings.map(\.rule) == expected.map(\.1), sourceLocation: sourceLocation)
        #expect(findings.map(\.action) == expected.map(\.2), sourceLocation: sourceLocation)
        #expect(findings.map(\.pointer) == expected.map(\.3), sourceLocation: sourceLocation)
        for finding in findings {
            let entry = SmartAudit.rules.first { $0.id == finding.id }
            #expect(entry?.rule == finding.rule && entry?.action == finding.action, sourceLocation: sourceLocation)
            #expect(!finding.detail.isEmpty, sourceLocation: sourceLocation)
        }
    }

    @Test("PY-7: a prescription a retail pharmacy dispensed is refused to the hospital (AUD-RX-005) and passes for that pharmacy; one the hospital dispensed passes for it")
    func settledWithThePharmacy() throws {
        func dispensed(by institution: String, route: DispensingRoute) throws -> PrescriptionRecord {
            try Self.record { $0.dispensings = [Dispensing(dispenseNo: "DSP1", at: Self.time("2026-11-23 11:00:00"), institutionCode: institution, route: route,
                                                           pharmacistCode: "Y1", traceCodes: [:])] }
        }
        func review(_ record: PrescriptionRecord, settling: String) throws -> [AuditFinding] {
            var context = try Self.context(prescriptions: [record])
            context.settlingInstitution = settling
            return SmartAudit.review(Self.cleanLines(), context: context)
        }
        let atPharmacy = try dispensed(by: "P12010100001", route: .retailPharmacy)
        Self.expect(try review(atPharmacy, settling: "H12010100001"), [("AUD-RX-005", .py7, .refuse, "/feedetailList/1/hiRxno"),
                                                                        ("AUD-RX-005", .py7, .refuse, "/feedetailList/2/hiRxno")])
        #expect(try review(atPharmacy, settling: "P12010100001").isEmpty)
        #expect(try review(try dispensed(by: "H12010100001", route: .homeDelivery), settling: "H12010100001").isEmpty)
        // Without a settling institution (the 3101 audit of a stranger's orders) the rule is not judged.
        #expect(SmartAudit.review(Self.cleanLines(), context: try Self.context(prescriptions: [atPharmacy])).isEmpty)
    }

    @Test("AUD-DIAG-002 (SV-6): a special-disease visit (med_type 14) whose diagnosis no chronic-disease filing covers is flagged, not refused")
    func diagnosisAgainstFiling() throws {
        var visit = Self.visit()
        visit.medType = "14"
        visit.diagnoses = [Diagnosis(type: "1", sortNo: "1", code: "E11.900", name: "Type 2 diabetes mellitus", dept: "A03", doctorCode: "D12010100001",
                                     doctorName: "Li Wei", time: "2026-11-23 09:45:00", valid: true)]
        func filing(_ code: String, _ name: String) throws -> ChronicFiling {
            try ChronicFiling(trtDclaDetlSn: "TD" + code, psnNo: Self.psnNo, insutype: "310", diseaseCode: code, diseaseName: name,
                              institutionCode: "H12010100001", beginDate: "2026-01-01", endDate: "2026-12-31", doctorCode: "D12010100001",
                              doctorName: "Li Wei", diagnosisDate: "2025-12-20", catalogue: ["E11", "I10"], at: Self.time("2026-01-01 09:00:00"), pointer: "")
        }
        var context = try Self.context(visit: visit)
        context.specialDiseaseFilings = [try filing("I10.x00", "Essential hypertension")]
        let findings = SmartAudit.review(Self.cleanLines(), context: context)
        Self.expect(findings, [("AUD-DIAG-002", .sv6, .flag, "/mdtrtId")])
        #expect(findings.first?.detail.contains("E11.900") == true && findings.first?.detail.contains("I10.x00") == true)
        #expect(SmartAudit.refusal(findings) == nil)
        // Covered by a filing, or not a special-disease visit (nil): nothing.
        context.specialDiseaseFilings = [try filing("E11.900", "Type 2 diabetes mellitus")]
        #expect(SmartAudit.review(Self.cleanLines(), context: context).isEmpty)
        context.specialDiseaseFilings = nil
        #expect(SmartAudit.review(Self.cleanLines(), context: context).isEmpty)
        // No filing at all.
        context.specialDiseaseFilings = []
        #expect(SmartAudit.review(Self.cleanLines(), context: context).first?.detail.contains("no chronic-disease filing in force") == true)
    }

    @Test("The catalogue: fourteen stable ids, each once, with its docs/RULES.md rule and action")
    func catalogue() {
        let rows = SmartAudit.rules.map { "\($0.id) \($0.rule) \($0.action.rawValue)" }
        #expect(rows == [
            "AUD-PERSON-001 ID-5 refuse", "AUD-SCOPE-001 PY-10 flag", "AUD-QTY-001 SV-3 refuse", "AUD-CONSULT-001 SC-3 refuse",
            "AUD-CONSULT-002 SV-3 refuse", "AUD-RX-001 SV-6 refuse", "AUD-RX-002 SV-6 refuse", "AUD-RX-003 SV-6 refuse",
            "AUD-RX-004 RX-2 refuse", "AUD-RX-005 PY-7 refuse", "AUD-DUP-001 SV-6 flag", "AUD-REC-001 SV-1 flag",
            "AUD-DIAG-001 SV-6 flag", "AUD-DIAG-002 SV-6 flag",
        ])
        #expect(SmartAudit.rules.allSatisfy { !$0.summary.isEmpty })
        #expect(SmartAudit.maxDrugBoxesPerLine == 12)
        #expect(SmartAudit.maxConsultationsPerVisit == 1)
    }

    @Test("SV-6 false diagnosis: a prescription treating a condition the visit's diagnoses do not name is flagged once (AUD-DIAG-001); the same category, or a visit without 2203 diagnoses, is not")
    func diagnosisMismatch() throws {
        // The sample prescription treats E11.900 (diabetes).
        func diagnosed(_ code: String) -> Registration {
            var visit = Self.visit()
            visit.diagnoses = [Diagnosis(type: "1", sortNo: "1", code: code, name: "", dept: "A03", doctorCode: "D12010100001", doctorName: "Li Wei",
                                         time: "2026-11-23 09:45:00", valid: true)]
            return visit
        }
        var context = try Self.context(visit: diagnosed("I10.x00"))
        let findings = SmartAudit.review(Self.cleanLines(), context: context)
        let mismatch = findings.filter { $0.id == "AUD-DIAG-001" }
        #expect(mismatch.count == 1 && mismatch[0].action == .flag && mismatch[0].rule == .sv6 && mismatch[0].detail.contains("E11.900"), "\(findings)")
        #expect(SmartAudit.refusal(findings) == nil)
        context = try Self.context(visit: diagnosed("E11.901"))
        #expect(SmartAudit.review(Self.cleanLines(), context: context).allSatisfy { $0.id != "AUD-DIAG-001" })
        #expect(SmartAudit.review(Self.cleanLines(), context: try Self.context()).allSatisfy { $0.id != "AUD-DIAG-001" })
    }

    @Test("SV-1: a visit settled before its medical record was uploaded is flagged (AUD-REC-001), never refused; uploaded or not checked, nothing")
    func recordNotUploaded() throws {
        var context = try Self.context()
        context.medicalRecordUploaded = false
        let findings = SmartAudit.review(Self.cleanLines(), context: context)
        #expect(findings.map(\.id) == ["AUD-REC-001"] && findings.first?.action == .flag && findings.first?.rule == .sv1 && findings.first?.pointer == "/mdtrtId")
        #expect(SmartAudit.refusal(findings) == nil)
        context.medicalRecordUploaded = true
        #expect(SmartAudit.review(Self.cleanLines(), context: context).isEmpty)
        context.medicalRecordUploaded = nil
        #expect(SmartAudit.review(Self.cleanLines(), context: context).isEmpty)
    }

    @Test("A follow-up consultation and the drugs as prescribed: no finding, no refusal")
    func clean() throws {
        let findings = SmartAudit.review(Self.cleanLines(), context: try Self.context())
        #expect(findings.isEmpty, "\(findings)")
        #expect(SmartAudit.refusal(findings) == nil)
        // Without a visit only revocation is judged; the clean settlement stays clean.
        #expect(SmartAudit.review(Self.cleanLines(), context: try Self.context(visit: nil)).isEmpty)
    }

    @Test("AUD-PERSON-001 (ID-5): a person whose Internet+ payment is suspended is refused")
    func personSuspended() throws {
        let findings = SmartAudit.review(Self.cleanLines(), context: try Self.context(person: Self.person(suspended: true)))
        Self.expect(findings, [("AUD-PERSON-001", .id5, .refuse, "/psnNo")])
        #expect(findings[0].detail.contains(Self.psnNo))
    }

    @Test("AUD-SCOPE-001 (PY-10): a line outside the place of treatment's catalogue is flagged, not refused")
    func outsideScope() throws {
        let lines = Self.cleanLines() + [AuditLine(line: Self.fee("4", "ZZ0000000001", "9.90", 1), hiRxno: nil)]
        let findings = SmartAudit.review(lines, context: try Self.context())
        Self.expect(findings, [("AUD-SCOPE-001", .py10, .flag, "/feedetailList/3/medListCodg")])
        #expect(findings[0].detail.contains("120000") && findings[0].detail.contains("9.90"))
        #expect(SmartAudit.refusal(findings) == nil)
    }

    @Test("AUD-QTY-001 (SV-3): a drug line above 12 boxes, or AADG0000 above 1, is refused")
    func quantity() throws {
        let context = try Self.context()
        let twelve = AuditLine(line: Self.fee("4", Self.amlodipine, "20.00", 12), hiRxno: nil)
        #expect(SmartAudit.review(Self.cleanLines() + [twelve], context: context).isEmpty)
        let thirteen = AuditLine(line: Self.fee("4", Self.amlodipine, "20.00", 13), hiRxno: nil)
        let findings = SmartAudit.review(Self.cleanLines() + [thirteen], context: context)
        Self.expect(findings, [("AUD-QTY-001", .sv3, .refuse, "/feedetailList/3/cnt")])
        #expect(findings[0].detail.contains("13") && findings[0].detail.contains("12"))

        let doubled = [Self.consultation(count: 2)] + Self.cleanLines().dropFirst()
        Self.expect(SmartAudit.review(doubled, context: context), [("AUD-QTY-001", .sv3, .refuse, "/feedetailList/0/cnt")])
    }

    @Test("AUD-CONSULT-001 (SC-3, PY-1): AADG0000 on a visit that is not a follow-up is refused")
    func consultationWithoutFollowUp() throws {
        let findings = SmartAudit.review(Self.cleanLines(), context: try Self.context(followUp: false))
        Self.expect(findings, [("AUD-CONSULT-001", .sc3, .refuse, "/feedetailList/0/medListCodg")])
        // Drugs alone, without the consultation fee, are not this rule's business.
        #expect(SmartAudit.review(Array(Self.cleanLines().dropFirst()), context: try Self.context(followUp: false)).isEmpty)
    }

    @Test("AUD-CONSULT-002 (SV-3): the consultation charged twice — two lines, or already settled the same day")
    func consultationChargedTwice() throws {
        let twice = Self.cleanLines() + [Self.consultation("4")]
        Self.expect(SmartAudit.review(twice, context: try Self.context()), [("AUD-CONSULT-002", .sv3, .refuse, "/feedetailList/3/medListCodg")])

        let earlier = [Self.fee("9", PolicyEngine.consultationCode, "20.00", 1)]
        let findings = SmartAudit.review(Self.cleanLines(), context: try Self.context(sameDay: earlier))
        Self.expect(findings, [("AUD-CONSULT-002", .sv3, .refuse, "/feedetailList/0/medListCodg")])
        #expect(findings[0].detail.contains("same day"))
    }

    @Test("AUD-RX-001 (SV-6): a circulated line without a hiRxno, with an unknown one, or with another person's, is refused")
    func prescriptionUnknown() throws {
        let context = try Self.context()
        let missing = [Self.consultation(), Self.drug("2", Self.metformin, "12.50", 2, hiRxno: nil)]
        Self.expect(SmartAudit.review(missing, context: context), [("AUD-RX-001", .sv6, .refuse, "/feedetailList/1/hiRxno")])
        let blank = [Self.consultation(), Self.drug("2", Self.metformin, "12.50", 2, hiRxno: "")]
        Self.expect(SmartAudit.review(blank, context: context), [("AUD-RX-001", .sv6, .refuse, "/feedetailList/1/hiRxno")])
        let unknown = [Self.consultation(), Self.drug("2", Self.metformin, "12.50", 2, hiRxno: "HIRX99999999999999999")]
        let findings = SmartAudit.review(unknown, context: context)
        Self.expect(findings, [("AUD-RX-001", .sv6, .refuse, "/feedetailList/1/hiRxno")])
        #expect(findings[0].detail.contains("HIRX99999999999999999"))

        let someoneElse = try Self.record { $0.psnNo = "12000000000000000002" }
        Self.expect(SmartAudit.review(Self.cleanLines(), context: try Self.context(prescriptions: [someoneElse])),
                    [("AUD-RX-001", .sv6, .refuse, "/feedetailList/1/hiRxno"), ("AUD-RX-001", .sv6, .refuse, "/feedetailList/2/hiRxno")])
    }

    @Test("AUD-RX-002 (SV-6, RX-4): a prescription already settled is refused")
    func prescriptionSettledTwice() throws {
        let findings = SmartAudit.review(Self.cleanLines(), context: try Self.context(settled: [Self.hiRxno]))
        Self.expect(findings, [("AUD-RX-002", .sv6, .refuse, "/feedetailList/1/hiRxno"), ("AUD-RX-002", .sv6, .refuse, "/feedetailList/2/hiRxno")])
        // Another prescription settled earlier does not matter.
        #expect(SmartAudit.review(Self.cleanLines(), context: try Self.context(settled: ["HIRX00000000000000000"])).isEmpty)
    }

    @Test("AUD-RX-003 (SV-6): a drug not on the prescription, or more boxes than prescribed, is refused")
    func prescriptionMismatch() throws {
        let context = try Self.context()
        let otherDrug = Self.cleanLines() + [Self.drug("4", Self.amlodipine, "20.00", 1)]
        Self.expect(SmartAudit.review(otherDrug, context: context), [("AUD-RX-003", .sv6, .refuse, "/feedetailList/3/medListCodg")])

        let tooMany = [Self.consultation(), Self.drug("2", Self.metformin, "12.50", 3), Self.drug("3", Self.gliclazide, "28.60", 1)]
        let findings = SmartAudit.review(tooMany, context: context)
        Self.expect(findings, [("AUD-RX-003", .sv6, .refuse, "/feedetailList/1/cnt")])
        #expect(findings[0].detail.contains("3") && findings[0].detail.contains("2 prescribed"))

        // Splitting the boxes over two lines does not escape the prescribed count: the line that goes over is named.
        let split = Self.cleanLines() + [Self.drug("4", Self.metformin, "12.50", 1)]
        Self.expect(SmartAudit.review(split, context: context), [("AUD-RX-003", .sv6, .refuse, "/feedetailList/3/cnt")])
        // Fewer boxes than prescribed are fine.
        #expect(SmartAudit.review([Self.consultation(), Self.drug("2", Self.metformin, "12.50", 1)], context: context).isEmpty)
    }

    @Test("AUD-RX-004 (RX-2): a revoked prescription, or one expired at the visit, is refused")
    func prescriptionNotValid() throws {
        let revoked = try Self.record {
            $0.stage = .revoked
            $0.revokedAt = Self.time("2026-11-23 11:00:00")
            $0.undoReason = "patient request"
        }
        let lines = [Self.consultation(), Self.drug("2", Self.metformin, "12.50", 2)]
        let findings = SmartAudit.review(lines, context: try Self.context(prescriptions: [revoked]))
        Self.expect(findings, [("AUD-RX-004", .rx2, .refuse, "/feedetailList/1/hiRxno")])
        #expect(findings[0].detail.contains("revoked"))
        // Revocation is judged even without a visit.
        Self.expect(SmartAudit.review(lines, context: try Self.context(visit: nil, prescriptions: [revoked])),
                    [("AUD-RX-004", .rx2, .refuse, "/feedetailList/1/hiRxno")])

        // Valid until 2026-11-26 10:05:00: a visit at that second passes, one a second later is refused.
        #expect(SmartAudit.review(lines, context: try Self.context(visit: Self.visit(at: "2026-11-26 10:05:00"))).isEmpty)
        let expired = SmartAudit.review(lines, context: try Self.context(visit: Self.visit(at: "2026-11-26 10:05:01")))
        Self.expect(expired, [("AUD-RX-004", .rx2, .refuse, "/feedetailList/1/hiRxno")])
        #expect(expired[0].detail.contains("expired"))
    }

    @Test("AUD-DUP-001 (SV-6): a drug already dispensed and settled the same day is flagged")
    func sameDayDuplicate() throws {
        let earlier = [Self.fee("7", Self.metformin, "12.50", 2)]
        let findings = SmartAudit.review(Self.cleanLines(), context: try Self.context(sameDay: earlier))
        Self.expect(findings, [("AUD-DUP-001", .sv6, .flag, "/feedetailList/1/medListCodg")])
        #expect(SmartAudit.refusal(findings) == nil)
        // A non-drug line seen earlier the same day (test strips, a consumable) is not a duplicate dispensing.
        let test = [Self.fee("8", "C14010100100", "6.00", 1)]
        let lines = Self.cleanLines() + [AuditLine(line: Self.fee("4", "C14010100100", "6.00", 1), hiRxno: nil)]
        #expect(SmartAudit.review(lines, context: try Self.context(sameDay: test)).isEmpty)
    }

    @Test("refusal: the first refusing finding becomes AUDIT_REFUSED with its rule, pointer and id; flags alone refuse nothing")
    func refusalPicksFirstRefusing() throws {
        // A flag (outside the catalogue) at line 1, then two refusals: too many boxes at line 2, a second AADG0000 at line 3.
        let lines = [Self.consultation(),
                     AuditLine(line: Self.fee("2", "ZZ0000000001", "9.90", 1), hiRxno: nil),
                     AuditLine(line: Self.fee("3", Self.amlodipine, "20.00", 20), hiRxno: nil),
                     Self.consultation("4")]
        let findings = SmartAudit.review(lines, context: try Self.context())
        Self.expect(findings, [("AUD-SCOPE-001", .py10, .flag, "/feedetailList/1/medListCodg"),
                               ("AUD-QTY-001", .sv3, .refuse, "/feedetailList/2/cnt"),
                               ("AUD-CONSULT-002", .sv3, .refuse, "/feedetailList/3/medListCodg")])
        let error = try #require(SmartAudit.refusal(findings))
        #expect(error.code.rawValue == "AUDIT_REFUSED")
        #expect(error.kind == .forbidden)
        #expect(error.rule == .sv3)
        #expect(error.pointer == "/feedetailList/2/cnt")
        #expect(error.detail == "AUD-QTY-001: " + findings[1].detail)
        #expect(SmartAudit.refusal(Array(findings.prefix(1))) == nil)
        #expect(SmartAudit.refusal([]) == nil)
    }

    @Test("Findings round-trip through JSON")
    func codable() throws {
        let findings = SmartAudit.review(Self.cleanLines(), context: try Self.context(person: Self.person(suspended: true), followUp: false))
        let data = try JSONEncoder().encode(findings)
        #expect(try JSONDecoder().decode([AuditFinding].self, from: data) == findings)
    }
}
