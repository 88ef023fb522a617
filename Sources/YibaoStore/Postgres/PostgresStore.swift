import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization
import YibaoCore

/// The store on PostgreSQL (postgres-nio), for a team or a region: several `yibao serve`
/// processes on one database behave as one gateway. The isolation contract (docs/ARCHITECTURE.md §4):
/// - every write transaction takes one transaction-level advisory lock first, so writes are
///   serialised across processes exactly as SQLite's single writer serialises them: each service's
///   load → decide → apply sees every earlier commit, and the trace chain never forks;
/// - nonces, msgids and idempotency keys are unique by constraint as well;
/// - reads run in a read-only REPEATABLE READ snapshot, beside the writes.
public final class PostgresStore: GatewayStore {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    /// The connection write transactions run on, and their group commit (``CommitGroup``): the
    /// writes of one process that arrive together share one transaction, one advisory lock and one
    /// WAL flush.
    private let writer: PostgresWriter
    let commitGroup = CommitGroup()
    /// The database URL without its password, for banners and logs.
    public let displayURL: String
    /// Set by ``close()``: from then on every call fails at once. (The pool no longer runs, so a
    /// request for one of its connections would wait for ever — say a callback worker still
    /// holding the store of a sandbox just deleted.)
    private let closed = Mutex(false)
    /// The URL as given (sandbox stores connect with it); never shown.
    private let url: String
    /// The schema this store's tables live in (a sandbox's), or nil for the connection's default.
    public let schema: String?
    /// The advisory-lock key of this store's write transactions: one per schema, so sandboxes'
    /// writes do not wait for each other's.
    let writeLockKey: Int64

    /// The advisory-lock key of write transactions ("yibao" in ASCII).
    static let writeLockKey: Int64 = 0x7969_6261_6f00
    /// The advisory-lock key of migrations.
    static let migrationLockKey: Int64 = 0x7969_6261_6f01

    /// Connects to `url` (`postgres://user:password@host:port/database[?sslmode=disable|require]`),
    /// checks that the server answers, and migrates the schema (refusing a schema newer than this build).
    /// - Parameter migrate: false to leave the schema alone (a reader such as `yibao trace verify`).
    /// - Parameter schema: keep the tables in this schema (created if missing) instead of the
    ///   connection's default: a sandbox's world (``sandboxStore(name:)``).
    public init(url: String, migrate: Bool = true, schema: String? = nil, logger: Logger = Logger(label: "yibao-postgres")) async throws {
        var settings = try PostgresURL(url)
        settings.schema = schema
        displayURL = settings.display
        self.url = url
        self.schema = schema
        writeLockKey = schema.map { Self.writeLockKey ^ Int64(bitPattern: (Self.fnv1a($0) & 0x00FF_FFFF_FFFF) << 8) } ?? Self.writeLockKey
        var probeLogger = logger
        probeLogger.logLevel = .critical
        // One direct connection first: an unreachable server or a wrong password is one clear error, now.
        let probe: PostgresConnection
        do {
            var unscoped = try settings.connection
            unscoped.options.additionalStartupParameters = []
            probe = try await PostgresConnection.connect(configuration: unscoped, id: 0, logger: probeLogger)
        } catch {
            throw StoreError.cannotConnect(url: settings.display, reason: PostgresStore.describe(error))
        }
        do {
            if let schema {
                // The schema first (it may not exist yet, so not in the start-up search path of this connection).
                try await PostgresSession(connection: probe).execute("CREATE SCHEMA IF NOT EXISTS \(schema)")
                try await PostgresSession(connection: probe).execute("SET search_path TO \(schema)")
            }
            if migrate { try await Self.migrate(probe, logger: probeLogger) }
        } catch {
            try? await probe.close()
            throw error
        }
        try? await probe.close()
        var configuration = PostgresClient.Configuration(host: settings.host, port: settings.port, username: settings.user,
                                                         password: settings.password, database: settings.database, tls: settings.clientTLS)
        configuration.options.maximumConnections = schema == nil ? 20 : 4
        configuration.options.additionalStartupParameters = settings.startupParameters
        let client = PostgresClient(configuration: configuration, backgroundLogger: probeLogger)
        self.client = client
        writer = PostgresWriter(configuration: try settings.connection, logger: probeLogger, lockKey: writeLockKey)
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Stops the connection pool; later reads and writes fail with ``StoreError/closed``.
    public func close() {
        closed.withLock { $0 = true }
        runner.cancel()
        let writer = writer
        Task { await writer.close() }
    }

    /// A read-only snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any StoreReading) async throws -> T) async throws -> T {
        try requireOpen()
        return try await transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { try await body($0) }
    }

    /// One write transaction, serialised with every other process's by the write lock; it returns
    /// once committed. Bodies of this process that arrive together run one after the other in one
    /// transaction, each in its own savepoint (rolled back alone if it throws), and share its commit.
    /// It runs in its own task: a cancelled request cannot leave it half-done.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreWriting) async throws -> T) async throws -> T {
        try requireOpen()
        let group = commitGroup
        let transaction = PostgresGroupTransaction(writer: writer)
        return try await Task { try await group.member(transaction) { try await body($0) } }.value
    }

    /// Commits made so far and the write transactions they carried (group commit at work).
    public func commitStatistics() async -> (commits: Int, members: Int) { await commitGroup.statistics }

    /// `begin` … `COMMIT` on one pooled connection, rolled back if `body` throws. It runs in its own
    /// task: a cancelled request cannot leave it half-done.
    private func transaction<T: Sendable>(begin: String, _ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        let client = client
        return try await Task {
            try await client.withConnection { connection in
                let session = PostgresSession(connection: connection)
                try await session.execute(begin)
                do {
                    let value = try await body(session)
                    try await session.execute("COMMIT")
                    return value
                } catch {
                    try? await session.execute("ROLLBACK")
                    throw error
                }
            }
        }.value
    }

    /// A sandbox's world: the schema `yibao_NAME` of this database, created and migrated now.
    public func sandboxStore(name: String) async throws -> any GatewayStore {
        guard SandboxRecord.isWellFormedStoreName(name) else { throw StoreError.invalidSandboxName(name) }
        return try await PostgresStore(url: url, schema: "yibao_" + name)
    }

    /// Drops the sandbox's schema with everything in it.
    public func destroySandboxStore(name: String) async throws {
        guard SandboxRecord.isWellFormedStoreName(name) else { throw StoreError.invalidSandboxName(name) }
        try requireOpen()
        try await client.withConnection { connection in
            try await PostgresSession(connection: connection).execute("DROP SCHEMA IF EXISTS yibao_\(name) CASCADE")
        }
    }

    private func requireOpen() throws {
        if closed.withLock({ $0 }) { throw StoreError.closed }
    }

    /// FNV-1a, 64 bits: a stable hash of a schema name for its lock key.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    public func readiness() async throws -> StoreReadiness {
        StoreReadiness(engine: "postgresql", applied: try await schemaVersions().map(String.init),
                       known: PostgresSchema.migrations.map { String($0.version) })
    }

    /// The schema versions applied, oldest first.
    public func schemaVersions() async throws -> [Int] {
        try requireOpen()
        return try await client.withConnection { connection in
            var versions: [Int] = []
            for try await version in try await connection.query("SELECT version FROM yibao_schema ORDER BY version", logger: PostgresSession.logger).decode(Int.self) {
                versions.append(version)
            }
            return versions
        }
    }

    // MARK: Migrations

    /// Applies the missing migrations in one transaction under an advisory lock: two processes
    /// starting together migrate once; a migration interrupted half-way leaves nothing behind.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        let session = PostgresSession(connection: connection)
        try await session.execute("BEGIN")
        do {
            try await session.execute("SELECT pg_advisory_xact_lock($1)", [.int(migrationLockKey)])
            try await session.execute("CREATE TABLE IF NOT EXISTS yibao_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            var applied: Set<Int> = []
            for try await version in try await connection.query("SELECT version FROM yibao_schema", logger: PostgresSession.logger).decode(Int.self) {
                applied.insert(version)
            }
            let known = Set(PostgresSchema.migrations.map(\.version))
            let newer = applied.subtracting(known).sorted()
            if !newer.isEmpty {
                throw StoreError.schemaTooNew(database: applied.sorted().map(String.init), known: known.sorted().map(String.init))
            }
            for migration in PostgresSchema.migrations where !applied.contains(migration.version) {
                for statement in migration.statements { try await session.execute(statement) }
                try await session.execute("INSERT INTO yibao_schema (version, name) VALUES ($1, $2)", [.int(Int64(migration.version)), .text(migration.name)])
            }
            try await session.execute("COMMIT")
        } catch {
            try? await session.execute("ROLLBACK")
            throw error
        }
    }

    /// One line for an operator: the server's message (never the password), not a stack of types.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            switch error.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown: return "the server could not be reached (\(error.underlying.map { "\($0)" } ?? "connection failed"))"
            default: return "\(error.code)"
            }
        }
        return "\(error)"
    }
}

/// Why a store could not be opened: one sentence for the operator.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    case invalidURL(String)
    case cannotConnect(url: String, reason: String)
    case schemaTooNew(database: [String], known: [String])
    /// A sandbox store name not of the form ``SandboxRecord/storeName``.
    case invalidSandboxName(String)
    /// The store was closed (a sandbox's, after the sandbox was deleted or reset).
    case closed

    public var description: String {
        switch self {
        case .invalidURL(let reason): "invalid database URL: \(reason)"
        case .cannotConnect(let url, let reason): "cannot connect to \(url): \(reason)"
        case .schemaTooNew(let database, let known):
            "the database's schema is newer than this yibao: it has versions \(database.joined(separator: ", ")); this build knows \(known.joined(separator: ", ")). Use the newer yibao, or another database"
        case .closed: "the store was closed (its sandbox was deleted or reset); nothing was read or written"
        case .invalidSandboxName(let name): "\(name.prefix(40)) is not a sandbox store name (sb + 12 hex digits, _g and a generation)"
        }
    }
}

/// `postgres://user:password@host:port/database?sslmode=…`, parsed.
struct PostgresURL {
    var user: String
    var password: String?
    var host: String
    var port: Int
    var database: String
    var requireTLS: Bool
    /// The schema every connection works in (`search_path`), if not the default.
    var schema: String?

    init(_ text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw StoreError.invalidURL("expected postgres://user:password@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else { throw StoreError.invalidURL("no host (postgres://user:password@host:port/database)") }
        guard let user = components.user, !user.isEmpty else { throw StoreError.invalidURL("no user (postgres://user:password@host:port/database)") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw StoreError.invalidURL("no database name (postgres://user:password@host:port/database)") }
        self.user = user.removingPercentEncoding ?? user
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.host = host
        port = components.port ?? 5432
        self.database = database
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        switch mode {
        case "disable": requireTLS = false
        case "require": requireTLS = true
        default: throw StoreError.invalidURL("sslmode \(mode) is not supported; use disable or require")
        }
    }

    var display: String { "postgres://\(user)@\(host):\(port)/\(database)" + (schema.map { " (schema \($0))" } ?? "") }

    /// Sent when each connection starts: the sandbox's schema first in the search path.
    var startupParameters: [(String, String)] { schema.map { [("search_path", $0)] } ?? [] }

    var connection: PostgresConnection.Configuration {
        get throws {
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database,
                                                             tls: try tls)
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
        }
    }

    /// TLS as the URL asks; a context that cannot be made (no system trust store) is an error at start.
    var tls: PostgresConnection.Configuration.TLS {
        get throws { requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable }
    }

    var clientTLS: PostgresClient.Configuration.TLS {
        requireTLS ? .require(.makeClientConfiguration()) : .disable
    }
}

/// The connection of a process's write transactions: one, since the commit group runs one body at
/// a time; opened on first use and again after it was lost.
actor PostgresWriter {
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private var connection: PostgresConnection?
    private var opened = 0
    /// The advisory lock every write transaction of this store takes first.
    nonisolated let lockKey: Int64

    init(configuration: PostgresConnection.Configuration, logger: Logger, lockKey: Int64) {
        self.configuration = configuration
        self.logger = logger
        self.lockKey = lockKey
    }

    deinit {
        // Closed when the store goes away; kept alive by the completion until it is closed.
        if let connection, !connection.isClosed { connection.close().whenComplete { _ in _ = connection } }
    }

    /// The open connection, or a new one.
    func fresh() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        opened += 1
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1_000_000 + opened, logger: logger)
        self.connection = connection
        return connection
    }

    func close() async {
        try? await connection?.close()
        connection = nil
    }
}

/// The PostgreSQL writer's side of group commit: the transaction begins by taking the advisory
/// write lock (serialising it with every other process's writes); members are savepoints.
///
/// Round trips are what a group spends its time on while it holds the lock, so the trace's head is
/// read once per group, then kept by the session (``TraceHeadCache``). Each member's savepoint is
/// still released: `RELEASE` is where a member that swallowed a database error (leaving the
/// transaction aborted) fails, alone, instead of joining and losing the group at `COMMIT`.
struct PostgresGroupTransaction: GroupTransaction {
    let writer: PostgresWriter

    func begin() async throws -> PostgresSession {
        // Every path that ends a group (commit, rollback, a lost savepoint) ends its transaction, so the
        // connection is outside one here; a closed connection is replaced by `fresh()`.
        var session = PostgresSession(connection: try await writer.fresh())
        session.traceHeadCache = TraceHeadCache()
        try await session.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        do {
            try await session.execute("SELECT pg_advisory_xact_lock($1)", [.int(writer.lockKey)])
        } catch {
            try? await session.execute("ROLLBACK")
            throw error
        }
        return session
    }

    func savepoint(_ session: PostgresSession) async throws { try await session.execute("SAVEPOINT member") }

    func releaseSavepoint(_ session: PostgresSession) async throws { try await session.execute("RELEASE SAVEPOINT member") }

    func rollbackToSavepoint(_ session: PostgresSession) async -> Bool {
        // The member's trace append, if any, is undone with it.
        session.traceHeadCache?.entry = nil
        do {
            try await session.execute("ROLLBACK TO SAVEPOINT member")
            try await session.execute("RELEASE SAVEPOINT member")
            return true
        } catch {
            try? await session.execute("ROLLBACK")
            return false
        }
    }

    func commit(_ session: PostgresSession) async throws { try await session.execute("COMMIT") }

    func rollback(_ session: PostgresSession) async { try? await session.execute("ROLLBACK") }
}
