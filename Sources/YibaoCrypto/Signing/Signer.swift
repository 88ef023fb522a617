import COpenSSL

/// The signature algorithms YibaoCrypto implements.
public enum SignatureAlgorithm: String, Sendable, CaseIterable, Codable {
    /// SM3-with-SM2 (GB/T 32918.2), with a signer ID in the Z value.
    case sm2WithSM3 = "SM2-with-SM3"
    /// ECDSA over NIST P-256 with SHA-256.
    case ecdsaP256SHA256 = "ECDSA-P256-SHA256"
    /// RSA PKCS#1 v1.5 with SHA-256.
    case rsaPKCS1SHA256 = "RSA-PKCS1v15-SHA256"
    /// RSA-PSS with SHA-256, MGF1-SHA-256, salt length 32.
    case rsaPSSSHA256 = "RSA-PSS-SHA256"
}

/// Signs messages. One conforming type per algorithm.
public protocol MessageSigner: Sendable {
    var algorithm: SignatureAlgorithm { get }
    /// The signature of `message`, in this signer's configured encoding.
    func sign(_ message: [UInt8]) throws -> [UInt8]
}

/// Verifies signatures. One conforming type per algorithm.
public protocol MessageVerifier: Sendable {
    var algorithm: SignatureAlgorithm { get }
    /// True only when `signature` (in this verifier's configured encoding) is valid for `message`.
    /// Malformed signatures are simply invalid.
    func verify(_ signature: [UInt8], for message: [UInt8]) -> Bool
}

/// How an elliptic-curve signature is written.
public enum SignatureEncoding: String, Sendable, CaseIterable, Codable {
    /// `r‖s`, each left-padded to the coordinate width (64 bytes for SM2 / P-256).
    case raw
    /// ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }`.
    case der
}

/// The message digests our signature algorithms use.
enum SignatureDigest: Sendable {
    case sm3, sha256

    /// OpenSSL's built-in digest object (static; nothing to free). Passing it to
    /// EVP_DigestSignInit is the path `openssl speed` measures.
    var evp: OpaquePointer { self == .sm3 ? EVP_sm3() : EVP_sha256() }
    var name: String { self == .sm3 ? "SM3" : "SHA256" }
}

/// Low-level EVP one-shot operations shared by every algorithm.
enum EVPSignature {
    static func sign(key: EVPKey, digest: SignatureDigest, signerID: [UInt8]?, pss: Bool, message: [UInt8]) throws -> [UInt8] {
        clearOpenSSLErrors()
        var capacity = Int(EVP_PKEY_get_size(key.pointer))
        var signature = [UInt8](repeating: 0, count: max(capacity, 1))
        let id = signerID ?? []
        let ok = id.withUnsafeBufferPointer { idBuffer in
            message.withUnsafeBufferPointer { msg in
                yb_digest_sign(key.pointer, digest.evp, signerID == nil ? 0 : 1, idBuffer.baseAddress, idBuffer.count,
                               pss ? 1 : 0, msg.baseAddress, msg.count, &signature, &capacity)
            }
        }
        guard ok == 1 else { throw CryptoError.openSSL("signing with \(key.describe()) / \(digest.name) failed") }
        return Array(signature.prefix(capacity))
    }

    static func verify(key: EVPKey, digest: SignatureDigest, signerID: [UInt8]?, pss: Bool, message: [UInt8], signature: [UInt8]) -> Bool {
        clearOpenSSLErrors()
        let id = signerID ?? []
        let rc = id.withUnsafeBufferPointer { idBuffer in
            message.withUnsafeBufferPointer { msg in
                signature.withUnsafeBufferPointer { sig in
                    yb_digest_verify(key.pointer, digest.evp, signerID == nil ? 0 : 1, idBuffer.baseAddress, idBuffer.count,
                                     pss ? 1 : 0, msg.baseAddress, msg.count, sig.baseAddress, sig.count)
                }
            }
        }
        clearOpenSSLErrors()
        return rc == 1
    }
}
