import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import YibaoCore
import YibaoCrypto

// Why AsyncHTTPClient rather than URLSession: on Linux URLSession is FoundationNetworking over
// libcurl, whose async API and cancellation differ from Apple's; AsyncHTTPClient is SwiftNIO-native
// (the same event loops as the gateway), has explicit timeouts and body limits, and is already
// built with Hummingbird's test support, so it costs the package nothing extra.

/// A hospital's typed client of the platform: seals every request with the institution's key,
/// opens and verifies every answer with the platform's public key, one method per transaction.
/// Refusals come back as ``YibaoClientError`` values carrying the server's code, rule and pointer.
public struct YibaoClient: Sendable {
    /// Who the client is: the institution's app credentials and the platform's public key.
    public struct Credentials: Sendable {
        public var fixmedinsCode: String
        public var fixmedinsName: String
        public var appId: String
        public var appSecret: String
        public var privateKey: SM2.PrivateKey
        public var platformPublicKey: SM2.PublicKey
        /// 就医地医保区划 sent as `mdtrtarea_admvs`.
        public var admdvs: String

        public init(fixmedinsCode: String, fixmedinsName: String, appId: String, appSecret: String, privateKey: SM2.PrivateKey,
                    platformPublicKey: SM2.PublicKey, admdvs: String) {
            self.fixmedinsCode = fixmedinsCode
            self.fixmedinsName = fixmedinsName
            self.appId = appId
            self.appSecret = appSecret
            self.privateKey = privateKey
            self.platformPublicKey = platformPublicKey
            self.admdvs = admdvs
        }
    }

    public let baseURL: String
    public let credentials: Credentials
    public let profile: HSEProfile
    /// The clock stamped on requests (`inf_time`, `timestamp`); tests align it with a gateway's test clock.
    public let clock: any WallClock
    /// Operator sent in `opter` / `opter_name`.
    public var operatorCode = "OP0001"
    public var operatorName = "Demo Operator"
    /// Sees every exchange (the conformance tester's HAR recording); nil by default.
    public var observer: (any HTTPExchangeObserver)?
    /// The dialect the gateway answers FSI in (docs/DIALECTS.md): whether answers are signed, how
    /// refusals come back. Every form is read: HTTP 4xx problem+json, or HTTP 200 with `infcode`
    /// -1/-2 (number or string) and the problem document in `problem`.
    public var dialect: DialectProfile = .nhsa20
    /// The last four digits of each FSI msgid (after fixmedins_code and the time, which it is
    /// given); random by default. The conformance tester counts instead, so two messages in the
    /// same second never collide.
    public var msgidSuffix: (@Sendable (Date) -> String)?
    let http: HTTPClient
    let session: SignInSession

    public init(baseURL: String, credentials: Credentials, profile: HSEProfile = .nhsa20, clock: any WallClock = SystemWallClock(),
                httpClient: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
        self.profile = profile
        self.clock = clock
        self.http = httpClient
        self.session = SignInSession()
    }

    // MARK: FSI

    /// Sends FSI transaction `infno` with `input`, verifies the platform's `cainfo`, returns `output`.
    /// Every transaction but 9001 needs a `sign_no`: the client signs in once, by itself, when it has none.
    public func call(infno: String, input: JSONObject) async throws -> JSONValue {
        let signer = FSIRequestSigner(credentials: credentials, profile: profile)
        let envelope = try await envelope(infno: infno, input: input)
        let answer = try await post(path: "/fsi/api/rsfComIfsService/callService", body: envelope)
        guard let response = answer.objectValue else { throw YibaoClientError.invalidResponse("the FSI answer is not a JSON object") }
        // infcode as a number or a string, as the dialects write it.
        let infcode: String? = switch response["infcode"] {
        case .number(let literal)?: literal
        case .string(let text)?: text
        default: nil
        }
        guard infcode == "0" else {
            // A refusal answered as HTTP 200: the problem document rides along in `problem`.
            if case .object(let problem)? = response["problem"] {
                let status = problem["status"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 200
                throw YibaoClientError(status: status, problem: problem)
            }
            throw YibaoClientError.invalidResponse("infcode is \(response["infcode"]?.serialized() ?? "missing") without a problem document: \(response["err_msg"]?.stringValue ?? "")")
        }
        if dialect.fsi.signAnswers || !(response["cainfo"]?.stringValue ?? "").isEmpty {
            guard signer.verifyResponse(response) else {
                throw YibaoClientError.invalidResponse("the platform's cainfo does not verify with the platform public key: the answer was altered or came from elsewhere")
            }
        }
        return response["output"] ?? .null
    }

    /// The signed FSI envelope of `infno` (signing in first when there is no `sign_no` yet).
    func envelope(infno: String, input: JSONObject) async throws -> JSONObject {
        var signNo = ""
        if infno != "9001" {
            if let current = await session.signNo { signNo = current } else { signNo = try await signIn() }
        }
        let now = clock.now()
        return try FSIRequestSigner(credentials: credentials, profile: profile)
            .envelope(infno: infno, input: input, signNo: signNo, at: now, operatorCode: operatorCode, operatorName: operatorName,
                      msgid: msgidSuffix.map { credentials.fixmedinsCode + Timestamps.compact(now) + $0(now) })
    }

    /// 9001 sign-in; remembers the `sign_no` for later calls and returns it.
    @discardableResult
    public func signIn(macAddress: String = "00-16-3E-00-00-01", ipAddress: String = "127.0.0.1") async throws -> String {
        let output = try await call(infno: "9001", input: ["signIn": .object([
            "opter_no": .string(operatorCode), "mac": .string(macAddress), "ip": .string(ipAddress),
        ])])
        guard let signNo = output.objectValue?["signinoutb"]?.objectValue?["sign_no"]?.stringValue else {
            throw YibaoClientError.invalidResponse("9001 answered without signinoutb.sign_no")
        }
        await session.set(signNo)
        return signNo
    }

    /// 1101 person info by an identity medium (ID-4).
    public func personInfo(medium: IdentityMedium, number: String, name: String? = nil) async throws -> PersonInfo {
        var data: JSONObject = ["mdtrt_cert_type": .string(medium.rawValue), "mdtrt_cert_no": .string(number), "card_sn": .string(""),
                                "psn_cert_type": .string("01"), "certno": .string(medium == .residentID ? number : "")]
        if let name { data["psn_name"] = .string(name) }
        return try PersonInfo.decode(try await call(infno: "1101", input: ["data": .object(data)]))
    }

    /// 2201 outpatient registration; returns the platform's `mdtrt_id`.
    public func register(_ registration: RegistrationRequest) async throws -> String {
        let output = try await call(infno: "2201", input: ["data": .object(registration.json)])
        guard let id = output.objectValue?["data"]?.objectValue?["mdtrt_id"]?.stringValue else {
            throw YibaoClientError.invalidResponse("2201 answered without data.mdtrt_id")
        }
        return id
    }

    /// 2202 cancels a registration.
    public func cancelRegistration(psnNo: String, mdtrtId: String, iptOtpNo: String) async throws {
        _ = try await call(infno: "2202", input: ["data": .object([
            "psn_no": .string(psnNo), "mdtrt_id": .string(mdtrtId), "ipt_otp_no": .string(iptOtpNo),
        ])])
    }

    // MARK: HSE

    /// Seals `data` for HSE `service` (e.g. `ec.query`), opens and verifies the answer, returns its business data.
    public func hse(service: String, data: JSONValue) async throws -> JSONValue {
        try await hseAnswer(service: service, data: data).data
    }

    /// As ``hse(service:data:)``, with the answer envelope's unsigned `extra` member, if it has one
    /// (a platform may put what it does not sign there; yibao sends none).
    public func hseAnswer(service: String, data: JSONValue) async throws -> (data: JSONValue, extra: JSONValue?) {
        let envelope = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret, profile: profile, dialect: dialect.hse)
        let sealed = try envelope.sealRequest(data: data, privateKey: credentials.privateKey, timestamp: clock.now())
        let answer = try await post(path: "/hse/\(service)", body: sealed)
        guard let object = answer.objectValue else { throw YibaoClientError.invalidResponse("the HSE answer is not a JSON object") }
        // A refusal answered as HTTP 200 (dialects): the problem document rides along in `problem`.
        if object["success"] == .bool(false), case .object(let problem)? = object["problem"] {
            let status = problem["status"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 200
            throw YibaoClientError(status: status, problem: problem)
        }
        switch envelope.open(object, peerPublicKey: credentials.platformPublicKey, now: clock.now()) {
        case .success(let opened): return (opened.data ?? .null, object["extra"])
        case .failure(let failure): throw YibaoClientError.invalidResponse("the platform's answer does not open: \(failure)")
        }
    }

    /// `ec.query`: scans the patient's e-voucher QR code for `business` and returns the bound ecToken.
    public func scanVoucher(qrCode: String, business: BusinessType) async throws -> VoucherScan {
        let data = try await hse(service: "ec.query", data: .object([
            "qrCode": .string(qrCode), "businessType": .string(business.rawValue), "orgId": .string(credentials.fixmedinsCode),
            "operatorId": .string(operatorCode), "operatorName": .string(operatorName),
        ]))
        return try VoucherScan.decode(data)
    }

    /// `ec.payAuth`: exchanges the wallet's authorisation code for a single-use payAuthNo.
    public func payAuthorisation(authCode: String) async throws -> PayAuthorisation {
        try PayAuthorisation.decode(try await hse(service: "ec.payAuth", data: .object([
            "authCode": .string(authCode), "orgCodg": .string(credentials.fixmedinsCode),
        ])))
    }

    // MARK: HTTP

    func post(path: String, body: JSONObject) async throws -> JSONValue {
        try await HTTP.post(http, url: baseURL + path, body: Array(JSONValue.object(body).serialized().utf8), observer: observer)
    }
}

/// Builds and signs FSI requests and verifies FSI answers (docs/GATEWAY.md §FSI): `cainfo` is
/// the SM3-with-SM2 signature of the HSE string-to-sign of the message without `cainfo`.
public struct FSIRequestSigner: Sendable {
    public let credentials: YibaoClient.Credentials
    public let profile: HSEProfile

    public init(credentials: YibaoClient.Credentials, profile: HSEProfile = .nhsa20) {
        self.credentials = credentials
        self.profile = profile
    }

    /// A signed request. `msgid` defaults to fixmedins_code + yyyyMMddHHmmss + 4 random digits.
    public func envelope(infno: String, input: JSONObject, signNo: String, at now: Date, operatorCode: String = "OP0001",
                         operatorName: String = "Demo Operator", msgid: String? = nil) throws -> JSONObject {
        var envelope = JSONObject([
            .init(key: "infno", value: .string(infno)),
            .init(key: "msgid", value: .string(msgid ?? credentials.fixmedinsCode + Timestamps.compact(now) + TokenGenerator.digits(4))),
            .init(key: "mdtrtarea_admvs", value: .string(credentials.admdvs)),
            .init(key: "insuplc_admdvs", value: .string("")),
            .init(key: "recer_sys_code", value: .string("YIBAO")),
            .init(key: "dev_no", value: .string("")),
            .init(key: "dev_safe_info", value: .string("")),
            .init(key: "signtype", value: .string("SM2")),
            .init(key: "infver", value: .string("V1.0")),
            .init(key: "opter_type", value: .string("1")),
            .init(key: "opter", value: .string(operatorCode)),
            .init(key: "opter_name", value: .string(operatorName)),
            .init(key: "inf_time", value: .string(Timestamps.fsi(now))),
            .init(key: "fixmedins_code", value: .string(credentials.fixmedinsCode)),
            .init(key: "fixmedins_name", value: .string(credentials.fixmedinsName)),
            .init(key: "sign_no", value: .string(signNo)),
            .init(key: "input", value: .object(input)),
        ])
        envelope["cainfo"] = .string(try sign(envelope))
        return envelope
    }

    /// `cainfo` for `envelope` (any `cainfo` member in it is ignored).
    public func sign(_ envelope: JSONObject) throws -> String {
        var unsigned = envelope
        unsigned["cainfo"] = nil
        let text = HSESignString.build(envelope: unsigned, appSecret: credentials.appSecret)
        let signature = try credentials.privateKey.signature(for: Array(text.utf8), signerID: profile.signerIDBytes(appSecret: credentials.appSecret))
        return signature.encoded(profile.signatureEncoding).base64
    }

    /// Whether an answer's `cainfo` is the platform's signature of the rest of it.
    public func verifyResponse(_ response: JSONObject) -> Bool {
        var unsigned = response
        let cainfo = unsigned["cainfo"]?.stringValue ?? ""
        unsigned["cainfo"] = nil
        let text = HSESignString.build(envelope: unsigned, appSecret: credentials.appSecret)
        let verifier = SM2Verifier(publicKey: credentials.platformPublicKey, signerID: profile.signerIDBytes(appSecret: credentials.appSecret),
                                   encoding: profile.signatureEncoding)
        return verifier.verify([UInt8](base64: cainfo) ?? [], for: Array(text.utf8))
    }
}

/// Remembers the `sign_no` of the last 9001 sign-in.
actor SignInSession {
    private(set) var signNo: String?
    func set(_ value: String) { signNo = value }
}

/// A refusal or a broken answer, as a value: the server's status, code, rule, pointer and sentence.
public struct YibaoClientError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var rule: String?
    public var pointer: String?
    public var detail: String
    public var expected: String?
    public var actual: String?
    /// For a signature refusal: the canonical string the server computed, and its guess at the mistake.
    public var signString: String?
    public var diagnosis: [String]
    /// The whole problem document as received.
    public var problem: JSONValue?

    public init(status: Int, code: String, rule: String? = nil, pointer: String? = nil, detail: String, expected: String? = nil,
                actual: String? = nil, signString: String? = nil, diagnosis: [String] = [], problem: JSONValue? = nil) {
        self.status = status
        self.code = code
        self.rule = rule
        self.pointer = pointer
        self.detail = detail
        self.expected = expected
        self.actual = actual
        self.signString = signString
        self.diagnosis = diagnosis
        self.problem = problem
    }

    static func invalidResponse(_ detail: String) -> YibaoClientError {
        YibaoClientError(status: 0, code: "CLIENT_INVALID_RESPONSE", detail: detail)
    }

    /// From an `application/problem+json` body (or the `problem` member of an HTTP-200 refusal).
    init(status: Int, problem object: JSONObject) {
        let details = ProblemDetails(json: object, status: status)
        self.init(status: status, code: details.code, rule: details.rule, pointer: object["pointer"] == nil ? nil : details.pointer, detail: details.detail,
                  expected: details.expected, actual: details.actual, signString: details.signString, diagnosis: details.diagnosis,
                  problem: .object(object))
    }

    /// The refusal as the problem document every party shares.
    public var details: ProblemDetails {
        ProblemDetails(status: status, code: code, rule: rule, pointer: pointer ?? "", detail: detail, expected: expected, actual: actual,
                       signString: signString, diagnosis: diagnosis)
    }

    public var description: String {
        var text = "\(code)"
        if let rule { text += " [\(rule)]" }
        if let pointer, !pointer.isEmpty { text += " at \(pointer)" }
        text += ": \(detail)"
        if let expected { text += "\n  expected: \(expected)" }
        if let actual { text += "\n  actual:   \(actual)" }
        if let signString { text += "\n  string the server verified: \(signString)" }
        for line in diagnosis { text += "\n  diagnosis: \(line)" }
        return text
    }
}

/// The few HTTP calls, with the problem+json mapping.
/// Sees every HTTP exchange a client makes; the conformance tester records them for its HAR file.
public protocol HTTPExchangeObserver: Sendable {
    /// One request and its answer (`status` 0 and `error` set when no answer came).
    func observe(_ exchange: ObservedExchange)
}

/// One HTTP request and its answer, as the client sent and received it.
public struct ObservedExchange: Sendable {
    public var method: String
    public var url: String
    public var requestHeaders: [(name: String, value: String)]
    public var requestBody: [UInt8]
    public var status: Int
    public var responseHeaders: [(name: String, value: String)]
    public var responseBody: [UInt8]
    public var error: String?
    public var startedAt: Date
    public var duration: TimeInterval

    public init(method: String, url: String, requestHeaders: [(name: String, value: String)], requestBody: [UInt8], status: Int,
                responseHeaders: [(name: String, value: String)], responseBody: [UInt8], error: String? = nil, startedAt: Date, duration: TimeInterval) {
        self.method = method
        self.url = url
        self.requestHeaders = requestHeaders
        self.requestBody = requestBody
        self.status = status
        self.responseHeaders = responseHeaders
        self.responseBody = responseBody
        self.error = error
        self.startedAt = startedAt
        self.duration = duration
    }
}

public enum HTTP {
    /// Within a task that sets it (the conformance runner does, for each case), an answer 429 with a
    /// `Retry-After` of at most 5 s is waited out and the request sent again, up to 5 times: a
    /// gateway's per-source refusal budget answers 429 before it processes anything, so the resend
    /// is the same request, not a second one. Off by default: a client sees its 429.
    @TaskLocal public static var waitsOutRateLimits = false

    /// POSTs JSON and returns the JSON answer; a problem+json answer becomes a ``YibaoClientError``.
    public static func post(_ client: HTTPClient, url: String, body: [UInt8], bearer: String? = nil,
                            observer: (any HTTPExchangeObserver)? = nil) async throws -> JSONValue {
        try await send(client, url: url, method: .POST, body: body, bearer: bearer, observer: observer)
    }

    /// GETs JSON.
    public static func get(_ client: HTTPClient, url: String, bearer: String? = nil, observer: (any HTTPExchangeObserver)? = nil) async throws -> JSONValue {
        try await send(client, url: url, method: .GET, body: nil, bearer: bearer, observer: observer)
    }

    /// One request and its raw answer, whatever the status; throws only when no answer came
    /// (`CLIENT_CONNECTION_FAILED`). `observer` sees the exchange either way.
    public static func exchange(_ client: HTTPClient, url: String, method: HTTPMethod = .POST, body: [UInt8]?, bearer: String? = nil,
                                headers: [(name: String, value: String)] = [], contentType: String = "application/json; charset=utf-8",
                                timeout: TimeAmount = .seconds(30), observer: (any HTTPExchangeObserver)? = nil) async throws -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Content-Type", value: contentType)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let started = Date()
        var observed = ObservedExchange(method: method.rawValue, url: url, requestHeaders: request.headers.map { ($0.name, $0.value) },
                                        requestBody: body ?? [], status: 0, responseHeaders: [], responseBody: [], error: nil,
                                        startedAt: started, duration: 0)
        var response: HTTPClientResponse
        var bytes: [UInt8]
        do {
            response = try await client.execute(request, timeout: timeout)
            bytes = Array(try await response.body.collect(upTo: 16 << 20).readableBytesView)
            var waits = 0
            while waitsOutRateLimits, response.status.code == 429, waits < 5,
                  let seconds = response.headers.first(name: "Retry-After").flatMap(Int.init), (0...5).contains(seconds) {
                waits += 1
                try await Task.sleep(for: .seconds(seconds))
                response = try await client.execute(request, timeout: timeout)
                bytes = Array(try await response.body.collect(upTo: 16 << 20).readableBytesView)
            }
        } catch {
            observed.error = "\(error)"
            observed.duration = Date().timeIntervalSince(started)
            observer?.observe(observed)
            throw YibaoClientError(status: 0, code: "CLIENT_CONNECTION_FAILED", detail: "could not reach \(url): \(error) — is `yibao serve` running?")
        }
        observed.status = Int(response.status.code)
        observed.responseHeaders = response.headers.map { ($0.name, $0.value) }
        observed.responseBody = bytes
        observed.duration = Date().timeIntervalSince(started)
        observer?.observe(observed)
        return (observed.status, bytes)
    }

    static func send(_ client: HTTPClient, url: String, method: HTTPMethod, body: [UInt8]?, bearer: String?,
                     observer: (any HTTPExchangeObserver)? = nil) async throws -> JSONValue {
        let (status, bytes) = try await exchange(client, url: url, method: method, body: body, bearer: bearer, observer: observer)
        let value = try? JSONValue.parse(bytes)
        guard (200..<300).contains(status) else {
            if let object = value?.objectValue { throw YibaoClientError(status: status, problem: object) }
            throw YibaoClientError(status: status, code: "HTTP_\(status)", detail: String(decoding: bytes.prefix(500), as: UTF8.self))
        }
        guard let value else { throw YibaoClientError.invalidResponse("the answer from \(url) is not JSON") }
        return value
    }
}
