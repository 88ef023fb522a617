import Foundation
import Hummingbird
import Logging
import YibaoCore
import YibaoCrypto
import YibaoServices
import YibaoStore

/// The sandboxes of one gateway (docs/GATEWAY.md §13): isolated worlds that many CI runs can use
/// at once. Each has its own store (a SQLite file or a PostgreSQL schema beside the gateway's),
/// loaded with a copy of the gateway's fixture, its own test clock, orders, filings and trace; a
/// request reaches it through the path prefix `/sandboxes/{id}` or the header `X-Yibao-Sandbox`.
/// The records live in the gateway's store, so every process on one PostgreSQL database serves
/// every sandbox; each process opens a sandbox's store when it first serves it.
public actor SandboxDirectory {
    /// The request header that addresses a sandbox.
    public static let header = "X-Yibao-Sandbox"
    /// The path prefix that addresses a sandbox: `/sandboxes/{id}/…`.
    public static let pathPrefix = "/sandboxes/"

    /// The gateway the sandboxes belong to (its store keeps the records).
    let parent: Gateway
    /// What every new sandbox (and every reset) starts from.
    let fixture: Fixture
    private var open: [String: OpenSandbox] = [:]
    private var opening: [String: Task<OpenSandbox, any Error>] = [:]

    struct OpenSandbox: Sendable {
        let generation: Int
        let gateway: Gateway
        let responder: RouterResponder<GatewayRequestContext>
    }

    init(parent: Gateway, fixture: Fixture) {
        self.parent = parent
        self.fixture = fixture
    }

    // MARK: Lifecycle (the admin API)

    /// Creates a sandbox and its world, loaded with the fixture; refused past `limits.maxSandboxes`.
    func create(label: String?, logger: Logger) async throws -> SandboxRecord {
        let now = Date()
        let limit = parent.configuration.limits.maxSandboxes
        let record = try await parent.store.write { store in
            let count = try await store.sandboxes().count
            guard count < limit else {
                throw Problem(status: 409, code: .sandboxLimitReached, rule: nil, pointer: "",
                              detail: "this gateway holds \(count) sandboxes, its limit; delete one (DELETE /admin/sandboxes/{id}) first")
            }
            var record = SandboxRecord(id: SandboxRecord.newIdentifier(), label: label, createdAt: now)
            while try await store.sandbox(id: record.id) != nil { record.id = SandboxRecord.newIdentifier() }
            try await store.save(record)
            return record
        }
        do {
            _ = try await opened(record, logger: logger)
        } catch {
            // Nothing half-made stays behind: the record goes, and whatever of its store was created.
            _ = try? await parent.store.write { try await $0.deleteSandbox(id: record.id) }
            try? await parent.store.destroySandboxStore(name: record.storeName)
            throw error
        }
        return record
    }

    /// A fresh world for the sandbox: the fixture again, the clock back to real time, no orders or trace.
    func reset(id: String, logger: Logger) async throws -> SandboxRecord? {
        guard SandboxRecord.isWellFormed(id) else { return nil }
        guard let (previous, record) = try await parent.store.write({ store -> (SandboxRecord, SandboxRecord)? in
            guard var record = try await store.sandbox(id: id) else { return nil }
            let previous = record
            record.generation += 1
            try await store.save(record)
            return (previous, record)
        }) else { return nil }
        forget(id)
        _ = try await opened(record, logger: logger)
        try? await parent.store.destroySandboxStore(name: previous.storeName)
        return record
    }

    /// Deletes the sandbox and its world; false if there was none.
    func delete(id: String) async throws -> Bool {
        guard SandboxRecord.isWellFormed(id) else { return false }
        guard let record = try await parent.store.write({ store -> SandboxRecord? in
            guard let record = try await store.sandbox(id: id) else { return nil }
            _ = try await store.deleteSandbox(id: id)
            return record
        }) else { return false }
        forget(id)
        try await parent.store.destroySandboxStore(name: record.storeName)
        return true
    }

    func records() async throws -> [SandboxRecord] {
        try await parent.store.read { try await $0.sandboxes() }
    }

    func record(id: String) async throws -> SandboxRecord? {
        guard SandboxRecord.isWellFormed(id) else { return nil }
        return try await parent.store.read { try await $0.sandbox(id: id) }
    }

    /// The sandbox's current time (its test clock).
    func now(of record: SandboxRecord, logger: Logger) async throws -> Date {
        await (try await opened(record, logger: logger)).gateway.clock.now()
    }

    // MARK: Serving

    /// The routes of the sandbox `id` as it is now, or nil if there is no such sandbox. The record
    /// is read on every call, so a sandbox deleted or reset by another process is noticed.
    func responder(id: String, logger: Logger) async throws -> RouterResponder<GatewayRequestContext>? {
        guard let record = try await record(id: id) else {
            forget(id)
            return nil
        }
        return try await opened(record, logger: logger).responder
    }

    /// The sandboxes this process has open (their callbacks are delivered by this process).
    func openGateways() -> [(id: String, gateway: Gateway)] {
        open.map { ($0.key, $0.value.gateway) }.sorted { $0.id < $1.id }
    }

    private func forget(_ id: String) {
        if let stale = open.removeValue(forKey: id) { (stale.gateway.store as? PostgresStore)?.close() }
        opening[id]?.cancel()
        opening[id] = nil
    }

    /// The open world of `record`'s generation, opening (and on first use loading) it if needed.
    private func opened(_ record: SandboxRecord, logger: Logger) async throws -> OpenSandbox {
        if let current = open[record.id], current.generation == record.generation { return current }
        if let pending = opening[record.id] {
            let sandbox = try await pending.value
            if sandbox.generation == record.generation { return sandbox }
        }
        let parent = parent
        let fixture = fixture
        let task = Task { try await Self.make(record, parent: parent, fixture: fixture, logger: logger) }
        opening[record.id] = task
        defer { if opening[record.id] == task { opening[record.id] = nil } }
        let sandbox = try await task.value
        if let stale = open[record.id], stale.generation != sandbox.generation { (stale.gateway.store as? PostgresStore)?.close() }
        open[record.id] = sandbox
        return sandbox
    }

    private static func make(_ record: SandboxRecord, parent: Gateway, fixture: Fixture, logger: Logger) async throws -> OpenSandbox {
        let store = try await parent.store.sandboxStore(name: record.storeName)
        var configuration = parent.configuration
        configuration.testClock = true
        let gateway = try Gateway(store: store, configuration: configuration, clock: GatewayClock(store: store), metrics: parent.metrics,
                                  limiter: parent.limiter)
        _ = try await gateway.loadOnFirstStart(fixture)
        var sandboxLogger = logger
        sandboxLogger[metadataKey: "sandbox"] = "\(record.id)"
        return OpenSandbox(generation: record.generation, gateway: gateway, responder: gateway.router(requestLogger: sandboxLogger).buildResponder())
    }
}

extension SandboxRecord {
    /// The sandbox as the admin API shows it.
    func json(clock: Date?) -> JSONValue {
        var object: JSONObject = ["id": .string(id), "createdAt": .string(Timestamps.iso(createdAt)), "generation": .integer(generation)]
        object["label"] = label.map(JSONValue.string) ?? JSONValue.null
        object["prefix"] = .string(SandboxDirectory.pathPrefix + id)
        object["header"] = .string(SandboxDirectory.header)
        object["clock"] = clock.map { JSONValue.string(Timestamps.iso($0)) } ?? JSONValue.null
        return .object(object)
    }
}
