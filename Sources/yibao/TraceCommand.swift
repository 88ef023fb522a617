import ArgumentParser
import Foundation
import YibaoGateway
import YibaoStore

/// `yibao trace verify`: re-checks the hash chain of a gateway's trace, offline.
struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "The tamper-evident trace of every step (SV-2).",
        discussion: """
        Examples:
          yibao trace verify
          yibao trace verify --data-dir .yibao
        """,
        subcommands: [TraceVerifyCommand.self]
    )
}

struct TraceVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every trace entry's SM3 hash and link, offline; exit 1 if anything was changed, removed or reordered.",
        discussion: """
        Reads the database without changing it (the gateway may keep running): the SQLite file under \
        --data-dir, or PostgreSQL with --database. docs/TRACE.md defines the hashed bytes.

        Examples:
          yibao trace verify --data-dir .yibao
          yibao trace verify --database postgres://yibao:yibao@127.0.0.1:54329/yibao
        """
    )

    @Option(name: .customLong("data-dir"), help: "Folder of the gateway's SQLite database.")
    var dataDirectory: String = ".yibao"

    @Option(name: .customLong("database"), help: ArgumentHelp("A PostgreSQL gateway's database (default: $YIBAO_DATABASE_URL, else the SQLite file under --data-dir).", valueName: "url"))
    var database: String?

    func run() async throws {
        let store: any GatewayStore
        if let url = database ?? ProcessInfo.processInfo.environment["YIBAO_DATABASE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) {
            do { store = try await PostgresStore(url: url, migrate: false) } catch let error as StoreError {
                FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
                throw ExitCode(2)
            }
        } else {
            let path = (dataDirectory as NSString).appendingPathComponent("yibao.sqlite")
            guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no database at \(path); pass --data-dir or --database") }
            store = try SQLiteStore(path: path, readOnly: true)
        }
        let report = try await TraceAudit.verify(store)
        if report.isIntact {
            print("trace intact: \(report.entries) entries, head #\(report.head?.seq ?? 0) \(report.head?.hash ?? "-")")
            print("keep the head hash somewhere else to detect a truncated tail later")
        } else {
            print("trace BROKEN: \(report.problems.count) problem(s) in \(report.entries) entries")
            for problem in report.problems.prefix(50) { print("  \(problem)") }
            throw ExitCode(1)
        }
    }
}
