import Foundation
import YibaoCrypto

/// One check of a signed prescription, passed or failed, with the code, rule and field.
public struct RxCheck: Sendable, Hashable, CustomStringConvertible {
    public enum Party: String, Sendable, Hashable, CaseIterable { case doctor, pharmacist, platform }

    public var party: Party
    public var passed: Bool
    /// `OK`, or a stable failure code such as `RX_DOCTOR_SIGNATURE_INVALID`.
    public var code: String
    public var rule: Rule
    public var pointer: String
    public var detail: String
    /// For certificate failures, the chain verifier's codes (e.g. `CERT_REVOKED`).
    public var causes: [String]

    public var description: String {
        "\(passed ? "ok  " : "FAIL") \(party.rawValue): \(passed ? detail : "\(code) [\(rule)] at \(pointer): \(detail)")"
            + (causes.isEmpty ? "" : " (\(causes.joined(separator: ", ")))")
    }
}

/// Verifies a signed prescription offline: each signature over its documented bytes, each
/// signer's certificate chain at the time it signed (revocation included), and that the
/// certificates belong to the doctor and pharmacist named in the prescription (RX-1, PR-3).
public struct PrescriptionVerifier: Sendable {
    public var trustAnchors: [Certificate]
    public var intermediates: [Certificate]
    public var revocationLists: [CertificateRevocationList]
    /// The platform's signing certificate, for the countersignature.
    public var platformCertificate: Certificate?

    public init(trustAnchors: [Certificate], intermediates: [Certificate] = [], revocationLists: [CertificateRevocationList] = [],
                platformCertificate: Certificate? = nil) {
        self.trustAnchors = trustAnchors
        self.intermediates = intermediates
        self.revocationLists = revocationLists
        self.platformCertificate = platformCertificate
    }

    /// Every check for the parties in `required`; a missing signature of a required party fails.
    public func verify(_ document: SignedPrescription, required: Set<RxCheck.Party> = Set(RxCheck.Party.allCases)) -> [RxCheck] {
        var checks: [RxCheck] = []
        if required.contains(.doctor) || document.doctorSignature != nil { checks.append(checkDoctor(document)) }
        if required.contains(.pharmacist) || document.review != nil { checks.append(checkPharmacist(document)) }
        if required.contains(.platform) || document.platform != nil { checks.append(checkPlatform(document)) }
        return checks
    }

    /// The first failed check, if any.
    public static func firstFailure(_ checks: [RxCheck]) -> RxCheck? { checks.first { !$0.passed } }

    private func fail(_ party: RxCheck.Party, _ code: ErrorCode, _ rule: Rule = .rx1, pointer: String, _ detail: String, causes: [String] = []) -> RxCheck {
        RxCheck(party: party, passed: false, code: code.rawValue, rule: rule, pointer: pointer, detail: detail, causes: causes)
    }

    /// Certificate, chain at `time`, subject serialNumber = `expectedSerialNumber`, signature over `message`.
    private func checkSignature(_ signature: RxSignature, party: RxCheck.Party, role: String, at time: Date, expectedSerialNumber: String,
                                identityPointer: String, signaturePointer: String, message: [UInt8]) -> RxCheck {
        guard let certificate = try? Certificate(pemRepresentation: signature.certificate) else {
            return fail(party, .rxCertificateUnreadable, pointer: "\(signaturePointer)/certificate", "the \(role)'s certificate is not a PEM X.509 certificate")
        }
        let chain = CertificateChainVerifier(trustAnchors: trustAnchors, intermediates: intermediates, crls: revocationLists)
        if case .invalid(let failures) = chain.verify(certificate, at: time) {
            return fail(party, party == .doctor ? .rxDoctorCertificateInvalid : .rxPharmacistCertificateInvalid, .pr3, pointer: "\(signaturePointer)/certificate",
                        "the \(role)'s certificate (\(certificate.subject), serial \(certificate.serialNumberHex)) was not valid when they signed at \(Timestamps.fsi(time)): "
                            + failures.map(\.detail).joined(separator: "; "),
                        causes: failures.map(\.code.rawValue))
        }
        let subjectSerials = certificate.subjectSerialNumbers
        guard subjectSerials == [expectedSerialNumber] else {
            let holder = subjectSerials.isEmpty ? "someone without a serialNumber" : subjectSerials.joined(separator: " and ")
            return fail(party, party == .doctor ? .rxDoctorCertificateMismatch : .rxPharmacistCertificateMismatch, .pr3, pointer: identityPointer,
                        "the certificate belongs to \(holder), not to the \(role) \(expectedSerialNumber) named in the prescription (exactly one serialNumber attribute is required)")
        }
        guard let verifier = try? certificate.verifier(encoding: .raw), verifier.algorithm == signature.algorithm else {
            return fail(party, .rxSignatureAlgorithmMismatch, pointer: "\(signaturePointer)/algorithm",
                        "the certificate's key does not make \(signature.algorithm.rawValue) signatures")
        }
        guard let value = [UInt8](base64: signature.value), verifier.verify(value, for: message) else {
            return fail(party, party == .doctor ? .rxDoctorSignatureInvalid : .rxPharmacistSignatureInvalid, pointer: "\(signaturePointer)/value",
                        "the \(role)'s signature does not verify over the bytes of docs/PRESCRIPTION.md §3: the signed content was changed after signing, or signed by another key")
        }
        return RxCheck(party: party, passed: true, code: "OK", rule: .rx1, pointer: signaturePointer,
                       detail: "\(signature.algorithm.rawValue) signature by \(certificate.subject) verifies; certificate valid at \(Timestamps.fsi(time))", causes: [])
    }

    private func checkDoctor(_ document: SignedPrescription) -> RxCheck {
        guard let signature = document.doctorSignature else {
            return fail(.doctor, .rxDoctorSignatureMissing, pointer: "/doctorSignature", "the prescription is not signed by the doctor")
        }
        return checkSignature(signature, party: .doctor, role: "doctor", at: document.prescription.prescribedAt,
                              expectedSerialNumber: document.prescription.doctorCode, identityPointer: "/prescription/mdtrtinfo/drCode",
                              signaturePointer: "/doctorSignature", message: document.doctorMessage)
    }

    private func checkPharmacist(_ document: SignedPrescription) -> RxCheck {
        guard let review = document.review else {
            return fail(.pharmacist, .rxReviewMissing, pointer: "/pharmacistReview", "no pharmacist has reviewed the prescription")
        }
        guard let signature = review.signature else {
            return fail(.pharmacist, .rxReviewSignatureMissing, pointer: "/pharmacistReview/signature", "the review is not signed")
        }
        guard let time = Timestamps.parseFSI(review.pharChkTime) else {
            return fail(.pharmacist, .fieldInvalid, .protocolFields, pointer: "/pharmacistReview/pharChkTime", "pharChkTime must be yyyy-MM-dd HH:mm:ss")
        }
        guard time >= document.prescription.prescribedAt else {
            return fail(.pharmacist, .rxReviewBeforePrescription, pointer: "/pharmacistReview/pharChkTime", "the review is dated before the prescription")
        }
        let check = checkSignature(signature, party: .pharmacist, role: "pharmacist", at: time, expectedSerialNumber: review.pharCode,
                                   identityPointer: "/pharmacistReview/pharCode", signaturePointer: "/pharmacistReview/signature",
                                   message: document.reviewMessage(review))
        guard check.passed else { return check }
        guard review.result == "1" else {
            return fail(.pharmacist, .rxReviewRejected, pointer: "/pharmacistReview/result", "the pharmacist rejected the prescription (result \(review.result))")
        }
        return check
    }

    private func checkPlatform(_ document: SignedPrescription) -> RxCheck {
        guard let platform = document.platform else {
            return fail(.platform, .rxPlatformSignatureMissing, pointer: "/platformSignature", "the platform has not countersigned (rxFixmedinsSign)")
        }
        guard let certificate = platformCertificate else {
            return fail(.platform, .rxPlatformCertificateUnknown, pointer: "/platformSignature", "no platform certificate was given to check the countersignature with")
        }
        guard platform.signCertSn.uppercased() == certificate.serialNumberHex.uppercased() else {
            return fail(.platform, .rxPlatformCertificateMismatch, pointer: "/platformSignature/signCertSn",
                        "signCertSn \(platform.signCertSn) is not the platform certificate's serial \(certificate.serialNumberHex)")
        }
        guard let verifier = try? certificate.verifier(encoding: .raw), let value = [UInt8](base64: platform.signDigest),
              verifier.verify(value, for: document.platformMessage(hiRxno: platform.hiRxno, signTime: platform.signTime)) else {
            return fail(.platform, .rxPlatformSignatureInvalid, pointer: "/platformSignature/signDigest",
                        "the platform's countersignature does not verify: the prescription, a signature or the review changed after the platform signed")
        }
        return RxCheck(party: .platform, passed: true, code: "OK", rule: .rx1, pointer: "/platformSignature",
                       detail: "countersigned by \(certificate.subject) at \(platform.signTime), hiRxno \(platform.hiRxno)", causes: [])
    }
}
