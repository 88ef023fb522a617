import AsyncHTTPClient
import Foundation
import NIOCore
import ServiceLifecycle
import Synchronization
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

/// Delivers settlement callbacks: POSTs each pending callback's stored bytes to the hospital's URL;
/// a 2xx answer whose JSON has `code` 0 (or `success` true) acknowledges it; anything else is
/// retried with exponential backoff (CallbackPolicy), identical bytes every time. Honours the
/// institution's fault settings (duplicate delivery, out of order; the delay is set at creation).
///
/// Receivers are isolated from each other: each institution's queue is delivered in order by one
/// worker, up to `limits.callbackConcurrency` institutions at once, and every attempt has one total
/// deadline (`limits.callbackAttemptDeadline`) covering connect, send and reading the whole answer —
/// a receiver that trickles or hangs delays only its own callbacks.
public struct CallbackDispatcher: Sendable {
    let gateway: Gateway
    let http: HTTPClient

    public init(gateway: Gateway, http: HTTPClient = .shared) {
        self.gateway = gateway
        self.http = http
    }

    /// One pass over the callbacks due now, institutions side by side; returns how many were attempted.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let queues = try await dueQueues(excluding: [])
        return await withTaskGroup(of: Int.self) { group in
            var running = 0
            var attempted = 0
            for queue in queues {
                if running == max(1, gateway.configuration.limits.callbackConcurrency) {
                    attempted += await group.next() ?? 0
                    running -= 1
                }
                group.addTask { (try? await deliver(queue)) ?? 0 }
                running += 1
            }
            for await count in group { attempted += count }
            return attempted
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Callbacks one worker delivers for an institution before it yields to the others.
    static let batchPerInstitution = 20

    /// The callbacks due now, one queue per institution (in delivery order, at most
    /// ``batchPerInstitution`` each), leaving out `busy` institutions — so one receiver with a long
    /// backlog never hides the others.
    func dueQueues(excluding busy: Set<String>) async throws -> [[Callback]] {
        let now = await gateway.clock.now()
        // Claimed, not only read: another gateway process on the same database leaves these alone
        // until each is saved after its attempt (or, should this process die, until the lease ends).
        let limits = gateway.configuration.limits
        let lease = now.addingTimeInterval(Self.seconds(limits.callbackAttemptDeadline) * Double(Self.batchPerInstitution * 2) + 30)
        let due = try await gateway.store.write { try await $0.claimDueCallbacks(at: now, perInstitution: Self.batchPerInstitution, excluding: busy, leaseUntil: lease) }
        guard !due.isEmpty else { return [] }
        var order: [String] = []
        var queues: [String: [Callback]] = [:]
        for callback in due {
            if queues[callback.institutionCode] == nil { order.append(callback.institutionCode) }
            queues[callback.institutionCode, default: []].append(callback)
        }
        return order.compactMap { queues[$0] }
    }

    /// Delivers one institution's due callbacks in order; returns how many were attempted.
    func deliver(_ queue: [Callback]) async throws -> Int {
        guard let code = queue.first?.institutionCode else { return 0 }
        let app = try await gateway.store.read { try await $0.app(institutionCode: code) }
        let faults = app?.callbackFaults ?? CallbackFaults()
        let acknowledgement = gateway.configuration.dialect(named: app?.profile).payment.callback
        for var callback in faults.outOfOrder ? queue.reversed() : queue {
            if Task.isCancelled { break }  // shutting down: the rest stays pending for the next start
            var outcome: String?
            for _ in 0..<(faults.duplicate ? 2 : 1) { outcome = await post(callback, acknowledgement: acknowledgement) }
            let at = await gateway.clock.now()
            if let failure = outcome { callback.failed(at: at, reason: failure, policy: gateway.configuration.policy.callbacks) } else { callback.delivered(at: at) }
            let updated = callback
            let failure = outcome
            try await gateway.store.write { store in
                try await store.save(updated)
                try await store.appendTrace(TraceEvent(at: at, kind: "callback.\(updated.state == .delivered ? "delivered" : "attempt")", actor: "platform",
                                                 subject: updated.payOrdId, outcome: failure == nil ? "accepted" : "refused:CALLBACK_NOT_ACKNOWLEDGED",
                                                 payload: ["callback": updated.id, "attempts": String(updated.attempts)]))
            }
        }
        return queue.count
    }

    /// nil when acknowledged, else why not. One total deadline covers connect, send and the whole
    /// answer: whichever comes first — the answer or the deadline — decides; a late attempt is cancelled
    /// and never waited for.
    private func post(_ callback: Callback, acknowledgement: CallbackDialect) async -> String? {
        let deadline = gateway.configuration.limits.callbackAttemptDeadline
        let http = self.http
        return await withCheckedContinuation { continuation in
            let outcome = FirstOutcome(continuation)
            outcome.track(Task {
                var request = HTTPClientRequest(url: callback.url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
                request.body = .bytes(ByteBuffer(string: callback.body))
                do {
                    let response = try await http.execute(request, timeout: .init(deadline + .seconds(1)))
                    let bytes = Array(try await response.body.collect(upTo: 1 << 20).readableBytesView)
                    outcome.resume(acknowledgement.judge(status: Int(response.status.code), body: bytes))
                } catch {
                    outcome.resume(String("\(error)".prefix(300)))
                }
            })
            outcome.track(Task {
                try? await Task.sleep(for: deadline)
                outcome.resume("no complete answer within \(deadline) (connect, send and read together)")
            })
        }
    }
}

/// Resumes a continuation with the first outcome offered and cancels the racing tasks; later
/// outcomes are dropped. The caller never waits for the loser.
final class FirstOutcome: Sendable {
    private struct State {
        var continuation: CheckedContinuation<String?, Never>?
        var tasks: [Task<Void, Never>] = []
    }
    private let state: Mutex<State>

    init(_ continuation: CheckedContinuation<String?, Never>) { state = Mutex(State(continuation: continuation)) }

    /// A racing task, cancelled once an outcome is in (at once, if one already is).
    func track(_ task: Task<Void, Never>) {
        let decided: Bool = state.withLock { state in
            if state.continuation == nil { return true }
            state.tasks.append(task)
            return false
        }
        if decided { task.cancel() }
    }

    func resume(_ value: String?) {
        let (pending, racing): (CheckedContinuation<String?, Never>?, [Task<Void, Never>]) = state.withLock { state in
            defer { state.continuation = nil; state.tasks = [] }
            return (state.continuation, state.tasks)
        }
        guard let pending else { return }
        pending.resume(returning: value)
        for task in racing { task.cancel() }
    }
}

/// Runs the dispatcher while the gateway runs: every `interval` it starts a worker for each
/// institution with callbacks due and none running, up to `limits.callbackConcurrency` at once,
/// without waiting for slow workers — a hanging receiver never holds up another institution.
struct CallbackService: Service {
    let dispatcher: CallbackDispatcher
    let interval: Duration

    func run() async throws {
        let busy = BusyInstitutions()
        let concurrency = max(1, dispatcher.gateway.configuration.limits.callbackConcurrency)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                while !Task.isCancelled {
                    // The gateway's own callbacks, then those of the sandboxes this process has open
                    // (a worker is keyed by sandbox and institution: the same fixture code in two
                    // sandboxes is two queues).
                    var worlds: [(key: String, dispatcher: CallbackDispatcher)] = [("", dispatcher)]
                    if let sandboxes = dispatcher.gateway.sandboxes {
                        worlds += await sandboxes.openGateways().map { ($0.id + "/", CallbackDispatcher(gateway: $0.gateway)) }
                    }
                    for (key, world) in worlds {
                        let running = await busy.codes
                        guard running.count < concurrency else { break }
                        let mine = Set(running.compactMap { code -> String? in
                            guard code.hasPrefix(key), key != "" || !code.contains("/") else { return nil }
                            return String(code.dropFirst(key.count))
                        })
                        guard let queues = try? await world.dueQueues(excluding: mine) else { continue }
                        for queue in queues.prefix(concurrency - running.count) {
                            guard let code = queue.first?.institutionCode, await busy.claim(key + code) else { continue }
                            group.addTask {
                                _ = try? await world.deliver(queue)
                                await busy.release(key + code)
                            }
                        }
                    }
                    try? await Task.sleep(for: interval)
                }
                group.cancelAll()
            }
        }
    }
}

/// Institutions whose callbacks a worker is delivering right now.
actor BusyInstitutions {
    private(set) var codes: Set<String> = []
    func claim(_ code: String) -> Bool { codes.insert(code).inserted }
    func release(_ code: String) { codes.remove(code) }
}

/// The gateway's side of ``SettlementNotifier``: seals the notice with the platform key for the
/// institution's app, in its dialect, and queues the callback.
struct CallbackQueue: SettlementNotifier {
    let configuration: GatewayConfiguration

    /// Queues a signed callback (in the caller's transaction) to the institution's callback URL, if it
    /// has one, written in the institution's dialect (docs/DIALECTS.md §10); a refund only where the
    /// dialect reports refunds by callback.
    @discardableResult
    func queue(_ notice: SettlementNotice, order: PaymentOrder, store: any StoreWriting, now: Date) async throws -> Callback? {
        guard let app = try await store.app(institutionCode: order.institutionCode), let url = app.callbackURL, !url.isEmpty else { return nil }
        let payment = configuration.dialect(named: app.profile).payment
        guard notice.kind == .settlement || payment.callback.refundCallbacks else { return nil }
        let data = notice.data(payment.callback, amounts: payment.answerAmounts)
        let envelope = try HSEEnvelope(appId: app.appId, appSecret: app.appSecret, profile: configuration.envelopeProfile)
        let sealed = try envelope.sealRequest(data: .object(data), privateKey: configuration.platformKey, timestamp: now)
        let delay = TimeInterval(app.callbackFaults?.delaySeconds ?? 0)
        let callback = Callback(id: try await Identifiers.mint(.callback, store: store, now: now), institutionCode: order.institutionCode, payOrdId: order.payOrdId, url: url,
                                body: JSONValue.object(sealed).serialized(), createdAt: now, firstAttemptAt: now.addingTimeInterval(delay))
        try await store.save(callback)
        return callback
    }
}
