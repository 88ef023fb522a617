import Foundation

/// A detached CMS/PKCS#7 SignedData with SM2-with-SM3 (GB/T 35275-2017, RFC 5652), as the
/// e-prescription centre's `rxFixmedinsSign` returns its `signDigest`: no encapsulated content,
/// digest SM3, signed attributes contentType, signingTime and messageDigest, the signature a DER
/// `(r, s)` over SM3(Z ‖ the attributes as a SET) with the default signer ID, the signer's
/// certificate included.
///
/// OpenSSL 3.0 cannot sign SM2 CMS (`openssl cms -sign` fails) and its `cms -verify` checks SM2
/// with an empty signer ID, so the DER is written here; `tools/testing/cms_sm2.py` verifies it
/// independently (docs/PRESCRIPTION.md §6.2).
public enum DetachedCMS {
    /// The content-type OIDs: RFC 5652's (`1.2.840.113549.1.7.2` / `.1`) or GB/T 35275's (`1.2.156.10197.6.1.4.2.2` / `.1`).
    public enum ContentTypes: String, Sendable, Codable, CaseIterable {
        case rfc5652 = "rfc-5652"
        case gbt35275 = "gb-t-35275"

        var signedData: [UInt64] { self == .rfc5652 ? [1, 2, 840, 113549, 1, 7, 2] : [1, 2, 156, 10197, 6, 1, 4, 2, 2] }
        var data: [UInt64] { self == .rfc5652 ? [1, 2, 840, 113549, 1, 7, 1] : [1, 2, 156, 10197, 6, 1, 4, 2, 1] }
    }

    static let sm3: [UInt64] = [1, 2, 156, 10197, 1, 401]
    static let sm2WithSM3: [UInt64] = [1, 2, 156, 10197, 1, 501]
    static let contentTypeAttribute: [UInt64] = [1, 2, 840, 113549, 1, 9, 3]
    static let messageDigestAttribute: [UInt64] = [1, 2, 840, 113549, 1, 9, 4]
    static let signingTimeAttribute: [UInt64] = [1, 2, 840, 113549, 1, 9, 5]

    /// The DER ContentInfo of a detached signature over `content`. `signerID` is the SM2 signer ID
    /// (GB/T 35275: the default `1234567812345678`; an empty one is what OpenSSL 3.0's
    /// `openssl cms -verify` checks SM2 with — a profile option for verifiers built on it).
    public static func sign(_ content: [UInt8], key: SM2.PrivateKey, certificate: Certificate, at time: Date,
                            contentTypes: ContentTypes = .rfc5652, signerID: [UInt8] = SM2.defaultSignerID) throws -> [UInt8] {
        let certificateDER = certificate.derRepresentation
        let (issuer, serial) = try issuerAndSerial(of: certificateDER)
        let attributes = [
            DER.sequence([DER.oid(contentTypeAttribute), DER.set([DER.oid(contentTypes.data)])]),
            DER.sequence([DER.oid(signingTimeAttribute), DER.set([DER.utcTime(time)])]),
            DER.sequence([DER.oid(messageDigestAttribute), DER.set([DER.octetString(try SM3.hash(content))])]),
        ]
        let signedAttributes = DER.set(attributes)           // what is signed: the attributes as a SET (tag 31)
        let signature = try key.signature(for: signedAttributes, signerID: signerID).derRepresentation
        let signerInfo = DER.sequence([
            DER.integer(1),
            DER.sequence([issuer, serial]),
            DER.sequence([DER.oid(sm3)]),
            [0xA0] + DER.length(signedAttributes.count - headerLength(signedAttributes)) + Array(signedAttributes.dropFirst(headerLength(signedAttributes))),
            DER.sequence([DER.oid(sm2WithSM3)]),
            DER.octetString(signature),
        ])
        let signedData = DER.sequence([
            DER.integer(1),
            DER.set([DER.sequence([DER.oid(sm3)])]),
            DER.sequence([DER.oid(contentTypes.data)]),       // no eContent: detached
            DER.tagged(0xA0, [certificateDER]),
            DER.set([signerInfo]),
        ])
        return DER.sequence([DER.oid(contentTypes.signedData), DER.tagged(0xA0, [signedData])])
    }

    /// The certificate's issuer Name and serialNumber INTEGER, as their DER bytes (IssuerAndSerialNumber copies them verbatim).
    static func issuerAndSerial(of certificate: [UInt8]) throws -> (issuer: [UInt8], serial: [UInt8]) {
        var reader = DER.Reader(certificate)
        var outer = try reader.enter(0x30)          // Certificate
        var tbs = try outer.enter(0x30)             // TBSCertificate
        if tbs.peek == 0xA0 { _ = try tbs.element() } // [0] version
        let serial = try tbs.element()
        _ = try tbs.element()                       // signature AlgorithmIdentifier
        let issuer = try tbs.element()
        guard serial.first == 0x02, issuer.first == 0x30 else { throw CryptoError(.invalidInput, "not an X.509 certificate") }
        return (issuer, serial)
    }

    static func headerLength(_ element: [UInt8]) -> Int {
        guard element.count > 1 else { return element.count }
        return element[1] < 0x80 ? 2 : 2 + Int(element[1] & 0x7F)
    }
}

/// The few DER encodings CMS needs (X.690), and a reader of elements.
enum DER {
    static func length(_ count: Int) -> [UInt8] {
        if count < 0x80 { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var value = count
        while value > 0 { bytes.insert(UInt8(value & 0xFF), at: 0); value >>= 8 }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    static func tagged(_ tag: UInt8, _ parts: [[UInt8]]) -> [UInt8] {
        let body = parts.flatMap { $0 }
        return [tag] + length(body.count) + body
    }

    static func sequence(_ parts: [[UInt8]]) -> [UInt8] { tagged(0x30, parts) }

    /// SET OF, members sorted by their encodings (DER).
    static func set(_ parts: [[UInt8]]) -> [UInt8] { tagged(0x31, parts.sorted { $0.lexicographicallyPrecedes($1) }) }

    static func octetString(_ bytes: [UInt8]) -> [UInt8] { tagged(0x04, [bytes]) }

    static func integer(_ value: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = value
        repeat { bytes.insert(UInt8(rest & 0xFF), at: 0); rest >>= 8 } while rest > 0
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return tagged(0x02, [bytes])
    }

    static func oid(_ arcs: [UInt64]) -> [UInt8] {
        var body: [UInt8] = [UInt8(arcs[0] * 40 + arcs[1])]
        for arc in arcs.dropFirst(2) {
            var chunk: [UInt8] = [UInt8(arc & 0x7F)]
            var rest = arc >> 7
            while rest > 0 { chunk.insert(UInt8(rest & 0x7F) | 0x80, at: 0); rest >>= 7 }
            body += chunk
        }
        return tagged(0x06, [body])
    }

    /// A Time as RFC 5652 wants it: UTCTime `YYMMDDHHMMSSZ` from 1950 to 2049, GeneralizedTime `YYYYMMDDHHMMSSZ` otherwise.
    static func utcTime(_ date: Date) -> [UInt8] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let year = c.year ?? 2000
        let rest = String(format: "%02d%02d%02d%02d%02dZ", c.month ?? 1, c.day ?? 1, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
        if (1950...2049).contains(year) { return tagged(0x17, [Array((String(format: "%02d", year % 100) + rest).utf8)]) }
        return tagged(0x18, [Array((String(format: "%04d", year) + rest).utf8)])
    }

    /// Reads DER elements one after the other.
    struct Reader {
        let bytes: [UInt8]
        var offset: Int
        let end: Int

        init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
            self.bytes = bytes
            self.offset = offset
            self.end = end ?? bytes.count
        }

        var peek: UInt8? { offset < end ? bytes[offset] : nil }

        /// The next element's (tag, body range, whole range).
        private mutating func next() throws -> (tag: UInt8, body: Range<Int>, whole: Range<Int>) {
            let start = offset
            guard offset + 2 <= end else { throw CryptoError(.invalidInput, "DER: truncated") }
            let tag = bytes[offset]
            var count = Int(bytes[offset + 1])
            offset += 2
            if count & 0x80 != 0 {
                let size = count & 0x7F
                guard size >= 1, size <= 4, offset + size <= end else { throw CryptoError(.invalidInput, "DER: bad length") }
                count = bytes[offset..<offset + size].reduce(0) { $0 << 8 | Int($1) }
                offset += size
            }
            guard offset + count <= end else { throw CryptoError(.invalidInput, "DER: length beyond the data") }
            let body = offset..<offset + count
            offset += count
            return (tag, body, start..<offset)
        }

        /// The next element, whole (tag, length and body).
        mutating func element() throws -> [UInt8] { Array(bytes[try next().whole]) }

        /// A reader of the next element's body, which must have `tag`.
        mutating func enter(_ tag: UInt8) throws -> Reader {
            let element = try next()
            guard element.tag == tag else { throw CryptoError(.invalidInput, "DER: expected tag \(tag), found \(element.tag)") }
            return Reader(bytes, offset: element.body.lowerBound, end: element.body.upperBound)
        }
    }
}
