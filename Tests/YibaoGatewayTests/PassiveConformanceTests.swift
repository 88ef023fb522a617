import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import YibaoClient
import YibaoCore
import YibaoCrypto
@testable import YibaoGateway
import YibaoStore
import YibaoDevKit

/// The conformance tester's passive mode: the gateway logs every check it made on an
/// institution's traffic and reports it at `GET /admin/conformance/{institution}`.
@Suite("Passive conformance report")
struct PassiveConformanceTests {
    @Test("a lost 2207 answer: passed when the HIS reverses (2601) or queries (5203) before its next 2207, failing (and the verdict failing) when it settles again blind, pending until then")
    func lostAnswers() {
        let t0 = Date(timeIntervalSince1970: 1_795_000_000)
        func accepted(_ transaction: String, _ seconds: Double, lost: Bool = false) -> ConformanceCheckRecord {
            .accepted(.fsi, institution: Demo.hospital, transaction: transaction, messageId: "M\(Int(seconds))", at: t0.addingTimeInterval(seconds), answerLost: lost)
        }
        func report(_ checks: [ConformanceCheckRecord]) -> JSONObject {
            PassiveConformanceReport.make(institution: Demo.hospital, checks: checks, profile: "p", at: t0).objectValue ?? [:]
        }
        func statuses(_ report: JSONObject) -> [String] {
            (report["lostAnswers"]?.arrayValue ?? []).compactMap { $0.objectValue?["status"]?.stringValue }
        }
        let blind = report([accepted("2207", 1, lost: true), accepted("5201", 2), accepted("2207", 3)])
        #expect(statuses(blind) == ["failing"])
        #expect(blind["summary"]?.objectValue?["verdict"]?.stringValue == "failing")
        #expect(PassiveConformanceReport.text(.object(blind)).contains("✗"))
        #expect(statuses(report([accepted("2207", 1, lost: true), accepted("2601", 2), accepted("2207", 3)])) == ["passed"])
        #expect(statuses(report([accepted("2207", 1, lost: true), accepted("5203", 2)])) == ["passed"])
        #expect(statuses(report([accepted("2207", 1, lost: true), accepted("1101", 2)])) == ["pending"])
        #expect(statuses(report([accepted("2207", 1)])) == [])
    }

    @Test("fee uploads refused for unmapped items are counted and named in the text")
    func unmappedItems() {
        let at = Date(timeIntervalSince1970: 1_795_000_000)
        let problem = ProblemDetails(status: 403, code: ErrorCode.catalogueItemNotMapped.rawValue, rule: "PY-3", pointer: "/input/feedetail/0/medins_list_codg",
                                     detail: "not mapped")
        let checks = [ConformanceCheckRecord.refused(.fsi, institution: Demo.hospital, transaction: "2204", messageId: "M1", problem: problem, at: at),
                      ConformanceCheckRecord.refused(.hse, institution: Demo.hospital, transaction: "uldFeeInfo", messageId: nil, problem: problem, at: at)]
        let report = PassiveConformanceReport.make(institution: Demo.hospital, checks: checks, profile: "p", at: at)
        #expect(report.objectValue?["unmappedItems"] == .integer(2))
        #expect(PassiveConformanceReport.text(report).contains("not mapped to the catalogue (3301 maps them): 2"))
    }

    @Test("a profile whose beforeSettlement names 2001 and 3101 makes them required transactions of the passive report")
    func requiredByProfile() {
        let plain = PassiveConformanceReport.required(prerequisites: []).flatMap(\.transactions).map(\.transaction)
        let strict = PassiveConformanceReport.required(prerequisites: ["2001", "3101"]).flatMap(\.transactions).map(\.transaction)
        #expect(!plain.contains("2001") && !plain.contains("3101"))
        #expect(strict.contains("2001") && strict.contains("3101") && strict.count == plain.count + 2)
        let report = PassiveConformanceReport.make(institution: Demo.hospital, checks: [], profile: "p", at: Date(), prerequisites: ["2001"])
        #expect(report.objectValue?["summary"]?.objectValue?["totalRequired"] == .integer(plain.count + 1))
    }

    static let fsiPath = "/fsi/api/rsfComIfsService/callService"

    func adminHeaders(_ harness: GatewayHarness) -> HTTPFields { [.authorization: "Bearer \(harness.credentials.adminToken)"] }

    /// A good 9001, then a 1101 changed after signing; returns the 1101's refusal as answered.
    func signInThenTamper(_ harness: GatewayHarness, _ client: some TestClientProtocol) async throws -> JSONObject {
        let signIn = try await harness.fsiEnvelope("9001", input: ["signIn": .object(["opter_no": "OP1", "mac": "00-00-00-00-00-01", "ip": "127.0.0.1"])])
        let signedIn = try await client.postJSON(Self.fsiPath, signIn)
        #expect(signedIn.status == 200)
        let signNo = try #require(signedIn.body["output"]?.objectValue?["signinoutb"]?.objectValue?.string("sign_no"))
        var person = try await harness.fsiEnvelope("1101", input: ["data": .object(["mdtrt_cert_type": "02", "mdtrt_cert_no": .string(Demo.zhangSan.certno)])],
                                                   signNo: signNo)
        person["opter_name"] = "Someone Else"
        let refused = try await client.postJSON(Self.fsiPath, person)
        #expect(refused.status == 401)
        #expect(refused.body.string("code") == "FSI_SIGNATURE_INVALID")
        return refused.body
    }

    func report(_ client: some TestClientProtocol, _ harness: GatewayHarness, _ institution: String) async throws -> JSONObject {
        let (status, body) = try await client.getJSON("/admin/conformance/\(institution)", headers: adminHeaders(harness))
        #expect(status == 200)
        return try #require(body.objectValue)
    }

    /// The row of a required transaction.
    func requirement(_ report: JSONObject, _ transaction: String) -> JSONObject? {
        for case .object(let group) in report["required"]?.arrayValue ?? [] {
            for case .object(let row) in group["transactions"]?.arrayValue ?? [] where row.string("transaction") == transaction { return row }
        }
        return nil
    }

    func category(_ report: JSONObject, _ name: String) -> JSONObject? {
        report["checks"]?.arrayValue?.compactMap(\.objectValue).first { $0.string("category") == name }
    }

    @Test("a good 9001 and a 1101 with a bad signature: 9001 passed, 1101 failing with the exact refusal and diagnosis, verdict incomplete")
    func reportsAcceptedAndRefused() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let refusal = try await signInThenTamper(harness, client)
            let report = try await report(client, harness, Demo.hospital)
            #expect(report.string("institution") == Demo.hospital)
            #expect(report.string("generatedAt")?.hasSuffix("+08:00") == true)

            let signIn = try #require(requirement(report, "9001"))
            #expect(signIn["exercised"] == .number("1"))
            #expect(signIn["accepted"] == .number("1"))
            #expect(signIn.string("status") == "passed")
            let person = try #require(requirement(report, "1101"))
            #expect(person["refused"] == .number("1"))
            #expect(person["accepted"] == .number("0"))
            #expect(person.string("status") == "failing")
            #expect(requirement(report, "2201")?.string("status") == "not exercised")
            #expect(requirement(report, "ec.query")?.string("status") == "not exercised")

            let failures = try #require(report["failures"]?.arrayValue)
            #expect(failures.count == 1)
            let failure = try #require(failures.first?.objectValue)
            #expect(failure.string("transaction") == "1101")
            #expect(failure.string("channel") == "fsi")
            #expect(failure.string("code") == "FSI_SIGNATURE_INVALID")
            #expect(failure.string("rule") == "PROTOCOL-ENVELOPE")
            #expect(failure.string("pointer") == "/cainfo")
            #expect(failure.string("msgid") == refusal.string("inf_refmsgid"))
            #expect(failure.string("detail") == refusal.string("detail"))
            #expect(failure.string("expected") == refusal.string("expected"))
            #expect(failure.string("actual") == "64 bytes")
            let signString = try #require(failure.string("signString"))
            #expect(signString == refusal.string("signString"))
            #expect(signString.contains("opter_name=Someone Else"))
            #expect(signString.hasSuffix("&key=\(Redaction.secret(try harness.clientCredentials().appSecret))"))
            #expect(!signString.contains(try harness.clientCredentials().appSecret))
            let diagnosis = try #require(failure["diagnosis"]?.arrayValue)
            #expect(!diagnosis.isEmpty)
            #expect(diagnosis == refusal["diagnosis"]?.arrayValue)
            #expect(diagnosis.first?.stringValue?.contains("no known variation verifies") == true)

            #expect(category(report, "signature")?["failed"] == .number("1"))
            #expect(category(report, "signature")?["passed"] == .number("1"))
            #expect(category(report, "envelope")?["failed"] == .number("0"))
            #expect(category(report, "businessRules")?["passed"] == .number("1"))
            #expect(category(report, "signIn")?["passed"] == .number("0")) // 9001 needs no sign-in

            let summary = try #require(report["summary"]?.objectValue)
            #expect(summary.string("verdict") == "incomplete")
            #expect(summary["exercisedRequired"] == .number("2"))
            #expect(summary["passedRequired"] == .number("1"))
            #expect(summary["failingRequired"] == .number("1"))
            #expect(summary["totalRequired"] == .number("16"))
            #expect(!PassiveConformanceReport.isComplete(.object(report)))

            let text = PassiveConformanceReport.text(.object(report))
            #expect(text.contains("Verdict: INCOMPLETE"))
            #expect(text.contains("✓ FSI 9001"))
            #expect(text.contains("✗ FSI 1101"))
            #expect(text.contains("· FSI 2201"))
            #expect(text.contains("FSI_SIGNATURE_INVALID [PROTOCOL-ENVELOPE] at /cainfo"))
            #expect(text.contains("signString: \(signString)"))
            #expect(text.contains("       - no known variation verifies"))
        }
    }

    @Test("another institution's report holds none of these rows; the log stays out of the trace")
    func otherInstitution() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            _ = try await signInThenTamper(harness, client)
            let report = try await report(client, harness, Demo.pharmacy)
            #expect(report.string("institution") == Demo.pharmacy)
            #expect(report["failures"] == .array([]))
            #expect(report["other"] == .array([]))
            #expect(requirement(report, "9001")?.string("status") == "not exercised")
            #expect(requirement(report, "1101")?.string("status") == "not exercised")
            #expect(category(report, "signature")?["failed"] == .number("0"))
            #expect(report["summary"]?.objectValue?["exercisedRequired"] == .number("0"))
            #expect(report["summary"]?.objectValue?.string("verdict") == "incomplete")

            let checks = try await harness.gateway.store.read { try await $0.conformanceChecks(institutionCode: Demo.hospital) }
            #expect(checks.map(\.outcome) == [.accepted, .refused])
            let trace = try await client.getJSON("/admin/trace/verify", headers: adminHeaders(harness))
            #expect(trace.body.objectValue?["intact"] == .bool(true))
        }
    }

    @Test("HSE traffic: ec.query is judged by its latest attempt, a swapped signData is diagnosed, an unknown appId is only counted")
    func hseTraffic() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            func scan() async throws -> JSONValue {
                let qr = try await client.postJSON("/channel/ec/qrcode", ["certno": .string(Demo.zhangSan.certno)],
                                                   headers: [.authorization: "Bearer \(harness.credentials.channel.token)"])
                return .object(["qrCode": .string(try #require(qr.body.string("qrCode"))), "businessType": "01101", "orgId": .string(Demo.hospital)])
            }
            #expect(try await client.postJSON("/hse/ec.query", try await harness.hseEnvelope(try await scan())).status == 200)
            var swapped = try await harness.hseEnvelope(try await scan())
            swapped["signData"] = try await harness.hseEnvelope(try await scan())["signData"]
            let refused = try await client.postJSON("/hse/ec.query", swapped)
            #expect(refused.body.string("code") == "ENV_SIGNATURE_INVALID")
            var stranger = try await harness.hseEnvelope(try await scan())
            stranger["appId"] = "UNREGISTERED-APP"
            #expect(try await client.postJSON("/org/local/api/hos/uldFeeInfo", stranger).body.string("code") == "ENV_UNKNOWN_APPID")

            let report = try await report(client, harness, Demo.hospital)
            #expect(requirement(report, "ec.query")?["accepted"] == .number("1"))
            #expect(requirement(report, "ec.query")?["refused"] == .number("1"))
            // Judged by the latest attempt: the accepted ec.query was followed by a refused one.
            #expect(requirement(report, "ec.query")?.string("status") == "failing")
            #expect(try await client.postJSON("/hse/ec.query", try await harness.hseEnvelope(try await scan())).status == 200)
            let recovered = try await self.report(client, harness, Demo.hospital)
            #expect(requirement(recovered, "ec.query")?.string("status") == "passed")
            let failure = try #require(report["failures"]?.arrayValue?.first?.objectValue)
            #expect(failure.string("channel") == "hse")
            #expect(failure.string("code") == "ENV_SIGNATURE_INVALID")
            #expect(failure.string("pointer") == "/signData")
            #expect(failure.string("signString") == refused.body.string("signString"))
            #expect(failure["diagnosis"]?.arrayValue == refused.body["diagnosis"]?.arrayValue)
            #expect(category(report, "signature")?["failed"] == .number("1"))

            // A stranger's request gets no passive-log record (no one can grow the log with made-up codes):
            // it is counted among the unauthenticated refusals, outside the trace.
            let unknown = try await self.report(client, harness, "UNREGISTERED-APP")
            #expect(unknown["failures"] == .array([]))
            let counted = try await client.getJSON("/admin/refusals", headers: adminHeaders(harness))
            let row = try #require(counted.body.arrayValue?.first { $0.objectValue?.string("code") == "ENV_UNKNOWN_APPID" }?.objectValue)
            #expect(row.string("kind") == "hse.uldFeeInfo")
            #expect(row["count"] == .number("1"))
            #expect(row.string("lastPointer") == "/appId")
        }
    }

    @Test("the report needs the admin token")
    func needsAdminToken() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let (status, body) = try await client.getJSON("/admin/conformance/\(Demo.hospital)")
            #expect(status == 401)
            #expect(body.objectValue?.string("code") == "UNAUTHORISED")
            let wrong = try await client.getJSON("/admin/conformance/\(Demo.hospital)", headers: [.authorization: "Bearer not-the-token"])
            #expect(wrong.status == 401)
        }
    }

    @Test("the CLI command reads the report from a live gateway and exits 1 while the verdict is not complete")
    func command() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.live) { live in
            let port = try #require(live.port)
            let client = try await harness.client(port: port)
            let signNo = try await client.signIn()
            // The real binary (no test imports the executable): exit 1 while the verdict is not complete, 2 when the report cannot be read.
            for json in [false, true] {
                let run = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "report", "--institution", Demo.hospital, "--gateway", "http://127.0.0.1:\(port)",
                                                                       "--certs", GatewayHarness.certs] + (json ? ["--json"] : []))
                #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
                #expect(run.stdout.contains(Demo.hospital) || run.stdout.contains("\"institution\""), "\(run.stdout)")
            }
            // A refused 1101 (a bad signature) so that one required transaction is failing, one passed (9001), the rest not exercised.
            var envelope = try FSIRequestSigner(credentials: try harness.clientCredentials()).envelope(infno: "1101", input: ["data": .object(["mdtrt_cert_type": "02", "mdtrt_cert_no": .string(Demo.zhangSan.certno)])],
                                               signNo: signNo, at: await harness.gateway.clock.now())
            envelope["cainfo"] = .string(String(repeating: "A", count: 88))
            _ = try? await HTTP.post(.shared, url: "http://127.0.0.1:\(port)/fsi/api/rsfComIfsService/callService", body: Array(JSONValue.object(envelope).serialized().utf8))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-passive-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let files = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "report", "--institution", Demo.hospital, "--gateway", "http://127.0.0.1:\(port)",
                                                                     "--certs", GatewayHarness.certs, "--report-dir", directory])
            #expect(files.status == 1, "\(files.stderr)")
            // JUnit read by an independent parser: a test case per required transaction, the failing and never-exercised ones failed.
            let junit = try await EndToEndTests.run("/usr/bin/env", ["python3", "-c", """
                import json, sys, xml.etree.ElementTree as E
                r = E.parse(sys.argv[1]).getroot(); s = r.find('testsuite')
                cases = {c.get('name').split(' ')[0]: (c.find('failure').get('type') if c.find('failure') is not None else 'passed') for c in s.findall('testcase')}
                print(json.dumps({'tests': int(s.get('tests')), 'failures': int(s.get('failures')), 'skippedOnSuites': r.get('skipped'), 'cases': cases}))
                """, directory + "/junit.xml"])
            #expect(junit.status == 0, "\(junit.stderr)")
            let parsed = try #require(try JSONValue.parse(junit.stdout).objectValue)
            let cases = parsed["cases"]?.objectValue ?? [:]
            #expect(cases["9001"]?.stringValue == "passed" && cases["1101"]?.stringValue == "failing" && cases["2207"]?.stringValue == "not exercised", "\(junit.stdout)")
            #expect(parsed["skippedOnSuites"] == .null)
            #expect(parsed["failures"] == .number(String(cases.members.filter { $0.value.stringValue != "passed" }.count)))
            let html = try String(contentsOfFile: directory + "/report.html", encoding: .utf8)
            let failing = try #require(html.range(of: "<h2>Failing"))
            let passed = try #require(html.range(of: "<h2>Passed"))
            #expect(failing.lowerBound < passed.lowerBound)
            #expect(html.contains("FSI_SIGNATURE_INVALID") && !html.contains("style=") && !html.contains("<script"))
            let json = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/report.json"))))
            #expect(json.objectValue?["institution"]?.stringValue == Demo.hospital)
            let wrongToken = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "report", "--institution", Demo.hospital, "--gateway", "http://127.0.0.1:\(port)",
                                                                          "--admin-token", "not-the-token"])
            #expect(wrongToken.status == 2, "\(wrongToken.stdout)\(wrongToken.stderr)")
        }
        let usage = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "report"])
        #expect(usage.status != 0)
        #expect(usage.stderr.contains("--institution"), "\(usage.stderr)")
    }

    @Test("refusals fall into check categories by code and rule", arguments: [
        ("FSI_SIGNATURE_INVALID", "PROTOCOL-ENVELOPE", "signature"),
        ("ENV_SIGNATURE_INVALID", "PROTOCOL-ENVELOPE", "signature"),
        ("ENV_SIGNATURE_ENCODING", "PROTOCOL-ENVELOPE", "signature"),
        ("FSI_TIME_OUT_OF_WINDOW", "PROTOCOL-REPLAY", "timeWindow"),
        ("ENV_TIMESTAMP_OUT_OF_WINDOW", "PROTOCOL-REPLAY", "timeWindow"),
        ("MSGID_REPLAYED", "PROTOCOL-REPLAY", "replay"),
        ("ENV_REPLAYED", "PROTOCOL-REPLAY", "replay"),
        ("SIGN_NO_EXPIRED", "PROTOCOL-SIGNIN", "signIn"),
        ("FIELD_MISSING", "PROTOCOL-FIELDS", "envelope"),
        ("ENV_MISSING_FIELD", "PROTOCOL-ENVELOPE", "envelope"),
        ("FSI_NOT_JSON", "PROTOCOL-ENVELOPE", "envelope"),
        ("INFNO_UNSUPPORTED", "PROTOCOL-ENVELOPE", "envelope"),
        ("RX_PLATFORM_SIGNATURE_INVALID", "RX-2", "businessRules"),
        ("RX_TIME_IN_FUTURE", "RX-1", "businessRules"),
        ("PLATFORM_TIMEOUT", "PY-9", "businessRules"),
        ("PRACTITIONER_PRACTICE_TOO_SHORT", "PR-1", "businessRules"),
    ])
    func categories(code: String, rule: String, expected: String) {
        #expect(PassiveConformanceReport.category(code: code, rule: rule).rawValue == expected)
    }

    @Test("long texts are cut when recorded, saying how much was left out")
    func capped() {
        let problem = Problem(status: 400, code: .fieldInvalid, rule: "PROTOCOL-FIELDS", pointer: "/input", detail: String(repeating: "x", count: 5_000),
                              diagnosis: Array(repeating: "line", count: 30))
        let record = ConformanceCheckRecord.refused(.fsi, institution: Demo.hospital, transaction: "2204", messageId: nil, problem: problem.details, at: Date())
        #expect(record.detail?.hasPrefix(String(repeating: "x", count: 2_000) + "… (3000 more bytes)") == true)
        #expect(record.diagnosis.count == ConformanceCheckRecord.diagnosisLimit)
    }
}
