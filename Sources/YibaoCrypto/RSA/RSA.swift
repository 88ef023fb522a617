import COpenSSL

/// RSA with SHA-256, PKCS#1 v1.5 or PSS; keys of at least 2048 bits.
public enum RSA {
    /// The smallest modulus accepted.
    public static let minimumBits = 2048

    /// Signature padding.
    public enum Padding: String, Sendable, CaseIterable {
        case pkcs1v15
        /// PSS with MGF1-SHA-256 and a 32-byte salt.
        case pss
    }

    /// An RSA private key.
    public struct PrivateKey: Sendable {
        let key: EVPKey

        /// Generates a key of `bits` (≥ 2048).
        public init(bits: Int = 2048) throws {
            guard bits >= RSA.minimumBits else { throw CryptoError(.invalidKey, "RSA keys must have at least \(RSA.minimumBits) bits, asked for \(bits)") }
            clearOpenSSLErrors()
            guard let pointer = yb_keygen_rsa(bits) else { throw CryptoError.openSSL("RSA key generation failed") }
            key = EVPKey(takingOwnershipOf: pointer)
        }

        /// From PEM (PKCS#8 or PKCS#1) or DER.
        public init(pemRepresentation pem: String) throws { try self.init(pemOrDER: Array(pem.utf8)) }
        public init(pemOrDER bytes: [UInt8]) throws { key = try RSA.checked(EVPKey.privateKey(pemOrDER: bytes)) }

        public var pemRepresentation: String { get throws { try key.privatePEM() } }
        public var publicKey: PublicKey { get throws { try PublicKey(pemOrDER: key.publicDER()) } }
        public var bits: Int { key.bits }

        public func signature(for message: [UInt8], padding: Padding = .pkcs1v15) throws -> [UInt8] {
            try EVPSignature.sign(key: key, digest: .sha256, signerID: nil, pss: padding == .pss, message: message)
        }
    }

    /// An RSA public key.
    public struct PublicKey: Sendable {
        let key: EVPKey

        public init(pemRepresentation pem: String) throws { try self.init(pemOrDER: Array(pem.utf8)) }
        public init(pemOrDER bytes: [UInt8]) throws { key = try RSA.checked(EVPKey.publicKey(pemOrDER: bytes)) }
        public init(certificate: Certificate) throws { key = try RSA.checked(certificate.publicEVPKey()) }
        init(evpKey: EVPKey) throws { key = try RSA.checked(evpKey) }

        public var pemRepresentation: String { get throws { try key.publicPEM() } }
        public var bits: Int { key.bits }

        public func isValidSignature(_ signature: [UInt8], for message: [UInt8], padding: Padding = .pkcs1v15) -> Bool {
            EVPSignature.verify(key: key, digest: .sha256, signerID: nil, pss: padding == .pss, message: message, signature: signature)
        }
    }

    static func checked(_ key: EVPKey) throws -> EVPKey {
        guard key.isA("RSA") else { throw CryptoError(.invalidKey, "expected an RSA key, got \(key.describe())") }
        guard key.bits >= minimumBits else { throw CryptoError(.invalidKey, "RSA key has \(key.bits) bits; at least \(minimumBits) are required") }
        return key
    }
}

/// Signs with RSA / SHA-256.
public struct RSASigner: MessageSigner {
    public let privateKey: RSA.PrivateKey
    public let padding: RSA.Padding
    public var algorithm: SignatureAlgorithm { padding == .pss ? .rsaPSSSHA256 : .rsaPKCS1SHA256 }

    public init(privateKey: RSA.PrivateKey, padding: RSA.Padding = .pkcs1v15) {
        self.privateKey = privateKey
        self.padding = padding
    }

    public func sign(_ message: [UInt8]) throws -> [UInt8] { try privateKey.signature(for: message, padding: padding) }
}

/// Verifies RSA / SHA-256 signatures.
public struct RSAVerifier: MessageVerifier {
    public let publicKey: RSA.PublicKey
    public let padding: RSA.Padding
    public var algorithm: SignatureAlgorithm { padding == .pss ? .rsaPSSSHA256 : .rsaPKCS1SHA256 }

    public init(publicKey: RSA.PublicKey, padding: RSA.Padding = .pkcs1v15) {
        self.publicKey = publicKey
        self.padding = padding
    }

    public func verify(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        publicKey.isValidSignature(signature, for: message, padding: padding)
    }
}
