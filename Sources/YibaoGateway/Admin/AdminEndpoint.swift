import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

/// The agency's admin API (bearer token): institutions and their agreements, practitioners,
/// persons, offline visits, app credentials, fixtures, and the trace.
struct AdminEndpoint: Sendable {
    let gateway: Gateway

    func register(on router: Router<GatewayRequestContext>) {
        let admin = router.group("/admin").add(middleware: BearerMiddleware(token: gateway.configuration.adminToken, realm: "admin"))
        admin.post("/fixtures") { request, _ in
            let fixture = try await decode(Fixture.self, request)
            let summary = try await load(fixture)
            return JSONResponse.make(summary)
        }
        admin.post("/institutions") { request, _ in
            let input = try await decode(InstitutionInput.self, request)
            let now = await gateway.clock.now()
            let institution = try await gateway.store.write { store -> Institution in
                guard try await store.institution(code: input.code) == nil else {
                    throw DomainError(.init("INSTITUTION_EXISTS"), .conflict, rule: nil, pointer: "/code", "institution \(input.code) is already registered")
                }
                try await store.save(input.institution)
                try await store.appendTrace(TraceEvent(at: now, kind: "admin.institution.register", actor: "admin", subject: input.code))
                return input.institution
            }
            return try JSONResponse.encode(institution, status: .created)
        }
        admin.get("/institutions/:code") { _, context in
            let code = try context.parameters.require("code")
            guard let institution = try await gateway.store.read({ try await $0.institution(code: code) }) else {
                throw DomainError(.init("INSTITUTION_UNKNOWN"), .notFound, rule: nil, pointer: "", "no institution \(code)")
            }
            return try JSONResponse.encode(institution)
        }
        admin.post("/institutions/:code/agreements/:kind/:action") { request, context in
            let code = try context.parameters.require("code")
            let kindText = try context.parameters.require("kind")
            let actionText = try context.parameters.require("action")
            guard let kind = AgreementKind(rawValue: kindText) else {
                throw Problem(status: 404, code: "AGREEMENT_KIND_UNKNOWN", rule: nil, pointer: "",
                              detail: "agreement kind must be \(AgreementKind.allCases.map(\.rawValue).joined(separator: " or "))", actual: kindText)
            }
            guard let action = AgreementStep.Action(rawValue: actionText) else {
                throw Problem(status: 404, code: "AGREEMENT_ACTION_UNKNOWN", rule: nil, pointer: "",
                              detail: "actions: \(AgreementStep.Action.allCases.map(\.rawValue).joined(separator: ", "))", actual: actionText)
            }
            var step = try await decode(AgreementStep.self, request, defaultingAction: action)
            step.action = action
            let now = await gateway.clock.now()
            let policy = gateway.configuration.policy
            let institution = try await gateway.store.write { [step] store -> Institution in
                try await Self.runStep(step, kind: kind, code: code, store: store, now: now, policy: policy)
            }
            return try JSONResponse.encode(institution)
        }
        admin.post("/practitioners") { request, _ in
            let input = try await decode(PractitionerInput.self, request)
            let now = await gateway.clock.now()
            let practitioner = try await gateway.store.write { store -> Practitioner in
                let practitioner = try self.practitioner(from: input, now: now)
                guard try await store.institution(code: practitioner.institutionCode) != nil else {
                    throw DomainError(.init("INSTITUTION_UNKNOWN"), .notFound, rule: nil, pointer: "/institutionCode", "no institution \(practitioner.institutionCode)")
                }
                try await store.save(practitioner)
                try await store.appendTrace(TraceEvent(at: now, kind: "admin.practitioner.register", actor: "admin", subject: practitioner.code))
                return practitioner
            }
            return try JSONResponse.encode(practitioner, status: .created)
        }
        admin.post("/persons") { request, _ in
            let input = try await decode(PersonInput.self, request)
            let now = await gateway.clock.now()
            try await gateway.store.write { store in
                try await Self.savePerson(input.person, store: store, pointer: "")
                try await store.appendTrace(TraceEvent(at: now, kind: "admin.person.save", actor: "admin", subject: input.psnNo))
            }
            return try JSONResponse.encode(input.person, status: .created)
        }
        admin.get("/persons/:psnNo") { _, context in
            let psnNo = try context.parameters.require("psnNo")
            guard let person = try await gateway.store.read({ try await $0.person(psnNo: psnNo) }) else {
                throw DomainError(.init("PERSON_UNKNOWN"), .notFound, rule: nil, pointer: "", "no person \(psnNo)")
            }
            return try JSONResponse.encode(person)
        }
        admin.post("/offline-visits") { request, _ in
            let visit = try await decode(OfflineVisit.self, request)
            let now = await gateway.clock.now()
            try await gateway.store.write { store in
                guard try await store.person(psnNo: visit.psnNo) != nil else {
                    throw DomainError(.init("PERSON_UNKNOWN"), .notFound, rule: nil, pointer: "/psnNo", "no person \(visit.psnNo)")
                }
                try await store.add(visit)
                try await store.appendTrace(TraceEvent(at: now, kind: "admin.offline-visit.add", actor: "admin", subject: visit.psnNo,
                                                 payload: ["diseaseCode": visit.diseaseCode]))
            }
            return try JSONResponse.encode(visit, status: .created)
        }
        admin.post("/apps") { request, _ in
            let app = try await decode(AppCredential.self, request)
            let now = await gateway.clock.now()
            try checkProfile(app.profile)
            try await gateway.store.write { store in try await Self.saveApp(app, store: store, now: now) }
            return JSONResponse.make(Self.shown(app), status: .created)
        }
        // The dialect profile an institution speaks (docs/DIALECTS.md); null or absent: the gateway's default.
        admin.post("/institutions/:code/profile") { request, context in
            let code = try context.parameters.require("code")
            let setting = try await decode(ProfileSetting.self, request)
            try checkProfile(setting.profile)
            let now = await gateway.clock.now()
            let app = try await gateway.store.write { store -> AppCredential in
                guard var app = try await store.app(institutionCode: code) else {
                    throw DomainError(.init("APP_UNKNOWN"), .notFound, rule: nil, pointer: "", "\(code) has no registered app")
                }
                app.profile = setting.profile
                try await store.save(app)
                try await store.appendTrace(TraceEvent(at: now, kind: "admin.profile.set", actor: "admin", subject: code, payload: ["profile": setting.profile ?? ""]))
                return app
            }
            return JSONResponse.make(Self.shown(app))
        }
        admin.post("/institutions/:code/callback") { request, context in
            let code = try context.parameters.require("code")
            let setting = try await decode(CallbackSetting.self, request)
            let now = await gateway.clock.now()
            let app = try await gateway.store.write { store -> AppCredential in
                guard var app = try await store.app(institutionCode: code) else {
                    throw DomainError(.init("APP_UNKNOWN"), .notFound, rule: nil, pointer: "", "\(code) has no registered app")
                }
                if let url = setting.url, !url.isEmpty, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                    throw DomainError.invalidValue("/url", "url must be an http(s) URL", actual: url)
                }
                app.callbackURL = setting.url
                app.callbackFaults = setting.faults
                try await store.save(app)
                try await store.appendTrace(TraceEvent(at: now, kind: "admin.callback.configure", actor: "admin", subject: code))
                return app
            }
            return JSONResponse.make(.object(["institutionCode": .string(code), "url": .string(app.callbackURL ?? ""),
                                              "faults": .object(["delaySeconds": .integer(app.callbackFaults?.delaySeconds ?? 0),
                                                                 "duplicate": .bool(app.callbackFaults?.duplicate ?? false),
                                                                 "outOfOrder": .bool(app.callbackFaults?.outOfOrder ?? false)])]))
        }
        admin.post("/filings") { request, _ in
            let input = try await decode(FilingInput.self, request)
            let now = await gateway.clock.now()
            let regions = gateway.configuration.regions
            let filing = try await gateway.store.write { try await AgencyServices.file(input, regions: regions, store: $0, now: now) }
            return try JSONResponse.encode(filing, status: .created)
        }
        admin.post("/filings/:id/cancel") { _, context in
            let id = try context.parameters.require("id")
            let now = await gateway.clock.now()
            let filing = try await gateway.store.write { try await AgencyServices.cancelFiling(id, store: $0, now: now) }
            return try JSONResponse.encode(filing)
        }
        admin.post("/reimbursements") { request, _ in
            let input = try await decode(ReimbursementInput.self, request)
            let now = await gateway.clock.now()
            let settlement = gateway.settlement
            let answer = try await gateway.store.write { try await AgencyServices.reimburse(input, settlement: settlement, store: $0, now: now) }
            return JSONResponse.make(answer, status: .created)
        }
        admin.get("/reconciliation") { request, _ in
            guard let institution = request.uri.queryParameters.get("institution") else {
                throw DomainError.missing("/institution", "the query parameter institution")
            }
            let today = Timestamps.day(await gateway.clock.now())
            let from = request.uri.queryParameters.get("from") ?? today
            let to = request.uri.queryParameters.get("to") ?? today
            let entries = try await gateway.store.read { try await Reconciliation.entries(institution: institution, from: from, to: to, store: $0) }
            let totals = Reconciliation.totals(entries)
            return JSONResponse.make(.object([
                "institution": .string(institution), "from": .string(from), "to": .string(to),
                "totals": .object(["medfee_sumamt": .string(Money.yuan(totals.medfee)), "fund_pay_sumamt": .string(Money.yuan(totals.fund)),
                                   "acct_pay": .string(Money.yuan(totals.account)), "fixmedins_setl_cnt": .string(String(totals.count))]),
                "details": .array(entries.map { .object(["kind": .string($0.kind), "id": .string($0.id), "time": .string(Timestamps.fsi($0.at)),
                                                         "medfee_sumamt": .string(Money.yuan($0.medfee)), "fund_pay_sumamt": .string(Money.yuan($0.fund)),
                                                         "acct_pay": .string(Money.yuan($0.account)), "psn_cash_pay": .string(Money.yuan($0.cash))]) }),
            ]))
        }
        // SV-4: institutions, service volume and fees, drug categories and fees.
        admin.get("/statistics") { _, _ in
            let now = await gateway.clock.now()
            return JSONResponse.make(try await gateway.store.read { try await AgencyServices.statistics(store: $0, now: now) })
        }
        admin.get("/callbacks") { request, _ in
            let institution = request.uri.queryParameters.get("institution")
            let limit = max(1, min(request.uri.queryParameters.get("limit", as: Int.self) ?? 100, 1000))
            let callbacks = try await gateway.store.read { try await $0.callbacks(institutionCode: institution, limit: limit) }
            return try JSONResponse.encode(callbacks)
        }
        admin.get("/trace") { request, _ in
            let from = request.uri.queryParameters.get("from", as: Int64.self) ?? 1
            let limit = max(1, min(request.uri.queryParameters.get("limit", as: Int.self) ?? 100, 1000))
            let entries = try await gateway.store.read { try await $0.traceEntries(from: from, limit: limit) }
            return try JSONResponse.encode(entries)
        }
        // The policy engine's derivation of a mobile-payment order (the sentences real clients cannot take in signed data).
        admin.get("/orders/:payOrdId/derivation") { _, context in
            let id = try context.parameters.require("payOrdId")
            guard let order = try await gateway.store.read({ try await $0.paymentOrder(payOrdId: id) }) else {
                throw DomainError(.init("ORDER_UNKNOWN"), .notFound, rule: .py6, pointer: "", "no payment order \(id)")
            }
            func derivation(_ text: String?) -> JSONValue {
                text.flatMap { try? JSONValue.parse($0) }.flatMap { SignedAnswer.split($0).derivation } ?? .null
            }
            return JSONResponse.make(.object(["payOrdId": .string(order.payOrdId), "uploadDerivation": derivation(order.uploadAnswer),
                                              "payDerivation": derivation(order.payAnswer)]))
        }
        // Refusals of unauthenticated requests: counted per kind and code, outside the trace.
        admin.get("/refusals") { _, _ in
            try JSONResponse.encode(try await gateway.store.read { try await $0.unauthenticatedRefusals() })
        }
        admin.get("/trace/verify") { _, _ in
            let report = try await TraceAudit.verify(gateway.store)
            return JSONResponse.make(report.json)
        }
        ConformanceReportEndpoint(gateway: gateway).register(on: admin)
    }

    // MARK: Steps

    static func runStep(_ step: AgreementStep, kind: AgreementKind, code: String, store: any StoreWriting, now: Date, policy: PolicyProfile) async throws -> Institution {
        guard var institution = try await store.institution(code: code) else {
            throw DomainError(.init("INSTITUTION_UNKNOWN"), .notFound, rule: nil, pointer: "", "no institution \(code)")
        }
        let staff = try await store.practitioners(institutionCode: code)
        try step.apply(to: &institution, kind: kind, staff: staff, now: now, policy: policy)
        try await store.save(institution)
        try await store.appendTrace(TraceEvent(at: step.at ?? now, kind: "admin.agreement.\(step.action.rawValue)", actor: "admin", subject: code,
                                         payload: ["agreement": kind.rawValue,
                                                   "state": institution.agreement(kind)?.effectiveState(at: step.at ?? now).rawValue ?? ""]))
        return institution
    }

    /// Saves a person: one person per resident ID number and per social-security card.
    static func savePerson(_ person: InsuredPerson, store: any StoreWriting, pointer: String) async throws {
        try person.validateForRegistration(pointer: pointer)
        if let holder = try await store.person(certno: person.certno), holder.psnNo != person.psnNo {
            throw DomainError(.init("PERSON_CERTNO_TAKEN"), .conflict, rule: .id1, pointer: pointer + "/certno",
                              "this resident ID number belongs to person \(holder.psnNo); one person per ID number")
        }
        if let card = person.socialSecurityCardNo, let holder = try await store.person(socialSecurityCardNo: card), holder.psnNo != person.psnNo {
            throw DomainError(.init("PERSON_CARD_TAKEN"), .conflict, rule: .id4, pointer: pointer + "/socialSecurityCardNo",
                              "this social-security card belongs to person \(holder.psnNo)")
        }
        try await store.save(person)
    }

    static func saveApp(_ app: AppCredential, store: any StoreWriting, now: Date) async throws {
        try TextField.key(app.institutionCode, "/institutionCode", "institutionCode", maximum: 40)
        try TextField.key(app.appSecret, "/appSecret", "appSecret", maximum: 128)
        // Dialect credentials (docs/DIALECTS.md §2): every member present and printable.
        if let csb = app.csb {
            try TextField.key(csb.accessKey, "/csb/accessKey", "csb.accessKey", maximum: 128)
            try TextField.key(csb.secretKey, "/csb/secretKey", "csb.secretKey", maximum: 128)
        }
        if let tif = app.tif {
            try TextField.key(tif.paasid, "/tif/paasid", "tif.paasid", maximum: 128)
            try TextField.key(tif.token, "/tif/token", "tif.token", maximum: 128)
        }
        if let oauth = app.oauth {
            try TextField.key(oauth.clientId, "/oauth/clientId", "oauth.clientId", maximum: 128)
            try TextField.key(oauth.clientSecret, "/oauth/clientSecret", "oauth.clientSecret", maximum: 128)
            try TextField.key(oauth.username, "/oauth/username", "oauth.username", maximum: 128)
            try TextField.key(oauth.password, "/oauth/password", "oauth.password", maximum: 128)
            if app.profile == "jilin-encrypted", oauth.clientId.utf8.count != 16 {
                throw DomainError.invalidValue("/oauth/clientId", "profile jilin-encrypted uses the client id as its 16-byte SM4 key: it must have 16 characters",
                                               actual: "\(oauth.clientId.utf8.count) characters", rule: nil)
            }
            if let other = try await store.apps().first(where: { $0.oauth?.clientId == oauth.clientId && $0.institutionCode != app.institutionCode }) {
                throw DomainError(.init("OAUTH_CLIENT_TAKEN"), .conflict, rule: nil, pointer: "/oauth/clientId",
                                  "this OAuth client id belongs to \(other.institutionCode): one client per institution")
            }
        }
        guard app.appId.utf8.count >= 16 else {
            throw DomainError.invalidValue("/appId", "appId must have at least 16 characters (its first 16 form the SM4 key)", actual: app.appId)
        }
        // Keys as they arrive in the wild: 64-byte X‖Y, hex, Base64 or PEM — stored as Base64 of 04‖X‖Y.
        guard let key = try? SM2.PublicKey(anyFormat: app.publicKey), let normalised = try? key.rawRepresentation.base64 else {
            throw DomainError.invalidValue("/publicKey", "publicKey must be an SM2 point: PEM, or the hex or Base64 of 04‖X‖Y (65 bytes) or X‖Y (64 bytes)")
        }
        var app = app
        app.publicKey = normalised
        guard try await store.institution(code: app.institutionCode) != nil else {
            throw DomainError(.init("INSTITUTION_UNKNOWN"), .notFound, rule: nil, pointer: "/institutionCode", "no institution \(app.institutionCode)")
        }
        if let existing = try await store.app(institutionCode: app.institutionCode), existing.appId != app.appId {
            throw DomainError(.init("APP_EXISTS"), .conflict, rule: nil, pointer: "/institutionCode",
                              "\(app.institutionCode) already has app \(existing.appId); one app per institution")
        }
        if let existing = try await store.app(appId: app.appId), existing.institutionCode != app.institutionCode {
            throw DomainError(.init("APP_EXISTS"), .conflict, rule: nil, pointer: "/appId", "appId \(app.appId) belongs to \(existing.institutionCode)")
        }
        try await store.save(app)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.app.register", actor: "admin", subject: app.institutionCode, payload: ["appId": app.appId]))
    }

    /// A practitioner from its input, the certificate verified against the trusted roots (PR-3: authenticity can be checked).
    func practitioner(from input: PractitionerInput, now: Date) throws -> Practitioner {
        var since: Date?
        if let text = input.independentPracticeSince {
            guard let day = Timestamps.parseDay(text) else {
                throw DomainError.invalidValue("/independentPracticeSince", "must be yyyy-MM-dd", actual: text)
            }
            since = day
        }
        var practitioner = Practitioner(code: input.code, name: input.name, role: input.role, institutionCode: input.institutionCode,
                                        qualificationNo: input.qualificationNo, independentPracticeSince: since, licensed: input.licensed ?? false)
        if let pem = input.certificatePem {
            let certificate: Certificate
            do { certificate = try Certificate(pemRepresentation: pem) } catch {
                throw DomainError.invalidValue("/certificatePem", "not a PEM certificate: \(error)", rule: .pr3)
            }
            let verifier = CertificateChainVerifier(trustAnchors: gateway.configuration.trustedRoots, intermediates: gateway.configuration.intermediates,
                                                    crls: gateway.configuration.revocationLists)
            if case .invalid(let failures) = verifier.verify(certificate, at: now) {
                throw DomainError(.init("PRACTITIONER_CERTIFICATE_INVALID"), .forbidden, rule: .pr3, pointer: "/certificatePem",
                                  "the certificate does not chain to the platform's trusted roots: " + failures.map(\.description).joined(separator: "; "))
            }
            practitioner.certificateSerial = certificate.serialNumberHex
            practitioner.certificateSubject = certificate.subject
        } else if input.certificate != nil {
            throw DomainError.invalidValue("/certificate", "the gateway takes the certificate inline as certificatePem; `yibao serve` resolves certificate paths under certs/", rule: .pr3)
        }
        return practitioner
    }

    // MARK: Fixtures

    /// Loads a fixture in one transaction: everything or nothing.
    func load(_ fixture: Fixture, marker: String? = nil) async throws -> JSONValue {
        let now = await gateway.clock.now()
        let known = gateway.configuration.dialects
        let policy = gateway.configuration.policy
        let practitioners = try fixture.practitioners.enumerated().map { index, input in
            do { return try practitioner(from: input, now: now) } catch var error as DomainError {
                error.pointer = "/practitioners/\(index)" + error.pointer
                throw error
            }
        }
        return try await gateway.store.write { store -> JSONValue in
            for (index, input) in fixture.institutions.enumerated() {
                guard try await store.institution(code: input.code) == nil else {
                    throw DomainError(.init("INSTITUTION_EXISTS"), .conflict, rule: nil, pointer: "/institutions/\(index)/code", "institution \(input.code) is already registered")
                }
                try await store.save(input.institution)
            }
            for practitioner in practitioners { try await store.save(practitioner) }
            for (index, script) in fixture.agreements.enumerated() {
                for (stepIndex, step) in script.steps.enumerated() {
                    do { _ = try await Self.runStep(step, kind: script.kind, code: script.institution, store: store, now: now, policy: policy) } catch var error as DomainError {
                        error.pointer = "/agreements/\(index)/steps/\(stepIndex)" + error.pointer
                        throw error
                    }
                }
            }
            for (index, person) in fixture.persons.enumerated() { try await Self.savePerson(person.person, store: store, pointer: "/persons/\(index)") }
            for visit in fixture.offlineVisits { try await store.add(visit) }
            for (index, usage) in fixture.personYears.enumerated() {
                for (name, value) in [("deductibleUsedFen", usage.deductibleUsedFen), ("fundPaidFen", usage.fundPaidFen)] where !(0...Money.maximumFen).contains(value) {
                    throw DomainError.invalidValue("/personYears/\(index)/\(name)", "\(name) must be from 0 to \(Money.maximumFen) fen",
                                                   expected: "0 … \(Money.maximumFen)", actual: String(value), rule: nil)
                }
                try await store.savePersonYear(psnNo: usage.psnNo, year: usage.year, deductibleUsedFen: usage.deductibleUsedFen, fundPaidFen: usage.fundPaidFen)
            }
            for (index, var app) in fixture.apps.enumerated() {
                do {
                    // A fixture institution's `profile` goes to its app unless the app names its own.
                    if app.profile == nil { app.profile = fixture.institutions.first { $0.code == app.institutionCode }?.profile }
                    if let name = app.profile, known[name] == nil {
                        throw DomainError.invalidValue("/profile", "no dialect profile \(name) (profiles/*.json)", expected: known.keys.sorted().joined(separator: " | "), actual: name, rule: nil)
                    }
                    try await Self.saveApp(app, store: store, now: now)
                } catch var error as DomainError {
                    error.pointer = "/apps/\(index)" + error.pointer
                    throw error
                }
            }
            if let marker { try await store.setSetting(marker, Timestamps.iso(now)) }
            try await store.appendTrace(TraceEvent(at: now, kind: "admin.fixture.load", actor: "admin", subject: fixture.description.map { String($0.prefix(40)) } ?? "fixture",
                                             payload: ["institutions": String(fixture.institutions.count), "persons": String(fixture.persons.count)]))
            return .object([
                "institutions": .integer(fixture.institutions.count), "practitioners": .integer(practitioners.count),
                "agreementSteps": .integer(fixture.agreements.reduce(0) { $0 + $1.steps.count }), "persons": .integer(fixture.persons.count),
                "offlineVisits": .integer(fixture.offlineVisits.count), "apps": .integer(fixture.apps.count),
            ])
        }
    }

    /// Refuses a profile name the gateway does not know.
    func checkProfile(_ name: String?) throws {
        guard let name else { return }
        guard gateway.configuration.dialects[name] != nil else {
            throw DomainError.invalidValue("/profile", "no dialect profile \(name) (profiles/*.json)",
                                           expected: gateway.configuration.dialects.keys.sorted().joined(separator: " | "), actual: name, rule: nil)
        }
    }

    /// An app credential as the admin API shows it: every secret as its fingerprint (docs/SECURITY.md §1).
    static func shown(_ app: AppCredential) -> JSONValue {
        var object: JSONObject = ["appId": .string(app.appId), "institutionCode": .string(app.institutionCode),
                                  "appSecret": .string(Redaction.secret(app.appSecret)), "publicKey": .string(app.publicKey),
                                  "callbackURL": app.callbackURL.map(JSONValue.string) ?? .null, "profile": app.profile.map(JSONValue.string) ?? .null]
        if let csb = app.csb { object["csb"] = .object(["accessKey": .string(csb.accessKey), "secretKey": .string(Redaction.secret(csb.secretKey))]) }
        if let tif = app.tif { object["tif"] = .object(["paasid": .string(tif.paasid), "token": .string(Redaction.secret(tif.token))]) }
        if let oauth = app.oauth {
            // The client id is also the SM4 key of jilin-encrypted: a fingerprint too.
            object["oauth"] = .object(["clientId": .string(Redaction.secret(oauth.clientId)), "clientSecret": .string(Redaction.secret(oauth.clientSecret)),
                                       "username": .string(oauth.username), "password": .string(Redaction.secret(oauth.password)),
                                       "scope": oauth.scope.map(JSONValue.string) ?? .null])
        }
        return .object(object)
    }

    // MARK: Decoding

    /// Members whose text may span lines.
    static let multilineMembers: Set<String> = ["certificatePem", "note", "description"]

    /// The pointer of the first key or string holding a control character (line breaks and tabs
    /// allowed only in ``multilineMembers``), or nil.
    static func controlCharacter(in value: JSONValue, at pointer: String, multiline: Bool = false) -> String? {
        switch value {
        case .string(let text):
            let bad = text.unicodeScalars.contains { scalar in
                if multiline, scalar == "\n" || scalar == "\r" || scalar == "\t" { return false }
                return scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
            }
            return bad ? pointer : nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = controlCharacter(in: item, at: pointer + "/\(index)", multiline: multiline) { return found }
            }
            return nil
        case .object(let object):
            for member in object.members {
                let escaped = member.key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                if TextField.containsControlCharacters(member.key) { return pointer + "/" + escaped }
                if let found = controlCharacter(in: member.value, at: pointer + "/" + escaped, multiline: multilineMembers.contains(member.key)) { return found }
            }
            return nil
        default: return nil
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: Request, defaultingAction: AgreementStep.Action? = nil) async throws -> T {
        var bytes = try await request.bodyBytes(limit: gateway.configuration.limits.adminBodyBytes)
        if bytes.isEmpty || bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A }) { bytes = Array("{}".utf8) }
        // Checked as JSON first: duplicate keys (which a decoder would silently resolve) and control characters are refused.
        let value: JSONValue
        do { value = try JSONValue.parse(bytes, maximumValues: 1_000_000, maximumDepth: 64) } catch {
            throw Problem(status: 400, code: "BODY_INVALID", rule: nil, pointer: "", detail: "the body is not acceptable JSON: \(error)")
        }
        if let pointer = Self.controlCharacter(in: value, at: "") {
            throw Problem(status: 400, code: "FIELD_INVALID", rule: nil, pointer: pointer,
                          detail: "control characters are not accepted here (line breaks only inside certificatePem, note and description)")
        }
        if let action = defaultingAction, var object = (try? JSONValue.parse(bytes))?.objectValue, object["action"] == nil {
            object["action"] = .string(action.rawValue)
            bytes = Array(JSONValue.object(object).serialized().utf8)
        }
        do {
            return try AdminCoding.decoder.decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw Problem(decoding: error)
        }
    }
}

/// `POST /admin/institutions/{code}/profile`: the institution's dialect profile.
struct ProfileSetting: Codable, Sendable {
    var profile: String?
}

/// `POST /admin/institutions/{code}/callback`: where settlement callbacks go and which faults to switch on.
struct CallbackSetting: Codable, Sendable {
    var url: String?
    var faults: CallbackFaults?
}

extension Problem {
    /// A JSON decoding failure, pointing at the member.
    init(decoding error: DecodingError) {
        func pointer(_ path: [any CodingKey]) -> String {
            path.map { "/" + ($0.intValue.map(String.init) ?? $0.stringValue) }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init(status: 400, code: "FIELD_MISSING", rule: nil, pointer: pointer(context.codingPath + [key]), detail: "\"\(key.stringValue)\" is required")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            self.init(status: 400, code: "FIELD_INVALID", rule: nil, pointer: pointer(context.codingPath), detail: "expected \(type): \(context.debugDescription)")
        case .dataCorrupted(let context):
            self.init(status: 400, code: "FIELD_INVALID", rule: nil, pointer: pointer(context.codingPath), detail: context.debugDescription)
        @unknown default:
            self.init(status: 400, code: "BODY_INVALID", rule: nil, pointer: "", detail: "\(error)")
        }
    }
}

/// Checks `Authorization: Bearer <token>`.
struct BearerMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    let realm: String
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do { try request.requireBearer(token, realm: realm) } catch let problem as Problem { return problem.response }
        return try await next(request, context)
    }
}

/// AG-10: the public list of signed Internet+ institutions.
struct PublicEndpoint: Sendable {
    let gateway: Gateway

    func register(on router: Router<GatewayRequestContext>) {
        router.get("/public/institutions") { _, _ in
            let now = await gateway.clock.now()
            let listings = try await gateway.store.read { store in try await store.institutions().compactMap { $0.publicListing(at: now) } }
            return try JSONResponse.encode(listings)
        }
    }
}

/// Re-checks the whole trace chain.
public enum TraceAudit {
    public static func verify(_ store: any GatewayStore, batch: Int = 5000) async throws -> TraceVerifier.Report {
        var verifier = TraceVerifier()
        var next: Int64 = 1
        while true {
            let from = next
            let entries = try await store.read { try await $0.traceEntries(from: from, limit: batch) }
            for entry in entries { verifier.check(entry) }
            guard let last = entries.last, entries.count == batch else { break }
            next = last.seq + 1
        }
        return verifier.report
    }
}

extension TraceVerifier.Report {
    var json: JSONValue {
        .object([
            "intact": .bool(isIntact),
            "entries": .integer(entries),
            "head": head.map { .object(["seq": .integer($0.seq), "hash": .string($0.hash)]) } ?? .null,
            "problems": .array(problems.map { .string($0.description) }),
        ])
    }
}
