import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import YibaoCore
import YibaoCrypto
import YibaoStore

/// The reference platform: thin routes that decode, verify the envelope, call the core rules,
/// store in one transaction, append to the trace and sign the answer.
public struct Gateway: Sendable {
    public let store: any GatewayStore
    public let configuration: GatewayConfiguration
    public let clock: GatewayClock
    let platformPublicKey: SM2.PublicKey

    public init(store: any GatewayStore, configuration: GatewayConfiguration, clock: GatewayClock = GatewayClock()) throws {
        self.store = store
        self.configuration = configuration
        self.clock = clock
        platformPublicKey = try configuration.platformKey.publicKey
    }

    var prescriptionServices: PrescriptionServices {
        PrescriptionServices(policy: configuration.policy,
                             verifier: PrescriptionVerifier(trustAnchors: configuration.trustedRoots, intermediates: configuration.intermediates,
                                                            revocationLists: configuration.revocationLists, platformCertificate: configuration.platformCertificate),
                             platformKey: configuration.platformKey, platformCertificate: configuration.platformCertificate)
    }

    /// The HTTP routes.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.get("/health") { _, _ in
            JSONResponse.make(.object(["status": .string("ok"), "profile": .string(configuration.policy.name)]))
        }
        FSIEndpoint(gateway: self).register(on: router)
        HSEEndpoint(gateway: self).register(on: router)
        ChannelEndpoint(gateway: self).register(on: router)
        AdminEndpoint(gateway: self).register(on: router)
        PublicEndpoint(gateway: self).register(on: router)
        if configuration.testClock { TestClockEndpoint(gateway: self).register(on: router) }
        return router
    }

    /// An application listening on `host:port` (port 0: any free port); `onRunning` gets the bound port.
    /// `quiet` logs only critical events (an embedded gateway cancelled at the end of a demo or test).
    /// Pending settlement callbacks are delivered every `callbackInterval` (nil: not at all, e.g. tests that drive `CallbackDispatcher` themselves).
    public func application(host: String = "127.0.0.1", port: Int = 8080, logger: Logger? = nil, quiet: Bool = false,
                            callbackInterval: Duration? = .milliseconds(250),
                            onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var logger = logger ?? Logger(label: "yibao-gateway")
        if logger.logLevel < .warning { logger.logLevel = .warning }
        if quiet { logger.logLevel = .critical }
        let services: [any Service] = callbackInterval.map { [CallbackService(dispatcher: CallbackDispatcher(gateway: self), interval: $0)] } ?? []
        return Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "yibao-gateway"),
                           services: services,
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
                           logger: logger)
    }

    /// Appends a refusal to the trace in its own transaction (the refused request's own writes were rolled back).
    func traceRefusal(kind: String, actor: String, subject: String, problem: Problem, at: Date) async {
        _ = try? await store.write { store in
            try store.appendTrace(TraceEvent(at: at, kind: kind, actor: actor, subject: subject, outcome: "refused:\(problem.code)",
                                             payload: ["rule": problem.rule ?? "", "pointer": problem.pointer]))
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
            return Problem(status: Int(error.status.code), code: error.status == .notFound ? "NOT_FOUND" : "HTTP_\(error.status.code)",
                           rule: nil, pointer: "", detail: error.body ?? error.status.reasonPhrase).response
        } catch {
            return Problem(status: 500, code: "INTERNAL_ERROR", rule: nil, pointer: "", detail: "\(error)").response
        }
    }
}

extension Request {
    /// The body, at most 4 MiB.
    func bodyBytes() async throws -> [UInt8] {
        do {
            let buffer = try await body.collect(upTo: 4 << 20)
            return Array(buffer.readableBytesView)
        } catch {
            throw Problem(status: 413, code: "BODY_TOO_LARGE", rule: nil, pointer: "", detail: "request bodies are limited to 4 MiB")
        }
    }

    /// Checks `Authorization: Bearer <token>` against `expected`.
    func requireBearer(_ expected: String, realm: String) throws {
        let header = headers[.authorization] ?? ""
        guard header == "Bearer \(expected)" else {
            throw Problem(status: 401, code: "UNAUTHORISED", rule: nil, pointer: "",
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
        if try await store.read({ try $0.setting("fixture.loaded") }) != nil { return false }
        _ = try await AdminEndpoint(gateway: self).load(fixture, marker: "fixture.loaded")
        return true
    }
}
