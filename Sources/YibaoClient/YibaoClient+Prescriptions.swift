import Foundation
import YibaoCore
import YibaoCrypto

/// The e-prescription centre's services (HSE) and the pharmacy side (docs/PRESCRIPTION.md).
extension YibaoClient {
    /// What uploadChk returns.
    public struct PrecheckResult: Sendable, Hashable {
        public var hiRxno: String
        public var rxTraceCode: String
    }

    /// `uploadChk`: pre-checks a doctor-signed prescription (SC-1, SC-2, SC-3, PR-1, AG-1, RX-1).
    public func uploadCheck(_ document: SignedPrescription) async throws -> PrecheckResult {
        guard let signature = document.doctorSignature else {
            throw YibaoClientError(status: 0, code: "RX_DOCTOR_SIGNATURE_MISSING", rule: "RX-1", detail: "sign the prescription as the doctor first")
        }
        var data = document.prescription.json
        data["doctorSignature"] = .object(["algorithm": .string(signature.algorithm.rawValue), "certificate": .string(signature.certificate),
                                           "value": .string(signature.value)])
        let answer = try await hse(service: "uploadChk", data: .object(data)).objectValue ?? [:]
        return PrecheckResult(hiRxno: answer[key: "hiRxno"], rxTraceCode: answer[key: "rxTraceCode"])
    }

    /// `rxFixmedinsSign`: sends the reviewed prescription, returns it countersigned by the platform.
    public func countersign(_ document: SignedPrescription, rxTraceCode: String) async throws -> SignedPrescription {
        let answer = try await hse(service: "rxFixmedinsSign", data: .object([
            "rxTraceCode": .string(rxTraceCode), "originalValue": .string(Self.base64(document)),
        ])).objectValue ?? [:]
        return try Self.document(answer[key: "rxFile"], what: "rxFixmedinsSign's rxFile")
    }

    /// `rxFileUpld`: uploads the countersigned prescription with the single-use rxTraceCode; it then circulates.
    public func uploadPrescription(_ document: SignedPrescription, rxTraceCode: String) async throws -> JSONValue {
        try await hse(service: "rxFileUpld", data: .object(["rxTraceCode": .string(rxTraceCode), "rxFile": .string(Self.base64(document))]))
    }

    /// `rxUndo`: revokes a prescription that has not been dispensed.
    public func revokePrescription(hiRxno: String, reason: String) async throws -> JSONValue {
        try await hse(service: "rxUndo", data: .object(["hiRxno": .string(hiRxno), "undoRea": .string(reason)]))
    }

    /// `hospRxDetlQuery`, `rxChkInfoQuery` or `rxSetlInfoQuery` for `hiRxno`.
    public func queryPrescription(_ service: String, hiRxno: String) async throws -> JSONValue {
        try await hse(service: service, data: .object(["hiRxno": .string(hiRxno)]))
    }

    /// Pharmacy: `rxDownload` with the patient's ecToken scanned for business 02122; returns the signed prescription.
    public func downloadPrescription(hiRxno: String, ecToken: String) async throws -> SignedPrescription {
        let answer = try await hse(service: "rxDownload", data: .object(["hiRxno": .string(hiRxno), "ecToken": .string(ecToken)])).objectValue ?? [:]
        return try Self.document(answer[key: "rxFile"], what: "rxDownload's rxFile")
    }

    /// Pharmacy: downloads and verifies all three signatures offline before trusting the prescription;
    /// a failed check comes back as a ``YibaoClientError`` with the check's code, rule and pointer.
    public func downloadVerifiedPrescription(hiRxno: String, ecToken: String, verifier: PrescriptionVerifier) async throws -> (SignedPrescription, [RxCheck]) {
        let document = try await downloadPrescription(hiRxno: hiRxno, ecToken: ecToken)
        let checks = verifier.verify(document)
        if let failure = PrescriptionVerifier.firstFailure(checks) {
            throw YibaoClientError(status: 0, code: failure.code, rule: failure.rule.rawValue, pointer: failure.pointer,
                                   detail: "the downloaded prescription does not verify: \(failure.detail)")
        }
        return (document, checks)
    }

    /// `rxDispense`: dispenses once along `route`, with the traceability codes scanned per drug (medListCodg → codes).
    public func dispense(hiRxno: String, route: DispensingRoute, pharmacistCode: String, traceCodes: [String: [String]],
                         courier: String? = nil, waybillNo: String? = nil) async throws -> JSONValue {
        var data: JSONObject = [
            "hiRxno": .string(hiRxno), "route": .string(route.rawValue), "pharCode": .string(pharmacistCode),
            "traceCodes": .array(traceCodes.sorted { $0.key < $1.key }.map { .object(["medListCodg": .string($0.key), "drugTracCodg": .array($0.value.map(JSONValue.string))]) }),
        ]
        if let courier, let waybillNo { data["delivery"] = .object(["courier": .string(courier), "waybillNo": .string(waybillNo)]) }
        return try await hse(service: "rxDispense", data: .object(data))
    }

    static func base64(_ document: SignedPrescription) -> String { Array(JSONValue.object(document.json).serialized().utf8).base64 }

    static func document(_ base64: String, what: String) throws -> SignedPrescription {
        guard let bytes = [UInt8](base64: base64) else { throw YibaoClientError.invalidResponse("\(what) is not base64") }
        return try SignedPrescription(bytes: bytes)
    }
}
