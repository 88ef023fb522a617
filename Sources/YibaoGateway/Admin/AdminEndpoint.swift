import Foundation
import Hummingbird
import Logging
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

/// The agency's admin API (bearer token), one route collection per resource (AdminEndpoint+*.swift):
/// institutions and their agreements, practitioners, persons, offline visits, app credentials,
/// filings, settlements, fixtures, and the trace. The rules are the use cases' (YibaoServices);
/// here only decoding, routing and the answers' shape.
struct AdminEndpoint: Sendable {
    let gateway: Gateway
    /// Where sandboxes' request lines go.
    var requestLogger = Logger(label: "yibao-gateway")

    func register(on router: Router<GatewayRequestContext>) {
        let admin = router.group("/admin").add(middleware: BearerMiddleware(token: gateway.configuration.adminToken, realm: "admin"))
        admin.post("/fixtures") { request, _ in
            let fixture = try await decode(Fixture.self, request)
            let summary = try await load(fixture)
            return JSONResponse.make(summary)
        }
        registerInstitutions(on: admin)
        registerPersons(on: admin)
        registerFilings(on: admin)
        registerSettlements(on: admin)
        registerTrace(on: admin)
        ConformanceReportEndpoint(gateway: gateway).register(on: admin)
        if let sandboxes = gateway.sandboxes { SandboxEndpoint(gateway: gateway, directory: sandboxes, logger: requestLogger).register(on: admin) }
    }

    /// Loads a fixture in one transaction: everything or nothing.
    func load(_ fixture: Fixture, marker: String? = nil) async throws -> JSONValue {
        let now = await gateway.clock.now()
        let policy = gateway.configuration.policy
        let profiles = Set(gateway.configuration.dialects.keys)
        let verifier = gateway.certificateVerifier
        return try await gateway.store.write { store in
            try await AgencyRegistry.load(fixture, policy: policy, profiles: profiles, verifier: verifier, marker: marker, store: store, now: now)
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
            throw Problem(status: 400, code: .bodyInvalid, rule: nil, pointer: "", detail: "the body is not acceptable JSON: \(error)")
        }
        if let pointer = Self.controlCharacter(in: value, at: "") {
            throw Problem(status: 400, code: .fieldInvalid, rule: nil, pointer: pointer,
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
            self.init(status: 400, code: .fieldMissing, rule: nil, pointer: pointer(context.codingPath + [key]), detail: "\"\(key.stringValue)\" is required")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            self.init(status: 400, code: .fieldInvalid, rule: nil, pointer: pointer(context.codingPath), detail: "expected \(type): \(context.debugDescription)")
        case .dataCorrupted(let context):
            self.init(status: 400, code: .fieldInvalid, rule: nil, pointer: pointer(context.codingPath), detail: context.debugDescription)
        @unknown default:
            self.init(status: 400, code: .bodyInvalid, rule: nil, pointer: "", detail: "\(error)")
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
            // AG-10: the prices of its services — the Internet follow-up consultation at its region's catalogue price (a hospital's).
            let regions = gateway.configuration.regions
            let priced = listings.map { listing -> PublicListing in
                var listing = listing
                if listing.kind == .hospital, let region = regions[String(listing.admdvs.prefix(2)) + "0000"],
                   let item = region.item(code: PolicyEngine.consultationCode), let price = item.priceCap {
                    listing.prices = [ListedPrice(code: item.code, name: item.name, price: price.description)]
                }
                return listing
            }
            return try JSONResponse.encode(priced)
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
