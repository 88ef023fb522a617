import Foundation
import Testing
import YibaoTestSupport
import YibaoClient
import YibaoCore
import YibaoCrypto

/// The real binary and an independent implementation, against a live `yibao serve` on loopback.
@Suite("End to end: yibao serve, the CLI, an independent client", .serialized)
struct EndToEndTests {
    static let binary = TestWorkspace.binary

    /// A `yibao serve --port 0` process and the URL it printed (YibaoTestSupport).
    typealias Server = ListeningProcess

    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let result = try await Processes.run(executable, arguments)
        return (result.status, result.stdout, result.stderr)
    }

    func temporaryDirectory() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("yibao-e2e-\(UUID().uuidString)").path }

    @Test("the newcomer's path: serve, voucher issue, call 1101, a refusal, restart, trace verify")
    func newcomer() async throws {
        let data = temporaryDirectory()
        let server = try ListeningProcess.serve(dataDirectory: data)
        #expect(server.banner.contains("loaded fixture"))
        #expect(server.banner.contains("demo appId:"))
        let issued = try await Self.run(Self.binary, ["voucher", "issue", "--gateway", server.url])
        #expect(issued.status == 0, "\(issued.stderr)")
        let token = issued.stdout.split(separator: "\n").first { $0.contains("ecToken") }?.split(separator: " ").last.map(String.init)
        let ecToken = try #require(token)
        let data1101 = #"{"data":{"mdtrt_cert_type":"01","mdtrt_cert_no":"\#(ecToken)"}}"#
        let answer = try await Self.run(Self.binary, ["call", "1101", "--gateway", server.url, "--data", data1101])
        #expect(answer.status == 0, "\(answer.stderr)")
        #expect(answer.stdout.contains(#""psn_name": "Zhang San""#))
        #expect(answer.stdout.contains(#""balc": 1234.56"#))
        let again = try await Self.run(Self.binary, ["call", "1101", "--gateway", server.url, "--data", data1101])
        #expect(again.status == 1)
        #expect(again.stderr.contains("TOKEN_REUSED [ID-2] at /input/data/mdtrt_cert_no"))
        let registered = try await Self.run(Self.binary, ["call", "2201", "--gateway", server.url, "--data", "samples/fsi/2201-registration.json"])
        #expect(registered.status == 0, "\(registered.stderr)")
        #expect(registered.stdout.contains(#""mdtrt_id": "120101"#))
        server.stop()
        let restarted = try ListeningProcess.serve(dataDirectory: data)
        #expect(restarted.banner.contains("data kept from the previous start"))
        restarted.stop()
        let verified = try await Self.run(Self.binary, ["trace", "verify", "--data-dir", data])
        #expect(verified.status == 0, "\(verified.stdout)")
        #expect(verified.stdout.contains("trace intact"))
    }

    @Test("serve --print-policy prints the default policy profile, which serve --policy reads back")
    func policyProfile() async throws {
        let printed = try await Self.run(Self.binary, ["serve", "--print-policy"])
        #expect(printed.status == 0)
        let profile = try JSONDecoder().decode(PolicyProfile.self, from: Data(printed.stdout.utf8))
        #expect(profile == PolicyProfile.nhsa20)
        #expect(printed.stdout.contains("\"ecTokenLifetimeSeconds\" : 1800"))
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString).json").path
        _ = FileManager.default.createFile(atPath: broken, contents: Data(#"{"name":"x","fsiTimeWindowSeconds":"five minutes"}"#.utf8))
        let refused = try await Self.run(Self.binary, ["serve", "--policy", broken, "--port", "0", "--data-dir", temporaryDirectory()])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("is not a policy profile"))
    }

    @Test("yibao bench gateway loads a live gateway with signed requests and reports throughput, percentiles, errors and the SM2 ceiling as JSON")
    func benchGateway() async throws {
        let server = try ListeningProcess.serve(dataDirectory: temporaryDirectory(), extra: ["--test-clock"])
        defer { server.stop() }
        let run = try await Self.run(Self.binary, ["bench", "gateway", "--gateway", server.url, "--connections", "4", "--duration", "1",
                                             "--presign", "--pool", "2000", "--json", "--certs", GatewayHarness.certs])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONValue.parse(Array(run.stdout.utf8)).objectValue)
        func number(_ value: JSONValue?) -> Double? { if case .number(let text)? = value { Double(text) } else { nil } }
        let accepted = try #require(number(report["accepted"]))
        #expect(accepted > 0 && number(report["requests"]) == accepted, "\(run.stdout)")
        #expect(report["errors"] == .object([:]), "\(run.stdout)")
        let latency = try #require(report["latencyMs"]?.objectValue)
        #expect((number(latency["p50"]) ?? -1) > 0 && (number(latency["p50"]) ?? 0) <= (number(latency["p99"]) ?? 0))
        #expect((number(report["sm2"]?.objectValue?["ceilingRequestsPerSecond"]) ?? 0) > 0)
        #expect((number(report["ratioOfCeiling"]) ?? 0) > 0)
        #expect((number(report["sm2"]?.objectValue?["openSSL"]?.objectValue?["ceilingRequestsPerSecond"]) ?? 0) > 0)
        #expect((number(report["ratioOfOpenSSLCeiling"]) ?? 0) > 0)
        // Issue 15, item 1: on two cores or more, two signed requests were verified at the same
        // moment (the gateway's own gauge; one by one, it would stay 1).
        let atOnce = try #require(number(report["signatureChecksAtOnce"]), "\(run.stdout)")
        #expect(atOnce >= (ProcessInfo.processInfo.activeProcessorCount >= 2 ? 2 : 1), "\(run.stdout)")
        // The run's group commits, from the gateway's /metrics: every accepted 1101 wrote (its trace
        // entry), so at least as many write transactions as accepted requests, in no more commits.
        let commits = try #require(report["groupCommit"]?.objectValue, "\(run.stdout)")
        let (made, carried) = (number(commits["commits"]) ?? 0, number(commits["writes"]) ?? 0)
        #expect(made > 0 && made <= carried && carried >= accepted, "\(run.stdout)")
        // HSE 6301 (on an order the bench creates first) and ec.query (a QR code per request) beside FSI 1101.
        let mix = try await Self.run(Self.binary, ["bench", "gateway", "--gateway", server.url, "--transaction", "mix", "--connections", "3", "--duration", "1",
                                             "--presign", "--pool", "60", "--json", "--certs", GatewayHarness.certs])
        #expect(mix.status == 0, "\(mix.stderr)")
        let mixReport = try #require(try JSONValue.parse(Array(mix.stdout.utf8)).objectValue)
        #expect(mixReport["errors"] == .object([:]), "\(mix.stdout)")
        let byTransaction = try #require(mixReport["acceptedByTransaction"]?.objectValue)
        #expect(["1101", "6301", "ec.query"].allSatisfy { (number(byTransaction[$0]) ?? 0) > 0 }, "\(mix.stdout)")
        // Paced, with the gateway's own CPU and memory: never more than the rate allows (plus one
        // request per connection at the start), and the gateway's figures present and positive.
        let paced = try await Self.run(Self.binary, ["bench", "gateway", "--target", server.url, "--connections", "2", "--duration", "1",
                                                "--rate", "50", "--gateway-pid", String(server.processIdentifier), "--json", "--certs", GatewayHarness.certs])
        #expect(paced.status == 0, "\(paced.stderr)")
        let pacedReport = try #require(try JSONValue.parse(Array(paced.stdout.utf8)).objectValue)
        #expect((number(pacedReport["requests"]) ?? 0) > 0 && (number(pacedReport["requests"]) ?? 100) <= 52, "\(paced.stdout)")
        #expect(number(pacedReport["targetRequestsPerSecond"]) == 50)
        let gateway = try #require(pacedReport["gateway"]?.objectValue)
        #expect((number(gateway["cpuMsPerRequest"]) ?? 0) > 0 && (number(gateway["residentMB"]) ?? 0) > 1, "\(paced.stdout)")
        let noProcess = try await Self.run(Self.binary, ["bench", "gateway", "--target", server.url, "--gateway-pid", "999999999", "--certs", GatewayHarness.certs])
        #expect(noProcess.status == 64 && noProcess.stderr.contains("--gateway-pid"), "\(noProcess.stderr)")
    }

    @Test("an envelope built by an independent implementation from PROTOCOL.md, with the demo credentials, is accepted; a tampered one is not")
    func independentClient() async throws {
        let server = try ListeningProcess.serve(dataDirectory: temporaryDirectory())
        defer { server.stop() }
        let script = GatewayHarness.packageRoot.appendingPathComponent("tools/testing/platform_client.py").path
        let demo = try await Self.run("/usr/bin/env", ["python3", script, "--gateway", server.url, "demo"])
        #expect(demo.status == 0, "\(demo.stdout) \(demo.stderr)")
        #expect(demo.stdout.contains("Zhang San"))
        let payAuth = try await Self.run("/usr/bin/env", ["python3", script, "--gateway", server.url, "fsi", "1101",
                                                    #"{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"120101198001011234"}}"#])
        #expect(payAuth.status == 0, "\(payAuth.stdout) \(payAuth.stderr)")
        let tampered = try await Self.run("/usr/bin/env", ["python3", script, "--gateway", server.url, "fsi", "1101", "--tamper",
                                                     #"{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"120101198001011234"}}"#])
        #expect(tampered.status == 2)
        #expect(tampered.stdout.contains("FSI_SIGNATURE_INVALID"))
    }
}

/// `yibao demo`, `yibao rx` through the real binary.
@Suite("End to end: yibao demo and yibao rx")
struct PrescriptionCLITests {
    func temporaryDirectory() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("yibao-rx-\(UUID().uuidString)").path }

    @Test("yibao demo tells the whole story; its prescription verifies; one changed byte fails with the signature that broke")
    func demo() async throws {
        let out = temporaryDirectory()
        let demo = try await EndToEndTests.run(EndToEndTests.binary, ["demo", "--out", out])
        #expect(demo.status == 0, "\(demo.stdout)\n\(demo.stderr)")
        for expected in ["uploadChk", "countersigns", "ok   doctor", "ok   pharmacist", "ok   platform", "RX_ALREADY_DISPENSED [RX-4]",
                         "[PR-1]", "[SC-1]", "AUDIT_REFUSED [PY-7]", "split: fund 16.00 + personal account 4.00 + cash 0.00 = 20.00", "no second order",
                         "2102 settled by P12010100001", "no second settlement", "rxSetlInfoQuery: settled by P12010100001", "demo complete"] {
            #expect(demo.stdout.contains(expected), "missing \(expected)")
        }
        #expect(!demo.stderr.contains("error"), "\(demo.stderr)")
        #expect(!demo.stdout.contains("\u{1B}"), "no escape codes when the output is not a terminal")
        let files = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count == 2)
        let path = (out as NSString).appendingPathComponent(try #require(files.first))
        let verified = try await EndToEndTests.run(EndToEndTests.binary, ["rx", "verify", path])
        #expect(verified.status == 0, "\(verified.stdout)")
        #expect(verified.stdout.contains("all signatures verify"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let range = try #require(bytes.range(of: Data(#""drugCnt": ""#.utf8)))
        bytes[range.upperBound] = bytes[range.upperBound] == UInt8(ascii: "7") ? UInt8(ascii: "8") : UInt8(ascii: "7")   // one byte: the first quantity
        let changed = (out as NSString).appendingPathComponent("changed.json")
        try bytes.write(to: URL(fileURLWithPath: changed))
        let failed = try await EndToEndTests.run(EndToEndTests.binary, ["rx", "verify", changed])
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("RX_DOCTOR_SIGNATURE_INVALID [RX-1]"))
    }

    @Test("yibao rx sign and review produce a file rx verify accepts; a revoked doctor's signature is refused")
    func signReviewVerify() async throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let signed = try await EndToEndTests.run(EndToEndTests.binary, ["rx", "sign", "samples/rx/hypertension-followup.json",
                                                                   "--key", "certs/p256/doctor-li.key.pem", "--cert", "certs/p256/doctor-li.cert.pem"])
        #expect(signed.status == 0, "\(signed.stderr)")
        let signedPath = (dir as NSString).appendingPathComponent("signed.json")
        try Data(signed.stdout.utf8).write(to: URL(fileURLWithPath: signedPath))
        // The canonical option names (rx sign above still uses the older --key/--cert, kept as aliases).
        let reviewed = try await EndToEndTests.run(EndToEndTests.binary, ["rx", "review", signedPath, "--private-key-file", "certs/sm2/pharmacist-zhao.key.pem",
                                                                     "--certificate", "certs/sm2/pharmacist-zhao.cert.pem", "--phar-code", "Y12010100001",
                                                                     "--phar-name", "Zhao Min", "--time", "2026-11-23 10:30:00"])
        #expect(reviewed.status == 0, "\(reviewed.stderr)")
        let reviewedPath = (dir as NSString).appendingPathComponent("reviewed.json")
        try Data(reviewed.stdout.utf8).write(to: URL(fileURLWithPath: reviewedPath))
        let verified = try await EndToEndTests.run(EndToEndTests.binary, ["rx", "verify", reviewedPath, "--require", "doctor,pharmacist"])
        #expect(verified.status == 0, "\(verified.stdout)")
        #expect(verified.stdout.contains("ECDSA-P256-SHA256 signature"))
        let revoked = try await EndToEndTests.run(EndToEndTests.binary, ["rx", "sign", "samples/rx/hypertension-followup.json",
                                                                    "--key", "certs/sm2/revoked.key.pem", "--cert", "certs/sm2/revoked.cert.pem"])
        let revokedPath = (dir as NSString).appendingPathComponent("revoked.json")
        try Data(revoked.stdout.utf8).write(to: URL(fileURLWithPath: revokedPath))
        let refused = try await EndToEndTests.run(EndToEndTests.binary, ["rx", "verify", revokedPath, "--require", "doctor"])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("CERT_REVOKED"))
    }
}
