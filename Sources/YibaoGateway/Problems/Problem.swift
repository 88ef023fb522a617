import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto

/// An RFC 9457 `application/problem+json` refusal: `type`, `title`, `status`, plus our `code`,
/// `rule` (the docs/RULES.md id), `pointer` (RFC 6901), `detail`, `expected`, `actual`, and for
/// signature failures the `signString` we computed and a `diagnosis`. FSI refusals also carry
/// `infcode` -1 and `err_msg`, HSE ones `success` false and `message`, so that HIS code written
/// for the real platform still sees a failure where it looks for one.
public struct Problem: Error, Sendable, Hashable {
    /// The document itself, shared with the client, the store and the tester.
    public var details: ProblemDetails
    /// Which envelope the request used, for the compatibility members.
    public var envelope: Envelope = .none
    /// Seconds after which a rate-limited client may try again (`Retry-After`).
    public var retryAfter: Int?

    public enum Envelope: Sendable, Hashable { case none, fsi(refMsgId: String?), hse }

    /// `code` from the registry (``ErrorCode``): no refusal carries a code docs/ERRORS.md does not list.
    public init(status: Int, code: ErrorCode, rule: String?, pointer: String, detail: String,
                expected: String? = nil, actual: String? = nil, signString: String? = nil, diagnosis: [String] = [], retryAfter: Int? = nil) {
        details = ProblemDetails(status: status, code: code.rawValue, rule: rule, pointer: pointer, detail: detail, expected: expected,
                                 actual: actual, signString: signString, diagnosis: diagnosis)
        self.retryAfter = retryAfter
    }

    /// From a domain rule's refusal.
    public init(_ error: DomainError) {
        details = ProblemDetails(error)
    }

    /// From an envelope that did not open; `pointerPrefix` is empty for HSE (pointers are into the envelope).
    public init(_ failure: HSEOpenFailure) {
        let status = switch failure.step {
        case .parse, .fields, .decrypt: 400
        case .signature, .timestamp: 401
        }
        // Every HSEOpenFailure code is registered (ErrorRegistryTests).
        let code = ErrorCode(rawValue: failure.code.rawValue) ?? .envNotJson
        // The registry's rule of the code: PROTOCOL-ENVELOPE, and PROTOCOL-REPLAY for a timestamp outside the window (as FSI's).
        self.init(status: status, code: code, rule: (code.rule ?? .protocolEnvelope).rawValue, pointer: failure.pointer,
                  detail: failure.detail, expected: failure.expected, actual: failure.actual,
                  signString: failure.signString, diagnosis: failure.diagnosis)
        envelope = .hse
    }

    /// The HTTP status code.
    public var statusCode: Int { get { details.status } set { details.status = newValue } }
    public var code: String { details.code }
    public var rule: String? { get { details.rule } set { details.rule = newValue } }
    public var pointer: String { get { details.pointer } set { details.pointer = newValue } }
    public var detail: String { get { details.detail } set { details.detail = newValue } }
    public var expected: String? { details.expected }
    public var actual: String? { details.actual }
    public var signString: String? { details.signString }
    public var diagnosis: [String] { get { details.diagnosis } set { details.diagnosis = newValue } }
    public var title: String { details.title }
    var sentence: String { details.sentence }

    /// The problem document with the compatibility members of the request's envelope.
    public var json: JSONObject {
        var object = details.json
        switch envelope {
        case .none: break
        case .fsi(let refMsgId):
            object["infcode"] = .integer(-1)
            object["err_msg"] = .string("[\(code)\(rule.map { " \($0)" } ?? "")] \(detail)")
            if let refMsgId { object["inf_refmsgid"] = .string(refMsgId) }
        case .hse:
            object["success"] = .bool(false)
            object["message"] = .string("[\(code)\(rule.map { " \($0)" } ?? "")] \(detail)")
        }
        return object
    }

    public var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json; charset=utf-8"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: JSONValue.object(json).serialized())))
    }
}

extension Problem {
    static func missing(_ pointer: String, _ what: String, rule: Rule = .protocolFields) -> Problem {
        Problem(status: 400, code: .fieldMissing, rule: rule.rawValue, pointer: pointer, detail: "\(what) is required")
    }

    static func unauthorised(_ detail: String) -> Problem {
        Problem(status: 401, code: .unauthorised, rule: nil, pointer: "", detail: detail)
    }
}

/// JSON responses.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.serialized())))
    }

    static func encode<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamps.iso(date))
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

/// At the edge, a problem is Hummingbird's own kind of error: thrown from any route, it becomes its
/// `application/problem+json` answer.
extension Problem: HTTPResponseError {
    public var status: HTTPResponse.Status { .init(code: details.status) }

    public func response(from request: Request, context: some RequestContext) throws -> Response { response }
}
