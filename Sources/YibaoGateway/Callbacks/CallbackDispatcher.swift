import AsyncHTTPClient
import Foundation
import NIOCore
import ServiceLifecycle
import YibaoCore
import YibaoCrypto
import YibaoStore

/// Delivers settlement callbacks: POSTs each pending callback's stored bytes to the hospital's URL;
/// a 2xx answer whose JSON has `code` 0 (or `success` true) acknowledges it; anything else is
/// retried with exponential backoff (CallbackPolicy), identical bytes every time. Honours the
/// institution's fault settings (duplicate delivery, out of order; the delay is set at creation).
public struct CallbackDispatcher: Sendable {
    let gateway: Gateway
    let http: HTTPClient

    public init(gateway: Gateway, http: HTTPClient = .shared) {
        self.gateway = gateway
        self.http = http
    }

    /// One pass over the callbacks due now; returns how many were attempted.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let now = await gateway.clock.now()
        var due = try await gateway.store.read { try $0.dueCallbacks(at: now, limit: 50) }
        guard !due.isEmpty else { return 0 }
        let institutions = Set(due.map(\.institutionCode))
        let apps = try await gateway.store.read { store in try institutions.compactMap { try store.app(institutionCode: $0) } }
        let faults = Dictionary(uniqueKeysWithValues: apps.map { ($0.institutionCode, $0.callbackFaults ?? CallbackFaults()) })
        if due.contains(where: { faults[$0.institutionCode]?.outOfOrder == true }) { due.reverse() }
        for var callback in due {
            let times = faults[callback.institutionCode]?.duplicate == true ? 2 : 1
            var outcome: String?
            for _ in 0..<times { outcome = await post(callback) }
            let at = await gateway.clock.now()
            if let failure = outcome { callback.failed(at: at, reason: failure, policy: gateway.configuration.policy.callbacks) } else { callback.delivered(at: at) }
            let updated = callback
            let failure = outcome
            try await gateway.store.write { store in
                try store.save(updated)
                try store.appendTrace(TraceEvent(at: at, kind: "callback.\(updated.state == .delivered ? "delivered" : "attempt")", actor: "platform",
                                                 subject: updated.payOrdId, outcome: failure == nil ? "accepted" : "refused:CALLBACK_NOT_ACKNOWLEDGED",
                                                 payload: ["callback": updated.id, "attempts": String(updated.attempts)]))
            }
        }
        return due.count
    }

    /// nil when acknowledged, else why not.
    private func post(_ callback: Callback) async -> String? {
        var request = HTTPClientRequest(url: callback.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.body = .bytes(ByteBuffer(string: callback.body))
        do {
            let response = try await http.execute(request, timeout: .seconds(5))
            let bytes = Array(try await response.body.collect(upTo: 1 << 20).readableBytesView)
            guard (200..<300).contains(Int(response.status.code)) else { return "HTTP \(response.status.code)" }
            let object = (try? JSONValue.parse(bytes))?.objectValue ?? [:]
            if object["code"] == .number("0") || object["code"] == .string("0") || object["success"] == .bool(true) { return nil }
            return "answer is not an acknowledgement ({\"code\":0}): \(String(decoding: bytes.prefix(120), as: UTF8.self))"
        } catch {
            return "\(error)"
        }
    }
}

/// Runs the dispatcher every `interval` while the gateway runs.
struct CallbackService: Service {
    let dispatcher: CallbackDispatcher
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = try? await dispatcher.deliverDue()
                try? await Task.sleep(for: interval)
            }
        }
    }
}

extension Gateway {
    /// Queues a signed callback (in the caller's transaction) to the institution's callback URL, if it has one.
    func queueCallback(_ data: JSONObject, order: PaymentOrder, store: any StoreWriting, now: Date) throws {
        guard let app = try store.app(institutionCode: order.institutionCode), let url = app.callbackURL, !url.isEmpty else { return }
        let envelope = try HSEEnvelope(appId: app.appId, appSecret: app.appSecret, profile: configuration.envelopeProfile)
        let sealed = try envelope.sealRequest(data: .object(data), privateKey: configuration.platformKey, timestamp: now)
        let delay = TimeInterval(app.callbackFaults?.delaySeconds ?? 0)
        let callback = Callback(id: "CB" + TokenGenerator.digits(16), institutionCode: order.institutionCode, payOrdId: order.payOrdId, url: url,
                                body: JSONValue.object(sealed).serialized(), createdAt: now, firstAttemptAt: now.addingTimeInterval(delay))
        try store.save(callback)
    }
}
