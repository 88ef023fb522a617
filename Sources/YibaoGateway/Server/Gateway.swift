import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

/// The reference platform: thin routes that decode, verify the envelope, call the core rules,
/// store in one transaction, append to the trace and sign the answer.
public struct Gateway: Sendable {
    public let store: any GatewayStore
    public let configuration: GatewayConfiguration
    public let clock: GatewayClock
    let platformPublicKey: SM2.PublicKey
    /// Per-source budget of refusals of unauthenticated requests.
    let limiter: RefusalLimiter
    /// Prometheus metrics (`GET /metrics`).
    public let metrics: GatewayMetrics
    /// The sandboxes (``enablingSandboxes(fixture:)``); nil: none (a sandbox's own gateway has none).
    public private(set) var sandboxes: SandboxDirectory?

    /// `clock` nil: the wall clock, plus — with a test clock — the offset kept in `store`.
    /// `metrics`: shared with another gateway (a sandbox counts into its gateway's metrics).
    public init(store: any GatewayStore, configuration: GatewayConfiguration, clock: GatewayClock? = nil, metrics: GatewayMetrics? = nil) throws {
        try self.init(store: store, configuration: configuration, clock: clock, metrics: metrics, limiter: nil)
    }

    /// `limiter`: the refusal budget of another gateway (a sandbox spends its gateway's: sandboxes
    /// are no way around the per-source limit).
    init(store: any GatewayStore, configuration: GatewayConfiguration, clock: GatewayClock?, metrics: GatewayMetrics?, limiter: RefusalLimiter?) throws {
        self.store = store
        self.configuration = configuration
        self.clock = clock ?? GatewayClock(store: configuration.testClock ? store : nil)
        platformPublicKey = try configuration.platformKey.publicKey
        self.limiter = limiter ?? RefusalLimiter(burst: configuration.limits.refusalBurst, perSecond: configuration.limits.refusalsPerSecond)
        self.metrics = metrics ?? GatewayMetrics()
    }

    /// This gateway with sandboxes (`POST /admin/sandboxes`), each starting from `fixture`.
    public func enablingSandboxes(fixture: Fixture) -> Gateway {
        var gateway = self
        gateway.sandboxes = SandboxDirectory(parent: self, fixture: fixture)
        return gateway
    }

    /// Everything the gateway answers: its own routes and, with sandboxes, each sandbox's under
    /// `/sandboxes/{id}` or the `X-Yibao-Sandbox` header.
    public func responder(requestLogger: Logger = Logger(label: "yibao-gateway")) -> some HTTPResponder<GatewayRequestContext> {
        SandboxingResponder(main: router(requestLogger: requestLogger).buildResponder(), directory: sandboxes, logger: requestLogger)
    }

    /// The settlement use cases with this gateway's regions, callback queue and faults.
    var settlement: SettlementCalculator {
        SettlementCalculator(regions: configuration.regions, notifier: CallbackQueue(configuration: configuration), faults: configuration.faults,
                             measures: configuration.policy.measures)
    }

    /// Verifies practitioners' certificates against the platform's trust (PR-3).
    var certificateVerifier: CertificateChainVerifier {
        CertificateChainVerifier(trustAnchors: configuration.trustedRoots, intermediates: configuration.intermediates, crls: configuration.revocationLists)
    }

    var prescriptionServices: PrescriptionServices {
        PrescriptionServices(policy: configuration.policy,
                             verifier: PrescriptionVerifier(trustAnchors: configuration.trustedRoots, intermediates: configuration.intermediates,
                                                            revocationLists: configuration.revocationLists, platformCertificate: configuration.platformCertificate),
                             platformKey: configuration.platformKey, platformCertificate: configuration.platformCertificate,
                             regions: configuration.regions)
    }

    /// The HTTP routes.
    /// - Parameter requestLogger: where the one line per request goes (`info`); its level decides whether it is written.
    public func router(requestLogger: Logger = Logger(label: "yibao-gateway")) -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: RequestLogMiddleware(logger: requestLogger, metrics: metrics))
        router.add(middleware: ProblemMiddleware())
        router.get("/health") { _, _ in
            JSONResponse.make(.object(["status": .string("ok"), "profile": .string(configuration.policy.name),
                                       "dialect": .string(configuration.defaultDialect)]))
        }
        // Readiness: the database answers and its migrations are those this build knows.
        router.get("/ready") { _, _ in
            let readiness: StoreReadiness
            do { readiness = try await store.readiness() } catch {
                return JSONResponse.make(.object(["status": "unavailable", "database": .string("unreachable: \(type(of: error))")]), status: .serviceUnavailable)
            }
            return JSONResponse.make(.object([
                "status": .string(readiness.current ? "ready" : "unavailable"), "database": .string(readiness.engine),
                "migrationsApplied": .integer(readiness.applied.count), "migrationsKnown": .integer(readiness.known.count),
            ]), status: readiness.current ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            let callbacks = (try? await store.read { try await $0.callbackCounts() }) ?? [:]
            let commits = await store.commitStatistics()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition(callbacks: callbacks, commits: commits))))
        }
        OpenAPIDocument.register(on: router)
        FSIEndpoint(gateway: self).register(on: router)
        OAuthEndpoint(gateway: self).register(on: router)
        HSEEndpoint(gateway: self).register(on: router)
        ChannelEndpoint(gateway: self).register(on: router)
        AdminEndpoint(gateway: self, requestLogger: requestLogger).register(on: router)
        PublicEndpoint(gateway: self).register(on: router)
        ConsoleEndpoint(gateway: self).register(on: router)
        if configuration.testClock { TestClockEndpoint(gateway: self).register(on: router) }
        return router
    }

    /// An application listening on `host:port` (port 0: any free port); `onRunning` gets the bound port.
    /// `quiet` logs only critical events (an embedded gateway cancelled at the end of a demo or test).
    /// Pending settlement callbacks are delivered every `callbackInterval` (nil: not at all, e.g. tests that drive `CallbackDispatcher` themselves).
    /// `logger` (default: warnings only) also writes the request log when its level is `info` or lower.
    /// With `tls` the gateway speaks HTTPS only (``GatewayTLS``): never plaintext beside it.
    public func application(host: String = "127.0.0.1", port: Int = 8080, logger: Logger? = nil, quiet: Bool = false,
                            callbackInterval: Duration? = .milliseconds(250), tls: TLSConfiguration? = nil,
                            onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var logger = logger ?? { var quietest = Logger(label: "yibao-gateway"); quietest.logLevel = .warning; return quietest }()
        if quiet { logger.logLevel = .critical }
        let services: [any Service] = callbackInterval.map { [CallbackService(dispatcher: CallbackDispatcher(gateway: self), interval: $0)] } ?? []
        let limits = configuration.limits
        // Connection hygiene: idle connections and requests that never finish arriving are closed, the number open is bounded.
        let plain = HTTPServerBuilder.http1(configuration: .init(
            additionalChannelHandlers: [RequestDeadlineHandler(headTimeout: limits.headTimeout, bodyTimeout: limits.bodyTimeout)],
            idleTimeout: TimeAmount(limits.idleTimeout)))
        let server: HTTPServerBuilder
        if let tls {
            do { server = try .tls(plain, tlsConfiguration: tls) } catch {
                // Never a silent fall-back to plaintext: the server fails to start, saying why.
                server = HTTPServerBuilder { _ in throw error }
            }
        } else {
            server = plain
        }
        // Hummingbird's own per-request debug lines stay off below info: the request log is ours.
        var serverLogger = logger
        if serverLogger.logLevel < .info { serverLogger.logLevel = .info }
        return Application(responder: responder(requestLogger: logger), server: server,
                           configuration: .init(address: .hostname(host, port: port), serverName: "yibao-gateway",
                                                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
                           services: services,
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
                           logger: serverLogger)
    }

    /// A write transaction of a request's use case, its duration recorded in the metrics (committed or not).
    func measuredWrite<T: Sendable>(_ kind: String, _ body: @escaping @Sendable (any StoreWriting) async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        defer { metrics.store(kind, duration: ContinuousClock.now - started) }
        return try await store.write(body)
    }

    /// Records a refusal in its own transaction (the refused request's own writes were rolled back).
    /// A refusal of an authenticated party (`authenticated`: its signature verified) is appended to the
    /// trace; one of an unauthenticated request is only counted, outside the hash chain (one row per
    /// kind and code), and spends the source's refusal budget — so garbage cannot grow the
    /// append-only trace.
    func traceRefusal(kind: String, actor: String, subject: String, problem: Problem, at: Date, authenticated: Bool, source: String) async {
        let limit = configuration.limits.storedTextCharacters
        if authenticated {
            _ = try? await store.write { store in
                try await store.appendTrace(TraceEvent(at: at, kind: kind, actor: actor, subject: subject, outcome: "refused:\(problem.code)",
                                                 payload: ["rule": problem.rule ?? "", "pointer": problem.pointer]).capped(to: limit))
            }
        } else {
            limiter.charge(source)
            _ = try? await store.write { store in
                try await store.countUnauthenticatedRefusal(kind: String(kind.prefix(64)), code: String(problem.code.prefix(64)),
                                                      pointer: String(problem.pointer.prefix(200)), source: String(source.prefix(64)), at: at)
            }
        }
    }

    /// Refuses a source that spent its refusal budget (`429 RATE_LIMITED`, with `Retry-After`).
    func admit(_ context: GatewayRequestContext) async throws {
        let (allowed, retryAfter) = limiter.admit(context.sourceKey)
        guard allowed else {
            throw Problem(status: 429, code: .rateLimited, rule: nil, pointer: "",
                          detail: "too many refused unauthenticated requests from this address; retry in \(retryAfter) s", retryAfter: retryAfter)
        }
    }
}

/// Turns any error that escapes a route into problem+json, so no refusal is ever plain text.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.response
        } catch let error as DomainError {
            return Problem(error).response
        } catch let error as HTTPError {
            return Problem(status: Int(error.status.code), code: error.status == .notFound ? .notFound : error.status == .methodNotAllowed ? .methodNotAllowed : .httpError,
                           rule: nil, pointer: "", detail: error.body ?? error.status.reasonPhrase).response
        } catch {
            // Only the error's type: its text may hold anything (a value from the request, a database path).
            return Problem(status: 500, code: .internalError, rule: nil, pointer: "",
                           detail: "the platform failed unexpectedly (\(String(describing: type(of: error)))); the request was not processed").response
        }
    }
}

extension Request {
    /// The body, at most `limit` bytes.
    func bodyBytes(limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch {
            throw Problem(status: 413, code: .bodyTooLarge, rule: nil, pointer: "",
                          detail: "this endpoint takes request bodies of at most \(limit >= 1 << 20 ? "\(limit >> 20) MiB" : "\(limit >> 10) KiB")")
        }
    }

    /// Checks `Authorization: Bearer <token>` against `expected`.
    func requireBearer(_ expected: String, realm: String) throws {
        let header = headers[.authorization] ?? ""
        guard header == "Bearer \(expected)" else {
            throw Problem(status: 401, code: .unauthorised, rule: nil, pointer: "",
                          detail: header.isEmpty ? "the \(realm) API needs an Authorization: Bearer token"
                                                 : "the bearer token is not the \(realm) token")
        }
    }
}

extension Gateway {
    /// Loads a fixture in one transaction (all or nothing), as `POST /admin/fixtures` does.
    public func load(_ fixture: Fixture) async throws -> JSONValue {
        try await AdminEndpoint(gateway: self).load(fixture)
    }

    /// Loads `fixture` unless a fixture was already loaded into this store; true if it loaded now.
    public func loadOnFirstStart(_ fixture: Fixture) async throws -> Bool {
        if try await store.read({ try await $0.setting("fixture.loaded") }) != nil { return false }
        _ = try await AdminEndpoint(gateway: self).load(fixture, marker: "fixture.loaded")
        return true
    }
}
