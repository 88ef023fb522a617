import COpenSSL

/// Helpers for OpenSSL memory BIOs. Temporary BIOs are freed in `defer`.
enum MemoryBIO {
    /// Runs `body` with a read-only BIO over `bytes`.
    static func withReadBIO<R>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> R) throws -> R {
        try bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                throw CryptoError.openSSL("BIO_new_mem_buf failed")
            }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    /// Runs `body` with a writable BIO and returns what it wrote.
    static func collect(_ body: (OpaquePointer) throws -> Void) throws -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.openSSL("BIO_new failed") }
        defer { BIO_free(bio) }
        try body(bio)
        var pointer: UnsafeMutablePointer<CChar>?
        let length = yb_bio_get_mem_data(bio, &pointer)
        guard length > 0, let pointer else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// Takes ownership of an `OPENSSL_malloc`'d buffer of `length` bytes, copies it and frees it.
    static func takeMallocBuffer(_ pointer: UnsafeMutablePointer<UInt8>?, length: Int32) -> [UInt8]? {
        guard let pointer, length >= 0 else { return nil }
        defer { yb_openssl_free(pointer) }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
    }
}

/// Whether `bytes` look like PEM text (they begin, after whitespace, with `-----BEGIN`).
func looksLikePEM(_ bytes: [UInt8]) -> Bool {
    let text = String(decoding: bytes.prefix(64), as: UTF8.self)
    return text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("-----BEGIN")
}

import Foundation
