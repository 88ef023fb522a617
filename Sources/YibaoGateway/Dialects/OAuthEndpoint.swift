import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

/// `POST /auth/oauth/token`: the OAuth2 password grant of the Jilin dialect (profiles `oauth`,
/// `jilin-encrypted`) as real HIS code calls it — HTTP Basic `clientId:clientSecret`, a form body
/// (`application/x-www-form-urlencoded`, or the query string) with `username`, `password`, `scope`,
/// `grant_type=password` — answered `{"access_token", "token_type": "bearer", "expires_in", "scope"}`.
/// Only the token's SM3 digest is stored; refusals follow RFC 6749 §5.2 (`error`,
/// `error_description`) beside our problem members, and never echo a secret.
struct OAuthEndpoint: Sendable {
    static let path = "/auth/oauth/token"
    let gateway: Gateway

    func register(on router: Router<GatewayRequestContext>) {
        router.post(RouterPath(stringLiteral: Self.path)) { request, context in
            try await gateway.admit(context)
            let body = try await request.bodyBytes(limit: gateway.configuration.limits.smallBodyBytes)
            do {
                return try await issue(authorization: request.headers[.authorization], form: FormBody.pairs(body, query: request.uri.query))
            } catch let refusal as OAuthRefusal {
                await gateway.traceRefusal(kind: "oauth.token", actor: "?", subject: "", problem: refusal.problem,
                                           at: await gateway.clock.now(), authenticated: false, source: context.sourceKey)
                return refusal.response
            }
        }
    }

    func issue(authorization: String?, form: [String: String]) async throws -> Response {
        let now = await gateway.clock.now()
        guard let authorization, authorization.lowercased().hasPrefix("basic "),
              let decoded = [UInt8](base64: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else {
            throw OAuthRefusal(status: 401, error: "invalid_client", code: .oauthClientMissing, pointer: "header:authorization",
                               detail: "send the client id and secret as HTTP Basic: Authorization: Basic base64(clientId:clientSecret)")
        }
        let clientId = String(decoding: decoded[..<colon], as: UTF8.self)
        let clientSecret = String(decoding: decoded[(colon + 1)...], as: UTF8.self)
        let apps = try await gateway.store.read { try await $0.apps() }
        guard let app = apps.first(where: { $0.oauth?.clientId == clientId }), let credential = app.oauth else {
            throw OAuthRefusal(status: 401, error: "invalid_client", code: .oauthClientUnknown, pointer: "header:authorization",
                               detail: "no institution has this OAuth client id (\(clientId.utf8.count) characters)")
        }
        guard credential.clientSecret == clientSecret else {
            throw OAuthRefusal(status: 401, error: "invalid_client", code: .oauthClientSecretWrong, pointer: "header:authorization",
                               detail: "the client secret is not the one registered for this client id (its fingerprint: \(Redaction.secret(credential.clientSecret)))")
        }
        guard form["grant_type"] == "password" else {
            throw OAuthRefusal(status: 400, error: "unsupported_grant_type", code: .oauthGrantType, pointer: "form:grant_type",
                               detail: "grant_type must be password", expected: "password", actual: form["grant_type"] ?? "missing")
        }
        guard let username = form["username"], username == credential.username, form["password"] == credential.password else {
            throw OAuthRefusal(status: 400, error: "invalid_grant", code: .oauthUserInvalid, pointer: form["username"] == credential.username ? "form:password" : "form:username",
                               detail: "username or password is not the HIS user registered for this client id")
        }
        if let scope = credential.scope, let asked = form["scope"], !asked.isEmpty, asked != scope {
            throw OAuthRefusal(status: 400, error: "invalid_scope", code: .oauthScopeInvalid, pointer: "form:scope",
                               detail: "scope must be \(scope)", expected: scope, actual: asked)
        }
        let lifetime = gateway.configuration.dialect(named: app.profile).fsi.tokenLifetimeSeconds
        let token = TokenGenerator.hex(bytes: 24)
        let record = AccessTokenRecord(digest: Hex.encode(try SM3.hash(Array(token.utf8))), institutionCode: app.institutionCode,
                                       issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(lifetime)))
        try await gateway.store.write { store in
            try await store.save(record)
            try await store.appendTrace(TraceEvent(at: now, kind: "oauth.token", actor: app.institutionCode, subject: app.institutionCode,
                                             payload: ["expiresAt": Timestamps.fsi(record.expiresAt)]))
        }
        return JSONResponse.make(.object(["access_token": .string(token), "token_type": "bearer", "expires_in": .integer(lifetime),
                                          "scope": .string(credential.scope ?? form["scope"] ?? "")]))
    }
}

/// An RFC 6749 §5.2 error answer with our problem members.
struct OAuthRefusal: Error {
    var status: Int
    var error: String
    var code: ErrorCode
    var pointer: String
    var detail: String
    var expected: String?
    var actual: String?

    var problem: Problem {
        Problem(status: status, code: code, rule: Rule.protocolEnvelope.rawValue, pointer: pointer, detail: detail, expected: expected, actual: actual)
    }

    var response: Response {
        var object = problem.json
        object["error"] = .string(error)
        object["error_description"] = .string(detail)
        return JSONResponse.make(.object(object), status: .init(code: status))
    }
}
