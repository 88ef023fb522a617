import ArgumentParser
import Foundation
import YibaoVectors

struct VectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Work with the language-neutral test vectors in vectors/.",
        discussion: """
        Examples:
          yibao vectors check
          yibao vectors check vectors --all
        """,
        subcommands: [VectorsCheckCommand.self]
    )
}

struct VectorsCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run every vector file in DIR against yibao's implementation and print pass/fail counts.",
        discussion: """
        Exits 1 when any test's result (valid / invalid) is not what the file says.

        Examples:
          yibao vectors check
          yibao vectors check vectors --all
        """
    )

    @Argument(help: ArgumentHelp("Vector directory.", valueName: "DIR"))
    var directory = "vectors"

    @Flag(name: .long, help: "List every failing test, not just the first five per file.")
    var all = false

    func run() throws {
        let url = URL(fileURLWithPath: directory)
        let reports = try VectorChecker.check(directory: url) { report in
            let status = report.failed == 0 ? "ok  " : "FAIL"
            print("\(status) \(report.file.padding(toLength: 42, withPad: " ", startingAt: 0)) \(report.passed) passed, \(report.failed) failed")
            for mismatch in all ? report.mismatches : Array(report.mismatches.prefix(5)) {
                print("     - \(mismatch)")
            }
        }
        let passed = reports.reduce(0) { $0 + $1.passed }
        let failed = reports.reduce(0) { $0 + $1.failed }
        print("vectors: \(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
