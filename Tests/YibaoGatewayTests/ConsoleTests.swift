import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import Testing
@testable import YibaoClient
import YibaoCore
@testable import YibaoServices
import YibaoCrypto
@testable import YibaoGateway
import YibaoStore
import YibaoTestSupport

/// The web console's routes through a live in-process gateway: sign-in, the session and form
/// tokens, and the resend and trigger buttons doing what they say (the pages in a real browser:
/// tools/testing/console_browser.py, run by ConsoleBrowserTests).
@Suite("Web console")
struct ConsoleTests {
    /// A client that does not follow redirects: the tests look at each 303 and its cookie.
    static let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    struct Browser {
        let base: String
        var cookie: String?

        func send(_ path: String, form: [String: String]? = nil) async throws -> (status: Int, body: String, location: String?, setCookie: String?) {
            var request = HTTPClientRequest(url: base + path)
            if let form {
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
                request.body = .bytes(ByteBuffer(string: body))
            }
            if let cookie { request.headers.add(name: "Cookie", value: "yibao_console=\(cookie)") }
            let response = try await ConsoleTests.http.execute(request, timeout: .seconds(30))
            let body = String(buffer: try await response.body.collect(upTo: 8 << 20))
            return (Int(response.status.code), body, response.headers.first(name: "Location"), response.headers.first(name: "Set-Cookie"))
        }

        /// The session's form token, read from a page.
        func formToken() async throws -> String {
            let page = try await send("/console")
            let range = try #require(page.body.range(of: #"name="form" value="[0-9a-f]+""#, options: .regularExpression))
            return String(page.body[range].dropFirst(#"name="form" value=""#.count).dropLast())
        }
    }

    @Test("sign-in: a wrong token is refused on the page, the right one sets an HttpOnly SameSite=Strict cookie that is not the token; without a session pages send you to sign in; a form without its token is refused")
    func signIn() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app(callbacks: false).test(.live) { live in
            var browser = Browser(base: "http://127.0.0.1:\(try #require(live.port))")
            let login = try await browser.send("/console")
            #expect(login.status == 200 && login.body.contains("Sign in") && !login.body.contains("Institutions"))
            let wrong = try await browser.send("/console/login", form: ["token": "not-the-token"])
            #expect(wrong.status == 401 && wrong.body.contains("That is not the admin token") && wrong.setCookie == nil)
            let right = try await browser.send("/console/login", form: ["token": harness.credentials.adminToken])
            #expect(right.status == 303 && right.location == "/console")
            let setCookie = try #require(right.setCookie)
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && !setCookie.contains(harness.credentials.adminToken))
            browser.cookie = String(try #require(setCookie.split(separator: ";").first).dropFirst("yibao_console=".count))
            let overview = try await browser.send("/console")
            #expect(overview.status == 200 && overview.body.contains("Tianjin First Central Hospital") && overview.body.contains("(test clock)"))
            #expect(!overview.body.contains(harness.credentials.adminToken))

            // A forged or stale cookie is no session.
            let forged = Browser(base: browser.base, cookie: "v1.9999999999.00")
            #expect(try await forged.send("/console/institutions/\(Demo.hospital)").status == 303)
            // A form without the session's form token changes nothing.
            let before = await harness.gateway.clock.now()
            let refused = try await browser.send("/console/clock/advance", form: ["seconds": "86400"])
            #expect(refused.status == 403 && refused.body.contains("did not come from this console session"))
            #expect(await harness.gateway.clock.now().timeIntervalSince(before) < 3600)
            // With it, the clock moves; a non-number is refused naming the field.
            let token = try await browser.formToken()
            #expect(try await browser.send("/console/clock/advance", form: ["seconds": "86400", "form": token]).status == 303)
            #expect(await harness.gateway.clock.now().timeIntervalSince(before) >= 86_400)
            let bad = try await browser.send("/console/clock/advance", form: ["seconds": "soon", "form": token])
            #expect(bad.status == 400 && bad.body.contains("seconds must be a number"))
            // Signing out clears the cookie.
            let out = try await browser.send("/console/logout", form: ["form": token])
            #expect(out.status == 303 && out.setCookie?.contains("Max-Age=0") == true)
        }
    }

    @Test("the resend button queues the order's callback again (the same bytes reach the hospital); trigger queues a new one of the order's state, signed by the platform; both are traced")
    func resendAndTrigger() async throws {
        let receiver = PaymentFlowTests.Receiver(failures: 0)
        let router = Router()
        router.post("/notify") { request, _ -> Response in
            _ = await receiver.receive(String(buffer: try await request.body.collect(upTo: 1 << 20)))
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"code":0,"message":"ok"}"#)))
        }
        let hospitalApp = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await hospitalApp.test(.live) { hospitalSide in
            let receiverPort = try #require(hospitalSide.port)
            try await PaymentFlowTests().withContext(callbacks: false) { context in
                let admin = context.harness.credentials.adminToken
                _ = try await HTTP.post(.shared, url: "http://127.0.0.1:\(context.port)/admin/institutions/\(Demo.hospital)/callback",
                                        body: Array(#"{"url":"http://127.0.0.1:\#(receiverPort)/notify"}"#.utf8), bearer: admin)
                let (mdtrtId, payAuthNo) = try await context.visitAndAuthorisation()
                let upload = context.feeUpload(mdtrtId: mdtrtId, payAuthNo: payAuthNo)
                let order = try await context.hospital.hse(service: "uldFeeInfo", data: .object(upload)).objectValue ?? [:]
                let payOrdId = order[key: "payOrdId"]
                let paid = try await context.hospital.hse(service: "pay_order", data: .object([
                    "payAuthNo": .string(payAuthNo), "payOrdId": .string(payOrdId), "payToken": .string(order[key: "payToken"]),
                    "orgCodg": .string(Demo.hospital), "orgBizSer": "BIZ1", "chrgBchno": .string(upload[key: "chrgBchno"]), "mdtrtId": .string(mdtrtId),
                    "acctUsedFlag": "1"])).objectValue ?? [:]
                let billNo = try #require(paid["receipt"]?.objectValue?[key: "billNo"])
                let dispatcher = CallbackDispatcher(gateway: context.harness.gateway)
                #expect(try await dispatcher.deliverDue() == 1)

                var browser = Browser(base: "http://127.0.0.1:\(context.port)")
                let signedIn = try await browser.send("/console/login", form: ["token": admin])
                browser.cookie = String(try #require(signedIn.setCookie?.split(separator: ";").first).dropFirst("yibao_console=".count))
                let page = try await browser.send("/console/institutions/\(Demo.hospital)")
                #expect(page.status == 200 && page.body.contains(payOrdId) && page.body.contains("delivered · 1 attempt(s)"))
                // PY-11: the payment's e-bill is listed with its number.
                #expect(page.body.contains("id=\"receipts\"") && page.body.contains(billNo) && page.body.contains("eBill"))
                // The decrypted 6201 data is shown masked: the payAuthNo never in clear.
                #expect(page.body.contains("decrypted (personal data masked)") && !page.body.contains(payAuthNo))
                let token = try await browser.formToken()

                let resent = try await browser.send("/console/orders/\(payOrdId)/resend", form: ["form": token])
                #expect(resent.status == 303 && resent.location == "/console/institutions/\(Demo.hospital)?done=resend#orders")
                #expect(try await dispatcher.deliverDue() == 1)
                var bodies = await receiver.bodies
                #expect(bodies.count == 2 && bodies[0] == bodies[1], "resend: the same sealed bytes")

                let triggered = try await browser.send("/console/orders/\(payOrdId)/trigger", form: ["form": token])
                #expect(triggered.status == 303)
                #expect(try await dispatcher.deliverDue() == 1)
                bodies = await receiver.bodies
                #expect(bodies.count == 3 && bodies[2] != bodies[0], "trigger: a new callback")
                let credentials = try context.harness.clientCredentials()
                let opened = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
                    .open(Array(bodies[2].utf8), peerPublicKey: credentials.platformPublicKey, now: nil).get()
                #expect(opened.data?.objectValue?[key: "payOrdId"] == payOrdId && opened.data?.objectValue?[key: "ordStas"] == "6")
                let after = try await browser.send("/console/institutions/\(Demo.hospital)?done=trigger")
                #expect(after.body.contains("A new callback of the order") && after.body.components(separatedBy: "class=\"callback\"").count - 1 == 2)

                let unknown = try await browser.send("/console/orders/ORD0/resend", form: ["form": token])
                #expect(unknown.status == 404 && unknown.body.contains("ORDER_UNKNOWN"))
                let trace = try await context.harness.gateway.store.read { try await $0.traceEntries(from: 1, limit: 5000) }
                #expect(trace.contains { $0.kind == "console.callback.resend" && $0.subject == payOrdId })
                #expect(trace.contains { $0.kind == "console.callback.trigger" && $0.subject == payOrdId })
            }
        }
    }
}

/// The console in headless Chromium (tools/testing/console_browser.py, Selenium): the pages render,
/// a refusal the script makes is shown with its code, rule and diagnosis, the verify and advance
/// buttons do what they say, and a page fits a phone's width. CI installs Chromium (scripts/ensure-deps.sh
/// with YIBAO_WITH_BROWSER=1), so there the test always runs.
@Suite("Web console in a browser")
struct ConsoleBrowserTests {
    static var browserAvailable: Bool {
        ["/usr/bin/chromium", "/usr/bin/chromedriver"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
            && ProcessInfo.processInfo.environment["YIBAO_SKIP_BROWSER"] == nil
    }

    @Test("headless Chromium: sign in, see the test's refusal with its diagnosis, verify the trace, advance the clock, read it on a phone",
          .enabled(if: browserAvailable || ProcessInfo.processInfo.environment["CI"] != nil, "needs chromium and chromium-driver (YIBAO_WITH_BROWSER=1 scripts/ensure-deps.sh)"))
    func browser() async throws {
        let server = try ListeningProcess.serve(dataDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("yibao-console-\(UUID().uuidString)").path,
                                                extra: ["--test-clock"])
        defer { server.stop() }
        let run = try await EndToEndTests.run("/usr/bin/env", ["python3", GatewayHarness.packageRoot.path + "/tools/testing/console_browser.py", "--gateway", server.url])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr.suffix(2000))")
        #expect(run.stdout.contains("console: 0 failed"), "\(run.stdout)")
    }
}
