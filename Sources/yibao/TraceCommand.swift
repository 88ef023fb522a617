import ArgumentParser
import Foundation
import YibaoGateway
import YibaoStore

/// `yibao trace verify`: re-checks the hash chain of a gateway's trace, offline.
struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "The tamper-evident trace of every step (SV-2).",
        subcommands: [TraceVerifyCommand.self]
    )
}

struct TraceVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every trace entry's SM3 hash and link, offline; exit 1 if anything was changed, removed or reordered.",
        discussion: "Reads the SQLite database read-only (the gateway may keep running). docs/TRACE.md defines the hashed bytes."
    )

    @Option(name: .customLong("data-dir"), help: "Folder of the gateway's SQLite database.")
    var dataDirectory: String = ".yibao"

    func run() async throws {
        let path = (dataDirectory as NSString).appendingPathComponent("yibao.sqlite")
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no database at \(path); pass --data-dir") }
        let store = try SQLiteStore(path: path, readOnly: true)
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
