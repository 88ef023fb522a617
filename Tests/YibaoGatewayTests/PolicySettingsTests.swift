import Foundation
import Testing
import YibaoClient
import YibaoCore
import YibaoCrypto
import YibaoTestSupport

/// `yibao serve --policy FILE` with the measures' numbers changed: the gateway decides, and says, by
/// the file (GATEWAY.md §11); a setting that makes no sense stops the start naming it.
@Suite("Policy file: the measures' numbers")
struct PolicySettingsTests {
    func temporary() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("yibao-policy-\(UUID().uuidString)").path }

    /// The printed default policy with `edit` applied to its `measures`, written to a file.
    func policyFile(_ edit: (inout [String: Any]) -> Void) async throws -> String {
        let printed = try await EndToEndTests.run(EndToEndTests.binary, ["serve", "--print-policy"])
        var policy = try #require(try JSONSerialization.jsonObject(with: Data(printed.stdout.utf8)) as? [String: Any])
        var measures = try #require(policy["measures"] as? [String: Any])
        #expect(measures["temporaryFilingMaxMonths"] as? Int == 12, "the printed defaults are the measures' values")
        edit(&measures)
        policy["measures"] = measures
        let path = temporary() + ".json"
        try JSONSerialization.data(withJSONObject: policy).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a temporary filing of four months is refused under a three-month setting, naming it; accepted under the default")
    func filingMonths() async throws {
        let file = try await policyFile { $0["temporaryFilingMaxMonths"] = 3 }
        let server = try ListeningProcess.serve(dataDirectory: temporary(), extra: ["--policy", file])
        defer { server.stop() }
        let admin = try DemoCredentials.load(certsDirectory: GatewayHarness.certs).adminToken
        let start = Timestamps.day(Date()), end = Timestamps.day(Date().addingTimeInterval(122 * 86_400))
        let body = #"{"psnNo":"12000000000000000001","kind":"temporary","filedAdmdvs":"110000","start":"\#(start)","end":"\#(end)"}"#
        let refused = try await HTTP.exchange(.shared, url: server.url + "/admin/filings", body: Array(body.utf8), bearer: admin)
        let problem = try JSONValue.parse(refused.body).objectValue ?? [:]
        #expect(refused.status == 400 && problem["code"]?.stringValue == "FILING_TOO_LONG" && problem["rule"]?.stringValue == "XR-2", "\(problem)")
        #expect(problem["detail"]?.stringValue?.contains("at most 3 months") == true, "\(problem)")
        server.stop()

        let standard = try ListeningProcess.serve(dataDirectory: temporary())
        defer { standard.stop() }
        let accepted = try await HTTP.exchange(.shared, url: standard.url + "/admin/filings", body: Array(body.utf8), bearer: admin)
        #expect(accepted.status == 200 || accepted.status == 201, "\(String(decoding: accepted.body, as: UTF8.self))")
    }

    @Test("a setting that makes no sense stops the start with one line naming it")
    func nonsense() async throws {
        let file = try await policyFile { $0["pharmacyMinimumPharmacists"] = 0 }
        let run = try await EndToEndTests.run(EndToEndTests.binary, ["serve", "--policy", file, "--port", "0", "--data-dir", temporary()])
        #expect(run.status == 64, "\(run.stdout) \(run.stderr)")
        #expect(run.stderr.contains("measures.pharmacyMinimumPharmacists"), "\(run.stderr)")
    }

    @Test("GEN-1: under measures no longer in force an FSI call is refused naming the window; the independent client sees it")
    func measuresOutOfForce() async throws {
        let yesterday = Timestamps.day(Date().addingTimeInterval(-86_400))
        let file = try await policyFile { $0["inForce"] = ["from": "2020-01-01", "until": yesterday] }
        let server = try ListeningProcess.serve(dataDirectory: temporary(), extra: ["--policy", file])
        defer { server.stop() }
        let script = GatewayHarness.packageRoot.appendingPathComponent("tools/testing/platform_client.py").path
        let refused = try await EndToEndTests.run("/usr/bin/env", ["python3", script, "--gateway", server.url, "fsi", "1101",
                                                                  #"{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"120101198001011234"}}"#])
        #expect(refused.status != 0, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stdout.contains("MEASURES_NOT_IN_FORCE") && refused.stdout.contains(yesterday), "\(refused.stdout) \(refused.stderr)")
        server.stop()

        let standard = try ListeningProcess.serve(dataDirectory: temporary())
        defer { standard.stop() }
        let accepted = try await EndToEndTests.run("/usr/bin/env", ["python3", script, "--gateway", standard.url, "fsi", "1101",
                                                                   #"{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"120101198001011234"}}"#])
        #expect(accepted.status == 0, "\(accepted.stdout) \(accepted.stderr)")
    }
}

