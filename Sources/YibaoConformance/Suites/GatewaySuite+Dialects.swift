import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto

/// Cases `DIALECT-*`: each dialect profile's happy path (9001 → 1101 → 2201 through its own
/// mechanism) and a refusal in its form (HTTP 200, `infcode` -1, the code named in `problem`).
/// Each case switches the demo hospital to the profile through the admin API and back to the
/// target's default afterwards (docs/DIALECTS.md, docs/CONFORMANCE.md).
extension GatewaySuite {
    /// The profiles with cases, and the case-id prefix of each (`yibao conformance run --profile`).
    public static let dialectCasePrefixes = ["national": "DIALECT-NATIONAL-", "csb": "DIALECT-CSB-", "tif": "DIALECT-TIF-",
                                      "oauth": "DIALECT-OAUTH-", "jilin-encrypted": "DIALECT-JILIN-"]

    static let dialectCases: [String: Case] = [
        "DIALECT-NATIONAL-001": { suite in try await suite.dialectHappyPath("national") },
        "DIALECT-NATIONAL-002": { suite in
            try await suite.dialectRefusal("national", code: "FSI_TIME_OUT_OF_WINDOW") { sender in
                var envelope = try sender.envelope("9001", input: GatewaySuite.signInInput)
                envelope["inf_time"] = .string(Timestamps.fsi(suite.clock.now().addingTimeInterval(-3600)))
                return try await sender.send("9001", envelope)
            }
        },
        "DIALECT-CSB-001": { suite in try await suite.dialectHappyPath("csb") },
        "DIALECT-CSB-002": { suite in try await suite.wrongKeyRefusal("csb", code: "CSB_SIGNATURE_INVALID", pointer: "header:_api_signature") },
        "DIALECT-TIF-001": { suite in try await suite.dialectHappyPath("tif") },
        "DIALECT-TIF-002": { suite in
            try await suite.dialectRefusal("tif", code: "TIF_NONCE_REPLAYED", pointer: "header:x-tif-nonce") { sender in
                let nonce = suite.unique("replay-", 6)
                _ = try await sender.send("9001", try sender.envelope("9001", input: GatewaySuite.signInInput), nonce: nonce)
                return try await sender.send("9001", try sender.envelope("9001", input: GatewaySuite.signInInput), nonce: nonce)
            }
        },
        "DIALECT-OAUTH-001": { suite in try await suite.dialectHappyPath("oauth") },
        "DIALECT-OAUTH-002": { suite in try await suite.wrongKeyRefusal("oauth", code: "TOKEN_UNKNOWN", pointer: "header:authorization") },
        "DIALECT-JILIN-001": { suite in try await suite.dialectHappyPath("jilin-encrypted") },
        "DIALECT-JILIN-002": { suite in try await suite.wrongKeyRefusal("jilin-encrypted", code: "FSI_INPUT_NOT_DECRYPTED", pointer: "/input") },
    ]

    /// A 9001 whose transport or encryption key is wrong (another CSB secret, a token never issued, another
    /// SM4 key) must be refused in `profile`'s form, naming `code` at `pointer`.
    func wrongKeyRefusal(_ profile: String, code: String, pointer: String) async throws -> String {
        try await dialectRefusal(profile, code: code, pointer: pointer) { sender in
            try await sender.send("9001", try sender.envelope("9001", input: Self.signInInput), tamper: .wrongKey)
        }
    }

    static let signInInput: JSONObject = ["signIn": .object(["opter_no": "OP0001", "mac": "00-16-3E-00-00-01", "ip": "127.0.0.1"])]

    /// Runs `body` with the hospital switched to `profile`, and switches it back whatever happens.
    func withDialect<T>(_ profile: String, _ body: (DialectSender) async throws -> T) async throws -> T {
        do {
            _ = try await admin("/admin/institutions/\(Self.hospitalCode)/profile", ["profile": .string(profile)])
        } catch let error as YibaoClientError {
            throw CaseSkipped("the target does not offer dialect profile \(profile) (POST /admin/institutions/{code}/profile: \(error.code))")
        }
        guard let institution = credentials.institutions.first(where: { $0.fixmedins_code == Self.hospitalCode }) else {
            throw CaseFailure("no credentials of \(Self.hospitalCode) in demo-credentials.json")
        }
        let sender = DialectSender(suite: self, profile: profile, credentials: institution)
        do {
            let result = try await body(sender)
            _ = try? await admin("/admin/institutions/\(Self.hospitalCode)/profile", ["profile": .null])
            return result
        } catch {
            _ = try? await admin("/admin/institutions/\(Self.hospitalCode)/profile", ["profile": .null])
            throw error
        }
    }

    /// 9001 → 1101 → 2201 in `profile`'s own mechanism, each answered HTTP 200 with infcode 0 in the profile's type.
    func dialectHappyPath(_ profile: String) async throws -> String {
        try await withDialect(profile) { sender in
            let signIn = try await sender.accepted("9001", try sender.envelope("9001", input: Self.signInInput))
            guard let signNo = signIn["output"]?.objectValue?["signinoutb"]?.objectValue?["sign_no"]?.stringValue else {
                throw CaseFailure("9001 in profile \(profile) answered without output.signinoutb.sign_no")
            }
            sender.signNo = signNo
            let person = try await sender.accepted("1101", try sender.envelope("1101", input: [
                "data": .object(["mdtrt_cert_type": "02", "mdtrt_cert_no": .string(Self.zhangSan.certno), "psn_cert_type": "01"])]))
            guard person["output"]?.objectValue?["baseinfo"]?.objectValue?["psn_no"]?.stringValue == Self.zhangSan.psnNo else {
                throw CaseFailure("1101 in profile \(profile) did not answer Zhang San's psn_no")
            }
            let visit = try await sender.accepted("2201", try sender.envelope("2201", input: ["data": .object([
                "psn_no": .string(Self.zhangSan.psnNo), "insutype": "310", "begntime": .string(Timestamps.fsi(clock.now())),
                "mdtrt_cert_type": "02", "mdtrt_cert_no": .string(Self.zhangSan.certno), "ipt_otp_no": .string(unique("MZ", 4)),
                "atddr_no": .string(Self.drLi.code), "dr_name": .string(Self.drLi.name), "dept_code": "A03", "dept_name": "Internal medicine", "caty": "A03"])]))
            guard visit["output"]?.objectValue?["data"]?.objectValue?["mdtrt_id"]?.stringValue?.isEmpty == false else {
                throw CaseFailure("2201 in profile \(profile) answered without output.data.mdtrt_id")
            }
            return "9001, 1101 and 2201 accepted through the mechanism of profile \(profile), each answered HTTP 200 with infcode 0 as a \(sender.dialectInfcodeIsString ? "string" : "number")"
        }
    }

    /// `body` must be refused in the profile's form: HTTP 200, infcode -1 or -2, output null, err_msg and `problem` naming `code`.
    func dialectRefusal(_ profile: String, code: String, pointer: String? = nil, _ body: @escaping (DialectSender) async throws -> DialectAnswer) async throws -> String {
        try await withDialect(profile) { sender in
            let answer = try await body(sender)
            guard answer.status == 200 else {
                throw CaseFailure("the refusal came as HTTP \(answer.status): clients of profile \(profile) throw on any status but 200 and never read it",
                                  expected: "HTTP 200 with infcode -1", actual: "HTTP \(answer.status)")
            }
            let infcode = answer.object["infcode"].map { $0.stringValue ?? $0.serialized() } ?? "missing"
            guard infcode == "-1" || infcode == "-2" else {
                throw CaseFailure("the request was not refused in profile \(profile)'s form", expected: "infcode -1 or -2 with \(code)", actual: "infcode \(infcode)")
            }
            guard answer.object["output"] == .null, let message = answer.object["err_msg"]?.stringValue, message.contains(code) else {
                throw CaseFailure("the refusal does not name \(code) in err_msg with output null", expected: code, actual: answer.object["err_msg"]?.serialized() ?? "no err_msg")
            }
            let problem = answer.object["problem"]?.objectValue
            guard problem?["code"]?.stringValue == code else {
                throw CaseFailure("the refusal's problem document names \(problem?["code"]?.stringValue ?? "nothing") instead of \(code)", expected: code,
                                  actual: problem?["code"]?.stringValue ?? "none")
            }
            if let pointer, problem?["pointer"]?.stringValue != pointer {
                throw CaseFailure("the refusal points at \(problem?["pointer"]?.stringValue ?? "nothing") instead of \(pointer)", expected: pointer,
                                  actual: problem?["pointer"]?.stringValue ?? "")
            }
            return "refused in profile \(profile)'s form: HTTP 200, infcode \(infcode), err_msg and problem name \(code)\(pointer.map { " at \($0)" } ?? "")"
        }
    }
}

/// An answer as a real client sees it: the status and the JSON object.
struct DialectAnswer: Sendable {
    var status: Int
    var object: JSONObject
}

/// A hospital speaking one dialect: the transport authentication of docs/DIALECTS.md §2,
/// written here for the tester (the independent Python client is tools/testing/dialect_client.py).
final class DialectSender: @unchecked Sendable {
    enum Tamper { case none, wrongKey }

    let suite: GatewaySuite
    let profile: String
    let credentials: DemoCredentials.Institution
    var signNo = ""
    var token: String?

    init(suite: GatewaySuite, profile: String, credentials: DemoCredentials.Institution) {
        self.suite = suite
        self.profile = profile
        self.credentials = credentials
    }

    var dialectInfcodeIsString: Bool { profile == "tif" }

    /// The FSI request members, `cainfo` and `signtype` empty as the vendor code sends them.
    func envelope(_ infno: String, input: JSONObject) throws -> JSONObject {
        let now = suite.clock.now()
        // The run's own counter, shared with the suite's other clients: no two messages of a run share a msgid.
        let msgid = credentials.fixmedins_code + Timestamps.compact(now) + suite.msgidSerial.next()
        return JSONObject([
            .init(key: "infno", value: .string(infno)), .init(key: "msgid", value: .string(msgid)),
            .init(key: "mdtrtarea_admvs", value: .string(String(credentials.fixmedins_code.dropFirst().prefix(6)))),
            .init(key: "insuplc_admdvs", value: ""), .init(key: "recer_sys_code", value: "YIBAO"), .init(key: "dev_no", value: ""),
            .init(key: "dev_safe_info", value: ""), .init(key: "cainfo", value: ""), .init(key: "signtype", value: ""),
            .init(key: "infver", value: "V1.0"), .init(key: "opter_type", value: "1"), .init(key: "opter", value: "OP0001"),
            .init(key: "opter_name", value: "Conformance Operator"), .init(key: "inf_time", value: .string(Timestamps.fsi(now))),
            .init(key: "fixmedins_code", value: .string(credentials.fixmedins_code)),
            .init(key: "fixmedins_name", value: .string(credentials.fixmedins_name)), .init(key: "sign_no", value: .string(signNo)),
            .init(key: "input", value: .object(input)),
        ])
    }

    /// Sends and requires infcode 0.
    func accepted(_ infno: String, _ envelope: JSONObject) async throws -> JSONObject {
        let answer = try await send(infno, envelope)
        guard answer.status == 200 else { throw CaseFailure("\(infno) in profile \(profile) answered HTTP \(answer.status)", expected: "HTTP 200", actual: "HTTP \(answer.status)") }
        let infcode = answer.object["infcode"]
        let expected: JSONValue = dialectInfcodeIsString ? .string("0") : .number("0")
        guard infcode == expected else {
            throw CaseFailure("\(infno) in profile \(profile) was not accepted: \(answer.object["err_msg"]?.stringValue ?? "")",
                              expected: "infcode \(expected.serialized())", actual: "infcode \(infcode?.serialized() ?? "missing")",
                              diagnosis: (answer.object["problem"]?.objectValue?["diagnosis"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
        var object = answer.object
        if profile == "jilin-encrypted", case .string(let text)? = object["output"] {
            let key = Array((credentials.oauth?.clientId ?? "").utf8)
            guard let cipher = [UInt8](base64: text), let plain = try? SM4.decrypt(cipher, key: key, mode: .ecb, padding: .pkcs7),
                  let output = try? JSONValue.parse(plain) else {
                throw CaseFailure("the encrypted output of \(infno) does not decrypt with the client id as SM4 key")
            }
            object["output"] = output
        }
        return object
    }

    /// POSTs `envelope` with this profile's transport authentication (and encryption).
    func send(_ infno: String, _ envelope: JSONObject, tamper: Tamper = .none, nonce: String? = nil) async throws -> DialectAnswer {
        var body = envelope
        var headers: [(name: String, value: String)] = []
        var path = "/fsi/api/rsfComIfsService/callService"
        switch profile {
        case "csb":
            path = "/power-csb/powercsb/\(infno)"
            let access = credentials.csb?.accessKey ?? ""
            let parameters = [("_api_access_key", access), ("_api_name", infno), ("_api_timestamp", String(Int64((suite.clock.now().timeIntervalSince1970 * 1000).rounded()))),
                              ("_api_version", "1.0.0")]
            let string = parameters.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
            let secret = tamper == .wrongKey ? String(repeating: "0", count: 32) : credentials.csb?.secretKey ?? ""
            headers = parameters.map { ($0.0, $0.1) } + [("_api_signature", try HMAC.sha1(key: Array(secret.utf8), message: Array(string.utf8)).base64)]
        case "tif":
            let stamp = String(Int64(suite.clock.now().timeIntervalSince1970.rounded()))
            let nonce = nonce ?? suite.unique("n", 12)
            let token = credentials.tif?.token ?? ""
            headers = [("x-tif-paasid", credentials.tif?.paasid ?? ""), ("x-tif-timestamp", stamp), ("x-tif-nonce", nonce),
                       ("x-tif-signature", Hex.encode(try SHA256.hash(Array((stamp + token + nonce + stamp).utf8))))]
        case "oauth", "jilin-encrypted":
            path = "/mbs/fmi/fsi/api/callFsiService/callService"
            if tamper == .wrongKey && profile == "oauth" {
                headers = [("Authorization", "Bearer " + suite.random.digits(32))]
            } else {
                headers = [("Authorization", "Bearer " + (try await bearer()))]
            }
            if profile == "jilin-encrypted" {
                let text = Array((envelope["input"] ?? .object([:])).serialized().utf8)
                let key = tamper == .wrongKey ? Array("0123456789ABCDEF".utf8) : Array((credentials.oauth?.clientId ?? "").utf8)
                body["input"] = .string(try SM4.encrypt(text, key: key, mode: .ecb, padding: .pkcs7).base64)
                body["enc_type"] = "SM4"
                body["signtype"] = "SM2"
                let privateKey = try SM2.PrivateKey(rawRepresentation: [UInt8](base64: credentials.privateKey) ?? [])
                body["cainfo"] = .string(try privateKey.signature(for: text, signerID: SM2.defaultSignerID).encoded(.raw).base64)
            }
        default: break
        }
        let (status, bytes) = try await HTTP.exchange(suite.http, url: suite.target + path, body: Array(JSONValue.object(body).serialized().utf8),
                                                      headers: headers, contentType: profile == "national" ? "text/plain;charset=utf-8" : "application/json;charset=utf-8",
                                                      observer: suite.recorder)
        guard let object = (try? JSONValue.parse(bytes))?.objectValue else {
            throw CaseFailure("the answer to \(infno) in profile \(profile) is not a JSON object (HTTP \(status))")
        }
        return DialectAnswer(status: status, object: object)
    }

    /// An access token from `POST /auth/oauth/token` (password grant, HTTP Basic client credentials, form body).
    func bearer() async throws -> String {
        if let token { return token }
        guard let oauth = credentials.oauth else { throw CaseFailure("the demo credentials have no OAuth client for \(credentials.fixmedins_code)") }
        let form = ["username": oauth.username, "password": oauth.password, "scope": oauth.scope ?? "", "grant_type": "password"]
            .sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.value)" }.joined(separator: "&")
        let basic = Array("\(oauth.clientId):\(oauth.clientSecret)".utf8).base64
        let (status, bytes) = try await HTTP.exchange(suite.http, url: suite.target + "/auth/oauth/token", body: Array(form.utf8),
                                                      headers: [("Authorization", "Basic " + basic)], contentType: "application/x-www-form-urlencoded",
                                                      observer: suite.recorder)
        guard status == 200, let token = (try? JSONValue.parse(bytes))?.objectValue?["access_token"]?.stringValue else {
            throw CaseFailure("POST /auth/oauth/token did not issue an access token (HTTP \(status))", expected: "HTTP 200 with access_token", actual: "HTTP \(status)")
        }
        self.token = token
        return token
    }
}
