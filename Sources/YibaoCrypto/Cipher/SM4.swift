import COpenSSL

/// SM4 — the Chinese 128-bit block cipher (GB/T 32907-2016), in ECB and CBC mode.
public enum SM4 {
    /// Key and block size in bytes.
    public static let blockSize = 16

    /// Block-cipher mode.
    public enum Mode: String, Sendable, CaseIterable {
        case ecb = "ECB"
        case cbc = "CBC"
    }

    /// Padding of the last block.
    public enum Padding: String, Sendable, CaseIterable {
        /// PKCS#7: always adds 1…16 bytes.
        case pkcs7
        /// No padding: the input must be a whole number of blocks (known-answer tests).
        case none
    }

    /// Encrypts `plaintext`. `iv` is required for CBC and ignored for ECB.
    public static func encrypt(_ plaintext: [UInt8], key: [UInt8], mode: Mode = .ecb, padding: Padding = .pkcs7, iv: [UInt8]? = nil) throws -> [UInt8] {
        let context = try SM4Context(encrypt: true, key: key, mode: mode, padding: padding, iv: iv)
        return try context.update(plaintext) + context.finish()
    }

    /// Decrypts `ciphertext`; throws ``CryptoError/Code/invalidPadding`` when PKCS#7 padding is malformed.
    public static func decrypt(_ ciphertext: [UInt8], key: [UInt8], mode: Mode = .ecb, padding: Padding = .pkcs7, iv: [UInt8]? = nil) throws -> [UInt8] {
        guard ciphertext.count % blockSize == 0 else {
            throw CryptoError(.invalidInput, "SM4 ciphertext length \(ciphertext.count) is not a multiple of \(blockSize) bytes")
        }
        let context = try SM4Context(encrypt: false, key: key, mode: mode, padding: padding, iv: iv)
        let body = try context.update(ciphertext)
        do {
            return try body + context.finish()
        } catch {
            throw CryptoError(.invalidPadding, "SM4 decryption produced malformed PKCS#7 padding (wrong key or corrupted data)",
                              openSSLErrors: (error as? CryptoError)?.openSSLErrors ?? [])
        }
    }
}

/// A streaming SM4 context: owns an `EVP_CIPHER_CTX` and frees it in `deinit`.
/// Reuse one for many blocks (e.g. the 1,000,000-round known-answer test).
public final class SM4Context {
    private let context: OpaquePointer

    /// - Parameters:
    ///   - encrypt: true to encrypt, false to decrypt.
    ///   - key: 16 bytes.
    ///   - iv: 16 bytes for CBC.
    public init(encrypt: Bool, key: [UInt8], mode: SM4.Mode, padding: SM4.Padding, iv: [UInt8]? = nil) throws {
        guard key.count == SM4.blockSize else {
            throw CryptoError(.invalidKey, "SM4 key must be 16 bytes, got \(key.count)")
        }
        if mode == .cbc {
            guard let iv, iv.count == SM4.blockSize else {
                throw CryptoError(.invalidInput, "SM4-CBC needs a 16-byte IV, got \(iv?.count ?? 0)")
            }
        }
        clearOpenSSLErrors()
        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError.openSSL("EVP_CIPHER_CTX_new failed") }
        self.context = context
        guard let cipher = EVP_CIPHER_fetch(nil, mode == .ecb ? "SM4-ECB" : "SM4-CBC", nil) else {
            throw CryptoError.openSSL(.unsupportedAlgorithm, "SM4-\(mode.rawValue) is not available in this OpenSSL")
        }
        defer { EVP_CIPHER_free(cipher) }
        let ok = key.withUnsafeBufferPointer { k in
            (iv ?? []).withUnsafeBufferPointer { v in
                EVP_CipherInit_ex2(context, cipher, k.baseAddress, mode == .cbc ? v.baseAddress : nil, encrypt ? 1 : 0, nil)
            }
        }
        guard ok == 1 else { throw CryptoError.openSSL("EVP_CipherInit_ex2(SM4) failed") }
        EVP_CIPHER_CTX_set_padding(context, padding == .pkcs7 ? 1 : 0)
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// Feeds `input`; returns the output produced so far.
    public func update(_ input: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: input.count + SM4.blockSize)
        var written: Int32 = 0
        let ok = input.withUnsafeBufferPointer { i in
            EVP_CipherUpdate(context, &out, &written, i.baseAddress, Int32(i.count))
        }
        guard ok == 1 else { throw CryptoError.openSSL("EVP_CipherUpdate(SM4) failed") }
        return Array(out.prefix(Int(written)))
    }

    /// Encrypts one 16-byte block in place, for repeated known-answer rounds (ECB, no padding).
    public func transformBlock(_ block: inout [UInt8]) throws {
        var written: Int32 = 0
        let input = block
        let ok = input.withUnsafeBufferPointer { i in
            EVP_CipherUpdate(context, &block, &written, i.baseAddress, Int32(i.count))
        }
        guard ok == 1, written == Int32(SM4.blockSize) else { throw CryptoError.openSSL("EVP_CipherUpdate(SM4) failed") }
    }

    /// Finishes: adds (encrypting) or checks and strips (decrypting) the padding.
    public func finish() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: SM4.blockSize)
        var written: Int32 = 0
        guard EVP_CipherFinal_ex(context, &out, &written) == 1 else {
            throw CryptoError.openSSL(.invalidPadding, "EVP_CipherFinal_ex(SM4) failed")
        }
        return Array(out.prefix(Int(written)))
    }
}
