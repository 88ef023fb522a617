import COpenSSL
import Foundation

/// Owns one `X509 *` and frees it in `deinit`. Never mutated after parsing.
// @unchecked: truly immutable — one OpenSSL object, never changed after it is made (only read:
// verify, sign, encode; OpenSSL 3 allows that from several threads) and freed once, in deinit;
// OpaquePointer itself is not Sendable, hence the annotation.
final class X509Box: @unchecked Sendable {
    let pointer: OpaquePointer
    init(takingOwnershipOf pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_free(pointer) }
}

/// Key usages of an X.509 certificate (RFC 5280 §4.2.1.3).
public struct KeyUsage: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let digitalSignature = KeyUsage(rawValue: UInt32(KU_DIGITAL_SIGNATURE))
    public static let nonRepudiation = KeyUsage(rawValue: UInt32(KU_NON_REPUDIATION))
    public static let keyEncipherment = KeyUsage(rawValue: UInt32(KU_KEY_ENCIPHERMENT))
    public static let dataEncipherment = KeyUsage(rawValue: UInt32(KU_DATA_ENCIPHERMENT))
    public static let keyAgreement = KeyUsage(rawValue: UInt32(KU_KEY_AGREEMENT))
    public static let keyCertSign = KeyUsage(rawValue: UInt32(KU_KEY_CERT_SIGN))
    public static let cRLSign = KeyUsage(rawValue: UInt32(KU_CRL_SIGN))

    static let names: [(KeyUsage, String)] = [
        (.digitalSignature, "digitalSignature"), (.nonRepudiation, "nonRepudiation"),
        (.keyEncipherment, "keyEncipherment"), (.dataEncipherment, "dataEncipherment"),
        (.keyAgreement, "keyAgreement"), (.keyCertSign, "keyCertSign"), (.cRLSign, "cRLSign"),
    ]

    public var description: String {
        let list = Self.names.filter { contains($0.0) }.map(\.1)
        return list.isEmpty ? "none" : list.joined(separator: ",")
    }
}

/// An X.509 certificate parsed by OpenSSL.
public struct Certificate: Sendable, CustomStringConvertible {
    let box: X509Box
    var pointer: OpaquePointer { box.pointer }

    init(takingOwnershipOf pointer: OpaquePointer) { box = X509Box(takingOwnershipOf: pointer) }

    /// Parses one certificate from PEM or DER bytes.
    public init(bytes: [UInt8]) throws {
        clearOpenSSLErrors()
        let cert: OpaquePointer? = try MemoryBIO.withReadBIO(bytes) { bio in
            looksLikePEM(bytes) ? PEM_read_bio_X509(bio, nil, nil, nil) : d2i_X509_bio(bio, nil)
        }
        guard let cert else { throw CryptoError.openSSL(.invalidCertificate, "not a readable X.509 certificate (PEM or DER)") }
        box = X509Box(takingOwnershipOf: cert)
    }

    /// Parses one certificate from PEM text.
    public init(pemRepresentation pem: String) throws { try self.init(bytes: Array(pem.utf8)) }

    /// Parses one certificate from DER.
    public init(derRepresentation der: [UInt8]) throws { try self.init(bytes: der) }

    /// Reads a certificate file (PEM or DER).
    public init(contentsOf url: URL) throws {
        try self.init(bytes: [UInt8](try Data(contentsOf: url)))
    }

    /// Every certificate in a PEM bundle, in order.
    public static func parseChain(pem: String) throws -> [Certificate] {
        let bytes = Array(pem.utf8)
        clearOpenSSLErrors()
        return try MemoryBIO.withReadBIO(bytes) { bio in
            var list: [Certificate] = []
            while let cert = PEM_read_bio_X509(bio, nil, nil, nil) {
                list.append(Certificate(takingOwnershipOf: cert))
            }
            // The loop normally ends on PEM's "no start line"; anything else is a broken block.
            guard yb_last_error_is_pem_no_start_line() == 1 else {
                throw CryptoError.openSSL(.invalidCertificate, "PEM certificate \(list.count + 1) in the bundle is unreadable")
            }
            clearOpenSSLErrors()
            guard !list.isEmpty else { throw CryptoError(.invalidCertificate, "no PEM certificate found") }
            return list
        }
    }

    /// Serial number, upper-case hex without leading zeros (as `openssl x509 -serial` prints it).
    public var serialNumberHex: String {
        guard let serial = X509_get0_serialNumber(pointer), let bn = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return "" }
        defer { yb_openssl_free(hex) }
        return String(cString: hex)
    }

    /// Subject distinguished name in RFC 2253 form (UTF-8 kept), e.g. `CN=Dr Li,O=Hospital,C=CN`.
    public var subject: String { Self.format(X509_get_subject_name(pointer)) }

    /// Issuer distinguished name in RFC 2253 form.
    public var issuer: String { Self.format(X509_get_issuer_name(pointer)) }

    /// Start of the validity period.
    public var notBefore: Date { Self.date(X509_get0_notBefore(pointer)) }

    /// End of the validity period.
    public var notAfter: Date { Self.date(X509_get0_notAfter(pointer)) }

    /// Key usages; nil when the certificate has no keyUsage extension.
    public var keyUsage: KeyUsage? {
        let value = X509_get_key_usage(pointer)
        return value == UInt32.max ? nil : KeyUsage(rawValue: value)
    }

    /// True for a CA certificate (basicConstraints CA:TRUE).
    public var isCertificateAuthority: Bool { X509_check_ca(pointer) > 0 }

    /// The algorithm of the certificate's own signature, if one we implement.
    public var signatureAlgorithm: SignatureAlgorithm? {
        switch X509_get_signature_nid(pointer) {
        case NID_SM2_with_SM3: return .sm2WithSM3
        case NID_ecdsa_with_SHA256: return .ecdsaP256SHA256
        case NID_sha256WithRSAEncryption: return .rsaPKCS1SHA256
        case NID_rsassaPss: return .rsaPSSSHA256
        default: return nil
        }
    }

    /// The OpenSSL short name of the subject public key's type: "SM2", "EC", "RSA".
    public var publicKeyType: String {
        guard let key = X509_get0_pubkey(pointer) else { return "unknown" }
        return String(cString: EVP_PKEY_get0_type_name(key))
    }

    /// DER encoding.
    public var derRepresentation: [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(pointer, &out)
        return MemoryBIO.takeMallocBuffer(out, length: length) ?? []
    }

    /// PEM encoding.
    public var pemRepresentation: String {
        let bytes = (try? MemoryBIO.collect { bio in _ = PEM_write_bio_X509(bio, pointer) }) ?? []
        return String(decoding: bytes, as: UTF8.self)
    }

    /// SHA-256 fingerprint, lower-case hex.
    public var sha256Fingerprint: String { (try? SHA256.hash(derRepresentation).hex) ?? "" }

    public var description: String { "Certificate(subject: \(subject), serial: \(serialNumberHex))" }

    /// A verifier for signatures made with this certificate's key: SM2 (with `signerID`),
    /// ECDSA P-256, or RSA (PKCS#1 v1.5).
    public func verifier(signerID: [UInt8] = SM2.defaultSignerID, encoding: SignatureEncoding = .raw) throws -> any MessageVerifier {
        let key = try publicEVPKey()
        if key.isA("SM2") || key.groupName == "SM2" {
            return SM2Verifier(publicKey: try SM2.PublicKey(evpKey: key), signerID: signerID, encoding: encoding)
        }
        if key.isA("EC"), key.groupName == "prime256v1" {
            return P256Verifier(publicKey: try P256.PublicKey(evpKey: key), encoding: encoding)
        }
        if key.isA("RSA") { return RSAVerifier(publicKey: try RSA.PublicKey(evpKey: key)) }
        throw CryptoError(.unsupportedAlgorithm, "certificate key \(key.describe()) is not supported")
    }

    /// The subject public key as a fresh owned EVP key.
    func publicEVPKey() throws -> EVPKey {
        clearOpenSSLErrors()
        guard let key = X509_get_pubkey(pointer) else { throw CryptoError.openSSL(.invalidCertificate, "certificate has no readable public key") }
        return EVPKey(takingOwnershipOf: key)
    }

    /// A private copy, safe to mutate (e.g. to set the SM2 distinguishing ID for verification).
    func duplicate() throws -> X509Box {
        guard let copy = X509_dup(pointer) else { throw CryptoError.openSSL("X509_dup failed") }
        return X509Box(takingOwnershipOf: copy)
    }

    /// Every value of the subject attribute `nid` (e.g. `NID_serialNumber`), read from the name's
    /// entries (not by parsing the printed DN, where an escaped comma could fake an attribute).
    public func subjectValues(nid: Int32) -> [String] {
        guard let name = X509_get_subject_name(pointer) else { return [] }
        var values: [String] = []
        var index: Int32 = -1
        while true {
            index = X509_NAME_get_index_by_NID(name, nid, index)
            guard index >= 0, let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry) else { break }
            var utf8: UnsafeMutablePointer<UInt8>?
            let length = ASN1_STRING_to_UTF8(&utf8, data)
            if length >= 0, let utf8 {
                values.append(String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self))
                yb_openssl_free(utf8)
            }
        }
        return values
    }

    /// Every value of the subject's `serialNumber` attribute (the practitioner's code in the dev PKI).
    public var subjectSerialNumbers: [String] { subjectValues(nid: NID_serialNumber) }

    /// The subject's `serialNumber` attribute when there is exactly one.
    public var subjectSerialNumber: String? {
        let values = subjectSerialNumbers
        return values.count == 1 ? values[0] : nil
    }

    static func format(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        let bytes = (try? MemoryBIO.collect { bio in
            _ = X509_NAME_print_ex(bio, name, 0, yb_name_flags_rfc2253_utf8())
        }) ?? []
        return String(decoding: bytes, as: UTF8.self)
    }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        var seconds: Int64 = 0
        guard yb_asn1_time_to_epoch(time, &seconds) == 1 else { return .distantPast }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}
