import Foundation
import YibaoCrypto

/// The passive report (`GET /admin/conformance/{institution}`, `yibao conformance report`) as files
/// a CI job keeps: JUnit XML (one test case per required transaction and per lost answer, failing
/// when the latest attempt was refused, the transaction was never exercised, or the HIS settled
/// again blind) and one HTML page (failures first, no scripts, no inline styles, readable under
/// Jenkins' default Content-Security-Policy). The JSON report is written as the gateway answered it.
public enum PassiveReportWriter {
    /// One required transaction (or lost answer) as a verdict with its evidence.
    struct Verdict {
        var classname: String
        var name: String
        var status: String
        var message: String
        var evidence: [String]
        var failing: Bool { status != "passed" }
    }

    static func verdicts(_ report: JSONValue) -> [Verdict] {
        let object = report.objectValue ?? [:]
        let failures = object["failures"]?.arrayValue ?? []
        var verdicts: [Verdict] = []
        for group in object["required"]?.arrayValue ?? [] {
            let groupName = group.objectValue?["group"]?.stringValue ?? "required"
            for row in group.objectValue?["transactions"]?.arrayValue ?? [] {
                let row = row.objectValue ?? [:]
                let transaction = row["transaction"]?.stringValue ?? "?"
                let status = row["status"]?.stringValue ?? "not exercised"
                let counts = "accepted \(text(row["accepted"])), refused \(text(row["refused"]))"
                let message = switch status {
                case "passed": "the latest attempt was accepted (\(counts))"
                case "failing": "the latest attempt was refused (\(counts))"
                default: "never exercised: a hospital integration must send \(transaction)"
                }
                let evidence = failures.compactMap { $0.objectValue }.filter { $0["transaction"]?.stringValue == transaction }.prefix(3).map(describe)
                verdicts.append(Verdict(classname: "passive.\(slug(groupName))", name: "\(transaction) \(row["name"]?.stringValue ?? "")",
                                        status: status, message: message, evidence: Array(evidence)))
            }
        }
        for lost in object["lostAnswers"]?.arrayValue ?? [] {
            let lost = lost.objectValue ?? [:]
            let status = lost["status"]?.stringValue ?? "failing"
            verdicts.append(Verdict(classname: "passive.lost-answers", name: "2207 answer lost at \(lost["at"]?.stringValue ?? "?")",
                                    status: status, message: lost["next"]?.stringValue ?? "", evidence: []))
        }
        return verdicts
    }

    /// JUnit XML, valid against Jenkins' strict xUnit schema.
    public static func junit(_ report: JSONValue) -> String {
        let object = report.objectValue ?? [:]
        let institution = object["institution"]?.stringValue ?? "?"
        let verdicts = verdicts(report)
        let failures = verdicts.filter(\.failing).count
        let counts = "tests=\"\(verdicts.count)\" failures=\"\(failures)\" errors=\"0\""
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"yibao passive conformance\" \(counts)>\n"
        xml += "  <testsuite name=\"passive.\(ReportText.xml(institution, attribute: true))\" \(counts) skipped=\"0\">\n"
        xml += "    <properties>\n"
        for name in ["institution", "profile", "generatedAt"] {
            xml += "      <property name=\"\(name)\" value=\"\(ReportText.xml(object[name]?.stringValue ?? "", attribute: true))\"/>\n"
        }
        xml += "      <property name=\"verdict\" value=\"\(ReportText.xml(object["summary"]?.objectValue?["verdict"]?.stringValue ?? "", attribute: true))\"/>\n"
        xml += "    </properties>\n"
        for verdict in verdicts {
            let opening = "    <testcase classname=\"\(ReportText.xml(verdict.classname, attribute: true))\" name=\"\(ReportText.xml(verdict.name, attribute: true))\""
            guard verdict.failing else { xml += opening + "/>\n"; continue }
            xml += opening + ">\n"
            xml += "      <failure message=\"\(ReportText.xml(verdict.message, attribute: true))\" type=\"\(ReportText.xml(verdict.status, attribute: true))\">"
            xml += ReportText.xml(([verdict.message] + verdict.evidence).joined(separator: "\n\n"))
            xml += "</failure>\n    </testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    /// One self-contained page: the verdict, failing transactions first with their latest refusals
    /// (code, rule, pointer, expected/actual, diagnosis), then the ones that passed, then the checks.
    public static func html(_ report: JSONValue) -> String {
        let object = report.objectValue ?? [:]
        let institution = object["institution"]?.stringValue ?? "?"
        let summary = object["summary"]?.objectValue ?? [:]
        let verdicts = verdicts(report)
        var page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        page += "<title>Passive conformance — \(e(institution))</title></head><body>\n"
        page += "<h1>Passive conformance — \(e(institution))</h1>\n"
        page += "<p><strong>Verdict: \(e(summary["verdict"]?.stringValue ?? "?"))</strong> — required transactions passed \(e(text(summary["passedRequired"]))) "
        page += "of \(e(text(summary["totalRequired"]))), failing \(e(text(summary["failingRequired"]))). Profile \(e(object["profile"]?.stringValue ?? "?")), "
        page += "generated \(e(object["generatedAt"]?.stringValue ?? "?")).</p>\n"
        let failing = verdicts.filter(\.failing)
        page += "<h2>Failing (\(failing.count))</h2>\n"
        if failing.isEmpty { page += "<p>None.</p>\n" }
        for verdict in failing {
            page += "<h3>✗ \(e(verdict.name))</h3>\n<p>\(e(verdict.status)): \(e(verdict.message))</p>\n"
            for evidence in verdict.evidence { page += "<pre>\(e(evidence))</pre>\n" }
        }
        let passing = verdicts.filter { !$0.failing }
        page += "<h2>Passed (\(passing.count))</h2>\n<ul>\n"
        for verdict in passing { page += "<li>✓ \(e(verdict.name)) — \(e(verdict.message))</li>\n" }
        page += "</ul>\n<h2>Checks by category</h2>\n<table>\n<thead><tr><th>category</th><th>passed</th><th>failed</th></tr></thead>\n<tbody>\n"
        for check in object["checks"]?.arrayValue ?? [] {
            let check = check.objectValue ?? [:]
            page += "<tr><td>\(e(check["name"]?.stringValue ?? ""))</td><td>\(e(text(check["passed"])))</td><td>\(e(text(check["failed"])))</td></tr>\n"
        }
        page += "</tbody>\n</table>\n"
        let recent = object["failures"]?.arrayValue ?? []
        page += "<h2>Recent refusals (\(recent.count))</h2>\n"
        for failure in recent.compactMap({ $0.objectValue }) { page += "<pre>\(e(describe(failure)))</pre>\n" }
        page += "</body></html>\n"
        return page
    }

    /// A refusal as readable lines (personal data is masked by the gateway before it is stored).
    static func describe(_ failure: JSONObject) -> String {
        var lines = ["\(failure["channel"]?.stringValue ?? "") \(failure["transaction"]?.stringValue ?? "") at \(failure["at"]?.stringValue ?? "")"
                     + (failure["msgid"]?.stringValue.map { " (msgid \($0))" } ?? "")]
        lines.append("\(failure["code"]?.stringValue ?? "")" + (failure["rule"]?.stringValue.map { " · rule \($0)" } ?? "")
                     + " · pointer \(failure["pointer"]?.stringValue ?? "")")
        if let detail = failure["detail"]?.stringValue { lines.append(detail) }
        if let expected = failure["expected"]?.stringValue { lines.append("expected: \(expected)") }
        if let actual = failure["actual"]?.stringValue { lines.append("actual: \(actual)") }
        for line in failure["diagnosis"]?.arrayValue ?? [] { if let line = line.stringValue { lines.append("· \(line)") } }
        if let sealed = failure["sealed"]?.stringValue { lines.append("sealed encData: \(sealed)") }
        if let opened = failure["opened"]?.stringValue { lines.append("decrypted (personal data masked): \(opened)") }
        return lines.joined(separator: "\n")
    }

    private static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text)?: text
        case .number(let text)?: text
        default: "0"
        }
    }

    private static func slug(_ text: String) -> String {
        String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    private static func e(_ text: String) -> String { ReportText.html(text) }
}
