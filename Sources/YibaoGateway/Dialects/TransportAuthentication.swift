import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

/// The headers of a request, by lower-case name (first value), as the transport checks read them.
public struct TransportHeaders: Sendable, Hashable {
    public var values: [String: String]
    /// Header names in the order they were sent (for diagnosing an unsorted CSB string).
    public var order: [String]

    public init(_ pairs: [(name: String, value: String)] = []) {
        var values: [String: String] = [:]
        var order: [String] = []
        for (name, value) in pairs {
            let key = name.lowercased()
            if values[key] == nil { values[key] = value; order.append(key) }
        }
        self.values = values
        self.order = order
    }

    public subscript(name: String) -> String? { values[name.lowercased()] }
}

/// What the transport proved: who sent the request, and a nonce to spend with the request's
/// own transaction (so a refused request does not spend it).
struct TransportProof: Sendable {
    var nonce: (scope: String, value: String)?
}

/// The transport authentications of the dialect profiles, exactly as the vendor code computes
/// them (docs/DIALECTS.md §2). Failures name the header, show the string we computed — never a
/// secret — and say the likely mistake.
enum TransportAuthentication {
    static func check(_ dialect: FSIDialect, headers: TransportHeaders, app: AppCredential, infno: String, now: Date,
                      store: any GatewayStore) async throws -> TransportProof {
        switch dialect.transportAuth {
        case .none: return TransportProof()
        case .csb: return try csb(dialect, headers: headers, app: app, infno: infno, now: now)
        case .tif: return try tif(dialect, headers: headers, app: app, now: now)
        case .oauth: return try await oauth(headers: headers, app: app, now: now, store: store)
        }
    }

    static func refusal(_ code: ErrorCode, _ header: String, _ detail: String, expected: String? = nil, actual: String? = nil,
                        signString: String? = nil, diagnosis: [String] = []) -> Problem {
        Problem(status: 401, code: code, rule: Rule.protocolEnvelope.rawValue, pointer: "header:" + header, detail: detail,
                expected: expected, actual: actual, signString: signString, diagnosis: diagnosis)
    }

    static func require(_ headers: TransportHeaders, _ name: String, _ what: String) throws -> String {
        guard let value = headers[name], !value.isEmpty else {
            throw refusal(.transportHeaderMissing, name, "the \(what) needs header \(name)")
        }
        guard value.utf8.count <= 512 else { throw refusal(.transportHeaderInvalid, name, "header \(name) is longer than 512 bytes") }
        return value
    }

    /// Epoch time from header text: its digits, or nil.
    static func digits(_ text: String) -> Int64? {
        guard (1...16).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text)
    }

    // MARK: Alibaba CSB (Henan)

    /// The CSB string to sign: the `_api_*` parameters but the signature, `k=v` joined by `&`, sorted by name.
    static func csbString(_ parameters: [(String, String)], sorted: Bool = true) -> String {
        let ordered = sorted ? parameters.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) } : parameters
        return ordered.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    static func csbSignature(secretKey: String, string: String) throws -> String {
        try HMAC.sha1(key: Array(secretKey.utf8), message: Array(string.utf8)).base64
    }

    static func csb(_ dialect: FSIDialect, headers: TransportHeaders, app: AppCredential, infno: String, now: Date) throws -> TransportProof {
        guard let credential = app.csb else {
            throw refusal(.transportNotConfigured, "_api_access_key", "\(app.institutionCode) has no CSB credentials registered (admin API POST /admin/apps, member csb)")
        }
        let what = "Alibaba CSB gateway (profile csb)"
        let accessKey = try require(headers, "_api_access_key", what)
        guard accessKey == credential.accessKey else {
            throw refusal(.csbAccessKeyUnknown, "_api_access_key", "_api_access_key is not the access key registered for \(app.institutionCode)", actual: accessKey)
        }
        let name = try require(headers, "_api_name", what)
        guard name == infno else {
            throw refusal(.csbApiNameMismatch, "_api_name", "_api_name must be the transaction number (infno)", expected: infno, actual: name)
        }
        let version = try require(headers, "_api_version", what)
        let stamp = try require(headers, "_api_timestamp", what)
        guard let millis = digits(stamp) else {
            throw refusal(.csbTimestampInvalid, "_api_timestamp", "_api_timestamp must be epoch milliseconds", actual: stamp)
        }
        let nowMillis = Int64((now.timeIntervalSince1970 * 1000).rounded())
        let window = Int64(dialect.transportWindowSeconds) * 1000
        guard abs(millis - nowMillis) <= window else {
            var diagnosis: [String] = []
            if stamp.utf8.count == 10, abs(millis * 1000 - nowMillis) <= window {
                diagnosis.append("_api_timestamp is in epoch seconds; CSB wants epoch milliseconds (13 digits)")
            }
            throw refusal(.csbTimestampOutOfWindow, "_api_timestamp",
                          "_api_timestamp is \((millis - nowMillis) / 1000) s from the platform's clock; at most ±\(dialect.transportWindowSeconds) s is accepted",
                          expected: "epoch milliseconds within \(dialect.transportWindowSeconds) s of \(nowMillis)", actual: stamp, diagnosis: diagnosis)
        }
        let signature = try require(headers, "_api_signature", what)
        let parameters = [("_api_access_key", accessKey), ("_api_name", name), ("_api_timestamp", stamp), ("_api_version", version)]
        let string = csbString(parameters)
        guard try csbSignature(secretKey: credential.secretKey, string: string) == signature else {
            var diagnosis: [String] = []
            let sent = headers.order.filter { $0.hasPrefix("_api_") && $0 != "_api_signature" }
            let asSent = sent.compactMap { key in parameters.first { $0.0 == key } }
            if asSent.count == parameters.count, try csbSignature(secretKey: credential.secretKey, string: csbString(asSent, sorted: false)) == signature {
                diagnosis.append("the parameters were signed in the order they were sent, not sorted by name: \(csbString(asSent, sorted: false))")
            } else {
                diagnosis.append("not Base64(HMAC-SHA1(secretKey, string)) with the secret key registered for \(credential.accessKey) (key fingerprint \(Redaction.secret(credential.secretKey)))")
            }
            throw refusal(.csbSignatureInvalid, "_api_signature", "_api_signature does not verify over the string we computed",
                          expected: "Base64(HMAC-SHA1(secretKey, signString))", actual: signature, signString: string, diagnosis: diagnosis)
        }
        return TransportProof()
    }

    // MARK: Guangdong x-tif gateway

    static func tifSignature(timestamp: String, token: String, nonce: String) throws -> String {
        Hex.encode(try SHA256.hash(Array((timestamp + token + nonce + timestamp).utf8)))
    }

    static func tif(_ dialect: FSIDialect, headers: TransportHeaders, app: AppCredential, now: Date) throws -> TransportProof {
        guard let credential = app.tif else {
            throw refusal(.transportNotConfigured, "x-tif-paasid", "\(app.institutionCode) has no x-tif credentials registered (admin API POST /admin/apps, member tif)")
        }
        let what = "Guangdong gateway (profile tif)"
        let paasid = try require(headers, "x-tif-paasid", what)
        guard paasid == credential.paasid else {
            throw refusal(.tifPaasidUnknown, "x-tif-paasid", "x-tif-paasid is not the paasid registered for \(app.institutionCode)", actual: paasid)
        }
        let stamp = try require(headers, "x-tif-timestamp", what)
        guard let seconds = digits(stamp) else {
            throw refusal(.tifTimestampInvalid, "x-tif-timestamp", "x-tif-timestamp must be epoch seconds", actual: stamp)
        }
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded())
        guard abs(seconds - nowSeconds) <= Int64(dialect.transportWindowSeconds) else {
            var diagnosis: [String] = []
            if stamp.utf8.count == 13, abs(seconds / 1000 - nowSeconds) <= Int64(dialect.transportWindowSeconds) {
                diagnosis.append("x-tif-timestamp is in epoch milliseconds; the gateway wants epoch seconds (10 digits)")
            }
            throw refusal(.tifTimestampOutOfWindow, "x-tif-timestamp",
                          "x-tif-timestamp is \(seconds - nowSeconds) s from the platform's clock; at most ±\(dialect.transportWindowSeconds) s is accepted",
                          expected: "epoch seconds within \(dialect.transportWindowSeconds) s of \(nowSeconds)", actual: stamp, diagnosis: diagnosis)
        }
        let nonce = try require(headers, "x-tif-nonce", what)
        guard nonce.utf8.count <= 64 else { throw refusal(.tifNonceInvalid, "x-tif-nonce", "x-tif-nonce has at most 64 characters") }
        let signature = try require(headers, "x-tif-signature", what)
        guard try tifSignature(timestamp: stamp, token: credential.token, nonce: nonce) == signature.lowercased() else {
            throw refusal(.tifSignatureInvalid, "x-tif-signature", "x-tif-signature does not verify over the string we computed",
                          expected: "lower-case hex SHA-256(x-tif-timestamp + token + x-tif-nonce + x-tif-timestamp)", actual: signature,
                          signString: stamp + Redaction.secret(credential.token) + nonce + stamp,
                          diagnosis: ["the token registered for paasid \(paasid) has fingerprint \(Redaction.secret(credential.token)); the string is timestamp, token, nonce, timestamp with nothing between"])
        }
        return TransportProof(nonce: (scope: "tif:" + paasid, value: nonce))
    }

    // MARK: OAuth2 bearer (Jilin)

    static func oauth(headers: TransportHeaders, app: AppCredential, now: Date, store: any GatewayStore) async throws -> TransportProof {
        let authorization = try require(headers, "authorization", "OAuth2 profile (a token from POST /auth/oauth/token)")
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw refusal(.tokenMissing, "authorization", "send Authorization: Bearer <access_token> from POST /auth/oauth/token")
        }
        let digest = Hex.encode(try SM3.hash(Array(parts[1].utf8)))
        guard let token = try await store.read({ try await $0.accessToken(digest: digest) }) else {
            throw refusal(.tokenUnknown, "authorization", "the bearer token was not issued by this platform's /auth/oauth/token")
        }
        guard token.institutionCode == app.institutionCode else {
            throw refusal(.tokenWrongInstitution, "authorization", "the bearer token was issued to another institution than fixmedins_code \(app.institutionCode)")
        }
        guard token.expiresAt > now else {
            throw refusal(.tokenExpired, "authorization", "the bearer token expired at \(Timestamps.fsi(token.expiresAt)); fetch a new one from /auth/oauth/token")
        }
        return TransportProof()
    }
}
