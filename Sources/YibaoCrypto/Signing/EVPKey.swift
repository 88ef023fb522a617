import COpenSSL

/// Owns one `EVP_PKEY *` and frees it in `deinit`. An `EVP_PKEY` is immutable once
/// built and OpenSSL allows concurrent use from separate operation contexts, so the
/// owner is safe to share across tasks.
// @unchecked: truly immutable — one OpenSSL object, never changed after it is made (only read:
// verify, sign, encode; OpenSSL 3 allows that from several threads) and freed once, in deinit;
// OpaquePointer itself is not Sendable, hence the annotation.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer`: it will be freed with `EVP_PKEY_free`.
    init(takingOwnershipOf pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// Is the key of OpenSSL key type `name` ("SM2", "EC", "RSA")?
    func isA(_ name: String) -> Bool { EVP_PKEY_is_a(pointer, name) == 1 }

    /// The EC group name ("SM2", "prime256v1"), or nil for non-EC keys.
    var groupName: String? {
        var buffer = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_utf8_string_param(pointer, "group", &buffer, buffer.count, &length) == 1 else {
            clearOpenSSLErrors()
            return nil
        }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Size in bits (RSA modulus, EC group order).
    var bits: Int { Int(EVP_PKEY_get_bits(pointer)) }

    /// Does the key hold a private part?
    var hasPrivateKey: Bool {
        var bn: OpaquePointer?
        if EVP_PKEY_get_bn_param(pointer, "priv", &bn) == 1 { BN_clear_free(bn); return true }
        if EVP_PKEY_get_bn_param(pointer, "d", &bn) == 1 { BN_clear_free(bn); return true }
        clearOpenSSLErrors()
        return false
    }

    /// The private scalar of an EC/SM2 key, big-endian, left-padded to `width` bytes.
    func privateScalar(width: Int) throws -> [UInt8] {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pointer, "priv", &bn) == 1, let bn else {
            throw CryptoError.openSSL(.invalidKey, "the key has no private scalar")
        }
        defer { BN_clear_free(bn) }
        var out = [UInt8](repeating: 0, count: width)
        guard BN_bn2binpad(bn, &out, Int32(width)) == Int32(width) else {
            throw CryptoError.openSSL(.invalidKey, "private scalar does not fit in \(width) bytes")
        }
        return out
    }

    /// The uncompressed public point `04‖X‖Y` of an EC/SM2 key (a key read in compressed form is expanded).
    func publicPoint() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 133)
        var length = 0
        guard EVP_PKEY_get_octet_string_param(pointer, "pub", &out, out.count, &length) == 1 else {
            throw CryptoError.openSSL(.invalidKey, "the key has no public point")
        }
        let point = Array(out.prefix(length))
        guard point.first == 0x02 || point.first == 0x03, let group = groupName else { return point }
        var expanded = [UInt8](repeating: 0, count: 133)
        let written = point.withUnsafeBufferPointer { yb_ec_point_uncompressed(group, $0.baseAddress, $0.count, &expanded, expanded.count) }
        guard written > 0 else { throw CryptoError.openSSL(.invalidKey, "the compressed public point does not decode") }
        return Array(expanded.prefix(written))
    }

    /// PKCS#8 PEM of the private key.
    func privatePEM() throws -> String {
        let bytes = try MemoryBIO.collect { bio in
            guard PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil) == 1 else {
                throw CryptoError.openSSL("PEM_write_bio_PrivateKey failed")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// SubjectPublicKeyInfo PEM of the public key.
    func publicPEM() throws -> String {
        let bytes = try MemoryBIO.collect { bio in
            guard PEM_write_bio_PUBKEY(bio, pointer) == 1 else {
                throw CryptoError.openSSL("PEM_write_bio_PUBKEY failed")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// SubjectPublicKeyInfo DER of the public key.
    func publicDER() throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(pointer, &out)
        guard length > 0, let bytes = MemoryBIO.takeMallocBuffer(out, length: length) else {
            throw CryptoError.openSSL("i2d_PUBKEY failed")
        }
        return bytes
    }

    /// Reads a private key from PEM (PKCS#8, or traditional EC/RSA) or DER PKCS#8.
    static func privateKey(pemOrDER bytes: [UInt8]) throws -> EVPKey {
        clearOpenSSLErrors()
        let key: OpaquePointer? = try MemoryBIO.withReadBIO(bytes) { bio in
            looksLikePEM(bytes) ? PEM_read_bio_PrivateKey(bio, nil, nil, nil) : d2i_PrivateKey_bio(bio, nil)
        }
        guard let key else { throw CryptoError.openSSL(.invalidKey, "not a readable private key (PEM PKCS#8 or DER expected)") }
        return EVPKey(takingOwnershipOf: key)
    }

    /// Reads a public key from PEM or DER SubjectPublicKeyInfo.
    static func publicKey(pemOrDER bytes: [UInt8]) throws -> EVPKey {
        clearOpenSSLErrors()
        let key: OpaquePointer? = try MemoryBIO.withReadBIO(bytes) { bio in
            looksLikePEM(bytes) ? PEM_read_bio_PUBKEY(bio, nil, nil, nil) : d2i_PUBKEY_bio(bio, nil)
        }
        guard let key else { throw CryptoError.openSSL(.invalidKey, "not a readable public key (PEM or DER SubjectPublicKeyInfo expected)") }
        return EVPKey(takingOwnershipOf: key)
    }
}

/// The elliptic curves we support and how OpenSSL names them.
struct ECCurveParameters: Sendable {
    let displayName: String
    let keyType: String
    let groupName: String
    let nid: Int32
    let digest: SignatureDigest
    let coordinateWidth: Int

    static let sm2 = ECCurveParameters(displayName: "SM2", keyType: "SM2", groupName: "SM2", nid: NID_sm2, digest: .sm3, coordinateWidth: 32)
    static let p256 = ECCurveParameters(displayName: "P-256", keyType: "EC", groupName: "prime256v1", nid: NID_X9_62_prime256v1, digest: .sha256, coordinateWidth: 32)

    func generate() throws -> EVPKey {
        clearOpenSSLErrors()
        let key = keyType == "SM2" ? yb_keygen_sm2() : yb_keygen_ec(groupName)
        guard let key else { throw CryptoError.openSSL("\(displayName) key generation failed") }
        return EVPKey(takingOwnershipOf: key)
    }

    func privateKey(scalar: [UInt8]) throws -> EVPKey {
        guard scalar.count == coordinateWidth else {
            throw CryptoError(.invalidKey, "\(displayName) private key must be \(coordinateWidth) bytes, got \(scalar.count)")
        }
        clearOpenSSLErrors()
        let key = scalar.withUnsafeBufferPointer {
            yb_pkey_from_private_scalar(keyType, groupName, nid, $0.baseAddress, $0.count)
        }
        guard let key else { throw CryptoError.openSSL(.invalidKey, "\(displayName) private scalar is zero or not below the group order") }
        return EVPKey(takingOwnershipOf: key)
    }

    func publicKey(point: [UInt8]) throws -> EVPKey {
        let expected = 1 + 2 * coordinateWidth
        guard point.count == expected, point.first == 0x04 else {
            throw CryptoError(.invalidKey, "\(displayName) public key must be the \(expected)-byte uncompressed point 04‖X‖Y, got \(point.count) bytes" + (point.first.map { " starting 0x" + Hex.encode([$0]) } ?? ""))
        }
        clearOpenSSLErrors()
        let key = point.withUnsafeBufferPointer {
            yb_pkey_from_public_point(keyType, groupName, $0.baseAddress, $0.count)
        }
        guard let key else { throw CryptoError.openSSL(.invalidKey, "\(displayName) public point is not on the curve") }
        return EVPKey(takingOwnershipOf: key)
    }

    /// Makes sure a key read from PEM/DER/X.509 is of this curve, and for SM2 that
    /// OpenSSL treats it as an SM2 key (not plain ECDSA over the SM2 curve).
    func adopt(_ key: EVPKey) throws -> EVPKey {
        if key.isA(keyType), key.groupName == groupName { return key }
        if keyType == "SM2", key.isA("EC"), key.groupName == "SM2" {
            return key.hasPrivateKey
                ? try privateKey(scalar: key.privateScalar(width: coordinateWidth))
                : try publicKey(point: key.publicPoint())
        }
        throw CryptoError(.invalidKey, "expected a \(displayName) key, got \(key.describe())")
    }
}

extension EVPKey {
    /// A short description such as "RSA 2048" or "EC prime256v1".
    func describe() -> String {
        if isA("SM2") { return "SM2" }
        if isA("EC") { return "EC \(groupName ?? "?")" }
        if isA("RSA") || isA("RSA-PSS") { return "RSA \(bits)" }
        return "key type \(String(cString: EVP_PKEY_get0_type_name(pointer)))"
    }
}
