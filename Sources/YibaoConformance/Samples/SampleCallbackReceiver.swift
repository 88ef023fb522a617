import Foundation
import Hummingbird
import Logging
import YibaoCore
import YibaoCrypto

/// A sample hospital-side receiver of settlement callbacks (结算结果通知, docs/SETTLEMENT.md §4):
/// the reference a hospital developer copies, and the target the conformance tester's
/// `callback-receiver` suite drives.
///
/// The platform POSTs an HSE **request** envelope (docs/ENVELOPE.md) sealed with the platform's
/// SM2 key for this institution's app; its business data is the callback (`ordStas`, `callType`
/// `SETL` | `REFUND`, `payOrdId`, `medOrgOrd`, `traceTime`, `feeSumamt`, `ownpayAmt`,
/// `psnAcctPay`, `fundPay`, `setlType`, `revsToken`, `refdAmt`, `extData`). The platform retries
/// the **identical bytes** until it gets HTTP 2xx with `{"code":0}`.
///
/// A strict receiver checks, in this order (each refusal is `{"code":N,"message":"…"}` naming the field):
///
/// | step | check | refusal |
/// |---|---|---|
/// | 1 | the body is a JSON object whose `appId` is ours | 400, code 1 |
/// | 2 | the envelope opens: decrypts with our appSecret, `signData` verifies with the platform's key | 401, code 2 |
/// | 3 | a signature already **accepted** is a retry: the same acknowledgement again, nothing processed twice | — |
/// | 4 | `timestamp` within ±`windowSeconds` of our clock (a replay of an old callback) | 401, code 3 |
/// | 5 | `data` holds `payOrdId`, `callType` (`SETL` or `REFUND`), `ordStas`, `feeSumamt` | 400, code 4 |
/// | 6 | a `REFUND` only after that order's `SETL` was accepted | 409, code 5 (the retry will succeed later) |
/// | 7 | apply it, remember the signature, acknowledge `{"code":0,"message":"received"}` | — |
///
/// The duplicate check (3) comes before the freshness check (4) on purpose: the platform keeps
/// retrying a callback whose acknowledgement it lost, with the original `timestamp`, for up to
/// ~43 minutes (SETTLEMENT.md §4.3), and those retries must still be acknowledged. A callback
/// refused in step 6 is *not* remembered, so the platform's retry is processed once the `SETL`
/// has arrived. The window is therefore 2 hours by default, longer than the platform's whole
/// retry schedule (5 s doubling, 10 attempts: about 43 minutes), so no genuine retry is ever
/// refused as stale; older messages never seen before are.
///
/// `sloppy: true` makes the deliberately bad receiver the tester must catch: it acknowledges
/// everything that is JSON at all and checks nothing.
public actor SampleCallbackReceiver {
    /// What the receiver has done so far, for demos and tests.
    public struct Tally: Sendable, Hashable {
        /// Distinct orders whose `SETL` callback was accepted.
        public var ordersPaid = 0
        /// Accepted `REFUND` callbacks.
        public var refundsApplied = 0
        /// Byte-identical retries of an accepted callback, acknowledged again without processing.
        public var duplicatesIgnored = 0
        /// Callbacks refused (any non-zero code).
        public var refused = 0
        /// Acknowledgements sent (`code` 0), retries and sloppy ones included.
        public var acknowledged = 0

        public init() {}
    }

    public let appId: String
    public let windowSeconds: Int
    public let sloppy: Bool
    /// The dialect's callback: `callType` `SETL`/`REFUND` or `"02"`, and how to acknowledge and refuse
    /// (`{"code":N}`, `{"success":bool,"message"}`, or an empty HTTP 200 and a 4xx with a message).
    public let dialect: CallbackDialect
    private let gate: SampleEnvelopeGate
    private let clock: any WallClock

    /// 2 hours: longer than the platform's retry schedule (~43 minutes), see above.
    public static let defaultWindowSeconds = 7200

    /// Orders whose `SETL` we accepted (`payOrdId`s).
    private var paidOrders: Set<String> = []
    /// Accepted callbacks: hex of the signature bytes → the acknowledgement we sent.
    private var acknowledgements: [String: [UInt8]] = [:]
    private var tally = Tally()

    /// - Parameters:
    ///   - appId, appSecret: this institution's app credentials (`demo-credentials.json`).
    ///   - platformPublicKey: the platform's SM2 key (`platform.publicKey`), which signs every callback.
    ///   - windowSeconds: how far `timestamp` may be from our clock, either way (exactly ± is accepted).
    ///   - sloppy: acknowledge everything that is JSON, check nothing (the bad receiver).
    ///   - clock: our clock for the timestamp window.
    ///   - dialect: the callback's shape and acknowledgement (a dialect profile's `payment.callback`).
    public init(appId: String, appSecret: String, platformPublicKey: SM2.PublicKey, profile: HSEProfile = .nhsa20,
                windowSeconds: Int = SampleCallbackReceiver.defaultWindowSeconds, sloppy: Bool = false, clock: any WallClock = SystemWallClock(),
                dialect: CallbackDialect = CallbackDialect()) {
        self.appId = appId
        self.dialect = dialect
        self.windowSeconds = windowSeconds
        self.sloppy = sloppy
        self.clock = clock
        gate = SampleEnvelopeGate(appId: appId, appSecret: appSecret, platformPublicKey: platformPublicKey, profile: profile,
                                  windowSeconds: windowSeconds)
    }

    /// What it processed: orders paid, refunds applied, duplicates ignored, refusals, acknowledgements.
    public var processed: Tally { tally }

    /// Whether a `SETL` callback for `payOrdId` was accepted.
    public func isPaid(_ payOrdId: String) -> Bool { paidOrders.contains(payOrdId) }

    /// Handles one POSTed body; returns (HTTP status, JSON answer bytes).
    public func handle(_ body: [UInt8]) -> (status: Int, body: [UInt8]) {
        if sloppy { return acknowledgeBlindly(body) }
        do {
            return try process(body)
        } catch {
            tally.refused += 1
            return answer(error)
        }
    }

    /// The acknowledgement in the dialect's form.
    private var acknowledgement: [UInt8] {
        switch dialect.acknowledgement {
        case .code0: SampleAnswer.body(code: 0, message: "received")
        case .success: Array(JSONValue.object(["success": .bool(true), "message": "received"]).serialized().utf8)
        case .empty200: []
        }
    }

    /// A refusal in the dialect's form: `{"code":N}`, `{"success":false}` (HTTP 200 as Shanxi answers an
    /// unknown order, else the refusal's status), or the status with a `{"code","message"}` body.
    private func answer(_ refusal: SampleRefusal) -> (status: Int, body: [UInt8]) {
        guard dialect.acknowledgement == .success else { return refusal.answer }
        return (refusal.status, Array(JSONValue.object(["success": .bool(false), "message": .string(refusal.message)]).serialized().utf8))
    }

    /// The strict receiver, steps 1–7 of the type's documentation.
    private func process(_ body: [UInt8]) throws(SampleRefusal) -> (status: Int, body: [UInt8]) {
        // 1–2. Ours, and authentic: decrypted with our secret, signed by the platform.
        let opened = try gate.open(try gate.parse(body))

        // 3. A retry of a callback we already accepted: the same answer, nothing applied twice.
        let signature = gate.signatureKey(opened)
        if let acknowledgement = acknowledgements[signature] {
            tally.duplicatesIgnored += 1
            tally.acknowledged += 1
            return (200, acknowledgement)
        }

        // 4. Fresh: an old callback replayed by someone else is refused.
        try gate.checkFresh(opened, now: clock.now())

        // 5. The fields we act on.
        guard case .object(let data)? = opened.data else {
            throw SampleRefusal(status: 400, code: 4, message: "/data: the decrypted business data must be a JSON object")
        }
        let payOrdId = try SampleEnvelopeGate.requireString(data, "payOrdId")
        let callType = try SampleEnvelopeGate.requireString(data, "callType")
        // callType "02" (real platforms) is a settlement: refunds then come in 6203's refStatus, not here.
        let accepted = dialect.callType == .fixed02 ? ["02"] : ["SETL", "REFUND"]
        guard accepted.contains(callType) else {
            throw SampleRefusal(status: 400, code: 4, message: "/data/callType: must be \(accepted.joined(separator: " or ")), got \"\(callType)\"")
        }
        _ = try SampleEnvelopeGate.requireString(data, "ordStas")
        _ = try SampleEnvelopeGate.requireString(data, "feeSumamt")
        _ = try SampleEnvelopeGate.requireString(data, dialect.cashMember)
        if dialect.extDataArrays {
            guard case .object(let extData)? = data["extData"], case .array? = extData["setlinfo"], case .array? = extData["setldetail"] else {
                throw SampleRefusal(status: 400, code: 4, message: "/data/extData: must hold the arrays setlinfo and setldetail")
            }
        }

        // 6. Out of order: a refund of an order we have not seen paid. Not remembered, so the
        //    platform's identical retry is processed once the SETL has arrived.
        if callType == "REFUND", !paidOrders.contains(payOrdId) {
            throw SampleRefusal(status: 409, code: 5, message: "/data/callType: REFUND before SETL for payOrdId \(payOrdId); retry later")
        }

        // 7. Apply. A real hospital would update its order here (ordStas 6: paid; 15: settlement
        //    failed, the patient pays in full) and commit that together with the signature it remembers.
        switch callType {
        case "REFUND": tally.refundsApplied += 1
        default: paidOrders.insert(payOrdId) // a second settlement callback for a paid order changes nothing
        }
        tally.ordersPaid = paidOrders.count
        let acknowledgement = self.acknowledgement
        acknowledgements[signature] = acknowledgement
        tally.acknowledged += 1
        return (200, acknowledgement)
    }

    /// The bad receiver: `{"code":0}` for any JSON, unread and unverified.
    private func acknowledgeBlindly(_ body: [UInt8]) -> (status: Int, body: [UInt8]) {
        guard (try? JSONValue.parse(body)) != nil else {
            tally.refused += 1
            return answer(SampleRefusal(status: 400, code: 1, message: "the body is not JSON"))
        }
        tally.acknowledged += 1
        return (200, acknowledgement)
    }

    // MARK: HTTP

    /// `POST /callback`: collects the body (at most 1 MiB) and answers what `handle` says.
    public nonisolated func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        SampleReceiverHTTP.route(router, path: "/callback") { body in await self.handle(body) }
        return router
    }

    /// An application serving `router()` on `host:port` (port 0: any free port); `onRunning` gets the bound port.
    public static func application(_ receiver: SampleCallbackReceiver, host: String = "127.0.0.1", port: Int,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        SampleReceiverHTTP.application(router: receiver.router(), name: "sample-callback-receiver", host: host, port: port, onRunning: onRunning)
    }
}

// MARK: - Shared by the sample receivers

/// A refusal: the HTTP status and the `{"code":N,"message":"…"}` answer.
struct SampleRefusal: Error, Sendable, Hashable {
    var status: Int
    var code: Int
    var message: String

    var answer: (status: Int, body: [UInt8]) { (status, SampleAnswer.body(code: code, message: message)) }
}

/// The receivers' JSON answers, members in the order `code`, `message`, then any extra.
enum SampleAnswer {
    static func body(code: Int, message: String, extra: [JSONObject.Member] = []) -> [UInt8] {
        let object = JSONObject([.init(key: "code", value: .integer(code)), .init(key: "message", value: .string(message))] + extra)
        return Array(JSONValue.object(object).serialized().utf8)
    }
}

/// Steps 1, 2 and 4 of a strict receiver of platform-sealed HSE requests: ours, authentic, fresh.
/// (Step 3, the duplicate check, needs the receiver's memory and sits between 2 and 4.)
struct SampleEnvelopeGate: Sendable {
    let appId: String
    let platformPublicKey: SM2.PublicKey
    let windowSeconds: Int
    /// nil when the credentials cannot open any envelope (an appId shorter than 16 characters, an empty secret).
    let envelope: HSEEnvelope?
    let configurationProblem: String

    init(appId: String, appSecret: String, platformPublicKey: SM2.PublicKey, profile: HSEProfile, windowSeconds: Int) {
        self.appId = appId
        self.platformPublicKey = platformPublicKey
        self.windowSeconds = windowSeconds
        do {
            envelope = try HSEEnvelope(appId: appId, appSecret: appSecret, profile: profile)
            configurationProblem = ""
        } catch {
            envelope = nil
            configurationProblem = "\(error)"
        }
    }

    /// 1. The body is a JSON object addressed to our app.
    func parse(_ body: [UInt8]) throws(SampleRefusal) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONValue.parse(body)
        } catch {
            throw SampleRefusal(status: 400, code: 1, message: "the body is not JSON (\(error)); expected an HSE envelope with /appId")
        }
        guard case .object(let object) = value else {
            throw SampleRefusal(status: 400, code: 1, message: "the body must be a JSON object (an HSE envelope with /appId)")
        }
        guard let sent = object["appId"] else {
            throw SampleRefusal(status: 400, code: 1, message: "/appId is missing; expected \(appId)")
        }
        guard sent.stringValue == appId else {
            throw SampleRefusal(status: 400, code: 1, message: "/appId is \(sent.serialized()), not this receiver's app \(appId)")
        }
        return object
    }

    /// 2. The envelope decrypts with our secret and its signature verifies with the platform's key.
    /// The timestamp window is not applied here (`now: nil`): the receiver checks it after the duplicate check.
    func open(_ object: JSONObject) throws(SampleRefusal) -> HSEOpened {
        guard let envelope else {
            throw SampleRefusal(status: 500, code: 2, message: "this receiver is misconfigured and cannot open envelopes: \(configurationProblem)")
        }
        switch envelope.open(object, peerPublicKey: platformPublicKey, now: nil, diagnose: false) {
        case .success(let opened):
            return opened
        case .failure(let failure):
            let pointer = failure.pointer.isEmpty ? "(envelope)" : failure.pointer
            throw SampleRefusal(status: 401, code: 2,
                                message: "\(pointer): the envelope does not open (\(failure.code.rawValue)): \(failure.detail) — forged or altered")
        }
    }

    /// The key of step 3: hex of the signature bytes (`signData` base64-decoded), the same for byte-identical retries.
    func signatureKey(_ opened: HSEOpened) -> String {
        let text = opened.envelope["signData"]?.stringValue ?? ""
        return Hex.encode([UInt8](base64: text) ?? Array(text.utf8))
    }

    /// 4. `timestamp` (epoch ms) within ±`windowSeconds` of `now`; exactly ± the window is accepted.
    func checkFresh(_ opened: HSEOpened, now: Date) throws(SampleRefusal) {
        let nowMilliseconds = Int64((now.timeIntervalSince1970 * 1000).rounded())
        let skew = opened.timestamp - nowMilliseconds
        let window = Int64(clamping: windowSeconds).multipliedReportingOverflow(by: 1000)
        guard window.overflow || skew.magnitude <= window.partialValue.magnitude else {
            let sent = Date(timeIntervalSince1970: TimeInterval(opened.timestamp) / 1000)
            throw SampleRefusal(status: 401, code: 3, message:
                "/timestamp: stale — the envelope says \(Timestamps.iso(sent)) (\(opened.timestamp)), our clock says \(Timestamps.iso(now)) (\(nowMilliseconds)): "
                + "\(Double(skew.magnitude) / 1000) s \(skew < 0 ? "in the past" : "in the future"), the window is ±\(windowSeconds) s")
        }
    }

    /// A member of the business data that must be a non-empty string; refused with code 4 at `/data/<key>`.
    static func requireString(_ data: JSONObject, _ key: String, pointer: String = "/data") throws(SampleRefusal) -> String {
        guard let value = data[key] else {
            throw SampleRefusal(status: 400, code: 4, message: "\(pointer)/\(key) is missing")
        }
        guard let text = value.stringValue, !text.isEmpty else {
            throw SampleRefusal(status: 400, code: 4, message: "\(pointer)/\(key) must be a non-empty string, got \(value.serialized())")
        }
        return text
    }
}

/// The HTTP side of the sample receivers.
enum SampleReceiverHTTP {
    /// Bodies larger than this are refused (413, code 1).
    static let bodyLimit = 1 << 20

    /// Registers `POST path`: collect the body, hand it to `handle`, answer its JSON with its status.
    static func route(_ router: Router<BasicRequestContext>, path: RouterPath,
                      handle: @escaping @Sendable ([UInt8]) async -> (status: Int, body: [UInt8])) {
        router.post(path) { request, _ -> Response in
            let answer: (status: Int, body: [UInt8])
            do {
                let buffer = try await request.body.collect(upTo: bodyLimit)
                answer = await handle(Array(buffer.readableBytesView))
            } catch {
                answer = SampleRefusal(status: 413, code: 1, message: "the body is larger than 1 MiB").answer
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
    }

    /// Modelled on `Gateway.application`: logs warnings and worse; `onRunning` gets the bound port.
    static func application(router: Router<BasicRequestContext>, name: String, host: String, port: Int,
                            onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        var logger = Logger(label: name)
        logger.logLevel = .warning
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: name),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
                           logger: logger)
    }
}
