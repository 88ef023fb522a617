import AsyncHTTPClient
import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto

/// What the receiver suites share: they play the platform, sealing messages for one hospital app
/// with the platform's key and POSTing them to the hospital's endpoint, and read its answers the
/// way the platform's dispatcher does (docs/SETTLEMENT.md: 2xx with `code` 0 or `success` true acknowledges).
final class PlatformSender: @unchecked Sendable {
    let target: String
    let app: DemoCredentials.Institution
    let platformKey: SM2.PrivateKey
    let clock: VirtualClock
    let recorder: ExchangeRecorder
    let http: HTTPClient
    var random: SeededRandom
    /// What acknowledges a message: `{"code":0}` unless the callback suite runs under another profile.
    var acknowledgement = CallbackDialect()
    /// yyyyMMddHHmmss of the run's start, part of every identifier that must differ between runs.
    let runStamp: String

    init(target: String, app: DemoCredentials.Institution, platformKey: SM2.PrivateKey, seed: UInt64, clock: VirtualClock, recorder: ExchangeRecorder, http: HTTPClient) {
        self.target = target
        self.app = app
        self.platformKey = platformKey
        self.clock = clock
        self.recorder = recorder
        self.http = http
        random = SeededRandom(seed: seed)
        runStamp = Timestamps.compact(clock.now())
    }

    /// The receiver's answer.
    struct Answer {
        var status: Int
        var body: [UInt8]
        var error: String?

        /// Whether the answer acknowledges under `form` (CallbackDialect.judge: by default 2xx with `code` 0 — number or string — or `success` true).
        func acknowledged(under form: CallbackDialect = CallbackDialect()) -> Bool { error == nil && form.judge(status: status, body: body) == nil }

        var text: String { error ?? "HTTP \(status) \(String(decoding: body.prefix(300), as: UTF8.self))" }
    }

    /// Seals `data` for `app` (default: the configured one) with `key` (default: the platform's).
    func seal(_ data: JSONValue, for app: DemoCredentials.Institution? = nil, key: SM2.PrivateKey? = nil, at time: Date? = nil) throws -> JSONObject {
        let app = app ?? self.app
        let envelope = try HSEEnvelope(appId: app.appId, appSecret: app.appSecret)
        return try envelope.sealRequest(data: data, privateKey: key ?? platformKey, timestamp: time ?? clock.now())
    }

    /// POSTs `body` to the target; never throws (a connection failure is an answer with status 0).
    func post(_ body: [UInt8]) async -> Answer {
        do {
            let (status, answer) = try await HTTP.exchange(http, url: target, body: body, timeout: .seconds(10), observer: recorder)
            return Answer(status: status, body: answer)
        } catch {
            return Answer(status: 0, body: [], error: "no answer from \(target): \(error)")
        }
    }

    func post(_ envelope: JSONObject) async -> Answer { await post(Array(JSONValue.object(envelope).serialized().utf8)) }

    /// The case passes when the receiver acknowledged.
    func expectAcknowledged(_ answer: Answer, _ what: String) throws {
        guard answer.acknowledged(under: acknowledgement) else {
            throw CaseFailure("\(what) was not acknowledged: \(acknowledgement.judge(status: answer.status, body: answer.body) ?? "")", expected: acknowledgement.acknowledgement.description, actual: answer.text)
        }
    }

    /// The case passes when the receiver refused: any non-2xx status, or a 2xx whose `code` is not 0.
    func expectRefused(_ answer: Answer, _ what: String) throws -> String {
        if answer.status == 0 { throw CaseFailure("the receiver did not answer \(what)", expected: "a refusal", actual: answer.text) }
        guard !answer.acknowledged(under: acknowledgement) else {
            throw CaseFailure("\(what) was acknowledged", expected: acknowledgement.acknowledgement == .code0 ? "a refusal (HTTP 4xx, or {\"code\":<non-zero>})"
                                  : "a refusal (HTTP 4xx/5xx, or anything but \(acknowledgement.acknowledgement.description))", actual: answer.text)
        }
        return "\(what) refused: \(answer.text)"
    }

    /// Another institution's app from the demo credentials, for "sealed for someone else".
    static func otherApp(than code: String, in credentials: DemoCredentials) throws -> DemoCredentials.Institution {
        guard let other = credentials.institutions.first(where: { $0.fixmedins_code != code }) else {
            throw ConformanceError("certs/demo-credentials.json has no second institution")
        }
        return other
    }

    /// An SM2 key that is not the platform's (seeded, so runs repeat).
    func impostorKey() throws -> SM2.PrivateKey {
        var bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        bytes[0] = 0x11
        return try SM2.PrivateKey(rawRepresentation: bytes)
    }
}
