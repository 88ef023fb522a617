import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto

/// Signed e-prescription cases (RX-1…RX-5, SC-1, PR-1, PR-3). The RX-MUT cases make, on the
/// platform's side, each mistake the signed_prescription vectors make (vectors/README.md).
extension GatewaySuite {
    static let prescriptionCases: [String: Case] = [
        "RX-FLOW-001": { suite in
            var document = try await suite.doctorSigned()
            let precheck = try await suite.accepted("uploadChk") { try await suite.hospital.uploadCheck(document) }
            try suite.review(&document)
            document = try await suite.accepted("rxFixmedinsSign") { try await suite.hospital.countersign(document, rxTraceCode: precheck.rxTraceCode) }
            guard let countersignature = document.platform, countersignature.hiRxno == precheck.hiRxno else {
                throw CaseFailure("the countersigned file does not carry the platform's countersignature over hiRxno \(precheck.hiRxno)",
                                  expected: "platform.hiRxno \(precheck.hiRxno)", actual: document.platform?.hiRxno ?? "no countersignature")
            }
            let checks = try suite.verifier().verify(document)
            if let failure = PrescriptionVerifier.firstFailure(checks) {
                throw CaseFailure("the countersigned prescription does not verify offline: \(failure.code) — \(failure.detail)", expected: "all three signatures valid",
                                  actual: failure.code, diagnosis: checks.map(\.description))
            }
            _ = try await suite.accepted("rxFileUpld") { try await suite.hospital.uploadPrescription(document, rxTraceCode: precheck.rxTraceCode) }
            suite.circulated = (document, precheck.hiRxno)
            suite.rxTraceCode = precheck.rxTraceCode
            return "signed, pre-checked (hiRxno \(precheck.hiRxno)), reviewed, countersigned (verified offline against certs/), uploaded"
        },
        "RX-TRACE-001": { suite in
            let (document, _) = try suite.require(suite.circulated, "a circulating prescription (RX-FLOW-001)")
            let code = try suite.require(suite.rxTraceCode, "the rxTraceCode of RX-FLOW-001")
            return try await suite.refused("a second rxFileUpld with the spent rxTraceCode", codes: ["RX_TRACE_CODE_USED"]) {
                _ = try await suite.hospital.uploadPrescription(document, rxTraceCode: code)
            }
        },
        "RX-DISPENSE-001": { suite in
            let (_, hiRxno) = try suite.require(suite.circulated, "a circulating prescription (RX-FLOW-001)")
            let token = try await suite.scan(zhangSan.certno, for: .prescriptionDownload, by: suite.pharmacy)
            let verifier = try suite.verifier()
            let (downloaded, _) = try await suite.accepted("rxDownload (verified offline)") {
                try await suite.pharmacy.downloadVerifiedPrescription(hiRxno: hiRxno, ecToken: token.ecToken, verifier: verifier)
            }
            let codes = suite.traceCodes(for: downloaded)
            _ = try await suite.accepted("rxDispense route 03") {
                try await suite.pharmacy.dispense(hiRxno: hiRxno, route: .retailPharmacy, pharmacistCode: pharmacyPharmacist, traceCodes: codes)
            }
            suite.dispensedCodes = codes
            return "the pharmacy downloaded \(hiRxno) with the patient's 02122 ecToken, verified it and dispensed it (route 03, \(codes.values.map(\.count).reduce(0, +)) traceability codes)"
        },
        "RX-DISPENSE-002": { suite in
            let (document, hiRxno) = try suite.require(suite.circulated, "a dispensed prescription (RX-DISPENSE-001)")
            _ = try suite.require(suite.dispensedCodes.isEmpty ? nil : true, "a dispensed prescription (RX-DISPENSE-001)")
            return try await suite.refused("a second dispensing of the same prescription", codes: ["RX_ALREADY_DISPENSED"]) {
                _ = try await suite.pharmacy.dispense(hiRxno: hiRxno, route: .retailPharmacy, pharmacistCode: pharmacyPharmacist, traceCodes: suite.traceCodes(for: document))
            }
        },
        "RX-DISPENSE-003": { suite in
            let used = try suite.require(suite.dispensedCodes.isEmpty ? nil : suite.dispensedCodes, "traceability codes already sold (RX-DISPENSE-001)")
            let (document, hiRxno) = try await suite.circulate()
            var codes = suite.traceCodes(for: document)
            if let drug = codes.keys.sorted().first(where: { used[$0]?.isEmpty == false }), let reused = used[drug]?.first {
                codes[drug]?[0] = reused
            } else {
                throw CaseFailure("cannot run: the second prescription has no drug in common with the first")
            }
            return try await suite.refused("a traceability code already sold, scanned again for another prescription", codes: ["RX_TRACE_CODE_USED", "RX_TRACE_CODE_REUSED"]) {
                _ = try await suite.hospital.dispense(hiRxno: hiRxno, route: .atInstitution, pharmacistCode: pharmacistZhao.code, traceCodes: codes)
            }
        },
        "RX-REVOKE-001": { suite in
            let (_, hiRxno) = try suite.require(suite.circulated, "a dispensed prescription (RX-DISPENSE-001)")
            return try await suite.refused("rxUndo of a dispensed prescription", codes: ["RX_ALREADY_DISPENSED", "RX_WRONG_STAGE"]) {
                _ = try await suite.hospital.revokePrescription(hiRxno: hiRxno, reason: "conformance check")
            }
        },
        "RX-SC1-001": { suite in
            let document = try await suite.doctorSigned(firstVisit: true)
            return try await suite.refused("uploadChk of a first visit prescribed online", codes: ["SCOPE_FIRST_VISIT_ONLINE"]) { _ = try await suite.hospital.uploadCheck(document) }
        },
        "RX-PR1-001": { suite in
            let document = try await suite.doctorSigned(doctor: "doctor-wang", as: drWang)
            return try await suite.refused("uploadChk of a prescription by a doctor with under 3 years of independent practice", codes: ["PRACTITIONER_PRACTICE_TOO_SHORT"]) {
                _ = try await suite.hospital.uploadCheck(document)
            }
        },
        "SC-4-001": { suite in
            // A visit registered through the Internet+ platform is an Internet visit: its prescription says so (bizTypeCode 02).
            let visit = try await suite.register(zhangSan, by: suite.hospital)
            var json = try suite.samplePrescription(visit: visit).json
            json["bizTypeCode"] = "01"
            var document = SignedPrescription(prescription: try Prescription(json: json))
            try document.signAsDoctor(with: try suite.key("doctor-li"))
            return try await suite.refused("uploadChk of an Internet visit's prescription marked as an in-person one (bizTypeCode 01)", codes: ["RX_BIZ_TYPE_MISMATCH"],
                                           pointer: "/bizTypeCode", rule: "SC-4") {
                _ = try await suite.hospital.uploadCheck(document)
            }
        },
        "RX-MUT-001": { suite in
            var document = try await suite.doctorSigned()
            try document.changeFirstDrugCount()
            return try await suite.refused("uploadChk of a prescription whose drugCnt changed after the doctor signed", codes: ["RX_DOCTOR_SIGNATURE_INVALID"]) {
                _ = try await suite.hospital.uploadCheck(document)
            }
        },
        "RX-MUT-002": { suite in
            let document = try await suite.doctorSignedBy(key: "doctor-wang", certificate: "doctor-li", prescriber: drLi)
            return try await suite.refused("uploadChk of a signature made with Dr Wang's key under Dr Li's certificate", codes: ["RX_DOCTOR_SIGNATURE_INVALID"]) {
                _ = try await suite.hospital.uploadCheck(document)
            }
        },
        "RX-MUT-003": { suite in
            let document = try await suite.doctorSignedBy(key: "doctor-wang", certificate: "doctor-wang", prescriber: drLi)
            return try await suite.refused("uploadChk of Dr Wang's valid signature on a prescription naming Dr Li", codes: ["RX_DOCTOR_CERTIFICATE_MISMATCH"]) {
                _ = try await suite.hospital.uploadCheck(document)
            }
        },
        "RX-MUT-004": { suite in
            let document = try await suite.doctorSignedBy(key: "expired", certificate: "expired", prescriber: drLi)
            return try await suite.refused("uploadChk of a prescription signed under an expired certificate", codes: ["RX_DOCTOR_CERTIFICATE_INVALID"], detail: "expired") {
                _ = try await suite.hospital.uploadCheck(document)
            }
        },
        "RX-MUT-005": { suite in
            let document = try await suite.doctorSignedBy(key: "revoked", certificate: "revoked", prescriber: drLi)
            return try await suite.refused("uploadChk of a prescription signed under a revoked certificate", codes: ["RX_DOCTOR_CERTIFICATE_INVALID"], detail: "revoked") {
                _ = try await suite.hospital.uploadCheck(document)
            }
        },
        "RX-MUT-006": { suite in
            var document = try await suite.doctorSigned()
            let raw = [UInt8](base64: document.doctorSignature?.value ?? "") ?? []
            document.doctorSignature?.value = try ECSignature(raw, encoding: .raw).derRepresentation.base64
            return try await suite.refused("uploadChk of a DER-encoded doctor signature (raw r‖s required)", codes: ["RX_DOCTOR_SIGNATURE_INVALID"]) {
                _ = try await suite.hospital.uploadCheck(document)
            }
        },
        "RX-MUT-007": { suite in
            var document = try await suite.doctorSigned()
            let key = try SM2.PrivateKey(pemRepresentation: try suite.file("sm2/doctor-li.key.pem"))
            let value = try key.signature(for: document.doctorMessage, signerID: []).encoded(.raw).base64
            document.doctorSignature?.value = value
            return try await suite.refused("uploadChk of a doctor signature made with an empty SM2 signer ID", codes: ["RX_DOCTOR_SIGNATURE_INVALID"]) {
                _ = try await suite.hospital.uploadCheck(document)
            }
        },
        "RX-MUT-008": { suite in
            var document = try await suite.doctorSigned()
            document.doctorSignature?.algorithm = .ecdsaP256SHA256
            return try await suite.refused("uploadChk of an SM2 signature labelled ECDSA-P256-SHA256", codes: ["RX_SIGNATURE_ALGORITHM_MISMATCH"]) {
                _ = try await suite.hospital.uploadCheck(document)
            }
        },
        "RX-MUT-009": { suite in
            var document = try await suite.doctorSigned()
            document.doctorSignature = nil
            var data = document.prescription.json
            data["doctorSignature"] = nil
            return try await suite.refused("uploadChk without the doctor's signature", codes: ["RX_DOCTOR_SIGNATURE_MISSING", "FIELD_MISSING"]) {
                _ = try await suite.hospital.hse(service: "uploadChk", data: .object(data))
            }
        },
        "RX-MUT-010": { suite in
            let (document, precheck) = try await suite.prechecked()
            return try await suite.refused("rxFixmedinsSign of a prescription no pharmacist reviewed", codes: ["RX_REVIEW_MISSING"]) {
                _ = try await suite.hospital.countersign(document, rxTraceCode: precheck.rxTraceCode)
            }
        },
        "RX-MUT-011": { suite in
            var (document, precheck) = try await suite.prechecked()
            try suite.review(&document, approved: false)
            return try await suite.refused("rxFixmedinsSign of a prescription the pharmacist rejected", codes: ["RX_REVIEW_REJECTED"]) {
                _ = try await suite.hospital.countersign(document, rxTraceCode: precheck.rxTraceCode)
            }
        },
        "RX-MUT-012": { suite in
            var (document, precheck) = try await suite.prechecked()
            try suite.review(&document, approved: false)
            document.review?.result = "1"
            return try await suite.refused("rxFixmedinsSign of a review changed from rejected to approved after signing", codes: ["RX_PHARMACIST_SIGNATURE_INVALID"]) {
                _ = try await suite.hospital.countersign(document, rxTraceCode: precheck.rxTraceCode)
            }
        },
        "RX-MUT-013": { suite in
            var (document, precheck) = try await suite.prechecked()
            let before = Timestamps.fsi(suite.clock.now().addingTimeInterval(-300))
            try document.addReview(pharCode: pharmacistZhao.code, pharName: pharmacistZhao.name, pharChkTime: before, approved: true, key: try suite.key("pharmacist-zhao"))
            return try await suite.refused("rxFixmedinsSign of a review dated before the prescription", codes: ["RX_REVIEW_BEFORE_PRESCRIPTION"]) {
                _ = try await suite.hospital.countersign(document, rxTraceCode: precheck.rxTraceCode)
            }
        },
        "RX-MUT-014": { suite in
            var (document, precheck) = try await suite.prechecked()
            try suite.review(&document, key: "doctor-li")
            return try await suite.refused("rxFixmedinsSign of a review signed by Dr Li under pharmacist Zhao's code", codes: ["RX_PHARMACIST_CERTIFICATE_MISMATCH"]) {
                _ = try await suite.hospital.countersign(document, rxTraceCode: precheck.rxTraceCode)
            }
        },
        "RX-MUT-015": { suite in
            var (document, precheck) = try await suite.prechecked()
            try document.changeFirstDrugCount()
            try document.signAsDoctor(with: try suite.key("doctor-li"))
            try suite.review(&document)
            return try await suite.refused("rxFixmedinsSign of a prescription changed and re-signed after uploadChk", codes: ["RX_CONTENT_CHANGED"]) {
                _ = try await suite.hospital.countersign(document, rxTraceCode: precheck.rxTraceCode)
            }
        },
        "SV-2-001": { suite in
            let report = try await suite.accepted("GET /admin/trace/verify") {
                try await HTTP.get(suite.http, url: suite.target + "/admin/trace/verify", bearer: suite.credentials.adminToken, observer: suite.recorder)
            }.objectValue ?? [:]
            guard report["intact"] == .bool(true) else {
                throw CaseFailure("the hash-chained trace of every step does not verify", expected: "intact true", actual: JSONValue.object(report).serialized())
            }
            return "the trace of every step so far re-verifies: \(report["entries"]?.serialized() ?? "?") entries, intact"
        },
        "RX-EXPIRE-001": { suite in
            guard suite.hasTestClock else { throw CaseSkipped("the target has no test clock (start it with --test-clock); the prescription would have to expire in real time") }
            let (document, hiRxno) = try await suite.circulate()
            let token = try await suite.scan(zhangSan.certno, for: .prescriptionDownload, by: suite.pharmacy)
            _ = try await suite.accepted("rxDownload") { try await suite.pharmacy.downloadPrescription(hiRxno: hiRxno, ecToken: token.ecToken) }
            guard let end = Timestamps.parseFSI(document.prescription.json[key: "valiEndTime"]) else { throw CaseFailure("the sample has no valiEndTime") }
            try await suite.advanceTime(by: end.timeIntervalSince(suite.clock.now()) + 60)
            return try await suite.refused("dispensing after valiEndTime", codes: ["RX_EXPIRED"]) {
                _ = try await suite.pharmacy.dispense(hiRxno: hiRxno, route: .retailPharmacy, pharmacistCode: pharmacyPharmacist, traceCodes: suite.traceCodes(for: document))
            }
        },
    ]

    /// The dev PKI's prescription verifier (certs/: both roots, intermediates, CRLs, the platform certificate).
    func verifier() throws -> PrescriptionVerifier { try DevTrust(certs: certs, credentials: credentials).prescriptionVerifier }

    /// A prescription signed with `key` but carrying `certificate`'s PEM, naming `prescriber`, for a fresh visit.
    func doctorSignedBy(key keyName: String, certificate certificateName: String, prescriber: (code: String, name: String)) async throws -> SignedPrescription {
        let visit = try await register(Self.zhangSan, by: hospital)
        var document = SignedPrescription(prescription: try samplePrescription(visit: visit, doctor: prescriber))
        let key = try SM2.PrivateKey(pemRepresentation: try file("sm2/\(keyName).key.pem"))
        document.doctorSignature = RxSignature(algorithm: .sm2WithSM3, certificate: try file("sm2/\(certificateName).cert.pem"),
                                               value: try key.signature(for: document.doctorMessage).encoded(.raw).base64)
        return document
    }

    /// A doctor-signed prescription that passed uploadChk.
    func prechecked() async throws -> (SignedPrescription, YibaoClient.PrecheckResult) {
        let document = try await doctorSigned()
        let precheck = try await accepted("uploadChk") { try await hospital.uploadCheck(document) }
        return (document, precheck)
    }

    /// A prescription taken through the whole chain to circulation, for a fresh visit.
    func circulate() async throws -> (SignedPrescription, String) {
        var (document, precheck) = try await prechecked()
        try review(&document)
        document = try await accepted("rxFixmedinsSign") { try await hospital.countersign(document, rxTraceCode: precheck.rxTraceCode) }
        _ = try await accepted("rxFileUpld") { try await hospital.uploadPrescription(document, rxTraceCode: precheck.rxTraceCode) }
        return (document, precheck.hiRxno)
    }
}

extension SignedPrescription {
    /// The vectors' "drugCnt 2 → 3": the first drug's count plus one, its amount left as it was.
    mutating func changeFirstDrugCount() throws {
        var json = prescription.json
        guard var drugs = json["rxdrugdetail"]?.arrayValue, case .object(var first)? = drugs.first else { return }
        first["drugCnt"] = .string(String((Int(first[key: "drugCnt"]) ?? 1) + 1))
        drugs[0] = .object(first)
        json["rxdrugdetail"] = .array(drugs)
        prescription = try Prescription(json: json)
    }
}
