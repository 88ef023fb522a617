import ArgumentParser
import AsyncHTTPClient
import Foundation
import YibaoClient
import YibaoConformance
import YibaoCore
import YibaoCrypto
import YibaoDevKit
import YibaoStore

/// `yibao conformance`: grade an integration — the case catalogue, active runs, the passive report.
struct ConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Grade an integration against the profile: list the cases, run a suite, read what the gateway saw.",
        discussion: """
        Active mode drives a target and writes console progress plus four report files (JSON, \
        JUnit XML, one self-contained HTML page, a HAR of every message); the exit status is 0 \
        only when every case passed (or failed as the --baseline file expects).

          yibao conformance list
          yibao serve --test-clock &        then
          yibao conformance run --target http://127.0.0.1:8080 --suite gateway
          yibao conformance sample-receiver --kind callback --port 9090 &   then
          yibao conformance run --target http://127.0.0.1:9090/callback --suite callback-receiver
          yibao conformance report --institution H12010100001      (passive mode)
        See docs/CONFORMANCE.md.

        Examples:
          yibao conformance list --suite gateway
          yibao conformance run --target http://127.0.0.1:8080 --suite gateway --report-dir reports
          yibao conformance report --institution H12010100001 --gateway http://127.0.0.1:8080
        """,
        subcommands: [ConformanceListCommand.self, ConformanceRunCommand.self, ConformanceReportCommand.self, SampleReceiverCommand.self]
    )
}

/// `yibao conformance list`.
struct ConformanceListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Print the catalogue of conformance cases (ids, rules, polarity, expectations).",
        discussion: """
        Examples:
          yibao conformance list
          yibao conformance list --suite callback-receiver --verbose
          yibao conformance list --json > cases.json
        """)

    @Option(help: "Only this suite: gateway, callback-receiver or prescription-receiver.")
    var suite: String?

    @Flag(help: "Print the catalogue as JSON (the data file itself).")
    var json = false

    @Flag(help: "Also print each case's inputs and expected outcome.")
    var verbose = false

    func run() throws {
        let catalogue = try Catalogue.bundled()
        if let suite, !catalogue.suites.contains(where: { $0.name == suite }) {
            throw ValidationError("no suite \(suite); suites: \(catalogue.suites.map(\.name).joined(separator: ", "))")
        }
        if json {
            var selected = catalogue
            if let suite { selected.cases = catalogue.cases(of: suite); selected.suites = catalogue.suites.filter { $0.name == suite } }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(selected), as: UTF8.self))
            return
        }
        print("conformance catalogue \(catalogue.version), profile \(catalogue.profile): \(catalogue.cases.count) cases")
        for description in catalogue.suites where suite == nil || description.name == suite {
            let cases = catalogue.cases(of: description.name)
            print("\nsuite \(description.name) — \(cases.count) cases (\(cases.filter { $0.polarity == .negative }.count) negative)")
            print("  \(description.summary)")
            print("  needs: \(description.prerequisites)")
            func column(_ text: String, _ width: Int) -> String { text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0) }
            for entry in cases {
                let sign = entry.polarity == .positive ? "+" : "−"
                print("  \(column(entry.id, 17)) \(sign) \(column(entry.rules.joined(separator: ","), 22)) \(entry.title)")
                if verbose {
                    print("      sends:    \(entry.inputs)")
                    print("      expects:  \(entry.expected)")
                    if !entry.detects.isEmpty { print("      catches:  yibao serve --fault \(entry.detects.joined(separator: ", "))") }
                    if !entry.requires.isEmpty { print("      builds on: \(entry.requires.joined(separator: ", "))") }
                }
            }
        }
    }
}

/// `yibao conformance run`.
struct ConformanceRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a suite against a target and write the reports; exit 0 only when every non-baselined case passes.",
        discussion: """
        Suites:
          gateway                 the target is a platform (e.g. yibao serve --test-clock); the demo fixture's
                                  parties and certs/demo-credentials.json are used
          callback-receiver       the target is a hospital's settlement-callback URL; callbacks are sealed
                                  with the dev platform key for --institution's app
          prescription-receiver   the target is an endpoint receiving circulated prescriptions
        The tester's clock is virtual (it starts at the target's test clock when there is one) and all
        generated data comes from --seed, so a run never waits and can be repeated exactly.
        Reports go to --report-dir: report.json, junit.xml, report.html, exchanges.har.
        A baseline file lists expected failures, one case id per line with a reason; an expected
        failure that passes fails the run, so the baseline stays honest.
        Gateway suite: the run creates a sandbox on the target (POST /admin/sandboxes: its own test
        clock, fixture copy, orders and trace), runs in it and deletes it afterwards, so several CI
        runs can share one gateway; --sandbox none runs against the target itself, --sandbox ID in an
        existing sandbox. A target without sandboxes is used directly.

        Examples:
          yibao conformance run --target http://127.0.0.1:8080 --suite gateway --report-dir reports
          yibao conformance run --target http://127.0.0.1:9090/callback --suite callback-receiver --baseline baseline.json
          yibao conformance run --target http://127.0.0.1:8080 --case ID-TOKEN-001 --case FSI-SIG-001
          yibao conformance run --target http://127.0.0.1:8080 --sandbox none      # the gateway's own world (needs serve --test-clock)
        """
    )

    @Option(help: "Base URL of the platform (gateway suite) or the full URL of the receiving endpoint.")
    var target: String

    @Option(help: "gateway, callback-receiver or prescription-receiver.")
    var suite: String = "gateway"

    @Option(help: "Seed of every generated value (order numbers, codes, msgid serials).")
    var seed: UInt64 = 20_261_123

    @Option(name: .customLong("report-dir"), help: "Folder for report.json, junit.xml, report.html, exchanges.har.")
    var reportDirectory: String = "conformance-report"

    @Option(help: "Expected-failures file: one case id per line, then a reason; # comments.")
    var baseline: String?

    @Option(help: "The institution whose app the receiver suites seal for (default: H12010100001 callbacks, P12010100001 prescriptions).")
    var institution: String?

    @Option(name: .customLong("case"), help: "Run only this case (repeatable).")
    var cases: [String] = []

    @Flag(name: .customLong("no-colour"), help: "Plain console output.")
    var noColour = false

    @Option(help: ArgumentHelp("The dialect the target speaks (yibao profiles). Gateway suite: run that profile's DIALECT-* cases only (without it the whole suite runs, every profile's cases included). Callback-receiver suite: send callbacks in the profile's shape and expect its acknowledgement (e.g. hainan: an empty HTTP 200).", valueName: "name"))
    var profile: String?

    @Flag(name: .customLong("reveal-personal-data"), help: "Keep ID numbers, names and e-voucher tokens unmasked in the reports (local debugging only; reports are often published as CI artefacts).")
    var revealPersonalData = false

    @Option(help: ArgumentHelp("Gateway suite: new (a sandbox of its own, deleted afterwards), none (the target's own world) or the id of an existing sandbox.", valueName: "new|none|id"))
    var sandbox: String = "new"

    @Flag(name: .customLong("keep-sandbox"), help: "Keep the sandbox the run created (its id is printed), to look at its trace or console afterwards.")
    var keepSandbox = false

    @OptionGroup var workspace: WorkspaceOptions

    func run() async throws {
        do {
            try await grade()
        } catch let error as ConformanceError {
            // Exit 2: the run could not start or finish (not a verdict on the target); 1 is reserved for failed cases.
            FileHandle.standardError.write(Data("conformance: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }

    private func grade() async throws {
        let catalogue = try Catalogue.bundled()
        guard catalogue.suites.contains(where: { $0.name == suite }) else {
            throw ValidationError("no suite \(suite); suites: \(catalogue.suites.map(\.name).joined(separator: ", "))")
        }
        let known = Set(catalogue.cases(of: suite).map(\.id))
        for id in cases where !known.contains(id) { throw ValidationError("--case \(id) is not a case of suite \(suite) (see `yibao conformance list --suite \(suite)`)") }
        var selected = cases
        var receiverProfile = DialectProfile.nhsa20
        if let profile, suite == "callback-receiver" {
            let loaded = try setUp { try DialectCatalogue.load(profilesDirectory: DialectCatalogue.directory(certs: try workspace.certsDirectory())) }
            guard let found = loaded.first(where: { $0.name == profile }) ?? (profile == DialectProfile.nhsa20.name ? .nhsa20 : nil) else {
                throw ValidationError("--profile \(profile) is not a dialect profile; profiles: \(loaded.map(\.name).sorted().joined(separator: ", "))")
            }
            receiverProfile = found
        } else if let profile {
            guard suite == "gateway", let prefix = GatewaySuite.dialectCasePrefixes[profile] else {
                throw ValidationError("--profile takes a dialect with cases in the gateway suite (\(GatewaySuite.dialectCasePrefixes.keys.sorted().joined(separator: ", "))) or any profile with the callback-receiver suite")
            }
            selected += known.filter { $0.hasPrefix(prefix) }.sorted()
        }
        var expectations = Baseline()
        if let baseline {
            guard let data = FileManager.default.contents(atPath: baseline) else { throw ValidationError("no baseline file at \(baseline)") }
            expectations = try Baseline.parse(String(decoding: data, as: UTF8.self), known: known, path: baseline)
        }
        let certs = try workspace.certsDirectory()
        let credentials = try workspace.credentials()
        guard suite == "gateway" else { return try await grade(target: target, selected: selected, expectations: expectations, receiverProfile: receiverProfile,
                                                               catalogue: catalogue, certs: certs, credentials: credentials) }
        let leased: ConformanceSandbox?
        switch sandbox {
        case "none": leased = nil
        case "new":
            leased = try await ConformanceSandbox.create(on: target, adminToken: credentials.adminToken, label: "yibao conformance run, seed \(seed)")
            if let leased { FileHandle.standardOutput.write(Data("conformance: sandbox \(leased.id) on \(leased.gateway)\n".utf8)) }
            else { FileHandle.standardOutput.write(Data("conformance: \(target) offers no sandboxes; running against it directly\n".utf8)) }
        default:
            guard SandboxRecord.isWellFormed(sandbox) else { throw ValidationError("--sandbox takes new, none or a sandbox id (sb and 12 hex digits), not \(sandbox)") }
            leased = try await ConformanceSandbox.existing(sandbox, on: target, adminToken: credentials.adminToken)
        }
        do {
            try await grade(target: leased?.target ?? target, selected: selected, expectations: expectations, receiverProfile: receiverProfile,
                            catalogue: catalogue, certs: certs, credentials: credentials)
        } catch {
            if sandbox == "new", let leased { try? await finish(leased, adminToken: credentials.adminToken) }
            throw error
        }
        if sandbox == "new", let leased { try await finish(leased, adminToken: credentials.adminToken) }
    }

    /// Deletes the sandbox the run created, or says where it is kept.
    private func finish(_ leased: ConformanceSandbox, adminToken: String) async throws {
        if keepSandbox {
            FileHandle.standardOutput.write(Data("conformance: sandbox \(leased.id) kept: \(leased.target)\n".utf8))
        } else {
            try await leased.delete(adminToken: adminToken)
        }
    }

    private func grade(target: String, selected: [String], expectations: Baseline, receiverProfile: DialectProfile, catalogue: Catalogue,
                       certs: String, credentials: DemoCredentials) async throws {
        let suite = suite
        let clock = VirtualClock(start: Date())
        let recorder = ExchangeRecorder(revealPersonalData: revealPersonalData)
        recorder.openEnvelopes(of: credentials.institutions.map { ($0.appId, $0.appSecret) })
        let suiteImplementation: any ConformanceSuite = try await SuiteFactory.make(
            suite, target: target, credentials: credentials, certs: certs, institution: institution, seed: seed, clock: clock, recorder: recorder,
            profile: receiverProfile)
        var runner = ConformanceRunner(catalogue: catalogue, suite: suiteImplementation, target: target, seed: seed, baseline: expectations,
                                       recorder: recorder, clock: clock)
        runner.only = Set(selected)
        let colour = !noColour && isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        FileHandle.standardOutput.write(Data("conformance: suite \(suite) against \(target), seed \(seed), catalogue \(catalogue.version)\(profile.map { ", dialect profile \($0)" } ?? "")\n".utf8))
        for (id, reason) in suiteImplementation.notApplicable.sorted(by: { $0.key < $1.key }) where runner.only.isEmpty || runner.only.contains(id) {
            FileHandle.standardOutput.write(Data("  not applicable: \(id) — \(reason)\n".utf8))
        }
        let report: RunReport
        do {
            report = try await runner.run { result, index, total in
                FileHandle.standardOutput.write(Data((ConsoleReport.line(for: result, index: index, total: total, colour: colour) + "\n").utf8))
            }
        } catch let error as ConformanceError {
            // Still write the reports, so a CI job's JUnit step has a failing test that says why.
            let setup = ConformanceCase(id: "SETUP-000", suite: suite, title: "the run could not start", rules: ["PROTOCOL-ENVELOPE"],
                                        inputs: "the suite's preparation against \(target)", expected: "the target answers", polarity: .positive)
            let failed = RunReport(catalogueVersion: catalogue.version, profile: catalogue.profile, suite: suite, target: target, seed: seed, startedAt: Date(),
                                   virtualStart: clock.now(), durationMilliseconds: 0,
                                   results: [CaseResult(definition: setup, verdict: .failed, message: error.description, durationMilliseconds: 0)],
                                   exchanges: recorder.all)
            _ = try? ReportWriter.write(failed, to: reportDirectory)
            throw error
        }
        let written = try ReportWriter.write(report, to: reportDirectory)
        print(ConsoleReport.summary(report, colour: colour))
        print("reports: \(written.joined(separator: ", "))")
        if !report.succeeded { throw ExitCode(1) }
    }
}

/// Builds a suite by name.
enum SuiteFactory {
    static func make(_ name: String, target: String, credentials: DemoCredentials, certs: String, institution: String?, seed: UInt64,
                     clock: VirtualClock, recorder: ExchangeRecorder, profile: DialectProfile = .nhsa20) async throws -> any ConformanceSuite {
        switch name {
        case "gateway":
            return try GatewaySuite(target: target, credentials: credentials, certs: certs, seed: seed, clock: clock, recorder: recorder)
        case "callback-receiver", "prescription-receiver":
            let trust = try DevTrust(certs: certs, credentials: credentials)
            let platformKey = try SM2.PrivateKey(pemRepresentation: try trust.file(credentials.platform.privateKeyPem))
            if name == "callback-receiver" {
                return try CallbackReceiverSuite(target: target, credentials: credentials, institution: institution ?? DemoCredentials.demoHospital,
                                                 platformKey: platformKey, seed: seed, clock: clock, recorder: recorder, profile: profile)
            }
            let vectors = ((certs as NSString).deletingLastPathComponent as NSString).appendingPathComponent("vectors/signed_prescription_test.json")
            return try PrescriptionReceiverSuite(target: target, credentials: credentials, institution: institution ?? "P12010100001", platformKey: platformKey,
                                                 platformCertificate: trust.platformCertificate, vectorsFile: vectors, seed: seed, clock: clock, recorder: recorder)
        default:
            throw ValidationError("suite \(name) is in the catalogue but not in this build")
        }
    }
}

/// `yibao conformance sample-receiver`: the reference hospital-side endpoints the receiver suites grade.
struct SampleReceiverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-receiver",
        abstract: "Run a sample hospital endpoint: settlement callbacks (POST /callback) or circulated prescriptions (POST /prescriptions).",
        discussion: """
        The strict receivers are what a hospital's endpoint should do (Sources/YibaoConformance/Samples): \
        open the platform's sealed envelope with the app's appSecret, verify the platform's signature, \
        acknowledge a byte-identical retry again, refuse stale, forged or out-of-order messages and, for \
        prescriptions, verify all three signatures against the dev PKI. --sloppy acknowledges everything, \
        to see the conformance suite fail it.

        Examples:
          yibao conformance sample-receiver --kind callback --port 9090
          yibao conformance sample-receiver --kind prescription --port 9091 --sloppy
        """
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable { case callback, prescription }

    @Option(help: "callback or prescription.")
    var kind: Kind = .callback

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port: Int = 9090

    @Option(help: "Whose app the platform seals for (default: H12010100001 for callbacks, P12010100001 for prescriptions).")
    var institution: String?

    @Flag(help: "Acknowledge everything without checking (a deliberately bad receiver).")
    var sloppy = false

    @Option(help: ArgumentHelp("Callbacks: the dialect profile whose callback shape and acknowledgement to use (e.g. national: {success}; hainan: an empty HTTP 200).", valueName: "name"))
    var profile: String?

    @OptionGroup var workspace: WorkspaceOptions

    func run() async throws {
        let credentials = try workspace.credentials()
        let code = institution ?? (kind == .callback ? DemoCredentials.demoHospital : "P12010100001")
        guard let app = credentials.institutions.first(where: { $0.fixmedins_code == code }) else {
            throw ValidationError("no institution \(code) in certs/\(DemoCredentials.fileName)")
        }
        let platformKey = try SM2.PublicKey(base64: credentials.platform.publicKey)
        let announce: @Sendable (Int) async -> Void = { [kind, host, sloppy] bound in
            FileHandle.standardOutput.write(Data("sample \(kind.rawValue) receiver\(sloppy ? " (SLOPPY: checks nothing)" : "") for \(code) listening on http://\(host):\(bound)/\(kind == .callback ? "callback" : "prescriptions")\n".utf8))
        }
        switch kind {
        case .callback:
            var dialect = CallbackDialect()
            if let profile {
                let loaded = try setUp { try DialectCatalogue.load(profilesDirectory: DialectCatalogue.directory(certs: try workspace.certsDirectory())) }
                guard let found = loaded.first(where: { $0.name == profile }) else {
                    throw ValidationError("--profile \(profile) is not a dialect profile; profiles: \(loaded.map(\.name).sorted().joined(separator: ", "))")
                }
                dialect = found.payment.callback
            }
            let receiver = SampleCallbackReceiver(appId: app.appId, appSecret: app.appSecret, platformPublicKey: platformKey, sloppy: sloppy, dialect: dialect)
            try await SampleCallbackReceiver.application(receiver, host: host, port: port, onRunning: announce).runService()
        case .prescription:
            let trust = try DevTrust(certs: try workspace.certsDirectory(), credentials: credentials)
            let receiver = SamplePrescriptionReceiver(appId: app.appId, appSecret: app.appSecret, platformPublicKey: platformKey,
                                                      verifier: trust.prescriptionVerifier, sloppy: sloppy)
            try await SamplePrescriptionReceiver.application(receiver, host: host, port: port, onRunning: announce).runService()
        }
    }
}

/// `yibao rules`: every rule of docs/RULES.md, the code that enforces it, its tests and its cases.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Rule coverage: every rule of docs/RULES.md and PROTOCOL clause, the code that refuses or flags under it, the code that only mentions it, its tests and the conformance cases that check it.",
        discussion: """
        Columns: "refuses" counts the Swift files that refuse a request or flag a record under the rule's id \
        (a `rule:` argument, a smart-audit row: tools/rules/index.py); "mentioned" the files that name it at \
        all, a comment or a message included; "tests" the test files that name it; "cases" the conformance \
        cases tagged with it. "status" is enforced (code, a test and a case), manual (not machine-checkable: \
        docs/RULES.md gives the reason) or gap (naming what is missing). A rule that is mentioned but refused \
        nowhere is permissive (it lets something through) or described, not enforced: --verbose shows which files.

        Examples:
          yibao rules
          yibao rules --verbose
          yibao rules --gaps
          yibao rules --json > rules.json
        """
    )

    @Flag(help: "Print the table as JSON.")
    var json = false

    @Flag(help: "List the source files, tests and case ids in full, and the reason of each manual rule.")
    var verbose = false

    @Flag(help: "Only the rules whose status is a gap; exit 1 when there is one.")
    var gaps = false

    func run() throws {
        let catalogue = try Catalogue.bundled()
        var rules = try RuleCoverage.bundled(catalogue: catalogue)
        if gaps { rules = rules.filter { $0.status.hasPrefix("gap") } }
        if json {
            struct Row: Encodable {
                let id: String; let title: String; let summary: String; let source: String; let status: String; let manual: String?
                let refuses: [String]; let mentioned: [String]; let tests: [String]; let cases: [String]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(rules.map {
                Row(id: $0.id, title: $0.title, summary: $0.summary, source: $0.source, status: $0.status, manual: $0.manual,
                    refuses: $0.refuses, mentioned: $0.code, tests: $0.tests, cases: $0.cases)
            }), as: UTF8.self))
        } else {
            print("rule                refuses  mentioned  tests  cases  status                     summary")
            for rule in rules {
                let refuses = rule.refuses.isEmpty ? "   —   " : String(format: "%4d f ", rule.refuses.count)
                let code = rule.code.isEmpty ? "    —    " : String(format: "%6d f  ", rule.code.count)
                let tests = rule.tests.isEmpty ? "  —  " : String(format: "%4d ", rule.tests.count)
                let cases = rule.cases.isEmpty ? "  —  " : String(format: "%4d ", rule.cases.count)
                let status = rule.status.padding(toLength: 25, withPad: " ", startingAt: 0)
                let summary = rule.summary.count > 70 ? String(rule.summary.prefix(69)) + "…" : rule.summary
                print("\(rule.id.padding(toLength: 18, withPad: " ", startingAt: 0))  \(refuses)  \(code) \(tests)  \(cases)  \(status)  \(summary)")
                if verbose {
                    if !rule.source.isEmpty { print("      source:    \(rule.source)") }
                    if let manual = rule.manual { print("      manual:    \(manual)") }
                    if !rule.refuses.isEmpty { print("      refuses:   \(rule.refuses.joined(separator: ", "))") }
                    if !rule.code.isEmpty { print("      mentioned: \(rule.code.joined(separator: ", "))") }
                    if !rule.tests.isEmpty { print("      tests:     \(rule.tests.joined(separator: ", "))") }
                    if !rule.cases.isEmpty { print("      cases:     \(rule.cases.joined(separator: ", "))") }
                }
            }
            let enforced = rules.filter { $0.status == "enforced" }.count, manual = rules.filter { $0.manual != nil }.count
            let refused = rules.filter { !$0.refuses.isEmpty }.count
            print("\n\(rules.count) rules: \(enforced) enforced with code, a test and a case (\(refused) refuse or flag under their id), \(manual) not machine-checkable, \(rules.count - enforced - manual) with a gap (catalogue \(catalogue.version), \(catalogue.cases.count) cases; docs/RULES.md)")
            let open = rules.filter { $0.status.hasPrefix("gap") }
            if !open.isEmpty { print("gaps: " + open.map { "\($0.id) (\($0.status.dropFirst(5)))" }.joined(separator: ", ")) }
            print("(files: `yibao rules --verbose` names them, the tests and the cases)")
        }
        if gaps && !rules.isEmpty { throw ExitCode(1) }
    }
}
