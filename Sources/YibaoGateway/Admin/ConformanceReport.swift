import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

/// `GET /admin/conformance/{institution}` (admin token): the conformance tester's passive mode —
/// what the gateway saw of an institution's own traffic, from the log the FSI and HSE endpoints
/// keep (``ConformanceCheckRecord``).
struct ConformanceReportEndpoint: Sendable {
    let gateway: Gateway

    func register(on admin: RouterGroup<GatewayRequestContext>) {
        admin.get("/conformance/:institution") { _, context in
            let institution = try context.parameters.require("institution")
            let (checks, app) = try await gateway.store.read { (try await $0.conformanceChecks(institutionCode: institution), try await $0.app(institutionCode: institution)) }
            let dialect = gateway.configuration.dialect(named: app?.profile)
            let report = PassiveConformanceReport.make(institution: institution, checks: checks, profile: gateway.configuration.policy.name,
                                                       at: await gateway.clock.now(), dialect: dialect.name, prerequisites: dialect.fsi.beforeSettlement)
            return JSONResponse.make(report)
        }
    }
}

/// The passive conformance report, as JSON (members in a fixed order) and as text for the CLI.
///
/// ```
/// { "institution", "profile", "generatedAt",
///   "required": [{"group", "transactions": [{"channel", "transaction", "name", "exercised", "accepted", "refused", "status"}]}],
///   "other":    [{"channel", "transaction", "name", "exercised", "accepted", "refused", "status"}],
///   "checks":   [{"category", "name", "passed", "failed"}],
///   "lostAnswers": [{"transaction", "at", "msgid"?, "status", "next"}],
///   "unmappedItems": n,
///   "failures": [{"channel", "transaction", "at", "msgid"?, "code", "rule"?, "pointer", "detail", "expected"?, "actual"?,
///                 "signString"?, "diagnosis": [...], "sealed"?, "opened"? (HSE: encData's start, the decrypted data masked)}],
///   "summary":  {"exercisedRequired", "passedRequired", "failingRequired", "totalRequired", "verdict"} }
/// ```
public enum PassiveConformanceReport {
    /// A transaction a hospital integration is expected to exercise.
    public struct Requirement: Sendable, Hashable {
        public var channel: ConformanceCheckRecord.Channel
        public var transaction: String
        public var name: String
    }

    /// The transactions of profile `nhsa-2.0` a hospital integration must exercise, by group.
    public static let required: [(group: String, transactions: [Requirement])] = [
        ("sign-in and identity", [
            .init(channel: .fsi, transaction: "9001", name: "sign-in"),
            .init(channel: .fsi, transaction: "1101", name: "person info"),
            .init(channel: .hse, transaction: "ec.query", name: "e-voucher QR code query"),
            .init(channel: .hse, transaction: "ec.payAuth", name: "wallet authorisation (payAuthNo)"),
        ]),
        ("registration", [
            .init(channel: .fsi, transaction: "2201", name: "outpatient registration"),
        ]),
        ("prescriptions", [
            .init(channel: .hse, transaction: "uploadChk", name: "prescription pre-check"),
            .init(channel: .hse, transaction: "rxFixmedinsSign", name: "prescription countersignature"),
            .init(channel: .hse, transaction: "rxFileUpld", name: "prescription upload"),
        ]),
        ("mobile payment", [
            .init(channel: .hse, transaction: "uldFeeInfo", name: "6201 fee upload"),
            .init(channel: .hse, transaction: "pay_order", name: "6202 payment"),
            .init(channel: .hse, transaction: "query_order_info", name: "6301 order query"),
            .init(channel: .hse, transaction: "refund_Order", name: "6203 refund"),
        ]),
        ("FSI settlement", [
            .init(channel: .fsi, transaction: "2203", name: "visit info"),
            .init(channel: .fsi, transaction: "2204", name: "fee details upload"),
            .init(channel: .fsi, transaction: "2206", name: "pre-settlement"),
            .init(channel: .fsi, transaction: "2207", name: "settlement"),
        ]),
    ]

    /// The required transactions for a dialect whose `beforeSettlement` names `prerequisites` (2001, 3101):
    /// those become required too, in a group of their own.
    public static func required(prerequisites: [String]) -> [(group: String, transactions: [Requirement])] {
        let names = ["2001": "benefit check (before settlement)", "3101": "pre-event audit (before settlement)"]
        let extra = prerequisites.compactMap { code in names[code].map { Requirement(channel: .fsi, transaction: code, name: $0) } }
        return extra.isEmpty ? required : required + [("required by the profile before 2206/2207", extra)]
    }

    /// Names of transactions that are offered but not required.
    static let otherNames = ["2202": "registration cancel", "2205": "fee details cancel", "2208": "settlement cancel",
                             "3201": "reconciliation", "3203": "declaration", "rxUndo": "prescription revoke",
                             "hospRxDetlQuery": "prescription query", "rxChkInfoQuery": "review query", "rxSetlInfoQuery": "settlement query",
                             "rxDownload": "prescription download", "rxDispense": "dispensing", "revoke_order": "6401 order revoke",
                             "9002": "sign-out", "2001": "benefit check", "2503": "chronic-disease filing", "2504": "chronic filing cancel",
                             "2601": "reversal", "3101": "pre-event audit", "3102": "in-event audit", "5201": "visit query", "5202": "diagnosis query",
                             "5203": "settlement query", "5204": "fee detail query", "5205": "chronic medication query", "5206": "cumulative figures",
                             "5301": "chronic filing query", "2101": "pharmacy pre-settlement", "2102": "pharmacy settlement",
                             "2103": "pharmacy settlement cancel", "3202": "detail reconciliation", "9101": "file upload", "9102": "file download",
                             "3301": "catalogue mapping", "3302": "catalogue mapping cancel", "1312": "catalogue query", "1316": "list match query",
                             "1317": "mapping query", "1318": "price limits", "1319": "self-pay ratios", "1901": "dictionary",
                             "4301": "outpatient record upload", "4701": "electronic medical record upload"]

    /// The kinds of check the gateway makes, in the order it makes them.
    public enum Category: String, Sendable, CaseIterable {
        case envelope, signature, timeWindow, replay, signIn, businessRules

        public var name: String {
            switch self {
            case .envelope: "envelope fields"
            case .signature: "signature"
            case .timeWindow: "time window"
            case .replay: "replay"
            case .signIn: "sign-in"
            case .businessRules: "business rules"
            }
        }

        /// Whether requests of `channel`/`transaction` go through this check: only FSI requests after
        /// 9001 need a sign-in.
        func applies(to channel: ConformanceCheckRecord.Channel, transaction: String) -> Bool {
            self != .signIn || (channel == .fsi && transaction != "9001")
        }
    }

    /// The category of a refusal, from its code and rule.
    public static func category(code: String, rule: String?) -> Category {
        let words = Set(code.split(separator: "_").map(String.init))
        let envelopeCode = code.hasPrefix("FSI_") || code.hasPrefix("ENV_") || code.hasPrefix("HSE_")
        let protocolRule = rule?.hasPrefix("PROTOCOL-") == true
        // Prescription signatures (RX_…SIGNATURE…) are rules of the prescription, not of the envelope.
        if words.contains("SIGNATURE"), envelopeCode || protocolRule { return .signature }
        if words.contains("TIMESTAMP") || (words.contains("TIME") && words.contains("WINDOW")) { return .timeWindow }
        if words.contains("REPLAYED") || rule == Rule.protocolReplay.rawValue { return .replay }
        if code.hasPrefix("SIGN_NO_") || rule == Rule.protocolSignIn.rawValue { return .signIn }
        if code.hasPrefix("FIELD_") || envelopeCode || ["INFNO_UNSUPPORTED", "SERVICE_UNKNOWN", "BODY_TOO_LARGE"].contains(code)
            || rule == Rule.protocolEnvelope.rawValue || rule == Rule.protocolFields.rawValue {
            return .envelope
        }
        return .businessRules
    }

    /// Most recent refusals listed.
    public static let failureLimit = 50

    /// The report over `checks` (one institution's log, oldest first).
    public static func make(institution: String, checks: [ConformanceCheckRecord], profile: String, at now: Date,
                            dialect: String = DialectProfile.nhsa20.name, prerequisites: [String] = []) -> JSONValue {
        let required = required(prerequisites: prerequisites)
        struct Tally { var accepted = 0, refused = 0, lastAccepted = false }
        var tallies: [String: Tally] = [:]
        var order: [(channel: ConformanceCheckRecord.Channel, transaction: String)] = []
        var passed: [Category: Int] = [:], failed: [Category: Int] = [:]
        for check in checks {
            let key = "\(check.channel.rawValue) \(check.transaction)"
            if tallies[key] == nil { order.append((check.channel, check.transaction)) }
            switch check.outcome {
            case .accepted:
                tallies[key, default: Tally()].accepted += 1
                tallies[key]?.lastAccepted = true
                for category in Category.allCases where category.applies(to: check.channel, transaction: check.transaction) {
                    passed[category, default: 0] += 1
                }
            case .refused:
                tallies[key, default: Tally()].refused += 1
                tallies[key]?.lastAccepted = false
                failed[category(code: check.code, rule: check.rule), default: 0] += 1
            }
        }

        func row(_ channel: ConformanceCheckRecord.Channel, _ transaction: String, _ name: String) -> (JSONValue, String) {
            let tally = tallies["\(channel.rawValue) \(transaction)"] ?? Tally()
            // Judged by the latest attempt: an integration whose signing broke after one success is failing.
            let status = tally.accepted + tally.refused == 0 ? "not exercised" : tally.lastAccepted ? "passed" : "failing"
            return (.object([
                "channel": .string(channel.rawValue), "transaction": .string(transaction), "name": .string(name),
                "exercised": .integer(tally.accepted + tally.refused), "accepted": .integer(tally.accepted), "refused": .integer(tally.refused),
                "status": .string(status),
            ]), status)
        }

        var statuses: [String] = []
        let groups: [JSONValue] = required.map { group in
            .object(["group": .string(group.group), "transactions": .array(group.transactions.map { requirement in
                let (value, status) = row(requirement.channel, requirement.transaction, requirement.name)
                statuses.append(status)
                return value
            })])
        }
        let requiredKeys = Set(required.flatMap(\.transactions).map { "\($0.channel.rawValue) \($0.transaction)" })
        let other = order.filter { !requiredKeys.contains("\($0.channel.rawValue) \($0.transaction)") }
            .map { row($0.channel, $0.transaction, otherNames[$0.transaction] ?? "").0 }

        let categories: [JSONValue] = Category.allCases.map {
            .object(["category": .string($0.rawValue), "name": .string($0.name),
                     "passed": .integer(passed[$0] ?? 0), "failed": .integer(failed[$0] ?? 0)])
        }
        let failures: [JSONValue] = Array(checks.reversed().lazy.filter { $0.outcome == .refused }.prefix(failureLimit)).map(failure)

        let exercised = statuses.filter { $0 != "not exercised" }.count
        let passing = statuses.filter { $0 == "passed" }.count
        let failing = statuses.filter { $0 == "failing" }.count
        let lost = lostAnswers(checks)
        let mishandled = lost.contains { $0.objectValue?["status"]?.stringValue == "failing" }
        let verdict = mishandled ? "failing" : passing == statuses.count ? "complete" : (exercised > 0 && passing == 0) ? "failing" : "incomplete"
        return .object([
            "institution": .string(institution),
            "profile": .string(profile),
            "generatedAt": .string(Timestamps.iso(now)),
            "dialect": dialectSection(checks: checks, configured: dialect),
            "required": .array(groups),
            "other": .array(other),
            "checks": .array(categories),
            "lostAnswers": .array(lost),
            // Fee lines refused because the institution's own item code is not mapped (3301), under a profile that requires it.
            "unmappedItems": .integer(checks.filter { $0.outcome == .refused && $0.code == ErrorCode.catalogueItemNotMapped.rawValue }.count),
            "failures": .array(failures),
            "summary": .object(["exercisedRequired": .integer(exercised), "passedRequired": .integer(passing),
                                "failingRequired": .integer(failing), "totalRequired": .integer(statuses.count),
                                "verdict": .string(verdict)]),
        ])
    }

    /// Which dialect the institution's FSI traffic speaks, judged by its latest requests, against the
    /// profile it is configured for; and the dialect mistakes seen (docs/DIALECTS.md §7):
    /// `{"configured", "observed", "evidence", "matches", "note", "findings": [...]}`.
    static func dialectSection(checks: [ConformanceCheckRecord], configured: String) -> JSONValue {
        let fsi = checks.filter { $0.channel == .fsi }
        // What the HIS speaks now: its latest request; and what last got through: its latest accepted one.
        // (Anyone may claim a fixmedins_code: the report is a developer's diagnostic, not evidence.)
        let latest = fsi.last { $0.evidence != nil }.flatMap { $0.evidence.flatMap(DialectEvidence.init(text:)) }
        let lastAccepted = fsi.last { $0.evidence != nil && $0.outcome == .accepted }.flatMap { $0.evidence.flatMap(DialectEvidence.init(text:)) }
        var object: JSONObject = ["configured": .string(configured)]
        object["lastAccepted"] = lastAccepted.map { .string($0.profile) } ?? .null
        var findings: [String] = []
        if let latest {
            let observed = latest.profile
            // A signed cainfo is also accepted under national (a non-empty cainfo is verified there).
            let matches = observed == configured || (configured == "national" && observed == "nhsa-2.0")
            object["observed"] = .string(observed)
            object["evidence"] = .string(latest.sentence)
            object["matches"] = .bool(matches)
            object["note"] = .string(matches
                ? "the latest FSI request used \(latest.sentence): the mechanism of profile \(configured)"
                : "the latest FSI request used \(latest.sentence), the mechanism of profile \(observed), but this institution is configured for \(configured): its refusals below say what \(configured) wants (POST /admin/institutions/{code}/profile changes it)")
        } else {
            object["observed"] = .null
            object["matches"] = .bool(false)
            object["note"] = .string("no FSI request seen yet")
        }
        // A constant msgid serial: one msgid accepted for a message, then refused as a replay for a
        // different message (another transaction, or other bytes) — not a retry of the same one.
        var firstUse: [String: (transaction: String, digest: String?)] = [:]
        var reported = Set<String>()
        for check in fsi {
            guard let msgid = check.messageId else { continue }
            let digest = check.evidence.flatMap(DialectEvidence.init(text:))?.digest
            if check.outcome == .accepted, firstUse[msgid] == nil { firstUse[msgid] = (check.transaction, digest) }
            guard check.code == "MSGID_REPLAYED", let first = firstUse[msgid] else { continue }
            let differs = first.transaction != check.transaction || (first.digest != nil && digest != nil && first.digest != digest)
            if differs, reported.insert(msgid).inserted {
                let what = first.transaction != check.transaction ? "for \(first.transaction) and again for \(check.transaction)" : "for two different \(check.transaction) messages"
                findings.append("msgid \(msgid) was used \(what): two requests in one second share a msgid — the last 4 digits must be a counter, not a constant (HN-YBJ-SDK sends 1234)")
            }
        }
        // Transport mistakes the gateway diagnosed (timestamp units, unsorted CSB string, an empty cainfo where one is needed).
        for check in fsi where check.outcome == .refused {
            for line in check.diagnosis where line.contains("epoch seconds") || line.contains("epoch milliseconds") || line.contains("not sorted by name")
                || line.contains("cainfo is empty") {
                if !findings.contains(line) { findings.append(line) }
            }
        }
        object["findings"] = .array(findings.map(JSONValue.string))
        return .object(object)
    }

    /// Each 2207 whose answer was lost (the lost-answer persona) and what the HIS did next: `passed`
    /// when it reversed (2601) or queried (5203) before its next 2207, `failing` when it settled again
    /// without either — it cannot know whether the first settlement stands — `pending` until then.
    static func lostAnswers(_ checks: [ConformanceCheckRecord]) -> [JSONValue] {
        let fsi = checks.filter { $0.channel == .fsi }
        return fsi.enumerated().filter { $0.element.code == ConformanceCheckRecord.answerLostCode }.map { index, lost in
            var status = "pending", next = "nothing yet"
            for check in fsi[(index + 1)...] where check.outcome == .accepted {
                if check.transaction == "2601" || check.transaction == "5203" {
                    status = "passed"
                    next = "\(check.transaction) (\(check.transaction == "2601" ? "reversed" : "queried")) before settling again"
                    break
                }
                if check.transaction == "2207" {
                    status = "failing"
                    next = "2207 again without reversing (2601) or querying (5203) first: the first settlement may stand, the person pays twice"
                    break
                }
            }
            var object: JSONObject = ["transaction": "2207", "at": .string(Timestamps.iso(lost.at)), "status": .string(status), "next": .string(next)]
            if let msgid = lost.messageId { object["msgid"] = .string(msgid) }
            return .object(object)
        }
    }

    static func failure(_ check: ConformanceCheckRecord) -> JSONValue {
        var object: JSONObject = ["channel": .string(check.channel.rawValue), "transaction": .string(check.transaction),
                                  "at": .string(Timestamps.iso(check.at))]
        if let messageId = check.messageId { object["msgid"] = .string(messageId) }
        object["code"] = .string(check.code)
        if let rule = check.rule { object["rule"] = .string(rule) }
        object["category"] = .string(category(code: check.code, rule: check.rule).rawValue)
        object["pointer"] = .string(check.pointer ?? "")
        object["detail"] = .string(check.detail ?? "")
        if let expected = check.expected { object["expected"] = .string(expected) }
        if let actual = check.actual { object["actual"] = .string(actual) }
        if let signString = check.signString { object["signString"] = .string(signString) }
        object["diagnosis"] = .array(check.diagnosis.map(JSONValue.string))
        // HSE: the sealed data as it came and what it opened to (personal data masked when stored).
        if let sealed = check.sealed { object["sealed"] = .string(sealed) }
        if let opened = check.opened { object["opened"] = .string(opened) }
        return .object(object)
    }

    /// True when every required transaction passed (the CLI's exit status 0).
    public static func isComplete(_ report: JSONValue) -> Bool {
        let summary = report.objectValue?["summary"]?.objectValue
        return summary?["verdict"]?.stringValue == "complete" && (number(summary?["failingRequired"]) ?? 0) == 0
    }

    // MARK: Text

    /// The report as a readable table: required transactions (✓ passed, ✗ failing, · not exercised),
    /// check categories, then each failure with its diagnosis.
    public static func text(_ report: JSONValue) -> String {
        let root = report.objectValue ?? [:]
        func string(_ object: JSONObject?, _ key: String) -> String { object?[key]?.stringValue ?? "" }
        func count(_ object: JSONObject?, _ key: String) -> Int { number(object?[key]) ?? 0 }
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count) }
        func mark(_ status: String) -> String { status == "passed" ? "✓" : status == "failing" ? "✗" : "·" }
        func line(_ row: JSONObject?) -> String {
            let status = string(row, "status")
            let counts = status == "not exercised" ? "not exercised"
                : "\(count(row, "exercised")) seen, \(count(row, "accepted")) accepted, \(count(row, "refused")) refused"
            return "    \(mark(status)) " + pad("\(string(row, "channel").uppercased()) \(string(row, "transaction"))", 22)
                + pad(string(row, "name"), 34) + counts
        }

        var out: [String] = []
        let summary = root["summary"]?.objectValue
        out.append("Passive conformance of \(string(root, "institution")) — profile \(string(root, "profile")), generated \(string(root, "generatedAt"))")
        out.append("Verdict: \(string(summary, "verdict").uppercased()) — \(count(summary, "exercisedRequired")) of \(count(summary, "totalRequired")) required transactions exercised, \(count(summary, "passedRequired")) passed, \(count(summary, "failingRequired")) failing")
        if let dialect = root["dialect"]?.objectValue {
            out.append("Dialect: configured \(string(dialect, "configured")), observed \(dialect["observed"]?.stringValue ?? "—") — \(string(dialect, "note"))")
            for finding in (dialect["findings"]?.arrayValue ?? []).compactMap(\.stringValue) { out.append("  ! \(finding)") }
        }
        out.append("")
        out.append("Required transactions, judged by the latest attempt (✓ accepted, ✗ refused, · not exercised)")
        for case .object(let group) in root["required"]?.arrayValue ?? [] {
            out.append("  \(string(group, "group"))")
            for case .object(let row) in group["transactions"]?.arrayValue ?? [] { out.append(line(row)) }
        }
        let other = root["other"]?.arrayValue ?? []
        if !other.isEmpty {
            out.append("  other transactions seen")
            for case .object(let row) in other { out.append(line(row)) }
        }
        out.append("")
        out.append(pad("Checks", 22) + "passed  failed")
        for case .object(let row) in root["checks"]?.arrayValue ?? [] {
            let passed = String(count(row, "passed")), failed = String(count(row, "failed"))
            out.append("  " + pad(string(row, "name"), 20) + String(repeating: " ", count: max(0, 6 - passed.count)) + passed
                       + String(repeating: " ", count: max(0, 8 - failed.count)) + failed)
        }
        let unmapped = count(root, "unmappedItems")
        if unmapped > 0 {
            out.append("")
            out.append("Fee uploads refused for items not mapped to the catalogue (3301 maps them): \(unmapped)")
        }
        let lost = (root["lostAnswers"]?.arrayValue ?? []).compactMap(\.objectValue)
        if !lost.isEmpty {
            out.append("")
            out.append("Lost 2207 answers (the HIS must reverse with 2601 or query with 5203 before settling again)")
            for entry in lost { out.append("    \(mark(string(entry, "status"))) \(string(entry, "at"))  \(string(entry, "msgid"))  \(string(entry, "next"))") }
        }
        let failures = root["failures"]?.arrayValue ?? []
        out.append("")
        out.append(failures.isEmpty ? "No refusals." : "Refusals (\(failures.count), most recent first)")
        for (index, value) in failures.enumerated() {
            guard case .object(let failure) = value else { continue }
            var heading = "  \(index + 1). \(string(failure, "at"))  \(string(failure, "channel").uppercased()) \(string(failure, "transaction"))"
            if let msgid = failure["msgid"]?.stringValue { heading += "  (\(msgid))" }
            out.append(heading)
            let rule = failure["rule"]?.stringValue.map { " [\($0)]" } ?? ""
            let pointer = string(failure, "pointer")
            out.append("     \(string(failure, "code"))\(rule) at \(pointer.isEmpty ? "\"\" (the whole message)" : pointer)")
            out.append("     \(string(failure, "detail"))")
            if let expected = failure["expected"]?.stringValue { out.append("     expected:   \(expected)") }
            if let actual = failure["actual"]?.stringValue { out.append("     actual:     \(actual)") }
            if let signString = failure["signString"]?.stringValue { out.append("     signString: \(signString)") }
            let diagnosis = (failure["diagnosis"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !diagnosis.isEmpty {
                out.append("     diagnosis:")
                for entry in diagnosis { out.append("       - \(entry)") }
            }
        }
        return out.joined(separator: "\n")
    }

    static func number(_ value: JSONValue?) -> Int? {
        if case .number(let literal)? = value { return Int(literal) }
        return nil
    }
}
