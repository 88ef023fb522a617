import Foundation
import Hummingbird
import HTTPTypes
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

/// HSE envelope services (`POST /hse/{service}`): the e-voucher QR query `ec.query` and the
/// wallet authorisation exchange `ec.payAuth`. Requests and answers are sealed envelopes
/// (docs/ENVELOPE.md); refusals are problem+json.
struct HSEEndpoint: Sendable {
    static let services = HSEService.allNames
    let gateway: Gateway

    func register(on router: Router<GatewayRequestContext>) {
        // The test environment's e-voucher decode path, as the official DLL calls it: always ec.query.
        router.post("/localcfc/api/hsecfc/localQrCodeQuery") { request, context in
            try await receive(request, context, service: "ec.query")
        }
        // /hse/{service}; mobile payment's own prefix (PROTOCOL.md: /org/local/api/hos/uldFeeInfo …); the
        // prescription centre's prefix (PROTOCOL.md) and the real centre's /epc/api/fixmedins, /fixmedins/fixmedins.
        for prefix in ["/hse", "/org/local/api/hos", "/fixmedins", "/epc/api/fixmedins", "/fixmedins/fixmedins"] {
            router.post(RouterPath(stringLiteral: prefix + "/:service")) { request, context in
                try await receive(request, context, service: try context.parameters.require("service"))
            }
        }
    }

    /// The source's refusal budget and the body limit, then ``handle(service:bytes:source:)``. A request
    /// refused before its body is read is answered in the form of the gateway's default dialect.
    private func receive(_ request: Request, _ context: GatewayRequestContext, service: String) async throws -> Response {
        let bytes: [UInt8]
        do {
            try await gateway.admit(context)
            bytes = try await request.bodyBytes(limit: gateway.configuration.limits.envelopeBodyBytes)
        } catch let problem as Problem {
            let dialect = gateway.configuration.dialect(named: nil)
            guard dialect.fsi.refusals == .http200 else { throw problem }
            return Self.refusal(problem, appId: "", dialect: dialect, now: await gateway.clock.now())
        }
        return try await handle(service: service, bytes: bytes, source: context.sourceKey, annotations: context.annotations)
    }

    /// Single-use exchanges whose answer is kept: the same sealed request resent after a lost
    /// answer gets the same answer instead of a "code already used" refusal.
    static let idempotentServices: Set<HSEService> = [.voucher(.query), .voucher(.payAuth)]

    /// - Parameter annotations: filled with what the request turned out to be (the request log, the metrics).
    func handle(service: String, bytes: [UInt8], source: String = "local", annotations: RequestAnnotations? = nil) async throws -> Response {
        let now = await gateway.clock.now()
        let offeredName = HSEService(name: service) == nil ? "unknown" : service
        annotations?.set { $0.channel = "hse"; $0.transaction = offeredName }
        var actor = "?"
        // Parsed once, with bounds: a hostile body is refused cheaply.
        let limits = gateway.configuration.limits
        let parsedResult = Result { try JSONValue.parse(bytes, maximumValues: limits.jsonValues, maximumDepth: limits.jsonDepth) }
        let parsed = (try? parsedResult.get())?.objectValue
        // Set once the signature verified: refusals from then on are the institution's and go to the trace.
        var authenticated = false
        // The institution's dialect once its appId is known; until then the gateway's default.
        var dialect = gateway.configuration.dialect(named: nil)
        let appId = parsed?["appId"]?.stringValue ?? ""
        // Passive conformance log: the appId's institution once known, until then the appId as given.
        var institution = appId
        let messageId = parsed?["signData"]?.stringValue.map { $0.count > 24 ? String($0.prefix(24)) + "…" : $0 }
        var committed = false
        // What the request's business data opened to, for the passive log (masked there).
        var openedData: JSONValue?
        do {
            guard let offered = HSEService(name: service) else {
                throw Problem(status: 404, code: .serviceUnknown, rule: Rule.protocolEnvelope.rawValue, pointer: "",
                              detail: "no HSE service \(service); offered: \(Self.services.joined(separator: ", "))", actual: service)
            }
            guard let parsed else {
                let reason = switch parsedResult {
                case .failure(let error): "the envelope is not valid JSON (\(error))"
                case .success: "the envelope must be a JSON object"
                }
                throw Problem(status: 400, code: .envNotJson, rule: Rule.protocolEnvelope.rawValue, pointer: "", detail: reason)
            }
            guard !appId.isEmpty else {
                throw Problem(status: 400, code: .envMissingField, rule: Rule.protocolEnvelope.rawValue, pointer: "/appId",
                              detail: "the envelope must be a JSON object with an appId")
            }
            guard let app = try await gateway.store.read({ try await $0.app(appId: appId) }) else {
                throw Problem(status: 401, code: .envUnknownAppid, rule: Rule.protocolEnvelope.rawValue, pointer: "/appId",
                              detail: "appId \(appId) is not registered with this platform", actual: appId)
            }
            actor = app.institutionCode
            institution = app.institutionCode
            dialect = gateway.configuration.dialect(named: app.profile)
            annotations?.set { [dialect] in $0.institution = app.institutionCode; $0.profile = dialect.name }
            let envelope = try HSEEnvelope(appId: app.appId, appSecret: app.appSecret, profile: gateway.configuration.envelopeProfile, dialect: dialect.hse)
            let peer = try SM2.PublicKey.cached(base64: app.publicKey)
            let opened: (envelope: JSONObject, data: JSONValue?)
            var openedTimestamp = Int64((now.timeIntervalSince1970 * 1000).rounded())
            let window: Date? = gateway.configuration.faults.contains(.skipTimeWindow) ? nil : now // nil: the deliberate fault skips the window
            switch gateway.metrics.signatureChecks.measure({ envelope.open(parsed, peerPublicKey: peer, now: window, diagnose: gateway.configuration.diagnoseSignatures) }) {
            case .success(let value):
                opened = (value.envelope, value.data)
                openedTimestamp = value.timestamp
            case .failure(let failure):
                guard failure.step == .signature, gateway.configuration.faults.contains(.acceptBadSignature) else { throw Problem(failure) }
                // Deliberate fault (conformance self-checks only): take the data without a valid signature.
                let plaintext = try? envelope.decrypt(parsed["encData"]?.stringValue ?? "")
                opened = (parsed, plaintext.flatMap { try? JSONValue.parse($0) })
            }
            authenticated = true
            openedData = opened.data
            let payload = ConformanceCheckRecord.HSEPayload(encData: parsed["encData"]?.stringValue, data: opened.data)
            // A signed transType binds the envelope to its service: a sealed 6301 cannot be posted to 6401's path.
            if let transType = opened.envelope["transType"]?.stringValue, !transType.isEmpty, transType != service {
                throw Problem(status: 400, code: .envTranstypeMismatch, rule: Rule.protocolEnvelope.rawValue, pointer: "/transType",
                              detail: "transType names service \(transType) but the request was posted to \(service)", expected: service, actual: transType)
            }
            guard case .object(let object)? = opened.data else {
                throw Problem(status: 400, code: .fieldMissing, rule: Rule.protocolFields.rawValue, pointer: "/encData",
                              detail: "the business data of \(service) must be a JSON object")
            }
            // The nonce is the signature's bytes, not its text: base64 with a space added decodes to the same signature.
            let signData = Hex.encode([UInt8](base64: opened.envelope["signData"]?.stringValue ?? "") ?? [])
            var prescriptions = gateway.prescriptionServices
            prescriptions.dialect = dialect.prescription
            let services = HSEServices(policy: gateway.configuration.policy, prescriptions: prescriptions,
                                       payments: PaymentServices(policy: gateway.configuration.policy, settlement: gateway.settlement, dialect: dialect.payment,
                                                                 catalogueMapping: dialect.fsi.requireCatalogueMapping),
                                       faults: gateway.configuration.faults)
            let scope = "hse:\(app.appId)"
            let keepsAnswer = Self.idempotentServices.contains(offered)
            let platformKey = gateway.configuration.platformKey
            let keptUntil = max(now, Date(timeIntervalSince1970: Double(openedTimestamp) / 1000))
                .addingTimeInterval(TimeInterval(gateway.configuration.envelopeProfile.timestampWindowSeconds))
            let (outcome, sealedAnswer) = try await gateway.measuredWrite("hse") { store -> (ServiceOutcome?, JSONObject?) in
                let fresh = try await store.recordNonce(scope: scope, value: signData, at: now)
                if !fresh, keepsAnswer, !gateway.configuration.faults.contains(.acceptReplay), let kept = try await store.keptAnswer(scope: scope, key: signData, at: now),
                   let answer = (try? JSONValue.parse(kept))?.objectValue {
                    // The same sealed request again (its answer was lost): the same answer, nothing done twice.
                    return (nil, answer)
                }
                guard fresh || gateway.configuration.faults.contains(.acceptReplay) else {
                    throw DomainError(.envReplayed, .conflict, rule: .protocolReplay, pointer: "/signData",
                                      "this exact envelope (same signData) was already accepted: a request is never processed twice; seal a new one")
                }
                let outcome = try await services.run(offered, data: Fields(object, at: ""), institution: app.institutionCode, store: store, now: now)
                try await store.appendTrace(outcome.event)
                // Passive conformance log; a failure to record leaves the request's outcome alone.
                _ = try? await gateway.log(.accepted(.hse, institution: app.institutionCode, transaction: service,
                                               messageId: messageId, at: now, payload: payload), in: store)
                guard keepsAnswer else { return (outcome, nil) }
                // Kept sealed (encrypted for the institution) for as long as the request itself may be resent.
                let sealed = try Self.seal(outcome.output, with: envelope, key: platformKey, now: now)
                try await store.keepAnswer(scope: scope, key: signData, answer: JSONValue.object(sealed).serialized(), at: now, expiresAt: keptUntil)
                return (outcome, sealed)
            }
            committed = true
            if let sealedAnswer {
                annotations?.set { $0.outcome = "OK" }
                return JSONResponse.make(.object(sealedAnswer))
            }
            guard let outcome else { throw Problem(status: 500, code: .internalError, rule: nil, pointer: "", detail: "the service answered nothing") }
            if let failure = outcome.failureAfterCommit {
                // Committed, but answered as a failure (test personas, fixtures/README.md).
                throw Problem(status: failure.status, code: failure.code, rule: failure.rule.rawValue, pointer: "", detail: failure.detail)
            }
            annotations?.set { $0.outcome = "OK" }
            return JSONResponse.make(.object(try Self.seal(outcome.output, with: envelope, key: gateway.configuration.platformKey, now: now)))
        } catch {
            var problem = switch error {
            case let problem as Problem: problem
            case let error as DomainError: Problem(error)
            default: throw error
            }
            problem.envelope = .hse
            annotations?.set { [problem] in $0.outcome = problem.code; $0.rule = problem.rule ?? "" }
            let kind = Self.services.contains(service) ? "hse.\(service)" : "hse.?"
            await gateway.traceRefusal(kind: kind, actor: actor, subject: "", problem: problem, at: now, authenticated: authenticated, source: source)
            // A failure answered after the commit (test personas) is the platform's, not the institution's: it stays accepted.
            if !committed {
                await gateway.recordRefusal(.hse, institution: institution, transaction: service, messageId: messageId, problem: problem, at: now,
                                            payload: .init(encData: parsed?["encData"]?.stringValue, data: openedData))
            }
            guard dialect.fsi.refusals == .http200 else { throw problem }
            return Self.refusal(problem, appId: appId, dialect: dialect, now: now)
        }
    }

    /// The sealed answer: the signed data as the real platform's — no arrays of sentences
    /// (``SignedAnswer``); the derivation stays with the order (`GET /admin/orders/{payOrdId}/derivation`).
    static func seal(_ output: JSONValue, with envelope: HSEEnvelope, key: SM2.PrivateKey, now: Date) throws -> JSONObject {
        try envelope.sealResponse(data: SignedAnswer.split(output).signed, privateKey: key, timestamp: now)
    }

    /// A refusal as real platforms answer HSE: HTTP 200, `success` false, `code` -1 (system) or -2
    /// (business) in the dialect's type, `message` naming the code, rule and field, no `encData`;
    /// the full problem document in `problem` (docs/DIALECTS.md §9).
    static func refusal(_ problem: Problem, appId: String, dialect: DialectProfile, now: Date) -> Response {
        let code = FSIAnswer.refusalInfcode(problem)
        var documented = problem
        documented.envelope = .none
        let answer = JSONObject([
            .init(key: "code", value: dialect.hse.answerCodeAsString ? .string(String(code)) : .integer(code)),
            .init(key: "message", value: .string(problem.sentence)),
            .init(key: "success", value: .bool(false)),
            .init(key: "type", value: .string(dialect.hse.answerType == "success" ? "fail" : "01")),
            .init(key: "appId", value: .string(appId)),
            .init(key: "timestamp", value: .string(HSEDialect.write(now, as: dialect.hse.answerTimestamp))),
            .init(key: "problem", value: .object(documented.json)),
        ])
        var response = JSONResponse.make(.object(answer))
        response.headers[HTTPField.Name("X-Yibao-Problem")!] = problem.code
        if let retryAfter = problem.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

