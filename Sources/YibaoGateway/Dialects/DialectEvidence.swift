import YibaoCore
import YibaoCrypto

/// How an FSI request authenticated itself, read from its headers and envelope — what the passive
/// conformance report matches against the dialect profiles (docs/DIALECTS.md §7).
struct DialectEvidence: Sendable, Hashable {
    enum Transport: String { case none, csb, tif, oauth }
    var transport: Transport
    var cainfoSigned: Bool
    var encrypted: Bool
    /// The first 8 hex digits of the body's SM3 (bodies up to 64 KiB): tells a resent message
    /// from a different one that reuses its msgid.
    var digest: String?

    init(headers: TransportHeaders, envelope: JSONObject?, body: [UInt8] = []) {
        digest = body.isEmpty || body.count > 64 * 1024 ? nil : (try? SM3.hash(body)).map { Hex.encode($0.prefix(4)) }
        if headers["_api_signature"] != nil || headers["_api_access_key"] != nil { transport = .csb }
        else if headers["x-tif-signature"] != nil || headers["x-tif-paasid"] != nil { transport = .tif }
        else if headers["authorization"]?.lowercased().hasPrefix("bearer ") == true { transport = .oauth }
        else { transport = .none }
        cainfoSigned = !(envelope?["cainfo"]?.stringValue ?? "").isEmpty
        encrypted = envelope?["enc_type"]?.stringValue?.uppercased() == "SM4"
    }

    init?(text: String) {
        var values: [String: String] = [:]
        for pair in text.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        guard let transport = values["transport"].flatMap(Transport.init(rawValue:)) else { return nil }
        self.transport = transport
        cainfoSigned = values["cainfo"] == "signed"
        encrypted = values["enc"] == "sm4"
        digest = values["digest"]
    }

    /// `transport=csb;cainfo=empty;enc=none`.
    var text: String {
        "transport=\(transport.rawValue);cainfo=\(cainfoSigned ? "signed" : "empty");enc=\(encrypted ? "sm4" : "none")" + (digest.map { ";digest=\($0)" } ?? "")
    }

    /// The profile whose mechanism this is.
    var profile: String {
        switch transport {
        case .csb: "csb"
        case .tif: "tif"
        case .oauth: encrypted ? "jilin-encrypted" : "oauth"
        case .none: cainfoSigned ? "nhsa-2.0" : "national"
        }
    }

    /// In words, for the report.
    var sentence: String {
        let transportText = switch transport {
        case .none: "no transport authentication"
        case .csb: "Alibaba CSB _api_* headers"
        case .tif: "x-tif-* headers"
        case .oauth: "an OAuth2 bearer token"
        }
        return transportText + ", cainfo \(cainfoSigned ? "signed" : "empty")" + (encrypted ? ", SM4-encrypted input" : "")
    }
}
