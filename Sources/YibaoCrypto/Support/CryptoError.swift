import COpenSSL

/// An error from YibaoCrypto: a stable ``Code``, a sentence for people, and whatever
/// OpenSSL left on its error queue when the failure happened (never silently dropped).
public struct CryptoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable machine-readable error codes.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidKey = Code(rawValue: "CRYPTO_INVALID_KEY")
        public static let invalidSignature = Code(rawValue: "CRYPTO_INVALID_SIGNATURE_ENCODING")
        public static let invalidInput = Code(rawValue: "CRYPTO_INVALID_INPUT")
        public static let invalidPadding = Code(rawValue: "CRYPTO_INVALID_PADDING")
        public static let invalidCertificate = Code(rawValue: "CRYPTO_INVALID_CERTIFICATE")
        public static let invalidCRL = Code(rawValue: "CRYPTO_INVALID_CRL")
        public static let unsupportedAlgorithm = Code(rawValue: "CRYPTO_UNSUPPORTED_ALGORITHM")
        public static let openSSLFailure = Code(rawValue: "CRYPTO_OPENSSL_FAILURE")
    }

    /// One entry of OpenSSL's thread-local error queue.
    public struct OpenSSLQueueEntry: Sendable, Hashable, CustomStringConvertible {
        public let code: UInt
        public let text: String
        public var description: String { text }
    }

    public let code: Code
    public let reason: String
    /// OpenSSL's error queue at the time of failure, oldest first.
    public let openSSLErrors: [OpenSSLQueueEntry]

    public init(_ code: Code, _ reason: String, openSSLErrors: [OpenSSLQueueEntry] = []) {
        self.code = code
        self.reason = reason
        self.openSSLErrors = openSSLErrors
    }

    /// Builds an error and drains OpenSSL's error queue into it.
    static func openSSL(_ code: Code, _ reason: String) -> CryptoError {
        CryptoError(code, reason, openSSLErrors: drainOpenSSLErrors())
    }

    /// An OpenSSL failure with code ``Code/openSSLFailure``.
    static func openSSL(_ reason: String) -> CryptoError { openSSL(.openSSLFailure, reason) }

    public var description: String {
        var text = "\(code.rawValue): \(reason)"
        if !openSSLErrors.isEmpty {
            text += " [OpenSSL: " + openSSLErrors.map(\.text).joined(separator: "; ") + "]"
        }
        return text
    }
}

/// Empties OpenSSL's thread-local error queue and returns its entries, oldest first.
func drainOpenSSLErrors() -> [CryptoError.OpenSSLQueueEntry] {
    var entries: [CryptoError.OpenSSLQueueEntry] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        entries.append(.init(code: code, text: text))
    }
    return entries
}

/// Clears stale entries before an operation whose failure we want to report precisely.
func clearOpenSSLErrors() { ERR_clear_error() }
