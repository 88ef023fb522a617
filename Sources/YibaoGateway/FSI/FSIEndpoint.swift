import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto
import YibaoStore

/// The FSI envelope endpoint (`infno` transactions: 9001 sign-in, 1101 person info, 2201/2202
/// registration). Request members per PROTOCOL.md; the signature scheme (an SM2 signature of the
/// canonical string in `cainfo`) is ours and documented in docs/GATEWAY.md §FSI.
struct FSIEndpoint: Sendable {
    static let path = "/fsi/api/rsfComIfsService/callService"
    /// Members every request must carry (present, as strings; some may be empty, see `mayBeEmpty`).
    static let requiredMembers = ["infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs", "recer_sys_code", "infver", "opter_type",
                                  "opter", "opter_name", "inf_time", "fixmedins_code", "fixmedins_name", "sign_no", "signtype", "cainfo"]
    static let mayBeEmpty: Set<String> = ["insuplc_admdvs", "sign_no"]

    let gateway: Gateway

    func register(on router: Router<GatewayRequestContext>) {
        router.post(.init(stringLiteral: Self.path)) { request, context in
            try await gateway.admit(context)
            return try await handle(try await request.bodyBytes(limit: gateway.configuration.limits.envelopeBodyBytes), source: context.sourceKey)
        }
    }

    func handle(_ bytes: [UInt8], source: String = "local") async throws -> Response {
        let now = await gateway.clock.now()
        // Parsed once, with bounds: a hostile body is refused cheaply.
        let limits = gateway.configuration.limits
        let parsed = Result { try JSONValue.parse(bytes, maximumValues: limits.jsonValues, maximumDepth: limits.jsonDepth) }
        let envelope = (try? parsed.get())?.objectValue
        // Set once the signature verified: refusals from then on are the institution's and go to the trace.
        var authenticated = false
        let msgid = envelope?["msgid"]?.stringValue
        // The claimed institution: a passive conformance record helps its owner even when the code is unknown.
        let claimedInstitution = envelope?["fixmedins_code"]?.stringValue ?? ""
        let institutionCode = claimedInstitution.isEmpty ? "?" : claimedInstitution
        let infno = envelope?["infno"]?.stringValue ?? "?"
        do {
            guard let envelope else {
                let reason = switch parsed {
                case .failure(let error): "is not valid JSON (\(error))"
                case .success: "must be a JSON object"
                }
                throw Problem(status: 400, code: "FSI_NOT_JSON", rule: Rule.protocolEnvelope.rawValue, pointer: "", detail: "the FSI request \(reason)")
            }
            let request = try await authenticate(envelope, now: now, authenticated: &authenticated)
            let output = try await gateway.store.write { store -> JSONValue in
                let fresh = try store.recordNonce(scope: "fsi:\(request.institutionCode)", value: request.msgid, at: now)
                guard fresh || gateway.configuration.faults.contains(.acceptReplay) else {
                    throw DomainError(.init("MSGID_REPLAYED"), .conflict, rule: .protocolReplay, pointer: "/msgid",
                                      "msgid \(request.msgid) was already accepted: a request is never processed twice; send a new msgid for a new request")
                }
                if request.infno != "9001" { try Self.requireSignIn(request, store: store, now: now, policy: gateway.configuration.policy) }
                let (output, event) = try FSITransactions(policy: gateway.configuration.policy, regions: gateway.configuration.regions).run(request, store: store, now: now)
                try store.appendTrace(event)
                // Passive conformance log; a failure to record leaves the request's outcome alone.
                _ = try? gateway.log(.accepted(.fsi, institution: request.institutionCode, transaction: request.infno,
                                                                messageId: request.msgid, at: now), in: store)
                return output
            }
            return try respond(output: output, to: request, now: now)
        } catch {
            var problem = switch error {
            case let problem as Problem: problem
            case let error as DomainError: Problem(error)
            default: throw error
            }
            problem.envelope = .fsi(refMsgId: msgid)
            let kind = FSITransactions.supported.contains(infno) ? "fsi.\(infno)" : "fsi.?"
            await gateway.traceRefusal(kind: kind, actor: institutionCode, subject: msgid ?? "", problem: problem, at: now,
                                       authenticated: authenticated, source: source)
            await gateway.recordRefusal(.fsi, institution: claimedInstitution, transaction: infno, messageId: msgid, problem: problem, at: now)
            throw problem
        }
    }

    /// Field presence, the institution's app, the signature, the time window, the msgid format.
    private func authenticate(_ envelope: JSONObject, now: Date, authenticated: inout Bool) async throws -> FSIRequest {
        let fields = Fields(envelope, at: "")
        for member in Self.requiredMembers {
            let value = try fields.present(member)
            if value.isEmpty && !Self.mayBeEmpty.contains(member) { throw DomainError.missing("/\(member)", "\"\(member)\"") }
        }
        let input = try Fields(in: fields, "input")
        let infno = try fields.string("infno")
        guard FSITransactions.supported.contains(infno) else {
            throw DomainError(.init("INFNO_UNSUPPORTED"), .notFound, rule: .protocolEnvelope, pointer: "/infno",
                              "transaction \(infno) is not offered by this gateway", expected: FSITransactions.supported.joined(separator: ", "), actual: infno)
        }
        let code = try fields.string("fixmedins_code")
        guard let app = try await gateway.store.read({ try $0.app(institutionCode: code) }) else {
            throw Problem(status: 401, code: "INSTITUTION_UNKNOWN", rule: Rule.ag1.rawValue, pointer: "/fixmedins_code",
                          detail: "no designated institution \(code) is registered with this platform", actual: code)
        }
        _ = try fields.oneOf("signtype", ["SM2"], rule: .protocolEnvelope)
        _ = try fields.oneOf("infver", ["V1.0"], rule: .protocolEnvelope)
        try verifySignature(envelope, app: app)
        authenticated = true
        let infTime = try fields.string("inf_time")
        guard let sent = Timestamps.parseFSI(infTime) else {
            throw DomainError.invalidValue("/inf_time", "inf_time must be yyyy-MM-dd HH:mm:ss (Beijing time)", expected: "yyyy-MM-dd HH:mm:ss", actual: infTime, rule: .protocolEnvelope)
        }
        let window = TimeInterval(gateway.configuration.policy.fsiTimeWindowSeconds)
        guard abs(sent.timeIntervalSince(now)) <= window || gateway.configuration.faults.contains(.skipTimeWindow) else {
            throw DomainError(.init("FSI_TIME_OUT_OF_WINDOW"), .unauthenticated, rule: .protocolReplay, pointer: "/inf_time",
                              "inf_time is \(Int(sent.timeIntervalSince(now))) s from the platform's clock; at most ±\(Int(window)) s is accepted (stale or replayed request, or a wrong clock)",
                              expected: "within \(Int(window)) s of \(Timestamps.fsi(now))", actual: infTime)
        }
        let msgid = try fields.string("msgid")
        let pattern = Array(code.utf8) + Array(repeating: UInt8(ascii: "9"), count: 18)
        guard msgid.utf8.count == pattern.count, msgid.hasPrefix(code), msgid.utf8.dropFirst(code.utf8.count).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw DomainError.invalidValue("/msgid", "msgid must be fixmedins_code + yyyyMMddHHmmss + 4 digits",
                                           expected: "\(code)yyyyMMddHHmmssNNNN", actual: msgid, rule: .protocolEnvelope)
        }
        return FSIRequest(infno: infno, msgid: msgid, institutionCode: code, signNo: try fields.present("sign_no"),
                          operatorCode: try fields.string("opter"), input: input, envelope: envelope, appSecret: app.appSecret)
    }

    private func verifySignature(_ envelope: JSONObject, app: AppCredential) throws {
        if gateway.configuration.faults.contains(.acceptBadSignature) { return } // deliberate fault, conformance self-checks only
        var unsigned = envelope
        unsigned["cainfo"] = nil
        let profile = gateway.configuration.envelopeProfile
        let text = HSESignString.build(envelope: unsigned, appSecret: app.appSecret)
        let cainfo = envelope["cainfo"]?.stringValue ?? ""
        guard let publicKey = try? SM2.PublicKey(base64: app.publicKey) else {
            throw Problem(status: 500, code: "APP_KEY_INVALID", rule: nil, pointer: "/fixmedins_code", detail: "the registered public key of \(app.institutionCode) is not a valid SM2 key")
        }
        let signature = [UInt8](base64: cainfo) ?? []
        let verifier = SM2Verifier(publicKey: publicKey, signerID: profile.signerIDBytes(appSecret: app.appSecret), encoding: profile.signatureEncoding)
        if verifier.verify(signature, for: Array(text.utf8)) { return }
        var diagnosis: [String] = []
        if gateway.configuration.diagnoseSignatures {
            diagnosis = HSEEnvelope.diagnoseSignature(signed: unsigned, signature: signature, peerPublicKey: publicKey, appSecret: app.appSecret,
                                                      profile: profile, member: "cainfo")
        }
        throw Problem(status: 401, code: "FSI_SIGNATURE_INVALID", rule: Rule.protocolEnvelope.rawValue, pointer: "/cainfo",
                      detail: signature.isEmpty ? "cainfo is not base64" : "cainfo does not verify over the canonical string we computed with the public key registered for \(app.institutionCode)",
                      expected: "base64 of the \(profile.signatureEncoding == .raw ? "raw 64-byte r‖s" : "DER") SM3-with-SM2 signature (signer ID: \(profile.signerID == .default ? "1234567812345678" : "the appSecret")) of signString",
                      actual: "\(signature.count) bytes", signString: HSESignString.display(envelope: unsigned, appSecret: app.appSecret),
                      diagnosis: diagnosis)
    }

    static func requireSignIn(_ request: FSIRequest, store: any StoreReading, now: Date, policy: PolicyProfile) throws {
        guard !request.signNo.isEmpty else {
            throw DomainError(.init("SIGN_NO_MISSING"), .unauthenticated, rule: .protocolSignIn, pointer: "/sign_no",
                              "sign_no is empty: sign in with 9001 first and send its sign_no on every later request")
        }
        guard let signIn = try store.signIn(signNo: request.signNo), signIn.institutionCode == request.institutionCode else {
            throw DomainError(.init("SIGN_NO_UNKNOWN"), .unauthenticated, rule: .protocolSignIn, pointer: "/sign_no",
                              "sign_no \(request.signNo) was not issued to \(request.institutionCode) by 9001 sign-in", actual: request.signNo)
        }
        guard now.timeIntervalSince(signIn.signedInAt) <= TimeInterval(policy.signInLifetimeSeconds) else {
            throw DomainError(.init("SIGN_NO_EXPIRED"), .unauthenticated, rule: .protocolSignIn, pointer: "/sign_no",
                              "sign_no \(request.signNo) was issued at \(Timestamps.fsi(signIn.signedInAt)) and is valid for \(policy.signInLifetimeSeconds) s; sign in again with 9001")
        }
    }

    /// The FSI response, signed by the platform in `cainfo` the same way.
    private func respond(output: JSONValue, to request: FSIRequest, now: Date) throws -> Response {
        let app = request.appSecret
        var envelope = JSONObject([
            .init(key: "infcode", value: .integer(0)),
            .init(key: "inf_refmsgid", value: .string(String(request.institutionCode.dropFirst().prefix(6)) + Timestamps.compact(now) + TokenGenerator.digits(8))),
            .init(key: "refmsg_time", value: .string(Timestamps.fsi(now))),
            .init(key: "respond_time", value: .string(Timestamps.fsi(now))),
            .init(key: "err_msg", value: .string("")),
            .init(key: "warn_msg", value: .string("")),
            .init(key: "output", value: output),
            .init(key: "signtype", value: .string("SM2")),
        ])
        let profile = gateway.configuration.envelopeProfile
        let text = HSESignString.build(envelope: envelope, appSecret: app)
        let signature = try gateway.configuration.platformKey.signature(for: Array(text.utf8), signerID: profile.signerIDBytes(appSecret: app))
        envelope["cainfo"] = .string(signature.encoded(profile.signatureEncoding).base64)
        return JSONResponse.make(.object(envelope))
    }
}

/// An authenticated FSI request.
struct FSIRequest: Sendable {
    let infno: String
    let msgid: String
    let institutionCode: String
    let signNo: String
    let operatorCode: String
    let input: Fields
    let envelope: JSONObject
    var appSecret: String = ""
}
