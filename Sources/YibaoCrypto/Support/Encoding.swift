import Foundation

/// Hex and base64 helpers used across the API.
public enum Hex {
    /// Lower- or upper-case hex of `bytes`.
    public static func encode<B: Sequence>(_ bytes: B, uppercase: Bool = false) -> String where B.Element == UInt8 {
        let digits: [UInt8] = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex of either case; nil when the text is not hex or has odd length.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// The case of the letters in `text`: `.upper`, `.lower`, `.mixed`, or `.none` when it has no letters.
    public enum LetterCase: Sendable { case upper, lower, mixed, none }

    public static func letterCase(of text: String) -> LetterCase {
        var upper = false, lower = false
        for c in text.utf8 {
            if c >= 0x41 && c <= 0x46 { upper = true }
            if c >= 0x61 && c <= 0x66 { lower = true }
        }
        switch (upper, lower) {
        case (true, true): return .mixed
        case (true, false): return .upper
        case (false, true): return .lower
        case (false, false): return .none
        }
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}

extension Array where Element == UInt8 {
    /// Standard base64 with padding.
    public var base64: String { Data(self).base64EncodedString() }

    /// Decodes standard base64 (whitespace ignored); nil when invalid.
    public init?(base64 text: String) {
        let cleaned = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: cleaned) else { return nil }
        self = [UInt8](data)
    }

    /// Lower-case hex.
    public var hex: String { Hex.encode(self) }
}
