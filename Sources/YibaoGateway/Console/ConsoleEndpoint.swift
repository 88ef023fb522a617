import Foundation
import Hummingbird
import HTTPTypes
import Mustache
import NIOCore
import YibaoCore
import YibaoCrypto
import YibaoServices
import YibaoStore

/// The web console at `/console` (docs/GATEWAY.md §14): server-rendered pages (swift-mustache, no
/// external assets, no scripts) of what the gateway saw — per institution its traffic with every
/// refusal's code, rule, pointer and diagnosis and the decrypted HSE data beside the sealed one,
/// the passive verdict, payment orders with their callbacks (resend, trigger), prescriptions —
/// plus filings, the trace with a verify button and the test clock. Signed in with the admin
/// token; inside a sandbox (`/sandboxes/{id}/console`) it shows that sandbox's world.
struct ConsoleEndpoint: Sendable {
    let gateway: Gateway
    var session: ConsoleSession { ConsoleSession(adminToken: gateway.configuration.adminToken) }
    /// Set by ``SandboxingResponder`` on a request it routed by path prefix: the links' base.
    static let prefixHeader = HTTPField.Name("X-Yibao-Sandbox-Prefix")!
    /// Most traffic rows and trace entries shown.
    static let rows = 100

    func register(on router: Router<GatewayRequestContext>) {
        router.get("/console") { request, _ in
            await page(request) { view in
                guard view.signedIn else { return try render("login", view, ["title": "Sign in"]) }
                return try render("overview", view, try await overview())
            }
        }
        router.post("/console/login") { request, context in
            await page(request) { view in
                try await gateway.admit(context)
                let form = FormBody.pairs(try await request.bodyBytes(limit: gateway.configuration.limits.smallBodyBytes), query: nil)
                guard ConsoleSession.equal(form["token"] ?? "", gateway.configuration.adminToken) else {
                    gateway.limiter.charge(context.sourceKey)
                    return try render("login", view, ["title": "Sign in", "error": "That is not the admin token of this gateway."], status: .unauthorized)
                }
                let cookie = session.issue()
                var response = Self.redirect(view.base + "/console")
                response.headers[.setCookie] = "\(ConsoleSession.cookieName)=\(cookie); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(ConsoleSession.lifetime))"
                return response
            }
        }
        router.post("/console/logout") { request, _ in
            await page(request) { view in
                var response = Self.redirect(view.base + "/console")
                response.headers[.setCookie] = "\(ConsoleSession.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
                return response
            }
        }
        router.get("/console/institutions/:code") { request, context in
            await page(request) { view in
                guard view.signedIn else { return Self.redirect(view.base + "/console") }
                let code = try context.parameters.require("code")
                let onlyRefused = request.uri.queryParameters.get("only") == "refused"
                let done = request.uri.queryParameters.get("done")
                return try render("institution", view, try await institution(code, onlyRefused: onlyRefused, done: done, form: view.form))
            }
        }
        router.get("/console/trace") { request, _ in
            await page(request) { view in
                guard view.signedIn else { return Self.redirect(view.base + "/console") }
                return try render("trace", view, try await trace(verified: nil))
            }
        }
        router.post("/console/trace/verify") { request, _ in
            await action(request) { view, _ in
                try render("trace", view, try await trace(verified: try await TraceAudit.verify(gateway.store)))
            }
        }
        router.post("/console/orders/:payOrdId/resend") { request, context in
            await callbackAction(request, context, done: "resend") { try await $0.resend(payOrdId: $1, store: $2, now: $3) }
        }
        router.post("/console/orders/:payOrdId/trigger") { request, context in
            await callbackAction(request, context, done: "trigger") { try await $0.trigger(payOrdId: $1, store: $2, now: $3) }
        }
        router.post("/console/clock/advance") { request, _ in
            await action(request) { view, form in
                guard gateway.configuration.testClock else {
                    throw Problem(status: 409, code: .httpError, rule: nil, pointer: "/seconds",
                                  detail: "this gateway runs on the real clock: start it with --test-clock, or use a sandbox (POST /admin/sandboxes)")
                }
                guard let seconds = Double(form["seconds"] ?? ""), seconds >= 0, seconds <= TestClockEndpoint.maximumAdvanceSeconds else {
                    throw Problem(status: 400, code: .fieldInvalid, rule: nil, pointer: "/seconds",
                                  detail: "seconds must be a number from 0 to \(Int(TestClockEndpoint.maximumAdvanceSeconds)) (ten years)")
                }
                _ = try await gateway.clock.advance(by: seconds)
                return Self.redirect(view.base + "/console")
            }
        }
    }

    /// An order's callback button: `act` in one write transaction, then back to the institution's orders.
    func callbackAction(_ request: Request, _ context: GatewayRequestContext, done: String,
                        _ act: @escaping @Sendable (CallbackControl, String, any StoreWriting, Date) async throws -> Callback) async -> Response {
        await action(request) { view, _ in
            let payOrdId = try context.parameters.require("payOrdId")
            let now = await gateway.clock.now()
            let control = CallbackControl(settlement: gateway.settlement)
            let callback = try await gateway.store.write { try await act(control, payOrdId, $0, now) }
            return Self.redirect(view.base + "/console/institutions/\(Self.pathSafe(callback.institutionCode))?done=\(done)#orders")
        }
    }

    // MARK: Pages

    /// What every page knows: the links' base, whether the visitor is signed in, the form token.
    struct View: Sendable {
        var base: String
        var sandbox: String?
        var signedIn: Bool
        var form: String
    }

    func view(_ request: Request) -> View {
        let base = request.headers[Self.prefixHeader].flatMap { value -> String? in
            // Only the form the sandbox router writes: anything else would let a header steer links and redirects.
            let id = String(value.dropFirst(SandboxDirectory.pathPrefix.count))
            return value.hasPrefix(SandboxDirectory.pathPrefix) && SandboxRecord.isWellFormed(id) ? value : nil
        } ?? ""
        let cookie = ConsoleSession.cookie(in: request.headers[.cookie])
        let signedIn = session.isValid(cookie)
        return View(base: base, sandbox: base.isEmpty ? nil : String(base.dropFirst(SandboxDirectory.pathPrefix.count)), signedIn: signedIn,
                    form: signedIn ? session.formToken(for: cookie ?? "") : "")
    }

    /// A page: refusals become an HTML page with the problem's code, rule and sentence.
    func page(_ request: Request, _ body: (View) async throws -> Response) async -> Response {
        let view = view(request)
        do {
            return try await body(view)
        } catch {
            let problem: Problem = switch error {
            case let problem as Problem: problem
            case let error as DomainError: Problem(error)
            default: Problem(status: 500, code: .internalError, rule: nil, pointer: "", detail: "the console failed (\(type(of: error)))")
            }
            let status = HTTPResponse.Status(code: problem.statusCode)
            var response = (try? render("message", view, ["title": problem.title, "heading": problem.title, "code": problem.code, "rule": problem.rule ?? "",
                                                          "detail": problem.detail], status: status))
                ?? Response(status: status)
            if let retryAfter = problem.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
            return response
        }
    }

    /// A form's action: signed in (else back to the sign-in page) and carrying the session's form token.
    func action(_ request: Request, _ body: @escaping (View, [String: String]) async throws -> Response) async -> Response {
        await page(request) { view in
            guard view.signedIn else { return Self.redirect(view.base + "/console") }
            let form = FormBody.pairs(try await request.bodyBytes(limit: gateway.configuration.limits.smallBodyBytes), query: nil)
            guard session.acceptsForm(form["form"], cookie: ConsoleSession.cookie(in: request.headers[.cookie]) ?? "") else {
                throw Problem(status: 403, code: .unauthorised, rule: nil, pointer: "/form",
                              detail: "the form did not come from this console session; reload the page and try again")
            }
            return try await body(view, form)
        }
    }

    func render(_ template: String, _ view: View, _ values: [String: Any], status: HTTPResponse.Status = .ok) throws -> Response {
        var context = values
        context["base"] = view.base
        context["signedIn"] = view.signedIn
        context["form"] = view.form
        if let sandbox = view.sandbox { context["sandbox"] = sandbox }
        guard let html = ConsoleTemplates.library.render(context, withTemplate: template) else {
            throw Problem(status: 500, code: .internalError, rule: nil, pointer: "", detail: "the console has no page \(template)")
        }
        return Response(status: status, headers: Self.headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// No scripts, no framing, forms to this origin only.
    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        .cacheControl: "no-store",
    ]

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// A code as a path segment (institution codes are letters and digits; anything else is escaped).
    static func pathSafe(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }

    // MARK: Data

    func overview() async throws -> [String: Any] {
        let store = gateway.store
        let (institutions, apps, persons) = try await store.read { (try await $0.institutions(), try await $0.apps(), try await $0.persons()) }
        let profiles = Dictionary(apps.map { ($0.institutionCode, $0.profile) }, uniquingKeysWith: { first, _ in first })
        var rows: [[String: Any]] = []
        for institution in institutions.sorted(by: { $0.code < $1.code }) {
            let seen = try await store.read { try await $0.conformanceCheckCount(institutionCode: institution.code) }
            rows.append(["code": institution.code, "name": institution.name, "kind": institution.kind.rawValue,
                         "profile": (profiles[institution.code] ?? nil) ?? gateway.configuration.defaultDialect,
                         "entity": institution.entity?.state.rawValue ?? "none", "internetPlus": institution.internetPlus?.state.rawValue ?? "none",
                         "requests": seen])
        }
        var filings: [[String: Any]] = []
        for person in persons {
            for filing in try await store.read({ try await $0.filings(psnNo: person.psnNo) }) {
                filings.append(["id": filing.filingId, "person": filing.psnNo, "kind": filing.kind.rawValue,
                                "period": Timestamps.day(filing.start) + " → " + (filing.end.map(Timestamps.day) ?? "open"),
                                "status": filing.status.rawValue, "extra": filing.extraInstitutions.joined(separator: ", ")])
            }
        }
        var values: [String: Any] = ["title": "Overview", "now": Timestamps.iso(await gateway.clock.now()), "testClock": gateway.configuration.testClock,
                                     "institutions": rows, "filings": filings]
        if let sandboxes = gateway.sandboxes {
            let records = try await sandboxes.records()
            values["hasSandboxes"] = !records.isEmpty
            values["sandboxes"] = records.map { ["id": $0.id, "label": $0.label ?? "", "createdAt": Timestamps.iso($0.createdAt)] as [String: Any] }
        }
        return values
    }

    func institution(_ code: String, onlyRefused: Bool, done: String?, form: String) async throws -> [String: Any] {
        let store = gateway.store
        let (found, app, checks, orders, callbacks, issued) = try await store.read { store in
            (try await store.institution(code: code), try await store.app(institutionCode: code), try await store.conformanceChecks(institutionCode: code),
             try await store.paymentOrders(institutionCode: code), try await store.callbacks(institutionCode: code, limit: 1000),
             try await store.prescriptions(institutionCode: code, limit: Self.rows))
        }
        let settlements = try await store.read { try await $0.outpatientSettlements(institutionCode: code) }
        guard let institution = found else {
            throw Problem(status: 404, code: .institutionUnknown, rule: nil, pointer: "", detail: "no institution \(code) on this gateway")
        }
        let dialect = gateway.configuration.dialect(named: app?.profile)
        let report = PassiveConformanceReport.make(institution: code, checks: checks, profile: gateway.configuration.policy.name,
                                                   at: await gateway.clock.now(), dialect: dialect.name, prerequisites: dialect.fsi.beforeSettlement)
        let summary = report.objectValue?["summary"]?.objectValue ?? [:]
        var failing: [String] = []
        for group in report.objectValue?["required"]?.arrayValue ?? [] {
            for row in group.objectValue?["transactions"]?.arrayValue ?? [] where row.objectValue?["status"]?.stringValue == "failing" {
                let row = row.objectValue ?? [:]
                failing.append("\(row["channel"]?.stringValue ?? "") \(row["transaction"]?.stringValue ?? "") — \(row["name"]?.stringValue ?? "")")
            }
        }
        let shown = checks.reversed().filter { !onlyRefused || $0.outcome == .refused }.prefix(Self.rows)
        let traffic: [[String: Any]] = shown.map { check in
            var row: [String: Any] = ["at": Timestamps.iso(check.at), "channel": check.channel.rawValue, "transaction": check.transaction,
                                      "outcome": check.outcome.rawValue, "code": check.code, "messageId": check.messageId ?? "",
                                      "diagnosis": check.diagnosis]
            for (key, value) in [("rule", check.rule), ("pointer", check.pointer), ("detail", check.detail), ("expected", check.expected),
                                 ("actual", check.actual), ("sealed", check.sealed), ("opened", check.opened)] {
                if let value, !value.isEmpty { row[key] = value }
            }
            return row
        }
        let byOrder = Dictionary(grouping: callbacks, by: \.payOrdId)
        let orderRows: [[String: Any]] = orders.sorted { $0.createdAt > $1.createdAt }.prefix(Self.rows).map { order in
            ["payOrdId": order.payOrdId, "medOrgOrd": order.medOrgOrd, "createdAt": Timestamps.iso(order.createdAt),
             "status": "\(order.status) (\(order.status.rawValue))",
             "amounts": "\(Money.yuan(order.fundFen)) / \(Money.yuan(order.accountFen)) / \(Money.yuan(order.cashFen))",
             "form": form,
             "callbacks": (byOrder[order.payOrdId] ?? []).sorted { $0.createdAt < $1.createdAt }.map { callback in
                 ["state": callback.state.rawValue, "attempts": callback.attempts, "createdAt": Timestamps.iso(callback.createdAt),
                  "log": callback.log] as [String: Any]
             }]
        }
        // PY-11: the receipts of its settlements, FSI (2207, 2102) and mobile payment (6202), newest first.
        let receipts: [[String: Any]] = (settlements.compactMap { settlement in settlement.receipt.map { ($0, settlement.setlId, "FSI \(settlement.status.rawValue)") } }
            + orders.compactMap { order in order.receipt.map { ($0, order.setlId ?? order.payOrdId, "6202 \(order.status.rawValue)") } })
            .sorted { $0.0.issuedAt > $1.0.issuedAt }.prefix(Self.rows).map { receipt, settlement, via in
                ["kind": receipt.kind.rawValue, "number": [receipt.billCode, receipt.billNo].filter { !$0.isEmpty }.joined(separator: " / "),
                 "checkCode": receipt.checkCode, "amount": Money.yuan(receipt.amountFen), "issuedAt": Timestamps.iso(receipt.issuedAt),
                 "settlement": settlement, "via": via] as [String: Any]
            }
        let prescriptions: [[String: Any]] = issued.map { record in
            ["hiRxno": record.hiRxno, "hospRxno": record.hospRxno, "stage": record.stage.rawValue,
             "at": Timestamps.iso(record.prescribedAt), "dispensed": record.dispensings.map(\.dispenseNo).joined(separator: ", ")]
        }
        let notices = ["resend": "The order's latest callback was queued again; it is delivered within a second.",
                       "trigger": "A new callback of the order's current state was queued; it is delivered within a second."]
        var values: [String: Any] = [
            "title": institution.name, "code": institution.code, "name": institution.name,
            "profile": app?.profile ?? gateway.configuration.defaultDialect,
            "entity": institution.entity?.state.rawValue ?? "none", "internetPlus": institution.internetPlus?.state.rawValue ?? "none",
            "verdict": summary["verdict"]?.stringValue ?? "?", "passedRequired": Self.text(summary["passedRequired"]),
            "totalRequired": Self.text(summary["totalRequired"]), "failingRequired": Self.text(summary["failingRequired"]),
            "failingTransactions": failing, "traffic": traffic, "shown": traffic.count, "total": checks.count, "onlyRefused": onlyRefused,
            "orders": orderRows, "prescriptions": prescriptions, "receipts": Array(receipts),
        ]
        if let done, let notice = notices[done] { values["notice"] = notice }
        return values
    }

    func trace(verified: TraceVerifier.Report?) async throws -> [String: Any] {
        let head = try await gateway.store.read { try await $0.traceHead() }
        let from = max(1, (head?.seq ?? 0) - Int64(Self.rows) + 1)
        let entries = try await gateway.store.read { try await $0.traceEntries(from: from, limit: Self.rows) }
        var values: [String: Any] = ["title": "Trace", "entries_": entries.reversed().map { entry in
            ["seq": entry.seq, "at": Timestamps.iso(Date(timeIntervalSince1970: Double(entry.atMillis) / 1000)), "kind": entry.kind, "actor": entry.actor, "subject": entry.subject,
             "outcome": entry.outcome] as [String: Any]
        }]
        if let verified {
            values["verified"] = true
            values["intact"] = verified.isIntact
            values["verdict"] = verified.isIntact ? "The trace is intact" : "The trace is broken"
            values["entries"] = verified.entries
            if let head = verified.head { values["head"] = head.seq }
            values["problems"] = verified.problems.map(\.description)
        }
        return values
    }

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text)?: text
        case .number(let text)?: text
        default: "0"
        }
    }
}
