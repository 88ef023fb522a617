import Foundation

/// Keys as they arrive in the wild (docs/DIALECTS.md §9): a Java `BigInteger` private scalar of 33
/// bytes with a leading zero, a 64-byte public point without its `04`, hex or Base64 or PEM.
extension SM2.PrivateKey {
    /// From PEM, or the Base64 or hex of a 32-byte scalar — or a 33-byte one with a leading zero byte.
    public init(anyFormat text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("-----BEGIN") { try self.init(pemRepresentation: trimmed); return }
        guard var raw = SM2.keyBytes(trimmed) else { throw CryptoError(.invalidKey, "an SM2 private key is PEM, or the hex or Base64 of its 32-byte scalar") }
        if raw.count == 33, raw[0] == 0 { raw.removeFirst() }  // java.math.BigInteger's sign byte
        guard raw.count == 32 else { throw CryptoError(.invalidKey, "an SM2 private scalar has 32 bytes (33 with a leading zero), not \(raw.count)") }
        try self.init(rawRepresentation: raw)
    }
}

extension SM2.PublicKey {
    /// From PEM, or the Base64 or hex of the 65-byte point `04‖X‖Y` — or the 64 bytes `X‖Y` without `04`.
    public init(anyFormat text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("-----BEGIN") { try self.init(pemRepresentation: trimmed); return }
        guard var raw = SM2.keyBytes(trimmed) else { throw CryptoError(.invalidKey, "an SM2 public key is PEM, or the hex or Base64 of its point") }
        if raw.count == 64 { raw.insert(0x04, at: 0) }
        guard raw.count == 65 else { throw CryptoError(.invalidKey, "an SM2 public point has 65 bytes (04‖X‖Y) or 64 (X‖Y), not \(raw.count)") }
        try self.init(rawRepresentation: raw)
    }
}

extension SM2 {
    /// Hex when the text is hex of a key's length (64, 66, 128 or 130 digits), else Base64.
    static func keyBytes(_ text: String) -> [UInt8]? {
        if [64, 66, 128, 130].contains(text.utf8.count), let hex = Hex.decode(text) { return hex }
        return [UInt8](base64: text)
    }
}

