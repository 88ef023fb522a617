import COpenSSL
import Foundation

// @unchecked: truly immutable — one OpenSSL object, never changed after it is made (only read:
// verify, sign, encode; OpenSSL 3 allows that from several threads) and freed once, in deinit;
// OpaquePointer itself is not Sendable, hence the annotation.
final class X509CRLBox: @unchecked Sendable {
    let pointer: OpaquePointer
    init(takingOwnershipOf pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_CRL_free(pointer) }
}

/// An X.509 certificate revocation list.
public struct CertificateRevocationList: Sendable {
    let box: X509CRLBox
    var pointer: OpaquePointer { box.pointer }
    /// The to-be-signed part exactly as it was encoded (never re-encoded: OpenSSL sorts the
    /// revoked list in place on lookup, which would change a re-encoding).
    let signedBytes: [UInt8]

    /// Parses a CRL from PEM or DER bytes.
    public init(bytes: [UInt8]) throws {
        clearOpenSSLErrors()
        let crl: OpaquePointer? = try MemoryBIO.withReadBIO(bytes) { bio in
            looksLikePEM(bytes) ? PEM_read_bio_X509_CRL(bio, nil, nil, nil) : d2i_X509_CRL_bio(bio, nil)
        }
        guard let crl else { throw CryptoError.openSSL(.invalidCRL, "not a readable X.509 CRL (PEM or DER)") }
        box = X509CRLBox(takingOwnershipOf: crl)
        // Taken straight after parsing, while OpenSSL still holds the original encoding.
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509_CRL(crl, &out)
        guard let der = MemoryBIO.takeMallocBuffer(out, length: length), length > 0 else {
            throw CryptoError.openSSL(.invalidCRL, "the CRL could not be encoded")
        }
        var offset = 0, tbsLength = 0
        guard der.withUnsafeBufferPointer({ yb_der_first_inner_element($0.baseAddress, $0.count, &offset, &tbsLength) }) == 1 else {
            throw CryptoError(.invalidCRL, "the CRL has no to-be-signed part")
        }
        signedBytes = Array(der[offset..<offset + tbsLength])
    }

    public init(pemRepresentation pem: String) throws { try self.init(bytes: Array(pem.utf8)) }

    public init(contentsOf url: URL) throws { try self.init(bytes: [UInt8](try Data(contentsOf: url))) }

    /// Issuer DN in RFC 2253 form.
    public var issuer: String { Certificate.format(X509_CRL_get_issuer(pointer)) }

    public var thisUpdate: Date { Certificate.date(X509_CRL_get0_lastUpdate(pointer)) }

    /// When the next CRL is due; nil when absent.
    public var nextUpdate: Date? {
        guard let next = X509_CRL_get0_nextUpdate(pointer) else { return nil }
        return Certificate.date(next)
    }

    /// Was this CRL issued by `issuer` (by name)?
    public func isIssued(by issuer: Certificate) -> Bool {
        X509_NAME_cmp(X509_CRL_get_issuer(pointer), X509_get_subject_name(issuer.pointer)) == 0
    }

    /// Verifies the CRL's signature with the issuer's key (SM2 with `signerID`, ECDSA, RSA).
    public func hasValidSignature(issuer: Certificate, signerID: [UInt8] = SM2.defaultSignerID) -> Bool {
        var signature: UnsafePointer<ASN1_BIT_STRING>?
        var algorithm: UnsafePointer<X509_ALGOR>?
        X509_CRL_get0_signature(pointer, &signature, &algorithm)
        guard let signature, let data = ASN1_STRING_get0_data(signature) else { return false }
        let sigBytes = Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(signature))))
        guard let key = try? issuer.publicEVPKey() else { return false }
        switch X509_CRL_get_signature_nid(pointer) {
        case NID_SM2_with_SM3:
            guard let sm2 = try? ECCurveParameters.sm2.adopt(key) else { return false }
            return EVPSignature.verify(key: sm2, digest: .sm3, signerID: signerID, pss: false, message: signedBytes, signature: sigBytes)
        case NID_ecdsa_with_SHA256, NID_sha256WithRSAEncryption:
            return EVPSignature.verify(key: key, digest: .sha256, signerID: nil, pss: false, message: signedBytes, signature: sigBytes)
        default:
            return false
        }
    }

    /// CRL reason codes (RFC 5280 §5.3.1) that matter here.
    public enum RevocationReason: Int, Sendable {
        case unspecified = 0, keyCompromise = 1, caCompromise = 2, affiliationChanged = 3, superseded = 4,
             cessationOfOperation = 5, certificateHold = 6, removeFromCRL = 8, privilegeWithdrawn = 9, aaCompromise = 10
    }

    /// A revoked entry: when, and why (nil when the CRL gives no reason).
    public struct Revocation: Sendable, Hashable {
        public let date: Date
        public let reason: RevocationReason?

        /// Key compromise makes every signature by the key suspect, whatever its date.
        public var isCompromise: Bool { reason == .keyCompromise || reason == .caCompromise || reason == .aaCompromise }
    }

    /// The entry revoking `certificate`, or nil when it is not listed.
    public func revocation(of certificate: Certificate) -> Revocation? {
        guard let serial = X509_get0_serialNumber(certificate.pointer) else { return nil }
        var entry: OpaquePointer?
        guard X509_CRL_get0_by_serial(pointer, &entry, UnsafeMutablePointer(mutating: serial)) == 1, let entry else { return nil }
        let code = yb_revoked_reason(entry)
        clearOpenSSLErrors()
        return Revocation(date: Certificate.date(X509_REVOKED_get0_revocationDate(entry)),
                          reason: code < 0 ? nil : RevocationReason(rawValue: Int(code)))
    }

    /// When `certificate` was revoked by this CRL, or nil when it is not listed.
    public func revocationDate(of certificate: Certificate) -> Date? { revocation(of: certificate)?.date }
}
