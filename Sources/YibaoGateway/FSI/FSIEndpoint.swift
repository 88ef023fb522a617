import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

/// The FSI envelope endpoint (`infno` transactions: 9001 sign-in, 1101 person info, 2201/2202
/// registration, settlement …). Request members per PROTOCOL.md. How a request is authenticated
/// and how it is answered depend on the institution's dialect profile (docs/DIALECTS.md): our
/// `cainfo` scheme (docs/GATEWAY.md §3) under `nhsa-2.0`, transport headers or a bearer token
/// under the real provincial dialects.
struct FSIEndpoint: Sendable {
    static let path = "/fsi/api/rsfComIfsService/callService"
    /// Every path real HIS code posts FSI requests to: national, national with the infno (mocks),
    /// Jilin, Henan's CSB gateway (docs/DIALECTS.md §4).
    static let paths = [path, path + "/:infno", "/mbs/fmi/fsi/api/callFsiService/callService", "/power-csb/powercsb/:infno"]
    /// Members every request must carry (present, as strings; some may be empty, see `mayBeEmpty`).
    static let requiredMembers = ["infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs", "recer_sys_code", "infver", "opter_type",
                                  "opter", "opter_name", "inf_time", "fixmedins_code", "fixmedins_name", "sign_no", "signtype", "cainfo"]
    static let mayBeEmpty: Set<String> = ["insuplc_admdvs", "sign_no"]
    /// Longest top-level string member other than `input`.
    static let memberLimitBytes = 1024
    /// Members a profile with an optional `cainfo` lets be empty or null.
    static let authenticationMembers: Set<String> = ["signtype", "cainfo"]

    let gateway: Gateway

    func register(on router: Router<GatewayRequestContext>) {
        for path in Self.paths {
            router.post(RouterPath(stringLiteral: path)) { request, context in
                var bytes: [UInt8]
                var attachment: [UInt8]?
                let boundary = MultipartBody.boundary(contentType: request.headers[.contentType])
                do {
                    try await gateway.admit(context)
                    let limits = gateway.configuration.limits
                    bytes = try await request.bodyBytes(limit: boundary == nil ? limits.envelopeBodyBytes : limits.uploadBodyBytes)
                    // 9101 as the official demo sends it: a `jsonStr` part (the envelope) and the file part.
                    if let boundary {
                        let form: MultipartBody
                        do { form = try MultipartBody(bytes, boundary: boundary) } catch let failure as MultipartBody.Failure {
                            throw Problem(status: 400, code: .bodyInvalid, rule: Rule.protocolEnvelope.rawValue, pointer: "", detail: "the multipart body is malformed: \(failure)")
                        }
                        guard let envelope = form.part("jsonStr") else {
                            throw Problem(status: 400, code: .fieldMissing, rule: Rule.protocolFields.rawValue, pointer: "/jsonStr",
                                          detail: "a multipart FSI request carries the envelope in the part jsonStr (and the file in the part file)")
                        }
                        bytes = envelope.bytes
                        attachment = (form.part("file") ?? form.part("in") ?? form.parts.first { $0.filename != nil && $0.name != "jsonStr" })?.bytes
                    }
                } catch var problem as Problem {
                    // Refused before the body is read (rate limit, size): in the form of the gateway's default dialect.
                    let dialect = gateway.configuration.dialect(named: nil).fsi
                    guard dialect.refusals == .http200 else { throw problem }
                    problem.envelope = .fsi(refMsgId: nil)
                    var response = FSIAnswer.refusal(problem, dialect: dialect, institutionCode: nil, admdvs: nil, now: await gateway.clock.now())
                    if let retryAfter = problem.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
                    return response
                }
                let headers = TransportHeaders(request.headers.map { ($0.name.rawName, $0.value) })
                let channel = context.channel
                return try await handle(bytes, headers: headers, pathInfno: context.parameters.get("infno"), source: context.sourceKey,
                                        dropConnection: { channel?.close(promise: nil) }, attachment: attachment, annotations: context.annotations)
            }
        }
    }

    /// - Parameter dropConnection: closes the client's connection (the lost-answer persona's 2207).
    /// - Parameter attachment: the file part of a multipart 9101.
    func handle(_ bytes: [UInt8], headers: TransportHeaders = TransportHeaders(), pathInfno: String? = nil, source: String = "local",
                dropConnection: @escaping @Sendable () -> Void = {}, attachment: [UInt8]? = nil,
                annotations: RequestAnnotations? = nil) async throws -> Response {
        let now = await gateway.clock.now()
        // Parsed once, with bounds: a hostile body is refused cheaply.
        let limits = gateway.configuration.limits
        let parsed = Result { try JSONValue.parse(bytes, maximumValues: limits.jsonValues, maximumDepth: limits.jsonDepth) }
        let envelope = (try? parsed.get())?.objectValue
        // Set once the sender is proven (transport or cainfo): refusals from then on are the institution's and go to the trace.
        var authenticated = false
        let msgid = envelope?["msgid"]?.stringValue
        // The claimed institution: a passive conformance record helps its owner even when the code is unknown.
        let claimedInstitution = envelope?["fixmedins_code"]?.stringValue ?? ""
        let institutionCode = claimedInstitution.isEmpty ? "?" : claimedInstitution
        let infno = envelope?["infno"]?.stringValue ?? pathInfno ?? "?"
        // The dialect is the claimed institution's (its refusals are answered in its form), else the gateway's.
        let app = claimedInstitution.isEmpty ? nil : try? await gateway.store.read { try await $0.app(institutionCode: claimedInstitution) }
        let dialect = gateway.configuration.dialect(named: app?.profile)
        let evidence = DialectEvidence(headers: headers, envelope: envelope, body: bytes).text
        annotations?.set { [dialect] in
            $0.channel = "fsi"
            $0.transaction = FSITransactions.supported.contains(infno) ? infno : "unknown"
            $0.institution = app?.institutionCode ?? ""
            $0.profile = dialect.name
        }
        do {
            guard let envelope else {
                let reason = switch parsed {
                case .failure(let error): "is not valid JSON (\(error))"
                case .success: "must be a JSON object"
                }
                throw Problem(status: 400, code: .fsiNotJson, rule: Rule.protocolEnvelope.rawValue, pointer: "", detail: "the FSI request \(reason)")
            }
            if let pathInfno, let stated = envelope["infno"]?.stringValue, stated != pathInfno {
                throw Problem(status: 400, code: .fsiPathMismatch, rule: Rule.protocolEnvelope.rawValue, pointer: "/infno",
                              detail: "the path names transaction \(pathInfno) but the envelope's infno is \(stated)", expected: pathInfno, actual: stated)
            }
            let (request, proof) = try await authenticate(envelope, app: app, dialect: dialect.fsi, headers: headers, now: now, authenticated: &authenticated)
            let outcome = try await gateway.measuredWrite("fsi") { store -> FSIOutcome in
                if let nonce = proof.nonce, try await !store.recordNonce(scope: nonce.scope, value: nonce.value, at: now) {
                    throw Problem(status: 409, code: .tifNonceReplayed, rule: Rule.protocolReplay.rawValue, pointer: "header:x-tif-nonce",
                                  detail: "x-tif-nonce \(nonce.value) was already used by this paasid: send a new nonce with every request")
                }
                let fresh = try await store.recordNonce(scope: "fsi:\(request.institutionCode)", value: request.msgid, at: now)
                guard fresh || gateway.configuration.faults.contains(.acceptReplay) else {
                    throw DomainError(.msgidReplayed, .conflict, rule: .protocolReplay, pointer: "/msgid",
                                      "msgid \(request.msgid) was already accepted: a request is never processed twice; send a new msgid for a new request")
                }
                if request.infno != "9001" { try await Self.requireSignIn(request, store: store, now: now, policy: gateway.configuration.policy) }
                let call = request.call(prerequisites: SettlementPrerequisites(benefitCheck: dialect.fsi.beforeSettlement.contains("2001"),
                                                                               preEventAudit: dialect.fsi.beforeSettlement.contains("3101"),
                                                                               catalogueMapping: dialect.fsi.requireCatalogueMapping),
                                        attachment: attachment)
                let outcome = try await FSITransactions(policy: gateway.configuration.policy, regions: gateway.configuration.regions).run(call, store: store, now: now)
                try await store.appendTrace(outcome.event)
                // Passive conformance log; a failure to record leaves the request's outcome alone.
                _ = try? await gateway.log(.accepted(.fsi, institution: request.institutionCode, transaction: request.infno,
                                               messageId: request.msgid, at: now, evidence: evidence, answerLost: outcome.loseAnswer), in: store)
                return outcome
            }
            annotations?.set { $0.outcome = outcome.loseAnswer ? ConformanceCheckRecord.answerLostCode : "OK" }
            // The lost-answer persona: committed, and the connection closes without an answer (a body
            // that fails closes it too where there is no connection to close, in-process).
            if outcome.loseAnswer {
                dropConnection()
                return Response(status: .ok, body: ResponseBody { _ in throw LostAnswer() })
            }
            // 9102: the file itself, as real clients read it (Content-Type application/octet-stream).
            if let file = outcome.download {
                let content = [UInt8](base64: file.content) ?? []
                let name = file.filename.unicodeScalars.allSatisfy { $0.isASCII && $0 != "\"" } ? file.filename : "file"
                return Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentDisposition: "attachment; filename=\"\(name)\""],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: content)))
            }
            return try FSIAnswer.success(output: outcome.output, request: request, dialect: dialect.fsi, configuration: gateway.configuration, now: now)
        } catch {
            var problem = switch error {
            case let problem as Problem: problem
            case let error as DomainError: Problem(error)
            default: throw error
            }
            problem.envelope = .fsi(refMsgId: msgid)
            annotations?.set { [problem] in $0.outcome = problem.code; $0.rule = problem.rule ?? "" }
            let kind = FSITransactions.supported.contains(infno) ? "fsi.\(infno)" : "fsi.?"
            await gateway.traceRefusal(kind: kind, actor: institutionCode, subject: msgid ?? "", problem: problem, at: now,
                                       authenticated: authenticated, source: source)
            await gateway.recordRefusal(.fsi, institution: claimedInstitution, transaction: infno, messageId: msgid, problem: problem, at: now,
                                        evidence: evidence)
            guard dialect.fsi.refusals == .http200 else { throw problem }
            return FSIAnswer.refusal(problem, dialect: dialect.fsi, institutionCode: app?.institutionCode,
                                     admdvs: envelope?["mdtrtarea_admvs"]?.stringValue, now: now)
        }
    }

    /// Field presence, the institution's app, the transport and `cainfo` per the dialect, the time window, the msgid format.
    private func authenticate(_ envelope: JSONObject, app: AppCredential?, dialect: FSIDialect, headers: TransportHeaders, now: Date,
                              authenticated: inout Bool) async throws -> (FSIRequest, TransportProof) {
        let fields = Fields(envelope, at: "")
        if dialect.cainfo == .required, dialect.encryption == .none, (envelope["cainfo"]?.stringValue ?? "").isEmpty {
            // The commonest dialect mistake: real HIS code sends cainfo empty and authenticates at the transport.
            let lenient = gateway.configuration.dialects.values.filter { $0.fsi.cainfo == .optional }.map(\.name).sorted()
            throw Problem(status: 400, code: .fieldMissing, rule: Rule.protocolFields.rawValue, pointer: "/cainfo",
                          detail: "\"cainfo\" is required: this institution's dialect profile signs every request",
                          diagnosis: ["cainfo is empty or null: the profile of this institution requires it (docs/GATEWAY.md §3). Real HIS code that sends it empty authenticates at the transport — profiles \(lenient.joined(separator: ", ")) (docs/DIALECTS.md); ask for the one of your province"])
        }
        for member in Self.requiredMembers {
            if dialect.cainfo == .optional, Self.authenticationMembers.contains(member), envelope[member] == nil || envelope[member] == .null { continue }
            let value = try fields.present(member)
            if value.isEmpty && !Self.mayBeEmpty.contains(member) && !(dialect.cainfo == .optional && Self.authenticationMembers.contains(member)) {
                throw DomainError.missing("/\(member)", "\"\(member)\"")
            }
        }
        let infno = try fields.string("infno")
        guard FSITransactions.supported.contains(infno) else {
            throw DomainError(.infnoUnsupported, .notFound, rule: .protocolEnvelope, pointer: "/infno",
                              "transaction \(infno) is not offered by this gateway", expected: FSITransactions.supported.joined(separator: ", "), actual: infno)
        }
        let code = try fields.string("fixmedins_code")
        guard let app else {
            throw Problem(status: 401, code: .institutionUnknown, rule: Rule.ag1.rawValue, pointer: "/fixmedins_code",
                          detail: "no designated institution \(code) is registered with this platform", actual: code)
        }
        _ = try fields.oneOf("infver", ["V1.0"], rule: .protocolEnvelope)
        // Top-level members are short in every dialect (only input carries business data): a hostile
        // multi-megabyte member is refused before any signature work.
        for member in envelope.members where member.key != "input" {
            if case .string(let text) = member.value, text.utf8.count > Self.memberLimitBytes {
                throw DomainError.invalidValue("/\(member.key)", "\(member.key) has \(text.utf8.count) bytes; envelope members other than input have at most \(Self.memberLimitBytes)",
                                               actual: "\(text.utf8.count) bytes", rule: .protocolEnvelope)
            }
        }
        let proof = try await TransportAuthentication.check(dialect, headers: headers, app: app, infno: infno, now: now, store: gateway.store)
        // Transport authentication proves the sender; so does, on a trusted network (no transport
        // authentication, cainfo optional), naming a registered institution: its refusals are traced.
        if dialect.transportAuth != .none || dialect.cainfo == .optional { authenticated = true }

        // The business input: plaintext, or (sm4-input) decrypted with the OAuth client id, its cainfo over the JSON.
        var plainEnvelope = envelope
        var encryptionKey: String?
        if dialect.encryption == .sm4Input {
            let (input, key) = try decryptInput(envelope, app: app)
            plainEnvelope["input"] = .object(input.object)
            encryptionKey = key
            try verifyInputSignature(envelope, plaintext: input.text, app: app)
            authenticated = true
        } else {
            let cainfo = envelope["cainfo"]?.stringValue ?? ""
            if dialect.cainfo == .required || !cainfo.isEmpty {
                if dialect.cainfo == .required || envelope["signtype"]?.stringValue?.isEmpty == false {
                    _ = try fields.oneOf("signtype", ["SM2"], rule: .protocolEnvelope)
                }
                try verifySignature(envelope, app: app)
                authenticated = true
            }
        }
        let input = try Fields(in: Fields(plainEnvelope, at: ""), "input")
        let infTime = try fields.string("inf_time")
        guard let sent = Timestamps.parseFSI(infTime) else {
            throw DomainError.invalidValue("/inf_time", "inf_time must be yyyy-MM-dd HH:mm:ss (Beijing time)", expected: "yyyy-MM-dd HH:mm:ss", actual: infTime, rule: .protocolEnvelope)
        }
        let window = TimeInterval(gateway.configuration.policy.fsiTimeWindowSeconds)
        guard abs(sent.timeIntervalSince(now)) <= window || gateway.configuration.faults.contains(.skipTimeWindow) else {
            throw DomainError(.fsiTimeOutOfWindow, .unauthenticated, rule: .protocolReplay, pointer: "/inf_time",
                              "inf_time is \(Int(sent.timeIntervalSince(now))) s from the platform's clock; at most ±\(Int(window)) s is accepted (stale or replayed request, or a wrong clock)",
                              expected: "within \(Int(window)) s of \(Timestamps.fsi(now))", actual: infTime)
        }
        let msgid = try fields.string("msgid")
        let pattern = Array(code.utf8) + Array(repeating: UInt8(ascii: "9"), count: 18)
        guard msgid.utf8.count == pattern.count, msgid.hasPrefix(code), msgid.utf8.dropFirst(code.utf8.count).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw DomainError.invalidValue("/msgid", "msgid must be fixmedins_code + yyyyMMddHHmmss + 4 digits",
                                           expected: "\(code)yyyyMMddHHmmssNNNN", actual: msgid, rule: .protocolEnvelope)
        }
        return (FSIRequest(infno: infno, msgid: msgid, institutionCode: code, signNo: try fields.present("sign_no"),
                           operatorCode: try fields.string("opter"), input: input, envelope: plainEnvelope, appSecret: app.appSecret,
                           receiverAdmdvs: envelope["mdtrtarea_admvs"]?.stringValue, encryptionKey: encryptionKey), proof)
    }

    /// Jilin: `input` is Base64(SM4-ECB-PKCS7(key = the OAuth client id's 16 bytes, JSON)).
    private func decryptInput(_ envelope: JSONObject, app: AppCredential) throws -> (input: (object: JSONObject, text: [UInt8]), key: String) {
        guard envelope["enc_type"]?.stringValue?.uppercased() == "SM4" else {
            throw DomainError.invalidValue("/enc_type", "profile jilin-encrypted sends enc_type SM4 with an encrypted input", expected: "SM4",
                                           actual: envelope["enc_type"]?.serialized() ?? "missing", rule: .protocolEnvelope)
        }
        guard let clientId = app.oauth?.clientId, clientId.utf8.count == 16 else {
            throw Problem(status: 401, code: .transportNotConfigured, rule: Rule.protocolEnvelope.rawValue, pointer: "/input",
                          detail: "\(app.institutionCode) has no 16-character OAuth client id registered: it is the SM4 key of the encrypted input")
        }
        guard case .string(let text)? = envelope["input"], let cipher = [UInt8](base64: text) else {
            throw Problem(status: 400, code: .fsiInputNotDecrypted, rule: Rule.protocolEnvelope.rawValue, pointer: "/input",
                          detail: "input must be the Base64 of the SM4-encrypted JSON of the business input", expected: "Base64 text", actual: envelope["input"]?.typeName ?? "missing")
        }
        let plain: [UInt8]
        do { plain = try SM4.decrypt(cipher, key: Array(clientId.utf8), mode: .ecb, padding: .pkcs7) } catch {
            throw Problem(status: 400, code: .fsiInputNotDecrypted, rule: Rule.protocolEnvelope.rawValue, pointer: "/input",
                          detail: "input does not decrypt with SM4-ECB-PKCS7 under the 16 bytes of the OAuth client id registered for \(app.institutionCode) (its fingerprint: \(Redaction.secret(clientId))); another key, another mode or padding, or not encrypted")
        }
        guard let object = (try? JSONValue.parse(plain))?.objectValue else {
            throw Problem(status: 400, code: .fsiInputNotDecrypted, rule: Rule.protocolEnvelope.rawValue, pointer: "/input",
                          detail: "the decrypted input is not a JSON object")
        }
        return ((object, plain), clientId)
    }

    /// Jilin: `cainfo` = Base64(raw r‖s SM3-with-SM2, default signer ID) over the decrypted JSON of `input`.
    private func verifyInputSignature(_ envelope: JSONObject, plaintext: [UInt8], app: AppCredential) throws {
        if gateway.configuration.faults.contains(.acceptBadSignature) { return }
        guard let publicKey = try? SM2.PublicKey.cached(base64: app.publicKey) else {
            throw Problem(status: 500, code: .appKeyInvalid, rule: nil, pointer: "/fixmedins_code", detail: "the registered public key of \(app.institutionCode) is not a valid SM2 key")
        }
        let signature = [UInt8](base64: envelope["cainfo"]?.stringValue ?? "") ?? []
        let verifies = { (encoding: SignatureEncoding, id: [UInt8]) in
            (try? ECSignature(signature, encoding: encoding)).map { publicKey.isValidSignature($0, for: plaintext, signerID: id) } ?? false
        }
        if gateway.metrics.signatureChecks.measure({ verifies(.raw, SM2.defaultSignerID) }) { return }
        var diagnosis: [String] = []
        if verifies(.der, SM2.defaultSignerID) { diagnosis.append("cainfo is DER-encoded; this profile expects raw r‖s (64 bytes)") }
        if verifies(.raw, []) { diagnosis.append("it was made with an EMPTY signer ID; the profile uses the default 1234567812345678") }
        if diagnosis.isEmpty { diagnosis.append("no known variation verifies: signed with another key, or over other bytes than the encrypted JSON") }
        throw Problem(status: 401, code: .fsiSignatureInvalid, rule: Rule.protocolEnvelope.rawValue, pointer: "/cainfo",
                      detail: "cainfo does not verify over the decrypted JSON of input with the public key registered for \(app.institutionCode)",
                      expected: "Base64 of the raw r‖s SM3-with-SM2 signature (signer ID 1234567812345678) of the input JSON", actual: "\(signature.count) bytes",
                      diagnosis: diagnosis)
    }

    private func verifySignature(_ envelope: JSONObject, app: AppCredential) throws {
        if gateway.configuration.faults.contains(.acceptBadSignature) { return } // deliberate fault, conformance self-checks only
        var unsigned = envelope
        unsigned["cainfo"] = nil
        let profile = gateway.configuration.envelopeProfile
        let text = HSESignString.build(envelope: unsigned, appSecret: app.appSecret)
        let cainfo = envelope["cainfo"]?.stringValue ?? ""
        guard let publicKey = try? SM2.PublicKey.cached(base64: app.publicKey) else {
            throw Problem(status: 500, code: .appKeyInvalid, rule: nil, pointer: "/fixmedins_code", detail: "the registered public key of \(app.institutionCode) is not a valid SM2 key")
        }
        let signature = [UInt8](base64: cainfo) ?? []
        let verifier = SM2Verifier(publicKey: publicKey, signerID: profile.signerIDBytes(appSecret: app.appSecret), encoding: profile.signatureEncoding)
        if gateway.metrics.signatureChecks.measure({ verifier.verify(signature, for: Array(text.utf8)) }) { return }
        var diagnosis: [String] = []
        if gateway.configuration.diagnoseSignatures {
            diagnosis = HSEEnvelope.diagnoseSignature(signed: unsigned, signature: signature, peerPublicKey: publicKey, appSecret: app.appSecret,
                                                      profile: profile, member: "cainfo")
        }
        throw Problem(status: 401, code: .fsiSignatureInvalid, rule: Rule.protocolEnvelope.rawValue, pointer: "/cainfo",
                      detail: signature.isEmpty ? "cainfo is not base64" : "cainfo does not verify over the canonical string we computed with the public key registered for \(app.institutionCode)",
                      expected: "base64 of the \(profile.signatureEncoding == .raw ? "raw 64-byte r‖s" : "DER") SM3-with-SM2 signature (signer ID: \(profile.signerID == .default ? "1234567812345678" : "the appSecret")) of signString",
                      actual: "\(signature.count) bytes", signString: HSESignString.displayIfSmall(envelope: unsigned, appSecret: app.appSecret),
                      diagnosis: diagnosis)
    }

    static func requireSignIn(_ request: FSIRequest, store: any StoreReading, now: Date, policy: PolicyProfile) async throws {
        guard !request.signNo.isEmpty else {
            throw DomainError(.signNoMissing, .unauthenticated, rule: .protocolSignIn, pointer: "/sign_no",
                              "sign_no is empty: sign in with 9001 first and send its sign_no on every later request")
        }
        guard let signIn = try await store.signIn(signNo: request.signNo), signIn.institutionCode == request.institutionCode else {
            throw DomainError(.signNoUnknown, .unauthenticated, rule: .protocolSignIn, pointer: "/sign_no",
                              "sign_no \(request.signNo) was not issued to \(request.institutionCode) by 9001 sign-in", actual: request.signNo)
        }
        if let out = signIn.signedOutAt {
            throw DomainError(.signNoSignedOut, .unauthenticated, rule: .protocolSignIn, pointer: "/sign_no",
                              "sign_no \(request.signNo) was signed out (9002) at \(Timestamps.fsi(out)); sign in again with 9001")
        }
        guard now.timeIntervalSince(signIn.signedInAt) <= TimeInterval(policy.signInLifetimeSeconds) else {
            throw DomainError(.signNoExpired, .unauthenticated, rule: .protocolSignIn, pointer: "/sign_no",
                              "sign_no \(request.signNo) was issued at \(Timestamps.fsi(signIn.signedInAt)) and is valid for \(policy.signInLifetimeSeconds) s; sign in again with 9001")
        }
    }

}

/// Why the lost-answer persona's answer never arrives.
struct LostAnswer: Error, CustomStringConvertible {
    var description: String { "the answer was lost on purpose (test persona lostAnswer): reverse with 2601 or query with 5203" }
}

/// An authenticated FSI request.
struct FSIRequest: Sendable {
    /// What the use cases see of it, with what the institution's profile requires before a settlement.
    func call(prerequisites: SettlementPrerequisites, attachment: [UInt8]? = nil) -> FSICall {
        FSICall(transaction: FSITransaction(rawValue: infno)!, msgid: msgid, institutionCode: institutionCode, input: input, signNo: signNo,
                prerequisites: prerequisites, attachment: attachment)
    }

    let infno: String
    let msgid: String
    let institutionCode: String
    let signNo: String
    let operatorCode: String
    let input: Fields
    let envelope: JSONObject
    var appSecret: String = ""
    /// The area the request was sent to (`mdtrtarea_admvs`), for `inf_refmsgid`.
    var receiverAdmdvs: String?
    /// The SM4 key of an encrypted dialect (the OAuth client id), for the answer's `output`.
    var encryptionKey: String?
}
