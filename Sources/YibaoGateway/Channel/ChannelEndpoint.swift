import Foundation
import HTTPTypes
import Hummingbird
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

/// The authorised third-party channel (the national medical-insurance app / a wallet, ID-2),
/// simulated: activates a person's e-voucher, shows the dynamic QR code, and authorises an
/// institution for online payment. Bearer token per channel (GatewayConfiguration.channels).
struct ChannelEndpoint: Sendable {
    let gateway: Gateway

    func register(on router: Router<GatewayRequestContext>) {
        router.post("/channel/ec/activate") { request, _ in try await handle(request, .activate) }
        router.post("/channel/ec/qrcode") { request, _ in try await handle(request, .qrCode) }
        router.post("/channel/wallet/authorize") { request, _ in try await handle(request, .authorise) }
        // Channel-mode payment (docs/DIALECTS.md §10): the patient pays in the wallet or on the cashier page.
        router.post("/channel/wallet/pay") { request, _ in
            let channel = try channel(of: request)
            let object = try await jsonBody(request)
            let data = Fields(object, at: "")
            let payOrdId = try data.string("payOrdId", "the order 6201 created"), certno = try data.string("certno", "the paying patient's resident ID number")
            return JSONResponse.make(try await payInChannel(payOrdId: payOrdId, proof: .certno(certno), channel: channel))
        }
        router.get("/channel/cashier/:payOrdId") { request, context in
            try await cashierPage(payOrdId: try context.parameters.require("payOrdId"), token: request.uri.queryParameters.get("token") ?? "")
        }
        router.post("/channel/cashier/:payOrdId") { request, context in
            let payOrdId = try context.parameters.require("payOrdId")
            let token = FormBody.pairs(try await request.bodyBytes(limit: gateway.configuration.limits.smallBodyBytes), query: nil)["token"] ?? ""
            let answer = (try await payInChannel(payOrdId: payOrdId, proof: .cashierToken(token), channel: "cashier")).objectValue ?? [:]
            return Self.html("Paid", "<p>Order <code>\(Self.escape(payOrdId))</code> is now <b>\(Self.escape(answer[key: "ordStasName"]))</b> (ordStas \(Self.escape(answer[key: "ordStas"]))). The hospital learns it by callback or 6301.</p>")
        }
    }

    private func jsonBody(_ request: Request) async throws -> JSONObject {
        let bytes = try await request.bodyBytes(limit: gateway.configuration.limits.smallBodyBytes)
        guard let object = (try? JSONValue.parse(bytes))?.objectValue else {
            throw Problem(status: 400, code: .bodyNotJson, rule: nil, pointer: "", detail: "the body must be a JSON object")
        }
        return object
    }

    private func payInChannel(payOrdId: String, proof: ChannelPaymentProof, channel: String) async throws -> JSONValue {
        let now = await gateway.clock.now()
        return try await gateway.store.write { store in
            var app: AppCredential?
            if let order = try await store.paymentOrder(payOrdId: payOrdId) { app = try await store.app(institutionCode: order.institutionCode) }
            let profile = gateway.configuration.dialect(named: app?.profile)
            let services = PaymentServices(policy: gateway.configuration.policy, settlement: gateway.settlement, dialect: profile.payment)
            return try await services.payInChannel(payOrdId: payOrdId, proof: proof, channel: channel, profile: profile.name, store: store, now: now)
        }
    }

    /// The platform's cashier page of an order (its `cashierUrl`): amounts and one button; no personal data.
    private func cashierPage(payOrdId: String, token: String) async throws -> Response {
        let order = try await gateway.store.read { try await PaymentServices.cashierOrder(payOrdId: payOrdId, token: token, store: $0) }
        let state = order.status == .awaitingPayment
            ? "<form method=\"post\"><input type=\"hidden\" name=\"token\" value=\"\(Self.escape(token))\"><button type=\"submit\">Pay with medical insurance</button></form>"
            : "<p>This order is \(Self.escape(order.status.label)) (ordStas \(order.status.rawValue)).</p>"
        return Self.html("Cashier", """
            <p>Order <code>\(Self.escape(order.payOrdId))</code> of \(Self.escape(order.institutionCode))</p>
            <table><tr><th>Total</th><td>\(Money.yuan(order.feeSumFen))</td></tr><tr><th>Fund</th><td>\(Money.yuan(order.fundFen))</td></tr>
            <tr><th>Personal account</th><td>\(Money.yuan(order.accountFen))</td></tr><tr><th>Cash</th><td>\(Money.yuan(order.cashFen))</td></tr></table>
            \(state)
            """)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func html(_ title: String, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
        let page = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>yibao — \(title)</title><h1>yibao cashier (simulated)</h1>\(body)</html>"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    private func channel(of request: Request) throws -> String {
        let header = request.headers[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), let id = gateway.configuration.channels.first(where: { "Bearer \($0.value)" == header })?.key else {
            throw Problem(status: 401, code: .channelUnauthorised, rule: Rule.id2.rawValue, pointer: "",
                          detail: "the e-voucher is activated and shown only through an authorised channel: send Authorization: Bearer <channel token> (certs/demo-credentials.json)")
        }
        return id
    }

    private func handle(_ request: Request, _ action: ChannelAction) async throws -> Response {
        let now = await gateway.clock.now()
        let channel = try channel(of: request)
        let bytes = try await request.bodyBytes(limit: gateway.configuration.limits.smallBodyBytes)
        guard let object = (try? JSONValue.parse(bytes))?.objectValue else {
            throw Problem(status: 400, code: .bodyNotJson, rule: nil, pointer: "", detail: "the body must be a JSON object")
        }
        let services = ChannelServices(vouchers: gateway.configuration.policy.vouchers)
        let result = try await gateway.store.write { store in
            try await services.run(action, data: Fields(object, at: ""), channel: channel, store: store, now: now)
        }
        return JSONResponse.make(result)
    }
}

/// `POST /__clock/advance {"seconds": N}` and `GET /__clock`: only on a gateway started with a test
/// clock, and only with the admin token (moving the clock changes every deadline of every party).
struct TestClockEndpoint: Sendable {
    let gateway: Gateway
    /// Longest single move: ten years.
    static let maximumAdvanceSeconds = 10.0 * 366 * 86_400

    func register(on router: Router<GatewayRequestContext>) {
        let clock = router.group("/__clock").add(middleware: BearerMiddleware(token: gateway.configuration.adminToken, realm: "admin"))
        clock.get { _, _ in
            JSONResponse.make(.object(["now": .string(Timestamps.iso(await gateway.clock.now()))]))
        }
        clock.post("/advance") { request, _ in
            let object = (try? JSONValue.parse(try await request.bodyBytes(limit: gateway.configuration.limits.smallBodyBytes)))?.objectValue ?? [:]
            guard case .number(let literal)? = object["seconds"], let seconds = Double(literal), seconds >= 0, seconds <= Self.maximumAdvanceSeconds else {
                throw Problem(status: 400, code: .fieldInvalid, rule: nil, pointer: "/seconds",
                              detail: "seconds must be a number from 0 to \(Int(Self.maximumAdvanceSeconds)) (ten years)")
            }
            let now = try await gateway.clock.advance(by: seconds)
            return JSONResponse.make(.object(["now": .string(Timestamps.iso(now))]))
        }
    }
}
