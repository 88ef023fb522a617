extension ReportWriter {
    /// `junit.xml`: one `<testsuite>` with the run's properties and one `<testcase>` per result, in the
    /// dialect the test reporters of GitLab, Jenkins and GitHub read.
    ///
    /// - `failed` and `unexpectedPass` carry a `<failure type="<verdict>">` whose text holds the message,
    ///   expected, actual, rules and diagnosis lines;
    /// - `skipped` carries `<skipped message="…"/>`;
    /// - `expectedFailure` passes, with a `<system-out>` naming it an expected failure and the baseline's reason.
    ///
    /// A case's `classname` is `<suite>.<id without its number>` (`gateway.FSI-SIG`), so reporters group
    /// cases by family; its `name` is `<id> <title>`.
    public static func junit(_ report: RunReport) -> String {
        let summary = ReportSummary(report)
        let time = ReportText.seconds(report.durationMilliseconds)
        let counts = "tests=\"\(summary.total)\" failures=\"\(summary.failures)\" errors=\"0\" time=\"\(time)\""
        let suite = ReportText.xml(report.suite, attribute: true)

        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        // Jenkins' strict xUnit schema (junit-10.xsd) allows no `skipped` on <testsuites>: only on <testsuite>.
        xml += "<testsuites name=\"yibao conformance\" \(counts)>\n"
        xml += "  <testsuite name=\"\(suite)\" \(counts) skipped=\"\(summary.skipped)\" timestamp=\"\(ReportText.timestamp(report.startedAt))\">\n"
        xml += "    <properties>\n"
        for (name, value) in [("target", report.target), ("seed", String(report.seed)),
                              ("catalogueVersion", report.catalogueVersion), ("profile", report.profile)] {
            xml += "      <property name=\"\(name)\" value=\"\(ReportText.xml(value, attribute: true))\"/>\n"
        }
        xml += "    </properties>\n"
        for result in report.results {
            xml += testcase(result, suite: report.suite)
        }
        xml += "  </testsuite>\n"
        xml += "</testsuites>\n"
        return xml
    }

    /// One `<testcase>` element, indented for its place in the suite.
    private static func testcase(_ result: CaseResult, suite: String) -> String {
        let definition = result.definition
        let classname = ReportText.xml("\(suite).\(caseFamily(definition.id))", attribute: true)
        let name = ReportText.xml("\(definition.id) \(definition.title)", attribute: true)
        let open = "    <testcase classname=\"\(classname)\" name=\"\(name)\" time=\"\(ReportText.seconds(result.durationMilliseconds))\""
        let message = ReportText.xml(result.message, attribute: true)

        switch result.verdict {
        case .passed:
            return open + "/>\n"
        case .failed, .unexpectedPass:
            return open + ">\n"
                + "      <failure message=\"\(message)\" type=\"\(result.verdict.rawValue)\">"
                + ReportText.xml(failureText(result))
                + "</failure>\n"
                + "    </testcase>\n"
        case .skipped:
            return open + ">\n"
                + "      <skipped message=\"\(message)\"/>\n"
                + "    </testcase>\n"
        case .expectedFailure:
            let reason = result.baselineReason ?? "listed in the baseline"
            let text = "expected failure (baseline): \(reason)\n\(failureText(result))"
            return open + ">\n"
                + "      <system-out>" + ReportText.xml(text) + "</system-out>\n"
                + "    </testcase>\n"
        }
    }

    /// The lines of a failure's text: what happened, what was expected and seen, which rules, and why.
    private static func failureText(_ result: CaseResult) -> String {
        var lines = ["message: \(result.message)"]
        if let expected = result.expected { lines.append("expected: \(expected)") }
        if let actual = result.actual { lines.append("actual: \(actual)") }
        if !result.definition.rules.isEmpty { lines.append("rules: \(result.definition.rules.joined(separator: ", "))") }
        lines += result.diagnosis.map { "diagnosis: \($0)" }
        if result.verdict == .unexpectedPass, let reason = result.baselineReason {
            lines.append("baseline: \(reason) (the case now passes: remove it from the baseline)")
        }
        return lines.joined(separator: "\n")
    }

    /// A case id without its trailing `-<number>`: `FSI-SIG-002` → `FSI-SIG`; an id without one is kept whole.
    static func caseFamily(_ id: String) -> String {
        guard let dash = id.lastIndex(of: "-") else { return id }
        let number = id[id.index(after: dash)...]
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }), dash != id.startIndex else { return id }
        return String(id[..<dash])
    }
}
