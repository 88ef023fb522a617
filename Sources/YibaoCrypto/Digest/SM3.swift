import COpenSSL

/// SM3 — the Chinese cryptographic hash (GB/T 32905-2016), 256-bit output.
public enum SM3 {
    /// The digest length in bytes.
    public static let digestLength = 32

    /// SM3 of `message`.
    public static func hash<B: Collection>(_ message: B) throws -> [UInt8] where B.Element == UInt8 {
        try Digest.compute(name: "SM3", Array(message))
    }

    /// SM3 of `first` followed by `second`, without joining them.
    public static func hash(_ first: [UInt8], _ second: [UInt8]) throws -> [UInt8] {
        clearOpenSSLErrors()
        guard let md = Digest.sm3.pointer, let context = EVP_MD_CTX_new() else {
            throw CryptoError.openSSL(.unsupportedAlgorithm, "digest SM3 is not available in this OpenSSL")
        }
        defer { EVP_MD_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: digestLength)
        var length: UInt32 = 0
        guard EVP_DigestInit_ex(context, md, nil) == 1,
              first.withUnsafeBytes({ EVP_DigestUpdate(context, $0.baseAddress, $0.count) }) == 1,
              second.withUnsafeBytes({ EVP_DigestUpdate(context, $0.baseAddress, $0.count) }) == 1,
              EVP_DigestFinal_ex(context, &out, &length) == 1, length == UInt32(digestLength)
        else { throw CryptoError.openSSL("SM3 failed") }
        return out
    }

    /// SM3 of the UTF-8 bytes of `text`.
    public static func hash(_ text: String) throws -> [UInt8] { try hash(Array(text.utf8)) }
}

/// SHA-256, for ECDSA / RSA chains and cross-checks.
public enum SHA256 {
    public static func hash<B: Collection>(_ message: B) throws -> [UInt8] where B.Element == UInt8 {
        try Digest.compute(name: "SHA256", Array(message))
    }
}

enum Digest {
    /// SM3 and SHA-256 fetched once per process: fetching costs a lookup under a lock on every call.
    static let sm3 = FetchedDigest(name: "SM3")
    static let sha256 = FetchedDigest(name: "SHA256")

    static func compute(name: String, _ message: [UInt8]) throws -> [UInt8] {
        clearOpenSSLErrors()
        let kept = name == "SM3" ? sm3.pointer : name == "SHA256" ? sha256.pointer : nil
        guard let md = kept ?? EVP_MD_fetch(nil, name, nil) else {
            throw CryptoError.openSSL(.unsupportedAlgorithm, "digest \(name) is not available in this OpenSSL")
        }
        defer { if kept == nil { EVP_MD_free(md) } }
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = message.withUnsafeBytes { raw in
            EVP_Digest(raw.baseAddress, raw.count, &out, &length, md, nil)
        }
        guard ok == 1 else { throw CryptoError.openSSL("EVP_Digest(\(name)) failed") }
        return Array(out.prefix(Int(length)))
    }
}

/// An `EVP_MD` fetched once and kept for the life of the process.
// @unchecked: the EVP_MD is immutable and OpenSSL allows sharing it between threads; it is never freed.
final class FetchedDigest: @unchecked Sendable {
    let pointer: OpaquePointer?
    init(name: String) { pointer = EVP_MD_fetch(nil, name, nil) }
}
