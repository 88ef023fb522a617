import Foundation
import YibaoCrypto

/// A signature inside a signed prescription: algorithm, the signer's certificate (PEM) and the
/// raw r‖s value (64 bytes, base64).
public struct RxSignature: Sendable, Hashable {
    public var algorithm: SignatureAlgorithm
    public var certificate: String
    public var value: String

    public init(algorithm: SignatureAlgorithm, certificate: String, value: String) {
        self.algorithm = algorithm
        self.certificate = certificate
        self.value = value
    }

    var json: JSONValue {
        .object(["algorithm": .string(algorithm.rawValue), "certificate": .string(certificate), "value": .string(value)])
    }

    public init(json value: JSONValue?, pointer: String) throws {
        guard case .object(let object)? = value else { throw DomainError.missing(pointer, "a signature object") }
        guard let algorithm = SignatureAlgorithm(rawValue: object[key: "algorithm"]),
              [.sm2WithSM3, .ecdsaP256SHA256].contains(algorithm) else {
            throw DomainError.invalidValue("\(pointer)/algorithm", "algorithm must be SM2-with-SM3 or ECDSA-P256-SHA256", actual: object[key: "algorithm"], rule: .rx1)
        }
        for key in ["certificate", "value"] where object[key: key].isEmpty { throw DomainError.missing("\(pointer)/\(key)", "\"\(key)\"") }
        self.init(algorithm: algorithm, certificate: object[key: "certificate"], value: object[key: "value"])
    }
}

/// 药师审方 — the pharmacist's review: who, when, the result, and a signature over the
/// doctor-signed prescription plus these fields.
public struct PharmacistReview: Sendable, Hashable {
    /// 审方药师编码 / 姓名 / 审方时间 (yyyy-MM-dd HH:mm:ss).
    public var pharCode: String
    public var pharName: String
    public var pharChkTime: String
    /// "1" approved, "0" rejected.
    public var result: String
    public var signature: RxSignature?

    public init(pharCode: String, pharName: String, pharChkTime: String, result: String, signature: RxSignature? = nil) {
        self.pharCode = pharCode
        self.pharName = pharName
        self.pharChkTime = pharChkTime
        self.result = result
        self.signature = signature
    }

    /// The review members that are signed.
    var fields: JSONValue {
        .object(["pharCode": .string(pharCode), "pharName": .string(pharName), "pharChkTime": .string(pharChkTime), "result": .string(result)])
    }
}

/// The platform's countersignature (`rxFixmedinsSign`): signDigest is the base64 raw r‖s
/// SM3-with-SM2 signature, signCertSn / signCertDn name the platform certificate.
public struct PlatformCountersignature: Sendable, Hashable {
    /// 医保处方编号.
    public var hiRxno: String
    public var signTime: String
    public var signDigest: String
    public var signCertSn: String
    public var signCertDn: String

    public init(hiRxno: String, signTime: String, signDigest: String, signCertSn: String, signCertDn: String) {
        self.hiRxno = hiRxno
        self.signTime = signTime
        self.signDigest = signDigest
        self.signCertSn = signCertSn
        self.signCertDn = signCertDn
    }
}

/// A prescription with its three signatures, as a file (`yibao-rx/1`, docs/PRESCRIPTION.md):
///
///     {"format":"yibao-rx/1","prescription":{…},"doctorSignature":{…},
///      "pharmacistReview":{"pharCode":…,"pharName":…,"pharChkTime":…,"result":…,"signature":{…}},
///      "platformSignature":{"hiRxno":…,"signTime":…,"signDigest":…,"signCertSn":…,"signCertDn":…}}
public struct SignedPrescription: Sendable, Hashable {
    public static let format = "yibao-rx/1"

    public var prescription: Prescription
    public var doctorSignature: RxSignature?
    public var review: PharmacistReview?
    public var platform: PlatformCountersignature?

    public init(prescription: Prescription, doctorSignature: RxSignature? = nil, review: PharmacistReview? = nil, platform: PlatformCountersignature? = nil) {
        self.prescription = prescription
        self.doctorSignature = doctorSignature
        self.review = review
        self.platform = platform
    }

    /// Reads a signed prescription, or a bare prescription (no `format` member).
    public init(json object: JSONObject, pointer: String = "") throws {
        guard object["format"] != nil else {
            self.init(prescription: try Prescription(json: object, pointer: pointer))
            return
        }
        guard object[key: "format"] == Self.format else {
            throw DomainError.invalidValue("\(pointer)/format", "unknown signed-prescription format", expected: Self.format, actual: object[key: "format"], rule: .rx1)
        }
        guard case .object(let rx)? = object["prescription"] else { throw DomainError.missing("\(pointer)/prescription", "\"prescription\"") }
        self.init(prescription: try Prescription(json: rx, pointer: "\(pointer)/prescription"))
        if object["doctorSignature"] != nil { doctorSignature = try RxSignature(json: object["doctorSignature"], pointer: "\(pointer)/doctorSignature") }
        if case .object(let review)? = object["pharmacistReview"] {
            self.review = PharmacistReview(pharCode: review[key: "pharCode"], pharName: review[key: "pharName"], pharChkTime: review[key: "pharChkTime"],
                                           result: review[key: "result"],
                                           signature: review["signature"] == nil ? nil : try RxSignature(json: review["signature"], pointer: "\(pointer)/pharmacistReview/signature"))
        }
        if case .object(let platform)? = object["platformSignature"] {
            self.platform = PlatformCountersignature(hiRxno: platform[key: "hiRxno"], signTime: platform[key: "signTime"], signDigest: platform[key: "signDigest"],
                                                     signCertSn: platform[key: "signCertSn"], signCertDn: platform[key: "signCertDn"])
        }
    }

    /// Parses the bytes of a file.
    public init(bytes: [UInt8]) throws {
        guard case .object(let object) = try JSONValue.parse(bytes) else {
            throw DomainError.invalidValue("", "a prescription file is a JSON object")
        }
        try self.init(json: object)
    }

    /// The file form, members in a fixed order.
    public var json: JSONObject {
        var object: JSONObject = ["format": .string(Self.format), "prescription": .object(prescription.json)]
        if let doctorSignature { object["doctorSignature"] = doctorSignature.json }
        if let review {
            var fields = review.fields.objectValue ?? [:]
            if let signature = review.signature { fields["signature"] = signature.json }
            object["pharmacistReview"] = .object(fields)
        }
        if let platform {
            object["platformSignature"] = .object(["hiRxno": .string(platform.hiRxno), "signTime": .string(platform.signTime),
                                                    "signDigest": .string(platform.signDigest), "signCertSn": .string(platform.signCertSn),
                                                    "signCertDn": .string(platform.signCertDn)])
        }
        return object
    }

    // MARK: The signed bytes (docs/PRESCRIPTION.md §3)

    /// What the doctor signs: the canonical prescription.
    public var doctorMessage: [UInt8] { prescription.canonicalBytes }

    /// What the pharmacist signs: canonical {"doctorSignature": value, "prescription": …, "review": {pharCode, pharName, pharChkTime, result}}.
    public func reviewMessage(_ review: PharmacistReview) -> [UInt8] {
        canonical(["doctorSignature": .string(doctorSignature?.value ?? ""), "prescription": .object(prescription.json), "review": review.fields])
    }

    /// What the platform signs: canonical {"doctorSignature", "hiRxno", "pharmacistSignature", "prescription", "review", "signTime"}.
    public func platformMessage(hiRxno: String, signTime: String) -> [UInt8] {
        canonical(["doctorSignature": .string(doctorSignature?.value ?? ""), "hiRxno": .string(hiRxno),
                   "pharmacistSignature": .string(review?.signature?.value ?? ""), "prescription": .object(prescription.json),
                   "review": review?.fields ?? .object([:]), "signTime": .string(signTime)])
    }

    private func canonical(_ object: JSONObject) -> [UInt8] { Array(JSONValue.object(object).serialized(sortedKeys: true).utf8) }

    // MARK: Signing

    /// The doctor signs (RX-1). Any earlier review or countersignature is dropped: they covered other bytes.
    public mutating func signAsDoctor(with key: RxSigningKey) throws {
        doctorSignature = try key.sign(doctorMessage)
        review = nil
        platform = nil
    }

    /// The pharmacist reviews and signs (RX-1).
    public mutating func addReview(pharCode: String, pharName: String, pharChkTime: String, approved: Bool, key: RxSigningKey) throws {
        guard doctorSignature != nil else {
            throw DomainError(.rxDoctorSignatureMissing, .invalid, rule: .rx1, pointer: "/doctorSignature", "the doctor signs before the pharmacist reviews")
        }
        var review = PharmacistReview(pharCode: pharCode, pharName: pharName, pharChkTime: pharChkTime, result: approved ? "1" : "0")
        review.signature = try key.sign(reviewMessage(review))
        self.review = review
        platform = nil
    }

    /// The platform countersigns with its SM2 key and certificate.
    public mutating func countersign(platformKey: SM2.PrivateKey, certificate: Certificate, hiRxno: String, at time: Date) throws {
        let signTime = Timestamps.fsi(time)
        let value = try platformKey.signature(for: platformMessage(hiRxno: hiRxno, signTime: signTime)).encoded(.raw).base64
        platform = PlatformCountersignature(hiRxno: hiRxno, signTime: signTime, signDigest: value, signCertSn: certificate.serialNumberHex, signCertDn: certificate.subject)
    }
}

/// A private key with its certificate, for signing prescriptions: SM2 (SM3-with-SM2, default ID)
/// or ECDSA P-256 (SHA-256), chosen by the certificate's key.
public struct RxSigningKey: Sendable {
    public let certificatePEM: String
    let algorithm: SignatureAlgorithm
    let signer: any MessageSigner

    /// `keyPEM` must be the private key of `certificatePEM`.
    public init(keyPEM: String, certificatePEM: String) throws {
        let certificate = try Certificate(pemRepresentation: certificatePEM)
        let verifier = try certificate.verifier(encoding: .raw)
        switch verifier.algorithm {
        case .sm2WithSM3: signer = SM2Signer(privateKey: try SM2.PrivateKey(pemRepresentation: keyPEM), encoding: .raw)
        case .ecdsaP256SHA256: signer = P256Signer(privateKey: try P256.PrivateKey(pemRepresentation: keyPEM), encoding: .raw)
        default: throw DomainError.invalidValue("/certificate", "prescriptions are signed with SM2 or ECDSA P-256 keys", actual: verifier.algorithm.rawValue, rule: .rx1)
        }
        // The key must match the certificate: sign and verify a probe.
        let probe = Array("yibao-rx key check".utf8)
        guard verifier.verify(try signer.sign(probe), for: probe) else {
            throw DomainError.invalidValue("/key", "the private key does not belong to the certificate", rule: .rx1)
        }
        algorithm = verifier.algorithm
        self.certificatePEM = certificatePEM
    }

    func sign(_ message: [UInt8]) throws -> RxSignature {
        RxSignature(algorithm: algorithm, certificate: certificatePEM, value: try signer.sign(message).base64)
    }
}
