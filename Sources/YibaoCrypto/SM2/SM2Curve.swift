import COpenSSL
import CSM2

/// SM2 signing and verification through `CSM2`, the curve arithmetic of this package, instead of
/// OpenSSL 3.0's generic elliptic-curve code: the same signatures (GB/T 32918.2), several times
/// faster. The hashing stays here: e = SM3(Z‖M), Z = SM3(ENTL‖ID‖a‖b‖xG‖yG‖xA‖yA).
enum SM2Curve {
    /// The curve's a, b, xG and yG, big-endian, as Z hashes them.
    static let curveParameters: [UInt8] = Hex.decode(
        "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
        + "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
        + "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
        + "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0")!

    /// Z for a signer ID and the 64-byte public point X‖Y. The ID's length in bits must fit ENTL's
    /// two bytes; like OpenSSL, 8,190 bytes at most.
    static func z(signerID: [UInt8], point xy: ArraySlice<UInt8>) throws -> [UInt8] {
        guard signerID.count < 8191 else { throw CryptoError(.invalidKey, "an SM2 signer ID is at most 8190 bytes, got \(signerID.count)") }
        let bits = signerID.count * 8
        return try SM3.hash([UInt8(bits >> 8), UInt8(bits & 0xff)] + signerID + curveParameters + xy)
    }

    /// e = SM3(Z‖M).
    static func digest(z: [UInt8], message: [UInt8]) throws -> [UInt8] { try SM3.hash(z, message) }

    /// X‖Y of a 65-byte uncompressed (04) or hybrid (06, 07) point.
    static func coordinates(_ point: [UInt8]) throws -> [UInt8] {
        guard point.count == 65, [0x04, 0x06, 0x07].contains(point[0]) else {
            throw CryptoError(.invalidKey, "an SM2 public point is the 65 bytes 04‖X‖Y")
        }
        return Array(point.dropFirst())
    }

    /// Zeroes `bytes` so that the compiler cannot drop the stores.
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { yb_sm2_wipe($0.baseAddress, $0.count) }
    }
}

/// A private key for `CSM2`: d and (1+d)⁻¹ mod n, wiped when the last copy of the key goes.
// @unchecked: the C struct is written once, in init, then only read (by concurrent signatures,
// which is safe) until deinit wipes and frees it.
final class SM2SigningKey: @unchecked Sendable {
    private let key: UnsafeMutablePointer<yb_sm2_private_key>
    /// The public point X‖Y (64 bytes) and Z for the default signer ID.
    let point: [UInt8]
    private let defaultZ: [UInt8]

    init(scalar: [UInt8], publicPoint: [UInt8]) throws {
        guard scalar.count == 32 else { throw CryptoError(.invalidKey, "an SM2 private scalar has 32 bytes") }
        // Everything that can throw comes before the allocation: a throwing init runs no deinit.
        point = try SM2Curve.coordinates(publicPoint)
        defaultZ = try SM2Curve.z(signerID: SM2.defaultSignerID, point: point[...])
        let key = UnsafeMutablePointer<yb_sm2_private_key>.allocate(capacity: 1)
        guard scalar.withUnsafeBufferPointer({ yb_sm2_private_key_init(key, $0.baseAddress) }) == 1 else {
            key.deallocate()
            throw CryptoError(.invalidKey, "an SM2 private scalar must lie in 1 … n−2")
        }
        self.key = key
    }

    deinit {
        yb_sm2_private_key_wipe(key)
        key.deallocate()
    }

    /// r‖s of `message` under `signerID`.
    func sign(_ message: [UInt8], signerID: [UInt8]) throws -> [UInt8] {
        let z = signerID == SM2.defaultSignerID ? defaultZ : try SM2Curve.z(signerID: signerID, point: point[...])
        let e = try SM2Curve.digest(z: z, message: message)
        var random = [UInt8](repeating: 0, count: 64)
        var signature = [UInt8](repeating: 0, count: 64)
        defer { SM2Curve.wipe(&random) }
        // Another k is needed with probability about 2^-255 per attempt; eight failures mean a broken RNG.
        for _ in 0..<8 {
            guard RAND_priv_bytes(&random, Int32(random.count)) == 1 else { throw CryptoError.openSSL("RAND_priv_bytes failed") }
            if yb_sm2_sign_digest(key, e, random, &signature) == 1 { return signature }
        }
        throw CryptoError(.invalidKey, "SM2 signing found no usable k in eight attempts")
    }
}

/// A public key for `CSM2`: the point's first multiples, and for registered keys the full comb.
// @unchecked: immutable after init (only read by concurrent verifications) and freed in deinit.
final class SM2VerifyingKey: @unchecked Sendable {
    private let key: UnsafeMutablePointer<yb_sm2_public_key>
    private let comb: UnsafeMutablePointer<yb_sm2_public_comb>?
    /// The public point X‖Y (64 bytes).
    let point: [UInt8]
    private let defaultZ: [UInt8]

    /// `withComb` spends about a millisecond and 60 KiB for a verification about three times faster.
    init(publicPoint: [UInt8], withComb: Bool) throws {
        // Everything that can throw comes before the allocations: a throwing init runs no deinit.
        let point = try SM2Curve.coordinates(publicPoint)
        defaultZ = try SM2Curve.z(signerID: SM2.defaultSignerID, point: point[...])
        let key = UnsafeMutablePointer<yb_sm2_public_key>.allocate(capacity: 1)
        guard point.withUnsafeBufferPointer({ yb_sm2_public_key_init(key, $0.baseAddress) }) == 1 else {
            key.deallocate()
            throw CryptoError(.invalidKey, "SM2 public point is not on the curve")
        }
        self.point = point
        self.key = key
        if withComb {
            let comb = UnsafeMutablePointer<yb_sm2_public_comb>.allocate(capacity: 1)
            yb_sm2_public_comb_init(comb, key)
            self.comb = comb
        } else {
            comb = nil
        }
    }

    deinit {
        key.deallocate()
        comb?.deallocate()
    }

    var hasComb: Bool { comb != nil }

    /// Is r‖s a valid signature of `message` under `signerID`?
    func verify(_ signature: [UInt8], for message: [UInt8], signerID: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        let z: [UInt8]
        if signerID == SM2.defaultSignerID {
            z = defaultZ
        } else {
            guard let other = try? SM2Curve.z(signerID: signerID, point: point[...]) else { return false }
            z = other
        }
        guard let e = try? SM2Curve.digest(z: z, message: message) else { return false }
        return yb_sm2_verify_digest(key, comb, e, signature) == 1
    }
}
