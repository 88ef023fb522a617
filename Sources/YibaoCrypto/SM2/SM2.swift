import COpenSSL
import Synchronization

/// Registered keys by their base64 text, with how often each was asked for (``SM2/PublicKey/cached(base64:)``).
private let publicKeyCache = Mutex<[String: (key: SM2.PublicKey, uses: Int)]>([:])

/// SM2 — the Chinese elliptic-curve public-key algorithm (GB/T 32918), used here for
/// SM3-with-SM2 signatures. The signer ID enters the Z value; the platform's default
/// is `1234567812345678`. OpenSSL 3.0 uses an EMPTY ID unless one is set, so this API
/// always sets one explicitly.
///
/// Signatures are computed by `CSM2` (``SM2SigningKey``, ``SM2VerifyingKey``), this package's
/// own curve arithmetic; keys are read and written by OpenSSL. The `openSSL…` methods sign and
/// verify with OpenSSL's generic code instead, for cross-checks and for the benchmark's reference.
public enum SM2 {
    /// The default signer ID of GM/T 0009: `1234567812345678`.
    public static let defaultSignerID: [UInt8] = Array("1234567812345678".utf8)

    /// An SM2 private key.
    public struct PrivateKey: Sendable {
        let key: EVPKey
        let signing: SM2SigningKey

        init(key: EVPKey) throws {
            self.key = key
            var scalar = try key.privateScalar(width: 32)
            defer { SM2Curve.wipe(&scalar) }
            signing = try SM2SigningKey(scalar: scalar, publicPoint: key.publicPoint())
        }

        /// Generates a fresh key pair.
        public init() throws { try self.init(key: ECCurveParameters.sm2.generate()) }

        /// From the 32-byte big-endian private scalar.
        public init(rawRepresentation scalar: [UInt8]) throws { try self.init(key: ECCurveParameters.sm2.privateKey(scalar: scalar)) }

        /// From base64 of the 32-byte private scalar (the platform's form).
        public init(base64 text: String) throws {
            guard let raw = [UInt8](base64: text) else { throw CryptoError(.invalidKey, "SM2 private key is not valid base64") }
            try self.init(rawRepresentation: raw)
        }

        /// From PEM (PKCS#8 or SEC1) or DER PKCS#8.
        public init(pemRepresentation pem: String) throws { try self.init(pemOrDER: Array(pem.utf8)) }

        /// From PEM or DER bytes.
        public init(pemOrDER bytes: [UInt8]) throws {
            try self.init(key: ECCurveParameters.sm2.adopt(EVPKey.privateKey(pemOrDER: bytes)))
        }

        /// The 32-byte private scalar.
        public var rawRepresentation: [UInt8] { get throws { try key.privateScalar(width: 32) } }
        /// Base64 of the 32-byte private scalar.
        public var base64: String { get throws { try rawRepresentation.base64 } }
        /// PKCS#8 PEM.
        public var pemRepresentation: String { get throws { try key.privatePEM() } }

        /// The matching public key.
        public var publicKey: PublicKey { get throws { try PublicKey(rawRepresentation: key.publicPoint()) } }

        /// SM3-with-SM2 signature of `message` with `signerID` (default `1234567812345678`).
        public func signature(for message: [UInt8], signerID: [UInt8] = SM2.defaultSignerID) throws -> ECSignature {
            try ECSignature(rawRepresentation: signing.sign(message, signerID: signerID))
        }

        /// The same signature made by OpenSSL's generic elliptic-curve code (slower; for cross-checks
        /// and as the benchmark's reference).
        public func openSSLSignature(for message: [UInt8], signerID: [UInt8] = SM2.defaultSignerID) throws -> ECSignature {
            let der = try EVPSignature.sign(key: key, digest: .sm3, signerID: signerID, pss: false, message: message)
            return try ECSignature(derRepresentation: der)
        }
    }

    /// An SM2 public key.
    public struct PublicKey: Sendable {
        let key: EVPKey
        let verifying: SM2VerifyingKey

        init(key: EVPKey, withComb: Bool = false) throws {
            self.key = key
            verifying = try SM2VerifyingKey(publicPoint: key.publicPoint(), withComb: withComb)
        }

        /// From the 65-byte uncompressed point `04‖X‖Y`; the point must be on the curve.
        public init(rawRepresentation point: [UInt8]) throws { try self.init(key: ECCurveParameters.sm2.publicKey(point: point)) }

        /// From base64 of the 65-byte point (the platform's form).
        public init(base64 text: String) throws {
            guard let raw = [UInt8](base64: text) else { throw CryptoError(.invalidKey, "SM2 public key is not valid base64") }
            try self.init(rawRepresentation: raw)
        }

        /// The key of `text` (base64 of the point), parsed and checked once per process: a gateway
        /// verifies every request of an institution with the same registered key, and the key
        /// object is immutable and shared safely between threads (``EVPKey``). A key asked for
        /// ``combAfterUses`` times gets its comb (60 KiB, about a millisecond to build), which
        /// makes each verification about three times faster; a key used now and then never pays
        /// for one. At most 1,024 keys are kept; when full, one is dropped to make room.
        public static func cached(base64 text: String) throws -> PublicKey {
            let (found, needsComb): (PublicKey?, Bool) = publicKeyCache.withLock { cache in
                guard var entry = cache[text] else { return (nil, false) }
                entry.uses += 1
                cache[text] = entry
                return (entry.key, entry.uses == combAfterUses && !entry.key.verifying.hasComb)
            }
            if let found {
                guard needsComb else { return found }
                let combed = try PublicKey(key: found.key, withComb: true)
                publicKeyCache.withLock { $0[text]?.key = combed }
                return combed
            }
            guard let raw = [UInt8](base64: text) else { throw CryptoError(.invalidKey, "SM2 public key is not valid base64") }
            let key = try PublicKey(key: ECCurveParameters.sm2.publicKey(point: raw))
            publicKeyCache.withLock { cache in
                if cache[text] == nil, cache.count >= 1024, let victim = cache.keys.first { cache.removeValue(forKey: victim) }
                cache[text] = cache[text] ?? (key, 1)
            }
            return key
        }

        /// How many times ``cached(base64:)`` hands out a key before it builds the key's comb.
        public static let combAfterUses = 8

        /// From PEM or DER SubjectPublicKeyInfo.
        public init(pemRepresentation pem: String) throws { try self.init(pemOrDER: Array(pem.utf8)) }

        public init(pemOrDER bytes: [UInt8]) throws {
            try self.init(key: ECCurveParameters.sm2.adopt(EVPKey.publicKey(pemOrDER: bytes)))
        }

        /// The subject public key of an X.509 certificate.
        public init(certificate: Certificate) throws { try self.init(key: ECCurveParameters.sm2.adopt(certificate.publicEVPKey())) }

        init(evpKey: EVPKey) throws { try self.init(key: ECCurveParameters.sm2.adopt(evpKey)) }

        /// The 65-byte point `04‖X‖Y`.
        public var rawRepresentation: [UInt8] { get throws { try key.publicPoint() } }
        /// Base64 of the 65-byte point.
        public var base64: String { get throws { try rawRepresentation.base64 } }
        /// SubjectPublicKeyInfo PEM.
        public var pemRepresentation: String { get throws { try key.publicPEM() } }

        /// True only when `signature` is a valid SM3-with-SM2 signature of `message` under `signerID`.
        public func isValidSignature(_ signature: ECSignature, for message: [UInt8], signerID: [UInt8] = SM2.defaultSignerID) -> Bool {
            verifying.verify(signature.rawRepresentation, for: message, signerID: signerID)
        }

        /// The same check by OpenSSL's generic elliptic-curve code (slower; for cross-checks and
        /// as the benchmark's reference).
        public func isValidOpenSSLSignature(_ signature: ECSignature, for message: [UInt8], signerID: [UInt8] = SM2.defaultSignerID) -> Bool {
            EVPSignature.verify(key: key, digest: .sm3, signerID: signerID, pss: false, message: message, signature: signature.derRepresentation)
        }
    }
}

/// Signs with SM3-with-SM2, producing `raw` (r‖s) or `der` signatures.
public struct SM2Signer: MessageSigner {
    public let algorithm = SignatureAlgorithm.sm2WithSM3
    public let privateKey: SM2.PrivateKey
    public let signerID: [UInt8]
    public let encoding: SignatureEncoding

    public init(privateKey: SM2.PrivateKey, signerID: [UInt8] = SM2.defaultSignerID, encoding: SignatureEncoding = .raw) {
        self.privateKey = privateKey
        self.signerID = signerID
        self.encoding = encoding
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        try privateKey.signature(for: message, signerID: signerID).encoded(encoding)
    }
}

/// Verifies SM3-with-SM2 signatures in one configured encoding.
public struct SM2Verifier: MessageVerifier {
    public let algorithm = SignatureAlgorithm.sm2WithSM3
    public let publicKey: SM2.PublicKey
    public let signerID: [UInt8]
    public let encoding: SignatureEncoding

    public init(publicKey: SM2.PublicKey, signerID: [UInt8] = SM2.defaultSignerID, encoding: SignatureEncoding = .raw) {
        self.publicKey = publicKey
        self.signerID = signerID
        self.encoding = encoding
    }

    public func verify(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let value = try? ECSignature(signature, encoding: encoding) else { return false }
        return publicKey.isValidSignature(value, for: message, signerID: signerID)
    }
}
