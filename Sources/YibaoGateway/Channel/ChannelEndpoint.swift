import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto
import YibaoStore

/// The authorised third-party channel (the national medical-insurance app / a wallet, ID-2),
/// simulated: activates a person's e-voucher, shows the dynamic QR code, and authorises an
/// institution for online payment. Bearer token per channel (GatewayConfiguration.channels).
struct ChannelEndpoint: Sendable {
    let gateway: Gateway

    func register(on router: Router<GatewayRequestContext>) {
        router.post("/channel/ec/activate") { request, _ in try await handle(request, "activate") }
        router.post("/channel/ec/qrcode") { request, _ in try await handle(request, "qrcode") }
        router.post("/channel/wallet/authorize") { request, _ in try await handle(request, "authorize") }
    }

    private func channel(of request: Request) throws -> String {
        let header = request.headers[.authorization] ?? ""
        guard header.hasPrefix("Bearer "), let id = gateway.configuration.channels.first(where: { "Bearer \($0.value)" == header })?.key else {
            throw DomainError(.init("CHANNEL_UNAUTHORISED"), .unauthenticated, rule: .id2, pointer: "",
                              "the e-voucher is activated and shown only through an authorised channel: send Authorization: Bearer <channel token> (certs/demo-credentials.json)")
        }
        return id
    }

    private func handle(_ request: Request, _ action: String) async throws -> Response {
        let now = await gateway.clock.now()
        let channel = try channel(of: request)
        let bytes = try await request.bodyBytes(limit: gateway.configuration.limits.smallBodyBytes)
        guard let object = (try? JSONValue.parse(bytes))?.objectValue else {
            throw Problem(status: 400, code: "BODY_NOT_JSON", rule: nil, pointer: "", detail: "the body must be a JSON object")
        }
        let data = Fields(object, at: "")
        let policy = gateway.configuration.policy.vouchers
        let result = try await gateway.store.write { store -> JSONValue in
            let certno = try data.string("certno", "the insured person's resident ID number")
            guard var person = try store.person(certno: certno) else {
                throw DomainError(.init("PERSON_UNKNOWN"), .notFound, rule: .id1, pointer: "/certno", "no insured person with this resident ID number")
            }
            try person.requireRealName(pointer: "/certno")
            switch action {
            case "activate":
                let name = try data.string("name")
                guard name == person.name else {
                    throw DomainError(.init("PERSON_NAME_MISMATCH"), .forbidden, rule: .id3, pointer: "/name",
                                      "the name does not match the insured person's registered name; correct the information first")
                }
                person.voucherActivated = true
                try store.save(person)
                try store.appendTrace(TraceEvent(at: now, kind: "channel.ec.activate", actor: channel, subject: person.psnNo))
                return .object(["activated": .bool(true), "ecIndexNo": .string(ECIndex.number(for: person))])
            case "qrcode":
                try requireActivated(person)
                let qr = VoucherQRCode(code: "ECQR" + TokenGenerator.hex(bytes: 16), psnNo: person.psnNo, channel: channel, issuedAt: now,
                                       expiresAt: now.addingTimeInterval(TimeInterval(policy.qrCodeLifetimeSeconds)))
                try store.save(qr)
                try store.appendTrace(TraceEvent(at: now, kind: "channel.ec.qrcode", actor: channel, subject: person.psnNo))
                return .object(["qrCode": .string(qr.code), "expireTime": .string(Timestamps.fsi(qr.expiresAt))])
            default:
                try requireActivated(person)
                let orgCodg = try data.string("orgCodg", "the institution the patient authorises")
                guard try store.institution(code: orgCodg) != nil else {
                    throw DomainError(.init("INSTITUTION_UNKNOWN"), .notFound, rule: .ag1, pointer: "/orgCodg", "no institution \(orgCodg)")
                }
                let authorisation = WalletAuthorisation(authCode: "AC" + TokenGenerator.hex(bytes: 12), psnNo: person.psnNo, institutionCode: orgCodg,
                                                        issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(policy.authCodeLifetimeSeconds)))
                try store.save(authorisation)
                try store.appendTrace(TraceEvent(at: now, kind: "channel.wallet.authorize", actor: channel, subject: person.psnNo, payload: ["orgCodg": orgCodg]))
                return .object(["authCode": .string(authorisation.authCode), "expireTime": .string(Timestamps.fsi(authorisation.expiresAt))])
            }
        }
        return JSONResponse.make(result)
    }

    private func requireActivated(_ person: InsuredPerson) throws {
        guard person.voucherActivated else {
            throw DomainError(.init("VOUCHER_NOT_ACTIVATED"), .forbidden, rule: .id2, pointer: "/certno",
                              "the person's e-voucher is not activated; activate it through an authorised channel first (POST /channel/ec/activate)")
        }
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
                throw Problem(status: 400, code: "FIELD_INVALID", rule: nil, pointer: "/seconds",
                              detail: "seconds must be a number from 0 to \(Int(Self.maximumAdvanceSeconds)) (ten years)")
            }
            let now = await gateway.clock.advance(by: seconds)
            return JSONResponse.make(.object(["now": .string(Timestamps.iso(now))]))
        }
    }
}
