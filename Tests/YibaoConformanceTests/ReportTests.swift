import Foundation
import Testing
@testable import YibaoConformance
import YibaoClient
import YibaoCrypto
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A report with one result of each verdict and exchanges full of text that needs escaping.
private enum ReportFixture {
    /// 2026-11-23T21:10:29.123Z
    static let start = Date(timeIntervalSince1970: 1_795_468_229.123)
    static let nasty = "<script>alert(\"x\")</script> & 'quoted' \u{01}bell 医保电子凭证"

    static func definition(_ id: String, _ title: String, rules: [String] = ["SIG-1"], polarity: ConformanceCase.Polarity = .negative) -> ConformanceCase {
        ConformanceCase(id: id, suite: "gateway", title: title, rules: rules, inputs: "a request with \(nasty)",
                        expected: "refusal with err_code 4001", polarity: polarity)
    }

    static let exchanges: [HTTPExchange] = [
        HTTPExchange(caseId: "FSI-SIG-001", startedAt: start, durationMilliseconds: 12.5, method: "POST",
                     url: "http://127.0.0.1:8080/fsi/api/fsiIntegratedQueryService/queryPsnInfo?page=1&name=%E5%BC%A0%E4%B8%89",
                     requestHeaders: [.init(name: "Content-Type", value: "application/json;charset=utf-8"), .init(name: "x-tif-signature", value: "a&b<c>")],
                     requestBody: #"{"infno":"1101","psn_name":"张三","note":"<script>alert(1)</script>"}"#,
                     status: 200, responseHeaders: [.init(name: "content-type", value: "application/json")],
                     responseBody: #"{"infcode":0,"output":{"baseinfo":{"psn_name":"张三"}}}"#),
        HTTPExchange(caseId: "FSI-SIG-002", startedAt: start.addingTimeInterval(0.5), durationMilliseconds: 8, method: "POST",
                     url: "https://gateway.example/fsi/api/2201", requestHeaders: [], requestBody: nasty,
                     status: 200, responseHeaders: [.init(name: "Content-Type", value: "text/plain")], responseBody: "accepted \u{01} & \"ok\""),
        HTTPExchange(caseId: "FSI-SIG-002", startedAt: start.addingTimeInterval(0.6), durationMilliseconds: 3000, method: "GET",
                     url: "http://127.0.0.1:8080/health", requestHeaders: [], requestBody: "",
                     status: 0, responseHeaders: [], responseBody: "", error: "connection refused <after 3 s>"),
        HTTPExchange(caseId: "HSE-ENV-004", startedAt: start.addingTimeInterval(1), durationMilliseconds: 4, method: "POST",
                     url: "http://127.0.0.1:8080/hse/callback", requestHeaders: [], requestBody: "{}",
                     status: 401, responseHeaders: [], responseBody: #"{"code":"401","msg":"签名错误"}"#),
    ]

    static let results: [CaseResult] = [
        CaseResult(definition: definition("FSI-SIG-001", "a correctly signed request is accepted", polarity: .positive), verdict: .passed,
                   message: "accepted as expected", durationMilliseconds: 12.5, exchangeIndices: [0]),
        CaseResult(definition: definition("FSI-SIG-002", "body altered after signing is refused"), verdict: .failed,
                   message: "the target accepted an altered body \(nasty)", expected: "HTTP 200 with infcode -1 & err_msg",
                   actual: "HTTP 200 with infcode 0 <accepted>", diagnosis: ["signature over 医保 body verified: false", "pointer: /input/\"data\""],
                   durationMilliseconds: 3008, exchangeIndices: [1, 2]),
        CaseResult(definition: definition("FSI-CLOCK-003", "a request from the far future is refused"), verdict: .skipped,
                   message: "the target has no test clock", durationMilliseconds: 0),
        CaseResult(definition: definition("HSE-ENV-004", "callback without signature is refused"), verdict: .expectedFailure,
                   message: "answered 401 instead of 200 with code 4001", expected: "200", actual: "401",
                   durationMilliseconds: 4, exchangeIndices: [3], baselineReason: "HIS-231: fix planned for 2027-Q1 <soon> & later"),
        CaseResult(definition: definition("CB-ORDER-001", "a refund before its settlement is refused"), verdict: .unexpectedPass,
                   message: "passed, but the baseline expects a failure", durationMilliseconds: 1, baselineReason: "HIS-17 \"refunds\""),
    ]

    static let report = RunReport(catalogueVersion: "2026.11", profile: "strict", suite: "gateway", target: "http://127.0.0.1:8080",
                                  seed: 42, startedAt: start, virtualStart: Date(timeIntervalSince1970: 1_795_400_000),
                                  durationMilliseconds: 3025.25, results: results, exchanges: exchanges)
}

/// Collects elements of an XML document.
private final class ElementCollector: NSObject, XMLParserDelegate {
    struct Element { var name: String; var attributes: [String: String]; var text = "" }
    var elements: [Element] = []
    private var open: [Int] = []

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes attributeDict: [String: String] = [:]) {
        open.append(elements.count)
        elements.append(Element(name: elementName, attributes: attributeDict))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        _ = open.popLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let index = open.last { elements[index].text += string }
    }

    func all(_ name: String) -> [Element] { elements.filter { $0.name == name } }
}

@Suite("Report writers")
struct ReportTests {
    let report = ReportFixture.report

    @Test func formatsNameTheirFiles() {
        #expect(ReportFormat.allCases.map(\.fileName) == ["report.json", "junit.xml", "report.html", "exchanges.har"])
    }

    // MARK: JSON

    @Test func jsonRoundTripsWithSummary() throws {
        let data = try ReportWriter.json(report)
        let document = try ReportWriter.jsonDecoder().decode(JSONReportDocument.self, from: data)

        #expect(document.summary == ReportSummary(report))
        #expect(document.summary.passed == 1 && document.summary.failed == 1 && document.summary.skipped == 1)
        #expect(document.summary.expectedFailure == 1 && document.summary.unexpectedPass == 1)
        #expect(document.summary.total == 5 && !document.summary.succeeded)

        // Dates keep milliseconds; everything else is identical.
        #expect(abs(document.report.startedAt.timeIntervalSince(report.startedAt)) < 0.001)
        var decoded = document.report
        decoded.startedAt = report.startedAt
        decoded.virtualStart = report.virtualStart
        for index in decoded.exchanges.indices { decoded.exchanges[index].startedAt = report.exchanges[index].startedAt }
        #expect(decoded == report)

        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"startedAt\" : \"2026-11-23T21:10:29.123Z\""))
        #expect(text.contains("\"target\" : \"http://127.0.0.1:8080\""), "slashes are not escaped")
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["summary", "report"])
    }

    @Test func jsonSurvivesNonFiniteDurations() throws {
        var odd = report
        odd.durationMilliseconds = .nan
        let document = try ReportWriter.jsonDecoder().decode(JSONReportDocument.self, from: ReportWriter.json(odd))
        #expect(document.report.durationMilliseconds.isNaN)
    }

    // MARK: JUnit

    @Test func junitParsesWithTheRightCounts() throws {
        let xml = ReportWriter.junit(report)
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"))

        let parser = XMLParser(data: Data(xml.utf8))
        let collector = ElementCollector()
        parser.delegate = collector
        #expect(parser.parse(), "\(parser.parserError.map(String.init(describing:)) ?? "")")

        let suites = try #require(collector.all("testsuites").first)
        #expect(suites.attributes["name"] == "yibao conformance")
        #expect(suites.attributes["tests"] == "5")
        #expect(suites.attributes["failures"] == "2")
        #expect(suites.attributes["errors"] == "0")
        #expect(suites.attributes["skipped"] == nil)   // not allowed there by Jenkins' strict xUnit schema
        #expect(suites.attributes["time"] == "3.025")

        let suite = try #require(collector.all("testsuite").first)
        #expect(suite.attributes["name"] == "gateway")
        #expect(suite.attributes["tests"] == "5")
        #expect(suite.attributes["skipped"] == "1")
        let properties = Dictionary(uniqueKeysWithValues: collector.all("property").compactMap { element in
            element.attributes["name"].map { ($0, element.attributes["value"] ?? "") }
        })
        #expect(properties == ["target": "http://127.0.0.1:8080", "seed": "42", "catalogueVersion": "2026.11", "profile": "strict"])

        let cases = collector.all("testcase")
        #expect(cases.count == 5)
        #expect(cases.first?.attributes["classname"] == "gateway.FSI-SIG")
        #expect(cases.first?.attributes["name"] == "FSI-SIG-001 a correctly signed request is accepted")
        #expect(cases.first?.attributes["time"] == "0.013")
        #expect(cases.map { $0.attributes["classname"] ?? "" } == ["gateway.FSI-SIG", "gateway.FSI-SIG", "gateway.FSI-CLOCK", "gateway.HSE-ENV", "gateway.CB-ORDER"])

        let failures = collector.all("failure")
        #expect(failures.map { $0.attributes["type"] ?? "" } == ["failed", "unexpectedPass"])
        let failure = try #require(failures.first)
        #expect(failure.attributes["message"] == "the target accepted an altered body <script>alert(\"x\")</script> & 'quoted' \\u0001bell 医保电子凭证")
        for line in ["expected: HTTP 200 with infcode -1 & err_msg", "actual: HTTP 200 with infcode 0 <accepted>", "rules: SIG-1",
                     "diagnosis: signature over 医保 body verified: false", "diagnosis: pointer: /input/\"data\""] {
            #expect(failure.text.contains(line))
        }
        #expect(collector.all("skipped").map { $0.attributes["message"] } == ["the target has no test clock"])
        let out = try #require(collector.all("system-out").first)
        #expect(out.text.hasPrefix("expected failure (baseline): HIS-231: fix planned for 2027-Q1 <soon> & later"))
    }

    @Test func junitIsReadByPythonsParser() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("junit.xml")
        try Data(ReportWriter.junit(report).utf8).write(to: file)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import xml.etree.ElementTree as E,sys; E.parse(sys.argv[1])", file.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test(arguments: [("FSI-SIG-002", "FSI-SIG"), ("CB-ORDER-001", "CB-ORDER"), ("HSE-X", "HSE-X"), ("PLAIN", "PLAIN"), ("-12", "-12"), ("A-1B", "A-1B")])
    func caseFamilyDropsTheNumber(id: String, family: String) {
        #expect(ReportWriter.caseFamily(id) == family)
    }

    @Test func xmlEscapingCoversMarkupAndForbiddenCharacters() {
        #expect(ReportText.xml("a&b<c>\"d\"'e'") == "a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;")
        #expect(ReportText.xml("\u{00}\u{08}\u{0B}\u{0C}\u{0E}\u{1F}\u{FFFF}") == "\\u0000\\u0008\\u000B\\u000C\\u000E\\u001F\\uFFFF")
        #expect(ReportText.xml("tab\there\nline") == "tab\there\nline")
        #expect(ReportText.xml("tab\there\nline", attribute: true) == "tab&#9;here&#10;line")
        #expect(ReportText.xml("医保") == "医保")
    }

    // MARK: HTML

    @Test func htmlIsSelfContainedAndEscaped() {
        let html = ReportWriter.html(report)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for forbidden in ["http://", "https://", "src=", "<script", "<link", "@import", "url(", "\u{01}"] {
            #expect(!html.contains(forbidden), "page holds \(forbidden)")
        }
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39; \\u0001bell 医保电子凭证"))
        #expect(html.contains("http&#58;//127.0.0.1:8080"), "data URLs are shown, not linked")
        #expect(html.contains("<strong>FAILED</strong>"))
        #expect(html.contains("<details id=\"case-FSI-SIG-002\" class=\"case v-failed\" open>"))
        #expect(html.contains("<details id=\"case-FSI-SIG-001\" class=\"case v-passed\">"))
        #expect(html.contains("connection refused &lt;after 3 s&gt;"))
        #expect(html.contains("签名错误"))
    }

    @Test("report.html: failures first, a filter by verdict and by rule, no script or inline handler (Jenkins' CSP), decrypted HSE data beside the ciphertext")
    func htmlFailuresFirstFilteredScriptless() {
        var withData = report
        withData.exchanges[3].requestData = #"{"payAuthNo":"AUTH…(28 chars)"}"#
        withData.exchanges[3].responseData = #"{"ordStas":"6"}"#
        let html = ReportWriter.html(withData)
        #expect(!html.contains("onclick") && !html.contains("<script") && !html.contains("javascript:"))
        // The table and the details put the failure before the skipped, the expected failure and the pass.
        let order = ["FSI-SIG-002", "CB-ORDER-001", "FSI-CLOCK-003", "HSE-ENV-004", "FSI-SIG-001"].map { id in
            html.range(of: "id=\"case-\(id)\"")?.lowerBound
        }
        #expect(order.allSatisfy { $0 != nil } && zip(order, order.dropFirst()).allSatisfy { $0! < $1! }, "details not failures first")
        #expect(html.contains("<a href=\"#group-failed\">") && html.contains("<a href=\"#group-passed\">") && html.contains("<a href=\"#rules\">by rule</a>"))
        #expect(html.contains("<h3 id=\"group-failed\">") && html.contains("<h2 id=\"rules\">By rule</h2>"))
        // Decrypted business data has its own block, escaped.
        #expect(html.contains("Request data (encData decrypted)") && html.contains("{&quot;ordStas&quot;:&quot;6&quot;}"))
    }

    @Test("the recorder opens HSE envelopes of the tester's own apps for the reports, masked; another app's stays sealed")
    func recorderDecryptsOwnEnvelopesMasked() throws {
        let envelope = try HSEEnvelope(appId: "APP0000000000001", appSecret: "SECRET0000000000000000000000001")
        let sealed = try envelope.sealRequest(data: .object(["idNo": "120101199001011234", "medfeeSumamt": "73.60"]), privateKey: try SM2.PrivateKey())
        let body = Array(JSONValue.object(sealed).serialized().utf8)
        let exchange = ObservedExchange(method: "POST", url: "http://127.0.0.1/hse/uldFeeInfo", requestHeaders: [], requestBody: body, status: 200,
                                        responseHeaders: [], responseBody: [], startedAt: Date(), duration: 0.01)
        let recorder = ExchangeRecorder()
        recorder.observe(exchange)
        #expect(recorder.all[0].requestData == nil, "no key given: the data stays sealed")
        recorder.openEnvelopes(of: [("APP0000000000001", "SECRET0000000000000000000000001")])
        recorder.observe(exchange)
        let data = try #require(recorder.all[1].requestData)
        #expect(data.contains("73.60") && !data.contains("120101199001011234"), "\(data)")
        let revealing = ExchangeRecorder(revealPersonalData: true)
        revealing.openEnvelopes(of: [("APP0000000000001", "SECRET0000000000000000000000001")])
        revealing.observe(exchange)
        #expect(revealing.all[0].requestData?.contains("120101199001011234") == true)
    }

    @Test func htmlBannerSaysPassedWhenTheRunSucceeds() {
        var passing = report
        passing.results = report.results.filter(\.verdict.isSuccess)
        let html = ReportWriter.html(passing)
        #expect(html.contains("<strong>PASSED</strong>"))
        #expect(!html.contains("<strong>FAILED</strong>"))
    }

    // MARK: HAR

    @Test func harIsHAR12WithOneEntryPerExchange() throws {
        let data = try ReportWriter.har(report)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let log = try #require(root["log"] as? [String: Any])
        #expect(log["version"] as? String == "1.2")
        let creator = try #require(log["creator"] as? [String: Any])
        #expect(creator["name"] as? String == "yibao-gateway conformance")
        #expect(creator["version"] as? String == "1")

        let pages = try #require(log["pages"] as? [[String: Any]])
        #expect(pages.compactMap { $0["id"] as? String } == report.results.map(\.definition.id))
        #expect(pages.first?["title"] as? String == "FSI-SIG-001 a correctly signed request is accepted")

        let entries = try #require(log["entries"] as? [[String: Any]])
        #expect(entries.count == report.exchanges.count)
        #expect(entries.compactMap { $0["pageref"] as? String } == report.exchanges.map(\.caseId))
        #expect(entries.first?["startedDateTime"] as? String == "2026-11-23T21:10:29.123Z")
        #expect(entries.first?["time"] as? Double == 12.5)

        let request = try #require(entries.first?["request"] as? [String: Any])
        #expect(request["method"] as? String == "POST")
        #expect(request["httpVersion"] as? String == "HTTP/1.1")
        #expect(request["headersSize"] as? Int == -1)
        #expect((request["cookies"] as? [Any])?.isEmpty == true)
        let query = try #require(request["queryString"] as? [[String: String]])
        #expect(query == [["name": "page", "value": "1"], ["name": "name", "value": "张三"]])
        let postData = try #require(request["postData"] as? [String: Any])
        #expect(postData["mimeType"] as? String == "application/json;charset=utf-8")
        #expect(postData["text"] as? String == report.exchanges[0].requestBody)
        #expect(request["bodySize"] as? Int == report.exchanges[0].requestBody.utf8.count)

        let response = try #require(entries.first?["response"] as? [String: Any])
        #expect(response["status"] as? Int == 200)
        #expect(response["statusText"] as? String == "OK")
        #expect(response["redirectURL"] as? String == "")
        let content = try #require(response["content"] as? [String: Any])
        #expect(content["text"] as? String == report.exchanges[0].responseBody)
        #expect(content["mimeType"] as? String == "application/json")
        #expect((entries.first?["cache"] as? [String: Any])?.isEmpty == true)
        let timings = try #require(entries.first?["timings"] as? [String: Any])
        #expect(timings["wait"] as? Double == 12.5 && timings["send"] as? Double == 0)
        #expect(entries.first?["_error"] == nil)

        let unanswered = entries[2]
        #expect(unanswered["_error"] as? String == "connection refused <after 3 s>")
        #expect((unanswered["response"] as? [String: Any])?["status"] as? Int == 0)
        #expect((unanswered["request"] as? [String: Any])?["postData"] == nil, "a GET without body has no postData")
        #expect(((entries[1]["request"] as? [String: Any])?["postData"] as? [String: Any])?["mimeType"] as? String == "application/json")
    }

    // MARK: Files

    @Test func writeCreatesTheDirectoryAndEveryFile() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = root.appendingPathComponent("nested/run-1").path

        let paths = try ReportWriter.write(report, to: directory)
        #expect(paths.map { URL(fileURLWithPath: $0).lastPathComponent } == ReportFormat.allCases.map(\.fileName))
        for path in paths { #expect(FileManager.default.fileExists(atPath: path)) }

        let some = try ReportWriter.write(report, to: directory, formats: [.junit, .junit, .har])
        #expect(some.map { URL(fileURLWithPath: $0).lastPathComponent } == ["junit.xml", "exchanges.har"])
    }

    // MARK: Console

    @Test func consoleLineOfAPass() {
        var result = report.results[1]
        result.verdict = .passed
        #expect(ConsoleReport.line(for: result, index: 3, total: 41) == "[ 3/41] PASS  FSI-SIG-002  body altered after signing is refused")
        #expect(ConsoleReport.line(for: result, index: 12, total: 41).hasPrefix("[12/41] PASS  "))
    }

    @Test func consoleLinesOfAFailure() {
        let text = ConsoleReport.line(for: report.results[1], index: 2, total: 5)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines == [
            "[2/5] FAIL  FSI-SIG-002  body altered after signing is refused",
            "    the target accepted an altered body <script>alert(\"x\")</script> & 'quoted' \\u0001bell 医保电子凭证",
            "    expected: HTTP 200 with infcode -1 & err_msg",
            "    actual:   HTTP 200 with infcode 0 <accepted>",
            "    diagnosis: signature over 医保 body verified: false",
            "    diagnosis: pointer: /input/\"data\"",
        ])
        #expect(!text.contains("\u{1B}"))
        #expect(ConsoleReport.line(for: report.results[1], index: 2, total: 5, colour: true).contains("\u{1B}[31mFAIL \u{1B}[0m"))
    }

    @Test func consoleTagsEveryVerdict() {
        let tags = report.results.enumerated().map { index, result in
            ConsoleReport.line(for: result, index: index + 1, total: 5).split(separator: " ").dropFirst().first.map(String.init) ?? ""
        }
        #expect(tags == ["PASS", "FAIL", "SKIP", "XFAIL", "XPASS"])
        #expect(ConsoleReport.line(for: report.results[4], index: 5, total: 5).contains("    baseline: HIS-17 \"refunds\""))
    }

    @Test func consoleSummary() {
        let summary = ConsoleReport.summary(report)
        #expect(summary.contains("5 cases in 3.03 s: 1 passed, 1 failed, 1 skipped, 1 expected failure, 1 unexpected pass"))
        #expect(summary.contains("failing: FSI-SIG-002 (FAIL), FSI-CLOCK-003 (SKIP), CB-ORDER-001 (XPASS)"))
        #expect(summary.hasSuffix("\nconformance: FAILED"))
        #expect(!summary.contains("\u{1B}"))
        #expect(ConsoleReport.summary(report, colour: true).contains("\u{1B}[1;31mFAILED\u{1B}[0m"))

        var passing = report
        passing.results = report.results.filter(\.verdict.isSuccess)
        #expect(ConsoleReport.summary(passing).hasSuffix("\nconformance: PASSED"))
        #expect(!ConsoleReport.summary(passing).contains("failing:"))
    }
}
