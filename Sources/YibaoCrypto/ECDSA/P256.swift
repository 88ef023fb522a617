import COpenSSL

/// ECDSA over NIST P-256 with SHA-256 (accepted for doctors' and institutions' certificates).
public enum P256 {
    /// A P-256 private key.
    public struct PrivateKey: Sendable {
        let key: EVPKey

        /// Generates a fresh key pair.
        public init() throws { key = try ECCurveParameters.p256.generate() }
        /// From the 32-byte big-endian private scalar.
        public init(rawRepresentation scalar: [UInt8]) throws { key = try ECCurveParameters.p256.privateKey(scalar: scalar) }
        /// From base64 of the 32-byte scalar.
        public init(base64 text: String) throws {
            guard let raw = [UInt8](base64: text) else { throw CryptoError(.invalidKey, "P-256 private key is not valid base64") }
            try self.init(rawRepresentation: raw)
        }
        /// From PEM (PKCS#8 or SEC1) or DER.
        public init(pemRepresentation pem: String) throws { try self.init(pemOrDER: Array(pem.utf8)) }
        public init(pemOrDER bytes: [UInt8]) throws { key = try ECCurveParameters.p256.adopt(EVPKey.privateKey(pemOrDER: bytes)) }

        public var rawRepresentation: [UInt8] { get throws { try key.privateScalar(width: 32) } }
        public var base64: String { get throws { try rawRepresentation.base64 } }
        public var pemRepresentation: String { get throws { try key.privatePEM() } }
        public var publicKey: PublicKey { get throws { try PublicKey(rawRepresentation: key.publicPoint()) } }

        /// ECDSA-SHA256 signature of `message`: SHA-256 here, then ECDSA on the digest with the key's
        /// EC_KEY — the path `openssl speed ecdsap256` measures, with no EVP context per call.
        public func signature(for message: [UInt8]) throws -> ECSignature {
            let digest = try SHA256.hash(message)
            guard let ecKey = yb_pkey_ec_key(key.pointer) else { throw CryptoError.openSSL(.invalidKey, "the P-256 key has no EC key") }
            var r = [UInt8](repeating: 0, count: ECSignature.width), s = [UInt8](repeating: 0, count: ECSignature.width)
            guard yb_ecdsa_sign_digest(ecKey, digest, digest.count, ECSignature.width, &r, &s) == 1 else {
                throw CryptoError.openSSL("ECDSA signing failed")
            }
            return try ECSignature(rawRepresentation: r + s)
        }
    }

    /// A P-256 public key.
    public struct PublicKey: Sendable {
        let key: EVPKey

        /// From the 65-byte uncompressed point.
        public init(rawRepresentation point: [UInt8]) throws { key = try ECCurveParameters.p256.publicKey(point: point) }
        public init(base64 text: String) throws {
            guard let raw = [UInt8](base64: text) else { throw CryptoError(.invalidKey, "P-256 public key is not valid base64") }
            try self.init(rawRepresentation: raw)
        }
        public init(pemRepresentation pem: String) throws { try self.init(pemOrDER: Array(pem.utf8)) }
        public init(pemOrDER bytes: [UInt8]) throws { key = try ECCurveParameters.p256.adopt(EVPKey.publicKey(pemOrDER: bytes)) }
        /// The subject public key of an X.509 certificate.
        public init(certificate: Certificate) throws { key = try ECCurveParameters.p256.adopt(certificate.publicEVPKey()) }
        init(evpKey: EVPKey) throws { key = try ECCurveParameters.p256.adopt(evpKey) }

        public var rawRepresentation: [UInt8] { get throws { try key.publicPoint() } }
        public var base64: String { get throws { try rawRepresentation.base64 } }
        public var pemRepresentation: String { get throws { try key.publicPEM() } }

        public func isValidSignature(_ signature: ECSignature, for message: [UInt8]) -> Bool {
            EVPSignature.verify(key: key, digest: .sha256, signerID: nil, pss: false, message: message, signature: signature.derRepresentation)
        }
    }
}

/// Signs with ECDSA P-256 / SHA-256 (DER by default, as X.509 and most SDKs do).
public struct P256Signer: MessageSigner {
    public let algorithm = SignatureAlgorithm.ecdsaP256SHA256
    public let privateKey: P256.PrivateKey
    public let encoding: SignatureEncoding

    public init(privateKey: P256.PrivateKey, encoding: SignatureEncoding = .der) {
        self.privateKey = privateKey
        self.encoding = encoding
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] { try privateKey.signature(for: message).encoded(encoding) }
}

/// Verifies ECDSA P-256 / SHA-256 signatures in one configured encoding.
public struct P256Verifier: MessageVerifier {
    public let algorithm = SignatureAlgorithm.ecdsaP256SHA256
    public let publicKey: P256.PublicKey
    public let encoding: SignatureEncoding

    public init(publicKey: P256.PublicKey, encoding: SignatureEncoding = .der) {
        self.publicKey = publicKey
        self.encoding = encoding
    }

    public func verify(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let value = try? ECSignature(signature, encoding: encoding) else { return false }
        return publicKey.isValidSignature(value, for: message)
    }
}
