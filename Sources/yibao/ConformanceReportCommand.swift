import ArgumentParser
import Foundation
import YibaoClient
import YibaoConformance
import YibaoCrypto
import YibaoGateway

/// `yibao conformance report`: the passive mode of the conformance tester — what a running gateway
/// recorded of one institution's own traffic (`GET /admin/conformance/{institution}`).
struct ConformanceReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Passive mode: what the gateway saw of an institution's traffic — required transactions, checks passed and failed, each refusal diagnosed.",
        discussion: """
        The gateway logs every FSI and HSE request it checks, per institution (the claimed fixmedins_code, \
        or the appId's institution). This prints, from that log: the transactions a hospital integration \
        must exercise, judged by the latest attempt (✓ accepted, ✗ refused, · not exercised), the checks by category \
        (envelope fields, signature, time window, replay, sign-in, business rules) and the 50 most recent \
        refusals with code, rule, pointer, expected/actual, the string to sign and the signature diagnosis.

        Exits 1 unless every required transaction passed, so CI can fail on it; 2 when the gateway \
        cannot be asked (not running, wrong admin token).

        With --report-dir the report is also written as files for CI: report.json (as the gateway \
        answered), junit.xml (one test case per required transaction and per lost answer) and \
        report.html (failures first, readable under Jenkins' default Content-Security-Policy).

        Examples:
          yibao conformance report --institution H12010100001
          yibao conformance report --institution H12010100001 --gateway http://127.0.0.1:8080 --report-dir passive-reports
        """
    )

    @Option(help: "The institution (fixmedins_code) whose traffic to report.")
    var institution: String

    @Option(help: "Base URL of the gateway.")
    var gateway: String = "http://127.0.0.1:8080"

    @Option(name: .customLong("admin-token"), help: "The gateway's admin token (default: the demo admin token of certs/demo-credentials.json).")
    var adminToken: String?

    @Flag(help: "Print the report as JSON instead of a table.")
    var json = false

    @Option(name: .customLong("report-dir"), help: ArgumentHelp("Also write report.json, junit.xml and report.html here (created if missing).", valueName: "DIR"))
    var reportDirectory: String?

    @OptionGroup var workspace: WorkspaceOptions

    func validate() throws {
        guard !institution.isEmpty else { throw ValidationError("--institution must not be empty") }
    }

    func run() async throws {
        let token = try adminToken ?? workspace.credentials().adminToken
        let path = institution.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? institution
        let base = gateway.hasSuffix("/") ? String(gateway.dropLast()) : gateway
        let report: JSONValue
        do {
            report = try await HTTP.get(.shared, url: "\(base)/admin/conformance/\(path)", bearer: token)
        } catch {
            _ = fail(error)
            throw ExitCode(2) // not a verdict on the institution: the report could not be read
        }
        if !json, (report.objectValue?["required"]?.arrayValue ?? []).allSatisfy({ group in
            (group.objectValue?["transactions"]?.arrayValue ?? []).allSatisfy { $0.objectValue?["exercised"] == .number("0") }
        }), (report.objectValue?["other"]?.arrayValue ?? []).isEmpty {
            printError("note: the gateway recorded no traffic for \(institution): check the fixmedins_code, and that your HIS talks to \(base)")
        }
        print(json ? pretty(report) : PassiveConformanceReport.text(report))
        if let reportDirectory {
            let directory = URL(fileURLWithPath: reportDirectory)
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                for (name, content) in [("report.json", pretty(report) + "\n"), ("junit.xml", PassiveReportWriter.junit(report)),
                                        ("report.html", PassiveReportWriter.html(report))] {
                    try Data(content.utf8).write(to: directory.appendingPathComponent(name), options: .atomic)
                }
            } catch {
                printError("error: cannot write the reports to \(reportDirectory): \(error.localizedDescription)")
                throw ExitCode(2)
            }
            printError("reports: \(["report.json", "junit.xml", "report.html"].map { directory.appendingPathComponent($0).path }.joined(separator: ", "))")
        }
        if !PassiveConformanceReport.isComplete(report) { throw ExitCode(1) }
    }
}
