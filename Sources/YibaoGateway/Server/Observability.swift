import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import Synchronization
import YibaoCore
import YibaoCrypto
import YibaoServices
import YibaoStore

/// What a request turned out to be — filled in by the endpoint that served it (channel, institution,
/// transaction, profile, outcome code, rule), read by the request log and the metrics after it.
final class RequestAnnotations: Sendable {
    struct Values: Sendable {
        var channel = ""
        var institution = ""
        var transaction = ""
        var profile = ""
        /// `OK`, the refusal's code, or `ANSWER_LOST`.
        var outcome = ""
        var rule = ""
    }

    private let values = Mutex(Values())

    func set(_ update: (inout Values) -> Void) { values.withLock { update(&$0) } }
    var current: Values { values.withLock { $0 } }
}

/// The gateway's Prometheus metrics (swift-metrics over swift-prometheus, one registry per gateway):
/// requests by channel, transaction and outcome; request latency; the store time of FSI and HSE
/// transactions; callbacks by state (read from the store at each scrape: pending, retrying — pending
/// after a failed attempt —, delivered, abandoned). Label values are bounded:
/// a transaction the gateway does not offer is counted as `unknown`, an outcome is a registered code.
public final class GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    /// Signature checks of requests running at one moment (`yibao_signature_checks_at_once_max`).
    let signatureChecks = SimultaneityProbe()
    /// Latency buckets, seconds: 1 ms … 10 s.
    static let buckets: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                      .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10)]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.buckets
        self.factory = factory
    }

    /// One answered request.
    func request(channel: String, transaction: String, outcome: String, duration: Duration) {
        let channel = channel.isEmpty ? "other" : channel
        Counter(label: "yibao_requests_total", dimensions: [("channel", channel), ("transaction", transaction), ("outcome", outcome)], factory: factory)
            .increment()
        Timer(label: "yibao_request_duration_seconds", dimensions: [("channel", channel)], factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    /// One store transaction of an FSI or HSE request.
    func store(_ kind: String, duration: Duration) {
        Timer(label: "yibao_store_transaction_duration_seconds", dimensions: [("kind", kind)], factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    /// The Prometheus text exposition, with the callbacks by state as they are now and the store's
    /// group commits so far (commits, and the write transactions they carried).
    func exposition(callbacks: [String: Int], commits: (commits: Int, members: Int)) -> String {
        for state in ["pending", "retrying", "delivered", "abandoned"] {
            Gauge(label: "yibao_callbacks", dimensions: [("state", state)], factory: factory).record(callbacks[state] ?? 0)
        }
        Gauge(label: "yibao_store_commits", factory: factory).record(commits.commits)
        Gauge(label: "yibao_store_committed_writes", factory: factory).record(commits.members)
        Gauge(label: "yibao_signature_checks_at_once_max", factory: factory).record(signatureChecks.maximum)
        return registry.emitToString()
    }
}

/// Counts the bodies running at one moment, and the most there ever were. A signature check is
/// synchronous CPU work (it never suspends): two of them running at once are two requests being
/// verified on two threads — evidence that signed requests run side by side, not one by one.
final class SimultaneityProbe: Sendable {
    private let running = Atomic<Int>(0)
    private let most = Atomic<Int>(0)

    func measure<T>(_ body: () throws -> T) rethrows -> T {
        let now = running.add(1, ordering: .relaxed).newValue
        var seen = most.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = most.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
        defer { running.subtract(1, ordering: .relaxed) }
        return try body()
    }

    /// The most bodies that ran at one moment since the gateway started.
    var maximum: Int { most.load(ordering: .relaxed) }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}

/// One log line per request (`--log-level info`): time, method, route, status, institution,
/// transaction, profile, outcome code, rule, duration — no body, no personal data (the route's
/// pattern is logged, not the path), and the metrics of the request.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let logger: Logger
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: Int(response.status.code), error: nil, elapsed: ContinuousClock.now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context, status: Int(status), error: error, elapsed: ContinuousClock.now - started)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, error: (any Error)?, elapsed: Duration) {
        var values = context.annotations.current
        if values.outcome.isEmpty {
            if let problem = error as? Problem {
                values.outcome = problem.code
                values.rule = problem.rule ?? ""
            } else {
                values.outcome = status < 400 ? "OK" : "HTTP_\(status)"
            }
        }
        let route = context.endpointPath ?? "(no route)"
        if !values.channel.isEmpty { metrics.request(channel: values.channel, transaction: values.transaction, outcome: values.outcome, duration: elapsed) }
        var metadata: Logger.Metadata = ["method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(status)",
                                         "outcome": "\(values.outcome)", "ms": "\(String(format: "%.1f", Double(elapsed.nanoseconds) / 1e6))"]
        if !values.channel.isEmpty { metadata["channel"] = "\(values.channel)" }
        if !values.institution.isEmpty { metadata["institution"] = "\(values.institution)" }
        if !values.transaction.isEmpty { metadata["transaction"] = "\(values.transaction)" }
        if !values.profile.isEmpty { metadata["profile"] = "\(values.profile)" }
        if !values.rule.isEmpty { metadata["rule"] = "\(values.rule)" }
        logger.info("request", metadata: metadata)
    }
}

/// A log line per message as one JSON object (`--log-format json`), for log shippers.
public struct JSONLinesLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String
    let stream: @Sendable (String) -> Void

    public init(label: String, stream: @escaping @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }) {
        self.label = label
        self.stream = stream
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        var object: JSONObject = ["time": .string(Timestamps.iso(Date())), "level": .string(level.rawValue), "label": .string(label), "message": .string(message.description)]
        for (key, value) in self.metadata.merging(extra ?? [:], uniquingKeysWith: { $1 }) { object[key] = .string(value.description) }
        stream(JSONValue.object(object).serialized())
    }
}
