import Foundation
import Testing
import YibaoTestSupport
@testable import YibaoClient
import YibaoCrypto

/// No secret and no unmasked personal data leaves the gateway: everything a whole conformance run
/// exchanged (every answer is in the HAR), every report format, the passive log, the trace, the
/// refusal counts and the banner are searched for every demo secret and every demo ID number.
@Suite("Security: no secret or personal data in answers, logs, stored records or reports", .serialized)
struct SecretLeakTests {
    func temporaryDirectory() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("yibao-leak-\(UUID().uuidString)").path }

    /// The demo persons' names (fixtures/demo.json), the test personas' (which are not real names) aside.
    static func names() throws -> [String] {
        let fixture = try JSONValue.parse(Array(try Data(contentsOf: GatewayHarness.packageRoot.appendingPathComponent("fixtures/demo.json"))))
        return (fixture.objectValue?["persons"]?.arrayValue ?? []).compactMap { $0.objectValue?["name"]?.stringValue }.filter { !$0.hasPrefix("Test ") }
    }

    /// The demo persons' resident ID numbers (fixtures/demo.json).
    static func idNumbers() throws -> [String] {
        let fixture = try JSONValue.parse(Array(try Data(contentsOf: GatewayHarness.packageRoot.appendingPathComponent("fixtures/demo.json"))))
        return (fixture.objectValue?["persons"]?.arrayValue ?? []).compactMap { $0.objectValue?["certno"]?.stringValue }
    }

    @Test("a whole gateway-suite run (every dialect's cases included): no demo secret anywhere, no unmasked ID number in the reports or the passive log; --reveal-personal-data shows them")
    func wholeRun() async throws {
        let directory = temporaryDirectory()
        let server = try ListeningProcess.serve(dataDirectory: directory + "/data", extra: ["--test-clock"])
        defer { server.stop() }
        let reports = directory + "/reports"
        let run = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "run", "--target", server.url, "--suite", "gateway", "--report-dir", reports, "--no-colour"])
        #expect(run.status == 0, "\(run.stdout)")

        let credentials = try DemoCredentials.load(certsDirectory: GatewayHarness.certs)
        var texts: [(source: String, text: String)] = [("serve banner", server.banner), ("conformance run output", run.stdout + run.stderr)]
        for name in ["report.json", "junit.xml", "report.html", "exchanges.har"] {
            texts.append((name, try String(contentsOfFile: reports + "/" + name, encoding: .utf8)))
        }
        for institution in credentials.institutions.map(\.fixmedins_code) {
            let passive = try await HTTP.exchange(.shared, url: server.url + "/admin/conformance/\(institution)", method: .GET, body: nil, bearer: credentials.adminToken)
            texts.append(("GET /admin/conformance/\(institution)", String(decoding: passive.body, as: UTF8.self)))
            let report = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "report", "--gateway", server.url, "--institution", institution])
            texts.append(("yibao conformance report --institution \(institution)", report.stdout + report.stderr))
        }
        for path in ["/admin/trace?limit=1000", "/admin/refusals", "/admin/callbacks?limit=1000"] {
            let answer = try await HTTP.exchange(.shared, url: server.url + path, method: .GET, body: nil, bearer: credentials.adminToken)
            texts.append(("GET \(path)", String(decoding: answer.body, as: UTF8.self)))
        }
        // The HAR holds every answer of the run, refusals included: make sure it is not empty of them.
        let har = try #require(texts.first { $0.source == "exchanges.har" }?.text)
        #expect(har.contains("ENV_SIGNATURE_INVALID") && har.contains("FSI_SIGNATURE_INVALID") && har.contains("signString"))

        #expect(!SecretScan.secrets.isEmpty)
        for (name, bytes) in SecretScan.secrets {
            let secret = String(decoding: bytes, as: UTF8.self)
            for (source, text) in texts {
                #expect(!text.contains(secret), "\(name) appears in \(source)")
            }
        }
        // Names of the demo persons appear masked only (`Z* San`), in every text.
        let names = try Self.names()
        for name in names {
            for (source, text) in texts { #expect(!text.contains(name), "name \(name) appears unmasked in \(source)") }
        }
        let ids = try Self.idNumbers()
        for id in ids {
            for (source, text) in texts {
                #expect(!text.contains(id), "ID number \(id) appears unmasked in \(source)")
            }
        }
        // The dialect cases fetched OAuth access tokens: the reports show them only as fingerprints.
        #expect(har.contains("access_token"))
        #expect(har.range(of: #"access_token\\?":\\?"[0-9A-F]{48}"#, options: .regularExpression) == nil, "an access token appears in the HAR")
        // The masked form is there instead (the run scans and settles for demo persons).
        #expect(ids.contains { har.contains(Redaction.maskIDNumber($0)) })

        // Opting in shows them: the masking is what hid them, not their absence.
        let revealed = directory + "/revealed"
        let again = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "run", "--target", server.url, "--suite", "gateway", "--case", "ID-QR-001",
                                                                 "--case", "XR-7-001", "--report-dir", revealed, "--no-colour", "--reveal-personal-data"])
        #expect(again.status == 0, "\(again.stdout)")
        let revealedHAR = try String(contentsOfFile: revealed + "/exchanges.har", encoding: .utf8)
        #expect(ids.contains { revealedHAR.contains($0) })
        // Secrets never: XR-7-001 registers an app with a fresh secret of 27 digits, shown as its fingerprint only.
        #expect(revealedHAR.contains("appSecret"))
        #expect(revealedHAR.range(of: #"appSecret\\?":\\?"[0-9]{27}"#, options: .regularExpression) == nil, "an app secret appears in the revealed HAR")
    }
}
