import Foundation

extension ReportWriter {
    /// `report.html`: one self-contained page — no script at all, no reference to anything outside the
    /// file (no stylesheet, script, font or image URL), so it opens the same from a CI artifact, an
    /// e-mail or a disk with no network. Its one `<style>` block only adds colour: under a
    /// Content-Security-Policy that blocks inline styles (Jenkins' default) the page reads the same —
    /// verdicts are words, grouping is by headings and tables.
    ///
    /// A header with the run's facts and counts, a PASSED / FAILED banner, a filter (links to each
    /// verdict's group, failures first), a table of every case in that order, then one `<details>` per
    /// case in the same groups: open for failures and unexpected passes (expected, actual, diagnosis,
    /// each rule with its text, and the HTTP exchanges with their bodies — HSE envelopes also decrypted),
    /// closed for the others; last, every rule the run checked with its text and its cases. Every piece
    /// of text from the report is escaped (see ``ReportText/html(_:)``).
    public static func html(_ report: RunReport) -> String {
        let summary = ReportSummary(report)
        let outcome = report.succeeded ? "PASSED" : "FAILED"
        var page = HTMLPage()

        page.line("<!DOCTYPE html>")
        page.line("<html lang=\"en\">")
        page.line("<head>")
        page.line("<meta charset=\"utf-8\">")
        page.line("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        page.line("<title>yibao conformance — \(e(report.suite)) — \(outcome)</title>")
        page.line("<style>\(HTMLPage.style)</style>")
        page.line("</head>")
        page.line("<body>")

        page.line("<header>")
        page.line("<h1>yibao conformance: \(e(report.suite))</h1>")
        page.line("<dl class=\"facts\">")
        for (name, value) in [("Target", report.target), ("Seed", String(report.seed)), ("Catalogue version", report.catalogueVersion),
                              ("Profile", report.profile), ("Started", ReportText.timestamp(report.startedAt)),
                              ("Virtual start", ReportText.timestamp(report.virtualStart)),
                              ("Duration", ReportText.humanDuration(report.durationMilliseconds)), ("Tool", report.tool)] {
            page.line("<div><dt>\(e(name))</dt><dd>\(e(value))</dd></div>")
        }
        page.line("</dl>")
        let failing = summary.failures + summary.skipped
        let verdictLine = report.succeeded
            ? "all \(summary.total) cases passed or failed as the baseline expects"
            : "\(failing) of \(summary.total) cases failed, passed unexpectedly or could not run"
        page.line("<div class=\"banner \(report.succeeded ? "passed" : "failed")\"><strong>\(outcome)</strong> <span>\(e(verdictLine))</span></div>")
        page.line("<p class=\"counts\">")
        for verdict in Verdict.allCases {
            page.line("<span class=\"verdict v-\(verdict.rawValue)\">\(e(verdict.counted(summary.count(verdict))))</span>")
        }
        page.line("<span class=\"total\">\(summary.total) in total</span>")
        page.line("</p>")
        page.line("</header>")

        let ruleTexts = Self.ruleTexts()
        // Failures first: what needs attention, then what the baseline explains, then what passed.
        let groups = Self.groupOrder.map { verdict in (verdict, report.results.enumerated().filter { $0.element.verdict == verdict }) }
        page.line("<main>")
        page.line("<nav class=\"filter\" aria-label=\"Filter\"><strong>Show:</strong> "
            + groups.filter { !$0.1.isEmpty }.map { "<a href=\"#group-\($0.0.rawValue)\">\(e($0.0.counted($0.1.count)))</a>" }.joined(separator: " · ")
            + " · <a href=\"#rules\">by rule</a></nav>")
        page.line("<h2>Cases</h2>")
        page.line("<table class=\"cases\">")
        page.line("<thead><tr><th>#</th><th>Id</th><th>Title</th><th>Rules</th><th>Polarity</th><th>Verdict</th><th>Message</th><th>Time</th></tr></thead>")
        page.line("<tbody>")
        for (index, result) in groups.flatMap(\.1) {
            let definition = result.definition
            page.line("<tr class=\"v-\(result.verdict.rawValue)\">"
                + "<td class=\"num\">\(index + 1)</td>"
                + "<td><a href=\"#\(anchor(definition.id))\"><code>\(e(definition.id))</code></a></td>"
                + "<td>\(e(definition.title))</td>"
                + "<td>\(definition.rules.map { "<code>\(e($0))</code>" }.joined(separator: " "))</td>"
                + "<td>\(e(definition.polarity.rawValue))</td>"
                + "<td><span class=\"verdict v-\(result.verdict.rawValue)\">\(e(result.verdict.tag))</span></td>"
                + "<td>\(e(result.message))</td>"
                + "<td class=\"num\">\(e(ReportText.humanDuration(result.durationMilliseconds)))</td>"
                + "</tr>")
        }
        page.line("</tbody>")
        page.line("</table>")

        page.line("<h2>Details</h2>")
        for (verdict, members) in groups where !members.isEmpty {
            page.line("<h3 id=\"group-\(verdict.rawValue)\">\(e(verdict.counted(members.count)))</h3>")
            for (_, result) in members {
                caseDetails(result, exchanges: report.exchanges, ruleTexts: ruleTexts, into: &page)
            }
        }
        // By rule: each rule the run checked, its text, and its cases with their verdicts.
        page.line("<h2 id=\"rules\">By rule</h2>")
        page.line("<table class=\"cases\"><thead><tr><th>Rule</th><th>What it says</th><th>Cases</th></tr></thead><tbody>")
        let rules = Set(report.results.flatMap(\.definition.rules)).sorted()
        for rule in rules {
            let cases = report.results.filter { $0.definition.rules.contains(rule) }
            page.line("<tr><td><code>\(e(rule))</code></td><td>\(e(ruleTexts[rule] ?? "a protocol clause (docs/GATEWAY.md)"))</td><td>"
                + cases.map { "<a href=\"#\(anchor($0.definition.id))\"><code>\(e($0.definition.id))</code></a>&nbsp;<span class=\"verdict v-\($0.verdict.rawValue)\">\(e($0.verdict.tag))</span>" }
                    .joined(separator: " ")
                + "</td></tr>")
        }
        page.line("</tbody></table>")
        page.line("</main>")
        page.line("<footer>\(e(report.tool)) · catalogue \(e(report.catalogueVersion)) · seed \(report.seed)</footer>")
        page.line("</body>")
        page.line("</html>")
        return page.text
    }

    /// The verdicts in the order the report shows them: failures first.
    static let groupOrder: [Verdict] = [.failed, .unexpectedPass, .skipped, .expectedFailure, .passed]

    /// Each rule's text (docs/RULES.md, through the bundled rules.json), by id.
    static func ruleTexts() -> [String: String] {
        guard let catalogue = try? Catalogue.bundled(), let rules = try? RuleCoverage.bundled(catalogue: catalogue) else { return [:] }
        return Dictionary(rules.map { ($0.id, $0.summary) }, uniquingKeysWith: { first, _ in first })
    }

    /// One case's `<details>`: its facts, its outcome and its exchanges.
    private static func caseDetails(_ result: CaseResult, exchanges: [HTTPExchange], ruleTexts: [String: String], into page: inout HTMLPage) {
        let definition = result.definition
        let verdict = result.verdict
        page.line("<details id=\"\(anchor(definition.id))\" class=\"case v-\(verdict.rawValue)\"\(verdict.isFailure ? " open" : "")>")
        page.line("<summary><span class=\"verdict v-\(verdict.rawValue)\">\(e(verdict.tag))</span> "
            + "<code>\(e(definition.id))</code> \(e(definition.title))</summary>")
        page.line("<div class=\"body\">")
        page.line("<p class=\"message\">\(e(result.message))</p>")
        page.line("<dl class=\"outcome\">")
        var facts: [(String, String)] = [("Inputs", definition.inputs), ("Case expects", definition.expected)]
        if let expected = result.expected { facts.append(("Expected", expected)) }
        if let actual = result.actual { facts.append(("Actual", actual)) }
        for (name, value) in facts {
            page.line("<dt>\(e(name))</dt><dd><pre>\(e(value))</pre></dd>")
        }
        if !definition.rules.isEmpty {
            page.line("<dt>Rules</dt><dd><ul>\(definition.rules.map { "<li><code>\(e($0))</code> — \(e(ruleTexts[$0] ?? "a protocol clause (docs/GATEWAY.md)"))</li>" }.joined())</ul></dd>")
        }
        page.line("<dt>Polarity</dt><dd>\(e(definition.polarity.rawValue))</dd>")
        if !result.diagnosis.isEmpty {
            page.line("<dt>Diagnosis</dt><dd><ul>\(result.diagnosis.map { "<li><pre>\(e($0))</pre></li>" }.joined())</ul></dd>")
        }
        if let reason = result.baselineReason {
            page.line("<dt>Baseline</dt><dd>\(e(reason))</dd>")
        }
        page.line("</dl>")

        let own = result.exchangeIndices.compactMap { exchanges.indices.contains($0) ? exchanges[$0] : nil }
        if !own.isEmpty {
            page.line("<h3>Exchanges (\(own.count))</h3>")
            for exchange in own {
                exchangeDetails(exchange, open: verdict.isFailure, into: &page)
            }
        }
        page.line("</div>")
        page.line("</details>")
    }

    /// One HTTP exchange: request and response, headers and bodies.
    private static func exchangeDetails(_ exchange: HTTPExchange, open: Bool, into page: inout HTMLPage) {
        let status = exchange.status == 0 ? "no answer" : String(exchange.status)
        let statusClass = exchange.status == 0 || exchange.status >= 400 ? "bad" : "good"
        page.line("<details class=\"exchange\"\(open ? " open" : "")>")
        page.line("<summary><code>\(e(exchange.method)) \(e(exchange.url))</code> → "
            + "<span class=\"status \(statusClass)\">\(e(status))</span> "
            + "<span class=\"muted\">\(e(ReportText.humanDuration(exchange.durationMilliseconds))), "
            + "\(e(ReportText.timestamp(exchange.startedAt)))</span></summary>")
        page.line("<div class=\"http\">")
        page.line("<h4>Request</h4>")
        page.line("<pre>\(e(message(start: "\(exchange.method) \(exchange.url)", headers: exchange.requestHeaders, body: exchange.requestBody)))</pre>")
        if let data = exchange.requestData {
            page.line("<h4>Request data (encData decrypted)</h4>")
            page.line("<pre>\(e(data))</pre>")
        }
        if exchange.status != 0 {
            page.line("<h4>Response</h4>")
            let statusLine = "HTTP/1.1 \(exchange.status) \(ReportText.reasonPhrase(exchange.status))".trimmingCharacters(in: .whitespaces)
            page.line("<pre>\(e(message(start: statusLine, headers: exchange.responseHeaders, body: exchange.responseBody)))</pre>")
            if let data = exchange.responseData {
                page.line("<h4>Response data (encData decrypted)</h4>")
                page.line("<pre>\(e(data))</pre>")
            }
        }
        if let error = exchange.error {
            page.line("<p class=\"error\">\(e(error))</p>")
        }
        page.line("</div>")
        page.line("</details>")
    }

    /// An HTTP message as text: start line, headers, blank line, body.
    private static func message(start: String, headers: [HTTPExchange.Header], body: String) -> String {
        ([start] + headers.map { "\($0.name): \($0.value)" } + ["", body]).joined(separator: "\n")
    }

    /// The fragment id of a case's details.
    private static func anchor(_ id: String) -> String {
        "case-" + e(id.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? String($0) : "_" }.joined())
    }

    private static func e(_ text: String) -> String { ReportText.html(text) }
}

/// The page being built, line by line.
private struct HTMLPage {
    private(set) var text = ""

    mutating func line(_ line: String) {
        text += line
        text += "\n"
    }

    /// The inline stylesheet: light and dark, readable printed.
    static let style = """

    :root { color-scheme: light dark; --fg: #1d1f23; --bg: #ffffff; --muted: #6a6f78; --line: #d9dce1; --code: #f4f5f7;
      --pass: #1a7f37; --fail: #cf222e; --skip: #9a6700; --xfail: #0969da; --xpass: #8250df; }
    @media (prefers-color-scheme: dark) { :root { --fg: #e6e8eb; --bg: #16181c; --muted: #9aa1ab; --line: #33373e; --code: #22252b;
      --pass: #3fb950; --fail: #f85149; --skip: #d29922; --xfail: #58a6ff; --xpass: #bc8cff; } }
    body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Noto Sans CJK SC", sans-serif;
      color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1200px; padding: 1.5rem; }
    h1 { font-size: 1.6rem; margin: 0 0 .75rem; } h2 { margin-top: 2rem; } h3 { font-size: 1rem; } h4 { margin: .75rem 0 .25rem; }
    code, pre { font: 12.5px/1.4 ui-monospace, "SF Mono", Menlo, Consolas, monospace; }
    pre { background: var(--code); padding: .6rem .75rem; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: 0; }
    .facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: .25rem 1.5rem; margin: 0; }
    .facts dt { color: var(--muted); font-size: .8rem; } .facts dd { margin: 0; word-break: break-all; }
    .banner { margin: 1rem 0 .5rem; padding: .9rem 1.2rem; border-radius: 8px; color: #fff; font-size: 1.1rem; }
    .banner strong { font-size: 1.8rem; letter-spacing: .08em; margin-right: 1rem; }
    .banner.passed { background: var(--pass); } .banner.failed { background: var(--fail); }
    .counts span { margin-right: .6rem; } .total { color: var(--muted); }
    .verdict { display: inline-block; font-weight: 600; padding: 0 .45rem; border-radius: 4px; border: 1px solid currentColor; }
    .v-passed .verdict, .verdict.v-passed { color: var(--pass); } .v-failed .verdict, .verdict.v-failed { color: var(--fail); }
    .v-skipped .verdict, .verdict.v-skipped { color: var(--skip); } .v-expectedFailure .verdict, .verdict.v-expectedFailure { color: var(--xfail); }
    .v-unexpectedPass .verdict, .verdict.v-unexpectedPass { color: var(--xpass); }
    table.cases { border-collapse: collapse; width: 100%; } .cases th, .cases td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
    .cases tr.v-failed, .cases tr.v-unexpectedPass { background: color-mix(in srgb, var(--fail) 8%, transparent); }
    .num { text-align: right; white-space: nowrap; } a { color: inherit; }
    details.case { border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: 6px; margin: .5rem 0; padding: .4rem .75rem; }
    details.case.v-passed { border-left-color: var(--pass); } details.case.v-failed { border-left-color: var(--fail); }
    details.case.v-skipped { border-left-color: var(--skip); } details.case.v-expectedFailure { border-left-color: var(--xfail); }
    details.case.v-unexpectedPass { border-left-color: var(--xpass); }
    summary { cursor: pointer; } .body { margin-top: .5rem; } .message { font-weight: 600; }
    .outcome dt { color: var(--muted); margin-top: .4rem; } .outcome dd { margin: .1rem 0 0; } .outcome ul { margin: 0; padding-left: 1.2rem; }
    details.exchange { margin: .4rem 0; } .status.good { color: var(--pass); } .status.bad { color: var(--fail); font-weight: 600; }
    .muted, footer { color: var(--muted); } .error { color: var(--fail); font-weight: 600; } footer { margin-top: 2rem; font-size: .8rem; }
    .filter { margin: 1rem 0; } .filter a { white-space: nowrap; }
    @media (max-width: 40rem) { body { padding: .75rem; } table.cases, .cases tbody, .cases tr, .cases td { display: block; }
      .cases thead { display: none; } .cases tr { border-bottom: 1px solid var(--line); padding: .3rem 0; } .cases td { border: 0; padding: .1rem 0; } }

    """
}
