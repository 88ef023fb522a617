import Foundation
import Testing
import YibaoTestSupport

/// Every command's `--help` shows examples of itself (issue 18: an example in every --help). The
/// command tree is read from the help output itself, so a new command without examples fails here.
@Suite("CLI help")
struct CLIHelpTests {
    /// The subcommand names listed under SUBCOMMANDS: in `help`.
    static func subcommands(in help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        return help[start.upperBound...].split(separator: "\n").prefix { !$0.hasPrefix("  See ") && !$0.isEmpty }.compactMap { line in
            // "  name    abstract" (a wrapped abstract line is indented further and starts no name).
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }
    }

    @Test("every command and subcommand has an Examples: section with an example of itself, and exits 0")
    func examplesEverywhere() async throws {
        var queue: [[String]] = [[]]
        var seen = 0
        while let path = queue.popLast() {
            let run = try await Processes.run(TestWorkspace.binary, path + ["--help"])
            let name = (["yibao"] + path).joined(separator: " ")
            #expect(run.status == 0, "\(name) --help: \(run.stderr)")
            let help = run.stdout
            guard let examples = help.range(of: "Examples:\n") else {
                Issue.record("\(name) --help has no Examples: section")
                continue
            }
            let shown = help[examples.upperBound...].split(separator: "\n").prefix { $0.hasPrefix("  ") }
            #expect(shown.contains { $0.contains(name + (path.isEmpty ? " " : "")) }, "\(name) --help: no example runs \(name)\n\(help)")
            seen += 1
            queue += Self.subcommands(in: help).filter { $0 != "help" }.map { path + [$0] }
        }
        #expect(seen >= 30, "only \(seen) commands found: the SUBCOMMANDS parsing broke")
    }

    @Test("one option name per concept: the key file, the certificate, the gateway, the signature's encoding and text format",
          arguments: [
              (["rx", "sign"], ["--private-key-file", "--certificate"]),
              (["rx", "review"], ["--private-key-file", "--certificate"]),
              (["sign"], ["--private-key-file", "--signature-encoding", "--signature-format"]),
              (["verify"], ["--certificate", "--signature-encoding", "--signature-format"]),
              (["envelope", "seal"], ["--private-key-file", "--signature-encoding"]),
              (["bench", "gateway"], ["--gateway"]),
              (["call"], ["--gateway"]),
              (["voucher", "issue"], ["--gateway"]),
              (["demo"], ["--gateway"]),
              (["conformance", "report"], ["--gateway"]),
          ])
    func canonicalNames(command: [String], names: [String]) async throws {
        let help = try await Processes.run(TestWorkspace.binary, command + ["--help"]).stdout
        for name in names { #expect(help.contains(name + " ") || help.contains(name + ","), "yibao \(command.joined(separator: " ")) --help lacks \(name)") }
    }
}
