import AsyncHTTPClient
import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto

/// Suite `callback-receiver`: plays the platform against a hospital's settlement-callback endpoint
/// (docs/SETTLEMENT.md §callbacks). Callbacks are sealed HSE requests from the platform, written in
/// the receiver's dialect (docs/DIALECTS.md §10: PROTOCOL.md's `SETL`/`REFUND`, or `callType "02"`
/// with arrays in `extData`); the hospital acknowledges in the dialect's form (`{"code":0}`,
/// `{"success":true}` or an empty HTTP 200) and must refuse what the platform did not send.
public final class CallbackReceiverSuite: ConformanceSuite, @unchecked Sendable {
    public let name = "callback-receiver"
    let sender: PlatformSender
    let credentials: DemoCredentials
    /// The first valid callback and its answer, kept for the duplicate and acknowledgement-form cases.
    private var firstCallback: JSONObject?
    private var firstAnswer: PlatformSender.Answer?
    /// The receiver's dialect (`--profile`): the callback's shape and its acknowledgement.
    let profile: String
    let dialect: PaymentDialect

    /// - Parameters:
    ///   - target: the full URL of the hospital's callback endpoint.
    ///   - institution: whose app the callbacks are sealed for.
    ///   - platformKey: the platform's SM2 key (the dev one: certs/sm2/platform.key.pem).
    ///   - profile: the receiver's dialect profile (default nhsa-2.0).
    public init(target: String, credentials: DemoCredentials, institution: String, platformKey: SM2.PrivateKey, seed: UInt64, clock: VirtualClock,
                recorder: ExchangeRecorder, profile: DialectProfile = .nhsa20, http: HTTPClient = .shared) throws {
        guard let app = credentials.institutions.first(where: { $0.fixmedins_code == institution }) else {
            throw ConformanceError("no institution \(institution) in certs/demo-credentials.json")
        }
        self.credentials = credentials
        sender = PlatformSender(target: target, app: app, platformKey: platformKey, seed: seed, clock: clock, recorder: recorder, http: http)
        sender.acknowledgement = profile.payment.callback
        self.profile = profile.name
        dialect = profile.payment
    }

    public func prepare() async throws {
        // The receiver's clock is its own: ours starts at the real time and follows it.
        let probe = await sender.post(Array("{}".utf8))
        if probe.status == 0 { throw ConformanceError("cannot reach \(sender.target): \(probe.text)") }
    }

    public var implemented: Set<String> { Set(Self.cases.keys) }

    public var notApplicable: [String: String] {
        dialect.callback.refundCallbacks ? [:] : ["CB-ORDER-001": "profile \(profile) reports refunds in 6203's refStatus, not by callback"]
    }

    public func run(_ caseId: String) async throws -> String {
        guard let body = Self.cases[caseId] else { throw CaseSkipped("not implemented") }
        return try await body(self)
    }

    /// A settlement callback's business data, in the receiver's dialect (the gateway's own builder, SettlementNotice).
    func callback(_ callType: String, payOrdId: String, amount: String = "73.60") -> JSONValue {
        let total = Money.fen(amount) ?? 0
        let refund = callType != "SETL"
        let notice = SettlementNotice(kind: refund ? .refund : .settlement, payOrdId: payOrdId, medOrgOrd: "MO" + payOrdId.suffix(20),
                                      ordStas: refund ? "7" : "6", feeSumFen: total, cashFen: 0, accountFen: min(1701, total), fundFen: max(0, total - 1701),
                                      refundedFen: refund ? total : 0, at: sender.clock.now(),
                                      setlinfo: ["setl_id": .string("SETL" + payOrdId.suffix(16)), "medfee_sumamt": .string(amount)],
                                      setldetail: [SettlementNotice.fundLine(insutype: "310", fundFen: max(0, total - 1701), inScopeFen: total)],
                                      institutionCode: sender.app.fixmedins_code, institutionName: sender.app.fixmedins_code,
                                      setlId: "SETL" + payOrdId.suffix(16), mdtrtId: "MDT" + payOrdId.suffix(16), ecCode: sender.random.hex(bytes: 16).uppercased(),
                                      revsToken: sender.random.hex(bytes: 8))
        return .object(notice.data(dialect.callback, amounts: dialect.answerAmounts))
    }

    func newOrder() -> String { "PO" + sender.runStamp + sender.random.digits(8) }

    typealias Case = @Sendable (CallbackReceiverSuite) async throws -> String

    static let cases: [String: Case] = [
        "CB-VALID-001": { suite in
            let envelope = try suite.sender.seal(suite.callback("SETL", payOrdId: suite.newOrder()))
            let answer = await suite.sender.post(envelope)
            try suite.sender.expectAcknowledged(answer, "a valid settlement callback (profile \(suite.profile)) for an order the receiver has not seen yet")
            suite.firstCallback = envelope
            suite.firstAnswer = answer
            return "a valid settlement callback sealed by the platform was acknowledged: \(answer.text)"
        },
        "CB-ACK-001": { suite in
            guard let answer = suite.firstAnswer else { throw CaseFailure("cannot run: CB-VALID-001's callback was not acknowledged") }
            let form = suite.dialect.callback
            if let remark = form.acknowledgementRemark(status: answer.status, body: answer.body) {
                throw CaseFailure("the acknowledgement is not in profile \(suite.profile)'s form: \(remark)", expected: form.acknowledgement.description, actual: answer.text)
            }
            return "the acknowledgement has profile \(suite.profile)'s form (\(form.acknowledgement.description)): \(answer.text)"
        },
        "CB-DUP-001": { suite in
            guard let envelope = suite.firstCallback else { throw CaseFailure("cannot run: CB-VALID-001's callback was not acknowledged") }
            let answer = await suite.sender.post(envelope)
            try suite.sender.expectAcknowledged(answer, "the same callback delivered again (the platform retries byte-identical callbacks until acknowledged)")
            return "the byte-identical retry was acknowledged again"
        },
        "CB-FORGED-001": { suite in
            let envelope = try suite.sender.seal(suite.callback("SETL", payOrdId: suite.newOrder()), key: try suite.sender.impostorKey())
            return try suite.sender.expectRefused(await suite.sender.post(envelope), "a callback signed with a key that is not the platform's")
        },
        "CB-FORGED-002": { suite in
            var envelope = try suite.sender.seal(suite.callback("SETL", payOrdId: suite.newOrder()))
            let seal = try HSEEnvelope(appId: suite.sender.app.appId, appSecret: suite.sender.app.appSecret)
            envelope["encData"] = .string(try seal.encrypt(Array(suite.callback("SETL", payOrdId: suite.newOrder(), amount: "0.01").serialized(sortedKeys: true).utf8)))
            return try suite.sender.expectRefused(await suite.sender.post(envelope), "a callback whose encData was replaced after the platform signed it")
        },
        "CB-FORGED-003": { suite in
            var envelope = try suite.sender.seal(suite.callback("SETL", payOrdId: suite.newOrder()))
            let seal = try HSEEnvelope(appId: suite.sender.app.appId, appSecret: suite.sender.app.appSecret)
            let data = try JSONValue.parse(try seal.decrypt(envelope["encData"]?.stringValue ?? ""))
            envelope["signData"] = nil
            let text = seal.signString(envelope: envelope, data: data)
            envelope["signData"] = .string(try suite.sender.platformKey.signature(for: Array(text.utf8), signerID: []).encoded(.raw).base64)
            return try suite.sender.expectRefused(await suite.sender.post(envelope), "a callback signed with an empty SM2 signer ID (the profile uses 1234567812345678)")
        },
        "CB-STALE-001": { suite in
            let envelope = try suite.sender.seal(suite.callback("SETL", payOrdId: suite.newOrder()), at: suite.sender.clock.now().addingTimeInterval(-86_400))
            return try suite.sender.expectRefused(await suite.sender.post(envelope), "a never-seen callback sealed 24 hours ago")
        },
        "CB-REPLAY-001": { suite in
            let other = try PlatformSender.otherApp(than: suite.sender.app.fixmedins_code, in: suite.credentials)
            let envelope = try suite.sender.seal(suite.callback("SETL", payOrdId: suite.newOrder()), for: other)
            return try suite.sender.expectRefused(await suite.sender.post(envelope), "a genuine callback for another institution (\(other.fixmedins_code)) replayed to this one")
        },
        "CB-ORDER-001": { suite in
            let order = suite.newOrder()
            let refund = try suite.sender.seal(suite.callback("REFUND", payOrdId: order))
            let early = await suite.sender.post(refund)
            guard !early.acknowledged(under: suite.sender.acknowledgement) else {
                throw CaseFailure("a REFUND callback for an order whose SETL never arrived was acknowledged", expected: "refused until the SETL arrives (the platform retries it)",
                                  actual: early.text)
            }
            try suite.sender.expectAcknowledged(await suite.sender.post(try suite.sender.seal(suite.callback("SETL", payOrdId: order))), "the order's SETL callback")
            try suite.sender.expectAcknowledged(await suite.sender.post(refund), "the REFUND callback retried after its SETL")
            return "the REFUND that arrived before its SETL was refused, the SETL acknowledged, the retried REFUND then acknowledged"
        },
        "CB-FIELD-001": { suite in
            guard case .object(var data) = suite.callback("SETL", payOrdId: suite.newOrder()) else { throw CaseFailure("internal: callback data") }
            data["payOrdId"] = nil
            return try suite.sender.expectRefused(await suite.sender.post(try suite.sender.seal(.object(data))), "a genuine callback without payOrdId")
        },
        "CB-NOTJSON-001": { suite in
            try suite.sender.expectRefused(await suite.sender.post(Array("payOrdId=1&ordStas=6".utf8)), "a body that is not JSON")
        },
    ]
}
