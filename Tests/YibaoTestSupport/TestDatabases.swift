import Foundation
import Logging
import PostgresNIO
import Testing
import YibaoStore

/// The engines a store test runs on: SQLite always; PostgreSQL when `YIBAO_TEST_POSTGRES_URL` names a
/// server (CI starts one with scripts/start-postgres.sh; so can a developer). Each test gets its own
/// empty database, dropped afterwards.
public enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    public var testDescription: String { rawValue }

    /// The URL of a PostgreSQL server a test may create databases on.
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["YIBAO_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// SQLite, and PostgreSQL when a server is configured.
    public static var available: [StoreEngine] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }
}

/// A fresh database of one engine: its URL (or SQLite directory) and how to open stores on it.
public struct TestDatabase: Sendable {
    public let engine: StoreEngine
    /// `postgres://…` of the fresh database, or the SQLite data directory.
    public let location: String
    private let name: String?

    public static func fresh(_ engine: StoreEngine) async throws -> TestDatabase {
        switch engine {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-store-\(UUID().uuidString)").path
            return TestDatabase(engine: .sqlite, location: directory, name: nil)
        case .postgres:
            let server = try #require(StoreEngine.postgresURL, "YIBAO_TEST_POSTGRES_URL is not set")
            let name = "yibao_t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
            try await Self.admin(server) { try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Self.logger) }
            var components = try #require(URLComponents(string: server))
            components.path = "/" + name
            return TestDatabase(engine: .postgres, location: try #require(components.string), name: name)
        }
    }

    /// A store on this database (each call: another connection pool, as another gateway process would have).
    public func open() async throws -> any GatewayStore {
        switch engine {
        case .sqlite: try SQLiteStore(dataDirectory: location)
        case .postgres: try await PostgresStore(url: location)
        }
    }

    /// What a second gateway process would use: on PostgreSQL another store (its own connection pool);
    /// on SQLite the same one — the embedded database serves one gateway process (several processes
    /// share a PostgreSQL database instead), and SQLite's file lock is not fair between processes.
    public func another(than store: any GatewayStore) async throws -> any GatewayStore {
        engine == .postgres ? try await open() : store
    }

    /// Drops the database (PostgreSQL) or its directory (SQLite).
    public func drop() async {
        switch engine {
        case .sqlite: try? FileManager.default.removeItem(atPath: location)
        case .postgres:
            guard let server = StoreEngine.postgresURL, let name else { return }
            try? await Self.admin(server) { try await $0.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: Self.logger) }
        }
    }

    /// Runs a statement on this database directly (to tamper with it, as an attacker or a newer version would).
    public func execute(_ sql: String) async throws {
        switch engine {
        case .sqlite:
            let database = (location as NSString).appendingPathComponent("yibao.sqlite")
            let run = try await Processes.run("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()", database, sql])
            if run.status != 0 { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: run.stderr]) }
        case .postgres:
            try await Self.admin(location) { try await $0.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger) }
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "yibao-test-postgres")
        logger.logLevel = .critical
        return logger
    }()

    private static func admin(_ url: String, _ body: (PostgresConnection) async throws -> Void) async throws {
        let components = try #require(URLComponents(string: url))
        let configuration = PostgresConnection.Configuration(host: components.host ?? "127.0.0.1", port: components.port ?? 5432,
                                                             username: components.user ?? "postgres", password: components.password,
                                                             database: String(components.path.dropFirst()), tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do { try await body(connection) } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
