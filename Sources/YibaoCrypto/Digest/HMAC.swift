import COpenSSL

/// HMAC (RFC 2104) over a digest of the system OpenSSL: HMAC-SHA1 signs Alibaba CSB gateway
/// requests (docs/DIALECTS.md, profile `csb`).
public enum HMAC {
    /// HMAC-SHA1 of `message` under `key` (20 bytes).
    public static func sha1(key: [UInt8], message: [UInt8]) throws -> [UInt8] { try compute("SHA1", key: key, message: message) }

    /// HMAC-SHA256 of `message` under `key` (32 bytes).
    public static func sha256(key: [UInt8], message: [UInt8]) throws -> [UInt8] { try compute("SHA256", key: key, message: message) }

    static func compute(_ digest: String, key: [UInt8], message: [UInt8]) throws -> [UInt8] {
        clearOpenSSLErrors()
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length = 0
        // Empty inputs still need a valid pointer; the lengths say how much of them counts.
        let keyStorage = key.isEmpty ? [0] : key, messageStorage = message.isEmpty ? [0] : message
        let result = keyStorage.withUnsafeBytes { keyBytes in
            messageStorage.withUnsafeBytes { messageBytes in
                EVP_Q_mac(nil, "HMAC", nil, digest, nil, keyBytes.baseAddress, key.count,
                          messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count, &out, out.count, &length)
            }
        }
        guard result != nil else { throw CryptoError.openSSL("HMAC-\(digest) failed") }
        return Array(out.prefix(length))
    }
}
