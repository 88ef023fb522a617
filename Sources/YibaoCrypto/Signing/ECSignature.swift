import COpenSSL

/// An elliptic-curve signature value (SM2 or ECDSA): the integers r and s.
/// Converts between the raw `r‖s` form the platform uses and ASN.1 DER.
public struct ECSignature: Sendable, Hashable {
    /// r, big-endian, left-padded to the coordinate width.
    public let r: [UInt8]
    /// s, big-endian, left-padded to the coordinate width.
    public let s: [UInt8]

    /// Coordinate width in bytes (32 for SM2 and P-256).
    public static let width = 32

    /// From `r‖s` (exactly 64 bytes).
    public init(rawRepresentation raw: [UInt8]) throws {
        guard raw.count == 2 * Self.width else {
            throw CryptoError(.invalidSignature, "a raw signature r‖s must be \(2 * Self.width) bytes, got \(raw.count)"
                              + (raw.first == 0x30 ? " (it starts with 0x30: probably DER)" : ""))
        }
        r = Array(raw[0..<Self.width])
        s = Array(raw[Self.width...])
    }

    /// From ASN.1 DER; only the canonical encoding is accepted.
    public init(derRepresentation der: [UInt8]) throws {
        var r = [UInt8](repeating: 0, count: Self.width)
        var s = [UInt8](repeating: 0, count: Self.width)
        let ok = der.withUnsafeBufferPointer { yb_ecdsa_sig_from_der($0.baseAddress, $0.count, Self.width, &r, &s) }
        clearOpenSSLErrors()
        guard ok == 1 else {
            throw CryptoError(.invalidSignature, "not a canonical DER SEQUENCE{INTEGER r, INTEGER s} of at most \(Self.width)-byte integers"
                              + (der.count == 2 * Self.width && der.first != 0x30 ? " (64 bytes: probably raw r‖s)" : ""))
        }
        self.r = r
        self.s = s
    }

    /// Parses `bytes` in the given encoding.
    public init(_ bytes: [UInt8], encoding: SignatureEncoding) throws {
        switch encoding {
        case .raw: try self.init(rawRepresentation: bytes)
        case .der: try self.init(derRepresentation: bytes)
        }
    }

    /// `r‖s`, 64 bytes.
    public var rawRepresentation: [UInt8] { r + s }

    /// Canonical ASN.1 DER.
    public var derRepresentation: [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = r.withUnsafeBufferPointer { rb in
            s.withUnsafeBufferPointer { sb in
                yb_ecdsa_sig_to_der(rb.baseAddress, rb.count, sb.baseAddress, sb.count, &out)
            }
        }
        return MemoryBIO.takeMallocBuffer(out, length: length) ?? []
    }

    /// The signature in the given encoding.
    public func encoded(_ encoding: SignatureEncoding) -> [UInt8] {
        encoding == .raw ? rawRepresentation : derRepresentation
    }
}
