import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import YibaoTestSupport
import YibaoDevKit
import YibaoClient
import YibaoConformance
import YibaoCore
import YibaoServices
import YibaoCrypto
@testable import YibaoGateway

/// The conformance tester checked against things whose answer we know: our gateway passes the
/// `gateway` suite; a gateway with a deliberate fault fails exactly the cases that catch it; the
/// strict sample receivers pass their suites and the sloppy ones fail them.
@Suite("Conformance self-checks")
struct ConformanceSelfCheckTests {
    static let catalogue = try! Catalogue.bundled()

    /// A live gateway (test clock) with `faults`, run through the gateway suite.
    func runGatewaySuite(faults: Set<GatewayFault> = [], seed: UInt64 = 7) async throws -> RunReport {
        try await runGatewaySuite(faults: faults, seeds: [seed]).last!
    }

    /// One run per seed against the same gateway and database, one after the other.
    func runGatewaySuite(faults: Set<GatewayFault> = [], seeds: [UInt64]) async throws -> [RunReport] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-cf-\(UUID().uuidString)").path
        let credentials = try DemoCredentials.load(certsDirectory: GatewayHarness.certs)
        let plain = try GatewaySetup.make(certs: GatewayHarness.certs, credentials: credentials, dataDirectory: directory, testClock: true, faults: faults)
        let fixture = try GatewaySetup.fixture(path: GatewayHarness.fixturePath, certs: GatewayHarness.certs, credentials: credentials)
        _ = try await plain.loadOnFirstStart(fixture)
        // With sandboxes, as `yibao serve` runs it: GEN-1-001 moves a sandbox of its own past the measures' last day.
        let gateway = plain.enablingSandboxes(fixture: fixture)
        return try await gateway.application(host: "127.0.0.1", port: 0, quiet: true, callbackInterval: nil).test(.live) { live in
            let target = "http://127.0.0.1:\(try #require(live.port))"
            var reports: [RunReport] = []
            for seed in seeds {
                let clock = VirtualClock(start: Date())
                let recorder = ExchangeRecorder()
                let suite = try GatewaySuite(target: target, credentials: credentials, certs: GatewayHarness.certs, seed: seed, clock: clock, recorder: recorder)
                reports.append(try await ConformanceRunner(catalogue: Self.catalogue, suite: suite, target: target, seed: seed, recorder: recorder, clock: clock).run())
            }
            return reports
        }
    }

    static func failing(_ report: RunReport) -> Set<String> { Set(report.results.filter { !$0.verdict.isSuccess }.map(\.definition.id)) }

    @Test("our gateway passes every case of the gateway suite, twice in a row on the same data")
    func gatewayPasses() async throws {
        // The same seed twice: what must stay unique on a persistent target carries the run's start time.
        let reports = try await runGatewaySuite(seeds: [7, 7])
        #expect(Self.failing(reports[0]).isEmpty, "\(reports[0].results.filter { !$0.verdict.isSuccess }.map { "\($0.definition.id): \($0.message)" })")
        let report = reports[1]
        #expect(Self.failing(report).isEmpty, "\(report.results.filter { !$0.verdict.isSuccess }.map { "\($0.definition.id): \($0.message)" })")
        #expect(report.results.count == Self.catalogue.cases(of: "gateway").count)
        #expect(report.count(.skipped) == 0)
        #expect(report.succeeded)
        // Every case exchanged messages, and they are all in the HAR-to-be.
        #expect(report.results.allSatisfy { !$0.exchangeIndices.isEmpty })
        #expect(report.exchanges.count > 150)
    }

    /// The rules the refusals of `exchanges` cite: every `rule` beside a `code` in an answer (a
    /// problem document, or the `problem` inside an HTTP 200 dialect answer).
    static func citedRules(_ exchanges: [HTTPExchange]) -> Set<String> {
        var cited: Set<String> = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let object):
                if case .string(let rule)? = object["rule"], object["code"] != nil, !rule.isEmpty { cited.insert(rule) }
                for member in object.members { walk(member.value) }
            case .array(let items): items.forEach(walk)
            default: break
            }
        }
        for exchange in exchanges { if let answer = try? JSONValue.parse(Array(exchange.responseBody.utf8)) { walk(answer) } }
        return cited
    }

    @Test("each negative case tags exactly the rules its refusals cite: none cited that it does not tag, none tagged that no refusal cites")
    func negativeCasesCiteTheirRules() async throws {
        let report = try await runGatewaySuite(seed: 9)
        var mismatches: [String] = []
        for result in report.results where result.definition.polarity == .negative {
            let exchanges = result.exchangeIndices.compactMap { report.exchanges.indices.contains($0) ? report.exchanges[$0] : nil }
            let cited = Self.citedRules(exchanges)
            // A case answered without any refusal (a replay answered with the kept answer) has nothing to compare.
            guard !cited.isEmpty else { continue }
            let tagged = Set(result.definition.rules)
            if cited != tagged {
                mismatches.append("\(result.definition.id): tags \(tagged.sorted()), refusals cite \(cited.sorted())")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        #expect(report.results.filter { $0.definition.polarity == .negative }.count > 80)
    }

    @Test("a gateway with a fault fails exactly the cases that catch it", arguments: GatewayFault.allCases)
    func faultIsCaught(_ fault: GatewayFault) async throws {
        let expected = Set(Self.catalogue.cases(of: "gateway").filter { $0.detects.contains(fault.rawValue) }.map(\.id))
        #expect(!expected.isEmpty, "no catalogue case claims to catch \(fault.rawValue)")
        let report = try await runGatewaySuite(faults: [fault])
        #expect(Self.failing(report) == expected)
        #expect(!report.succeeded)
    }

    @Test("a baseline turns the faulted gateway's failures into expected failures, and notices a stale entry")
    func baseline() async throws {
        let known = Set(Self.catalogue.cases(of: "gateway").map(\.id))
        let text = """
        # pay-twice is a known gap
        PY-IDEMP-002   retries pay twice, ticket HIS-1
        """
        let baseline = try Baseline.parse(text, known: known)
        #expect(baseline.expectedFailures["PY-IDEMP-002"] == "retries pay twice, ticket HIS-1")
        #expect(throws: ConformanceError.self) { try Baseline.parse("PY-IDEMP-999 typo", known: known) }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-cf-\(UUID().uuidString)").path
        let credentials = try DemoCredentials.load(certsDirectory: GatewayHarness.certs)
        let gateway = try GatewaySetup.make(certs: GatewayHarness.certs, credentials: credentials, dataDirectory: directory, testClock: true, faults: [.payTwice])
        _ = try await gateway.loadOnFirstStart(try GatewaySetup.fixture(path: GatewayHarness.fixturePath, certs: GatewayHarness.certs, credentials: credentials))
        try await gateway.application(host: "127.0.0.1", port: 0, quiet: true, callbackInterval: nil).test(.live) { live in
            let target = "http://127.0.0.1:\(try #require(live.port))"
            let only: Set<String> = ["RX-FLOW-001", "RX-DISPENSE-001", "PY-PAY-001", "PY-IDEMP-001", "PY-IDEMP-002"]
            // Two runs within the same second: their msgid serials (seed % 5000 onwards) must not overlap.
            for (stale, expectSuccess) in [(false, true), (true, false)] {
                let clock = VirtualClock(start: Date())
                let recorder = ExchangeRecorder()
                let suite = try GatewaySuite(target: target, credentials: credentials, certs: GatewayHarness.certs, seed: stale ? 3000 : 100, clock: clock, recorder: recorder)
                var entries = baseline.expectedFailures
                if stale { entries["PY-IDEMP-001"] = "wrongly listed: it passes" }
                var runner = ConformanceRunner(catalogue: Self.catalogue, suite: suite, target: target, seed: 8, baseline: Baseline(expectedFailures: entries),
                                               recorder: recorder, clock: clock)
                runner.only = only
                let report = try await runner.run()
                #expect(report.results.first { $0.definition.id == "PY-IDEMP-002" }?.verdict == .expectedFailure)
                #expect(report.succeeded == expectSuccess)
                if stale { #expect(report.results.first { $0.definition.id == "PY-IDEMP-001" }?.verdict == .unexpectedPass) }
            }
        }
    }

    @Test("--case pulls in the cases it builds on; without a test clock the clock cases are skipped, and a baselined skip is an expected failure")
    func requirements() async throws {
        let catalogue = Self.catalogue
        #expect(catalogue.withRequirements(["PY-IDEMP-002"]) == ["PY-IDEMP-002", "PY-PAY-001", "RX-DISPENSE-001", "RX-FLOW-001"])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-cf-\(UUID().uuidString)").path
        let credentials = try DemoCredentials.load(certsDirectory: GatewayHarness.certs)
        // Without a test clock: RX-EXPIRE-001 cannot run.
        let gateway = try GatewaySetup.make(certs: GatewayHarness.certs, credentials: credentials, dataDirectory: directory, testClock: false, faults: [.reuseToken])
        _ = try await gateway.loadOnFirstStart(try GatewaySetup.fixture(path: GatewayHarness.fixturePath, certs: GatewayHarness.certs, credentials: credentials))
        try await gateway.application(host: "127.0.0.1", port: 0, quiet: true, callbackInterval: nil).test(.live) { live in
            let target = "http://127.0.0.1:\(try #require(live.port))"
            let clock = VirtualClock(start: Date())
            let recorder = ExchangeRecorder()
            let suite = try GatewaySuite(target: target, credentials: credentials, certs: GatewayHarness.certs, seed: 11, clock: clock, recorder: recorder)
            var runner = ConformanceRunner(catalogue: catalogue, suite: suite, target: target, seed: 11,
                                           baseline: Baseline(expectedFailures: ["RX-EXPIRE-001": "no test clock in this run"]), recorder: recorder, clock: clock)
            runner.only = ["PY-IDEMP-002", "RX-EXPIRE-001"]
            let report = try await runner.run()
            #expect(report.results.map(\.definition.id) == ["RX-FLOW-001", "RX-DISPENSE-001", "PY-PAY-001", "PY-IDEMP-002", "RX-EXPIRE-001"])
            #expect(report.results.last?.verdict == .expectedFailure)
            #expect(report.succeeded)
        }
    }

    /// A sample receiver on loopback run through its suite.
    func runReceiverSuite(_ name: String, sloppy: Bool) async throws -> RunReport {
        let credentials = try DemoCredentials.load(certsDirectory: GatewayHarness.certs)
        let trust = try DevTrust(certs: GatewayHarness.certs, credentials: credentials)
        let platformKey = try SM2.PrivateKey(pemRepresentation: try trust.file(credentials.platform.privateKeyPem))
        let platformPublicKey = try SM2.PublicKey(base64: credentials.platform.publicKey)
        let clock = VirtualClock(start: Date())
        let recorder = ExchangeRecorder()
        if name == "callback-receiver" {
            let app = try #require(credentials.institutions.first { $0.fixmedins_code == DemoCredentials.demoHospital })
            let receiver = SampleCallbackReceiver(appId: app.appId, appSecret: app.appSecret, platformPublicKey: platformPublicKey, sloppy: sloppy)
            return try await SampleCallbackReceiver.application(receiver, port: 0).test(.live) { live in
                let target = "http://127.0.0.1:\(try #require(live.port))/callback"
                let suite = try CallbackReceiverSuite(target: target, credentials: credentials, institution: app.fixmedins_code, platformKey: platformKey,
                                                      seed: 3, clock: clock, recorder: recorder)
                return try await ConformanceRunner(catalogue: Self.catalogue, suite: suite, target: target, seed: 3, recorder: recorder, clock: clock).run()
            }
        }
        let app = try #require(credentials.institutions.first { $0.fixmedins_code == "P12010100001" })
        let receiver = SamplePrescriptionReceiver(appId: app.appId, appSecret: app.appSecret, platformPublicKey: platformPublicKey,
                                                  verifier: trust.prescriptionVerifier, sloppy: sloppy)
        return try await SamplePrescriptionReceiver.application(receiver, port: 0).test(.live) { live in
            let target = "http://127.0.0.1:\(try #require(live.port))/prescriptions"
            let vectors = GatewayHarness.packageRoot.appendingPathComponent("vectors/signed_prescription_test.json").path
            let suite = try PrescriptionReceiverSuite(target: target, credentials: credentials, institution: app.fixmedins_code, platformKey: platformKey,
                                                      platformCertificate: trust.platformCertificate, vectorsFile: vectors, seed: 3, clock: clock, recorder: recorder)
            return try await ConformanceRunner(catalogue: Self.catalogue, suite: suite, target: target, seed: 3, recorder: recorder, clock: clock).run()
        }
    }

    @Test("the strict sample callback receiver passes callback-receiver; the sloppy one fails every negative case")
    func callbackReceivers() async throws {
        let strict = try await runReceiverSuite("callback-receiver", sloppy: false)
        #expect(Self.failing(strict).isEmpty, "\(strict.results.filter { !$0.verdict.isSuccess }.map { "\($0.definition.id): \($0.message)" })")
        let sloppy = try await runReceiverSuite("callback-receiver", sloppy: true)
        // The sloppy receiver still refuses a body that is not JSON at all; everything else it waves through.
        let negatives = Set(Self.catalogue.cases(of: "callback-receiver").filter { $0.polarity == .negative && $0.id != "CB-NOTJSON-001" }.map(\.id))
        #expect(Self.failing(sloppy) == negatives)
    }

    @Test("the strict sample prescription receiver passes every vector; the sloppy one accepts every mistake")
    func prescriptionReceivers() async throws {
        let strict = try await runReceiverSuite("prescription-receiver", sloppy: false)
        #expect(Self.failing(strict).isEmpty, "\(strict.results.filter { !$0.verdict.isSuccess }.map { "\($0.definition.id): \($0.message)" })")
        // One case per test of the vectors file, no more, no fewer.
        let vectors = try JSONValue.parse(Array(try Data(contentsOf: GatewayHarness.packageRoot.appendingPathComponent("vectors/signed_prescription_test.json"))))
        let count = (vectors.objectValue?["testGroups"]?.arrayValue ?? []).map { $0.objectValue?["tests"]?.arrayValue?.count ?? 0 }.reduce(0, +)
        #expect(Self.catalogue.cases(of: "prescription-receiver").filter { $0.id.hasPrefix("PRX-VEC-") }.count == count)
        let sloppy = try await runReceiverSuite("prescription-receiver", sloppy: true)
        let negatives = Set(Self.catalogue.cases(of: "prescription-receiver").filter { $0.polarity == .negative }.map(\.id))
        #expect(Self.failing(sloppy) == negatives)
    }
}

/// `yibao conformance` through the real binary against a real `yibao serve`.
@Suite("End to end: yibao conformance", .serialized)
struct ConformanceCLITests {
    func temporaryDirectory() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("yibao-cfcli-\(UUID().uuidString)").path }

    @Test("the gateway suite passes against yibao serve --test-clock, writes all report formats, and fails loudly against --fault pay-twice")
    func gatewaySuite() async throws {
        let directory = temporaryDirectory()
        let server = try ListeningProcess.serve(dataDirectory: directory + "/data", extra: ["--test-clock"])
        defer { server.stop() }
        let reports = directory + "/reports"
        // No time limit here (a debug build beside the other tests in parallel): the suite's speed is
        // measured on a release build in docs/PERFORMANCE.md.
        let run = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "run", "--target", server.url, "--suite", "gateway", "--report-dir", reports, "--no-colour"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("[  1/"))   // numbered, padded to the count of cases (107)
        #expect(run.stdout.contains("conformance: PASSED"))
        for name in ["report.json", "junit.xml", "report.html", "exchanges.har"] {
            #expect(FileManager.default.fileExists(atPath: reports + "/" + name), "\(name) missing")
        }
        // The JUnit file is read by an independent parser.
        let junit = try await EndToEndTests.run("/usr/bin/env", ["python3", "-c", "import xml.etree.ElementTree as E,sys; r=E.parse(sys.argv[1]).getroot(); print(r.get('tests'), r.get('failures'))", reports + "/junit.xml"])
        #expect(junit.status == 0)
        #expect(junit.stdout.hasSuffix(" 0\n"))

        let faulty = try ListeningProcess.serve(dataDirectory: directory + "/faulty", extra: ["--test-clock", "--fault", "pay-twice"])
        defer { faulty.stop() }
        let failing = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "run", "--target", faulty.url, "--report-dir", directory + "/faulty-reports", "--no-colour"])
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("FAIL  PY-IDEMP-002"))
        #expect(failing.stdout.contains("conformance: FAILED"))
        let baseline = directory + "/baseline.txt"
        try Data("PY-IDEMP-002  known: our retry handling, ticket 42\n".utf8).write(to: URL(fileURLWithPath: baseline))
        let baselined = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "run", "--target", faulty.url, "--report-dir", directory + "/faulty-reports",
                                                                     "--baseline", baseline, "--no-colour"])
        #expect(baselined.status == 0, "\(baselined.stdout)")
        #expect(baselined.stdout.contains("XFAIL"))
    }

    @Test("list prints the catalogue; an unknown suite or case is refused with a clear message")
    func list() async throws {
        let list = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "list"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("suite gateway"))
        #expect(list.stdout.contains("HSE-SIG-002"))
        #expect(list.stdout.contains("PRX-VEC-26"))
        let json = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "list", "--json", "--suite", "callback-receiver"])
        let catalogue = try Catalogue.decode(Data(json.stdout.utf8))
        #expect(catalogue.cases.allSatisfy { $0.suite == "callback-receiver" })
        let bad = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "run", "--target", "http://127.0.0.1:9", "--suite", "nope"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("no suite nope"))
    }
}
