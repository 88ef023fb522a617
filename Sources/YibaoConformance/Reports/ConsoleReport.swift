/// The runner's terminal output: one line per case as it finishes, and a summary at the end.
///
/// Text from the report is printed with control characters written as `\uXXXX`, so a target's
/// answer cannot send escape sequences to the terminal. ANSI colour only when asked for.
public enum ConsoleReport {
    /// The line of one case, e.g. `[ 3/41] PASS  FSI-SIG-002  body altered after signing is refused`
    /// (tags PASS, FAIL, SKIP, XFAIL, XPASS). A failure or unexpected pass is followed by indented
    /// lines — its message, `expected:`, `actual:`, `diagnosis:`, `baseline:` — and a skipped case by
    /// the reason it could not run. Lines are joined by `\n`, with no trailing line break.
    ///
    /// - Parameters:
    ///   - index: the case's 1-based position in the run.
    ///   - total: how many cases the run has.
    ///   - colour: whether to colour the tag with ANSI escapes.
    public static func line(for result: CaseResult, index: Int, total: Int, colour: Bool = false) -> String {
        let width = String(max(total, index)).count
        let position = String(repeating: " ", count: max(0, width - String(index).count)) + "\(index)/\(total)"
        let tag = result.verdict.tag
        let paddedTag = tag + String(repeating: " ", count: max(0, 5 - tag.count))
        var lines = ["[\(position)] \(paint(paddedTag, tagColour(result.verdict), colour)) "
            + "\(ReportText.terminal(result.definition.id))  \(ReportText.terminal(result.definition.title))"]

        switch result.verdict {
        case .failed, .unexpectedPass:
            lines.append(indented("", result.message))
            if let expected = result.expected { lines.append(indented("expected: ", expected)) }
            if let actual = result.actual { lines.append(indented("actual:   ", actual)) }
            lines += result.diagnosis.map { indented("diagnosis: ", $0) }
            if result.verdict == .unexpectedPass {
                let reason = result.baselineReason ?? "listed in the baseline"
                lines.append(indented("baseline: ", "\(reason) (the case passes now: remove it from the baseline)"))
            }
        case .skipped:
            lines.append(indented("", result.message))
        case .passed, .expectedFailure:
            break
        }
        return lines.joined(separator: "\n")
    }

    /// The end of a run's output: the run's facts, its counts by verdict and duration, the ids that
    /// fail it, and a last line `conformance: PASSED` or `conformance: FAILED`.
    public static func summary(_ report: RunReport, colour: Bool = false) -> String {
        let summary = ReportSummary(report)
        let counts = Verdict.allCases.map { verdict -> String in
            let count = summary.count(verdict)
            let text = verdict.counted(count)
            return count > 0 && verdict != .passed ? paint(text, tagColour(verdict), colour) : text
        }
        var lines = [
            "\(ReportText.terminal(report.suite)) against \(ReportText.terminal(report.target)) "
                + "(catalogue \(ReportText.terminal(report.catalogueVersion)), profile \(ReportText.terminal(report.profile)), seed \(report.seed))",
            "\(summary.total) case\(summary.total == 1 ? "" : "s") in \(ReportText.humanDuration(report.durationMilliseconds)): " + counts.joined(separator: ", "),
        ]
        let failing = report.results.filter { !$0.verdict.isSuccess }
        if !failing.isEmpty {
            lines.append("failing: " + failing.map { "\(ReportText.terminal($0.definition.id)) (\($0.verdict.tag))" }.joined(separator: ", "))
        }
        lines.append(report.succeeded
            ? "conformance: " + paint("PASSED", "1;32", colour)
            : "conformance: " + paint("FAILED", "1;31", colour))
        return lines.joined(separator: "\n")
    }

    /// `    <label><value>`, with the value's further lines indented under its first.
    private static func indented(_ label: String, _ value: String) -> String {
        let indent = "    "
        let continuation = "\n" + indent + String(repeating: " ", count: label.count)
        let text = ReportText.terminal(value).split(separator: "\n", omittingEmptySubsequences: false).joined(separator: continuation)
        return indent + label + text
    }

    /// The ANSI SGR parameters of a verdict's colour.
    private static func tagColour(_ verdict: Verdict) -> String {
        switch verdict {
        case .passed: "32"
        case .failed: "31"
        case .skipped: "33"
        case .expectedFailure: "36"
        case .unexpectedPass: "35"
        }
    }

    private static func paint(_ text: String, _ sgr: String, _ enabled: Bool) -> String {
        enabled ? "\u{1B}[\(sgr)m\(text)\u{1B}[0m" : text
    }
}
