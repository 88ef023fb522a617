import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto

/// An RFC 9457 `application/problem+json` refusal: `type`, `title`, `status`, plus our `code`,
/// `rule` (the DOMAIN.md id), `pointer` (RFC 6901), `detail`, `expected`, `actual`, and for
/// signature failures the `signString` we computed and a `diagnosis`. FSI refusals also carry
/// `infcode` -1 and `err_msg`, HSE ones `success` false and `message`, so that HIS code written
/// for the real platform still sees a failure where it looks for one.
public struct Problem: Error, Sendable, Hashable {
    public var status: Int
    public var code: String
    public var rule: String?
    public var pointer: String
    public var detail: String
    public var expected: String?
    public var actual: String?
    public var signString: String?
    public var diagnosis: [String]
    /// Longest `signString` an answer carries, in bytes.
    static let signStringLimit = 64 * 1024
    /// Which envelope the request used, for the compatibility members.
    public var envelope: Envelope = .none
    /// Seconds after which a rate-limited client may try again (`Retry-After`).
    public var retryAfter: Int?

    public enum Envelope: Sendable, Hashable { case none, fsi(refMsgId: String?), hse }

    /// `code` from the registry (``ErrorCode``): no refusal carries a code docs/ERRORS.md does not list.
    public init(status: Int, code: ErrorCode, rule: String?, pointer: String, detail: String,
                expected: String? = nil, actual: String? = nil, signString: String? = nil, diagnosis: [String] = [], retryAfter: Int? = nil) {
        self.retryAfter = retryAfter
        self.status = status
        self.code = code.rawValue
        self.rule = rule
        self.pointer = pointer
        self.detail = detail
        self.expected = expected
        self.actual = actual
        self.signString = signString
        self.diagnosis = diagnosis
    }

    /// From a domain rule's refusal.
    public init(_ error: DomainError) {
        let status = switch error.kind {
        case .invalid: 400
        case .unauthenticated: 401
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        }
        self.init(status: status, code: error.code, rule: error.rule?.rawValue, pointer: error.pointer, detail: error.detail,
                  expected: error.expected, actual: error.actual)
    }

    /// From an envelope that did not open; `pointerPrefix` is empty for HSE (pointers are into the envelope).
    public init(_ failure: HSEOpenFailure) {
        let status = switch failure.step {
        case .parse, .fields, .decrypt: 400
        case .signature, .timestamp: 401
        }
        // Every HSEOpenFailure code is registered (ErrorRegistryTests).
        self.init(status: status, code: ErrorCode(rawValue: failure.code.rawValue) ?? .envNotJson, rule: Rule.protocolEnvelope.rawValue, pointer: failure.pointer,
                  detail: failure.detail, expected: failure.expected, actual: failure.actual,
                  signString: failure.signString, diagnosis: failure.diagnosis)
        envelope = .hse
    }

    /// "TOKEN_REUSED" → "Token reused", "FSI_SIGNATURE_INVALID" → "FSI signature invalid".
    public var title: String {
        let special = ["FSI": "FSI", "HSE": "HSE", "ENV": "envelope", "QRCODE": "QR code", "MSGID": "msgid", "INFNO": "infno",
                       "APPID": "appId", "ENCDATA": "encData", "ENCTYPE": "encType", "SIGNTYPE": "signType", "AUTHCODE": "authCode",
                       "PAYAUTHNO": "payAuthNo", "CERTNO": "certno", "HTTP": "HTTP"]
        let words = code.split(separator: "_").map { special[String($0)] ?? $0.lowercased() }
        guard let first = words.first else { return code }
        return ([first.prefix(1).uppercased() + first.dropFirst()] + words.dropFirst()).joined(separator: " ")
    }

    /// `[CODE RULE] pointer: detail` — the sentence the real-platform forms carry (FSI `err_msg`, HSE `message`).
    var sentence: String {
        var text = "[\(code)\(rule.map { " \($0)" } ?? "")]"
        if !pointer.isEmpty { text += " \(pointer):" }
        return text + " \(detail)"
    }

    /// The problem document, members in a fixed order.
    public var json: JSONObject {
        var object = JSONObject([
            .init(key: "type", value: .string("urn:yibao-gateway:problem:\(code)")),
            .init(key: "title", value: .string(title)),
            .init(key: "status", value: .integer(status)),
            .init(key: "code", value: .string(code)),
        ])
        if let rule { object["rule"] = .string(rule) }
        object["pointer"] = .string(pointer)
        object["detail"] = .string(detail)
        if let expected { object["expected"] = .string(expected) }
        if let actual { object["actual"] = .string(actual) }
        if let signString {
            // A multi-megabyte message is not echoed back whole.
            let limit = Self.signStringLimit
            object["signString"] = .string(signString.utf8.count <= limit ? signString
                                            : String(decoding: signString.utf8.prefix(limit), as: UTF8.self) + "… (\(signString.utf8.count - limit) more bytes)")
        }
        if !diagnosis.isEmpty { object["diagnosis"] = .array(diagnosis.map(JSONValue.string)) }
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
        return Response(status: .init(code: status), headers: headers,
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
