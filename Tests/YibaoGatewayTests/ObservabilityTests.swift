import Foundation
import Testing
import YibaoTestSupport
import YibaoClient
import YibaoCore
import YibaoCrypto

/// Issue 18, items 1–2: the request log, `/metrics`, `/health` and `/ready` of a live `yibao serve`.
@Suite("Operate and see: request log, metrics, probes", .serialized)
struct ObservabilityTests {
    @Test("one JSON log line per request naming route, institution, transaction, profile, outcome and rule — never a body, a certno or a secret; /metrics counts them by transaction and outcome (an unknown infno as unknown); /ready reports the migrations")
    func requestLogAndMetrics() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-obs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let log = directory + "/requests.jsonl"
        let server = try ListeningProcess.serve(dataDirectory: directory + "/data", extra: ["--profile", "national", "--log-format", "json"], errorFile: log)
        defer { server.stop() }
        // Real-HIS-style traffic: 9001 → 1101 → 2201, then a request that is not JSON.
        let run = try await DialectTests.python(["--gateway", server.url, "--profile", "national", "run"])
        #expect(run.status == 0, "\(run.text)")
        _ = try await DialectTests.python(["--gateway", server.url, "--profile", "national", "negative", "not-json"])
        let unknown = try await HTTP.exchange(.shared, url: server.url + "/fsi/api/rsfComIfsService/callService",
                                              body: Array(#"{"infno":"9999","msgid":"x"}"#.utf8))
        #expect(unknown.status == 200)
        let ready = try await HTTP.exchange(.shared, url: server.url + "/ready", method: .GET, body: nil)
        let readiness = try JSONValue.parse(ready.body).objectValue ?? [:]
        #expect(ready.status == 200 && readiness.string("status") == "ready" && readiness.string("database") == "sqlite")
        #expect(readiness["migrationsApplied"] == readiness["migrationsKnown"])

        let metrics = String(decoding: try await HTTP.exchange(.shared, url: server.url + "/metrics", method: .GET, body: nil).body, as: UTF8.self)
        #expect(metrics.contains(#"yibao_requests_total{channel="fsi",transaction="1101",outcome="OK"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"yibao_requests_total{channel="fsi",transaction="unknown",outcome="FSI_NOT_JSON"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"transaction="unknown",outcome="FIELD_MISSING"} 1"#), "\(metrics)")   // the 9999 request, its members missing
        #expect(!metrics.contains("9999"))
        #expect(metrics.contains("yibao_request_duration_seconds_bucket{channel=\"fsi\""))
        #expect(metrics.contains("yibao_store_transaction_duration_seconds_count{kind=\"fsi\"}"))
        #expect(metrics.contains("yibao_callbacks{state=\"pending\"}"))
        // Every sample line is `name{labels} value` or `name value`.
        for line in metrics.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.range(of: #"^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$"#, options: .regularExpression) != nil, "\(line)")
        }

        try await Task.sleep(for: .milliseconds(200))
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let lines = text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }.filter { $0.string("message") == "request" }
        let personInfo = lines.first { $0.string("transaction") == "1101" }
        #expect(personInfo?.string("institution") == Demo.hospital && personInfo?.string("profile") == "national" && personInfo?.string("outcome") == "OK"
                && personInfo?.string("route") == "/fsi/api/rsfComIfsService/callService" && personInfo?.string("status") == "200", "\(text)")
        let refused = lines.first { $0.string("outcome") == "FSI_NOT_JSON" }
        #expect(refused?.string("rule") == "PROTOCOL-ENVELOPE", "\(text)")
        #expect(lines.contains { $0.string("route") == "/ready" && $0.string("outcome") == "OK" })
        // No personal data, no secret, no body.
        let credentials = try DemoCredentials.load(certsDirectory: GatewayHarness.certs)
        #expect(!text.contains(Demo.zhangSan.certno) && !text.contains("Zhang San"))
        #expect(!text.contains(try credentials.credentials(for: Demo.hospital).appSecret) && !text.contains(credentials.adminToken))
        #expect(!text.contains("signIn"))
    }

    @Test("serve settings from a JSON file and $YIBAO_*: the command line wins over the environment, the environment over the file; an unknown key or a bad flag value is refused naming it; --version names the commit")
    func settings() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-settings-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = directory + "/yibao.json"
        try Data(#"{"profile": "csb", "test-clock": true, "log-level": "warning"}"#.utf8).write(to: URL(fileURLWithPath: config))
        // The file names csb, the environment national, the command line nothing: national; the file's test clock stays.
        let server = try ListeningProcess.serve(dataDirectory: directory + "/a", extra: ["--config", config], environment: ["YIBAO_PROFILE": "national"])
        #expect(server.banner.contains("dialect:     national") && server.banner.contains("test clock:"), "\(server.banner)")
        server.stop()
        let explicit = try ListeningProcess.serve(dataDirectory: directory + "/b", extra: ["--config", config, "--profile", "tif"], environment: ["YIBAO_PROFILE": "national"])
        #expect(explicit.banner.contains("dialect:     tif"), "\(explicit.banner)")
        explicit.stop()

        try Data(#"{"prot": 8081}"#.utf8).write(to: URL(fileURLWithPath: config))
        let unknown = try await Processes.run(TestWorkspace.binary, ["serve", "--port", "0", "--data-dir", directory + "/c"], environment: ["YIBAO_CONFIG": config])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown key \"prot\""), "\(unknown.stderr)")
        try Data(#"{"admin-token": "secret"}"#.utf8).write(to: URL(fileURLWithPath: config))
        let token = try await Processes.run(TestWorkspace.binary, ["serve", "--config", config])
        #expect(token.status == 2 && token.stderr.contains("admin-token-file") && !token.stderr.contains("secret"), "\(token.stderr)")
        let flag = try await Processes.run(TestWorkspace.binary, ["serve", "--port", "0"], environment: ["YIBAO_TEST_CLOCK": "maybe"])
        #expect(flag.status == 2 && flag.stderr.contains("YIBAO_TEST_CLOCK"), "\(flag.stderr)")

        let version = try await Processes.run(TestWorkspace.binary, ["--version"])
        #expect(version.status == 0 && version.stdout.range(of: #"^\d+\.\d+\.\d+( \(commit [0-9a-f]{12}\))?\n$"#, options: .regularExpression) != nil, "\(version.stdout)")
    }
}
