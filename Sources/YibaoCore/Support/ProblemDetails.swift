import YibaoCrypto

/// The RFC 9457 problem document, one type for every party: the gateway answers with it
/// (`application/problem+json`, or inside an HTTP-200 answer), the client and the conformance
/// tester read it back, the store keeps its members in the passive conformance log. `code` is a
/// registered ``ErrorCode`` when this platform wrote it; a document read from another platform
/// may carry any code.
public struct ProblemDetails: Sendable, Hashable {
    public var status: Int
    public var code: String
    /// The docs/RULES.md rule id, e.g. `ID-2`.
    public var rule: String?
    /// RFC 6901 pointer naming the offending member ("" for the whole request).
    public var pointer: String
    public var detail: String
    public var expected: String?
    public var actual: String?
    /// For a signature refusal: the string the platform verified.
    public var signString: String?
    /// For a signature refusal: the platform's guesses at the mistake.
    public var diagnosis: [String]

    /// Longest `signString` a document carries, in bytes.
    public static let signStringLimit = 64 * 1024

    public init(status: Int, code: String, rule: String? = nil, pointer: String = "", detail: String, expected: String? = nil,
                actual: String? = nil, signString: String? = nil, diagnosis: [String] = []) {
        self.status = status
        self.code = code
        self.rule = rule
        self.pointer = pointer
        self.detail = detail
        self.expected = expected
        self.actual = actual
        self.signString = signString
        self.diagnosis = diagnosis
    }

    /// A domain rule's refusal, its status from the error's kind.
    public init(_ error: DomainError) {
        let status = switch error.kind {
        case .invalid: 400
        case .unauthenticated: 401
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        }
        self.init(status: status, code: error.code.rawValue, rule: error.rule?.rawValue, pointer: error.pointer, detail: error.detail,
                  expected: error.expected, actual: error.actual)
    }

    /// A document as received; `status` is the HTTP status it came with unless it names its own.
    public init(json object: JSONObject, status: Int) {
        func text(_ key: String) -> String? { object[key]?.stringValue }
        let stated = object["status"].flatMap { if case .number(let number) = $0 { Int(number) } else { nil } }
        let diagnosis: [String] = if case .array(let items)? = object["diagnosis"] { items.compactMap(\.stringValue) } else { [] }
        self.init(status: stated ?? status, code: text("code") ?? "HTTP_\(status)", rule: text("rule"), pointer: text("pointer") ?? "",
                  detail: text("detail") ?? text("title") ?? "", expected: text("expected"), actual: text("actual"),
                  signString: text("signString"), diagnosis: diagnosis)
    }

    /// The registry entry of `code`, if this platform's.
    public var registered: ErrorCode? { ErrorCode(rawValue: code) }

    /// "TOKEN_REUSED" → "Token reused", "FSI_SIGNATURE_INVALID" → "FSI signature invalid".
    public var title: String {
        let special = ["FSI": "FSI", "HSE": "HSE", "ENV": "envelope", "QRCODE": "QR code", "MSGID": "msgid", "INFNO": "infno",
                       "APPID": "appId", "ENCDATA": "encData", "ENCTYPE": "encType", "SIGNTYPE": "signType", "AUTHCODE": "authCode",
                       "PAYAUTHNO": "payAuthNo", "CERTNO": "certno", "HTTP": "HTTP"]
        let words = code.split(separator: "_").map { special[String($0)] ?? $0.lowercased() }
        guard let first = words.first else { return code }
        return ([first.prefix(1).uppercased() + first.dropFirst()] + words.dropFirst()).joined(separator: " ")
    }

    /// `[CODE RULE] pointer: detail` — one line for logs and the real-platform forms (FSI `err_msg`, HSE `message`).
    public var sentence: String {
        var text = "[\(code)\(rule.map { " \($0)" } ?? "")]"
        if !pointer.isEmpty { text += " \(pointer):" }
        return text + " \(detail)"
    }

    /// The document, members in a fixed order; a multi-megabyte `signString` is cut.
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
            let limit = Self.signStringLimit
            object["signString"] = .string(signString.utf8.count <= limit ? signString
                                            : String(decoding: signString.utf8.prefix(limit), as: UTF8.self) + "… (\(signString.utf8.count - limit) more bytes)")
        }
        if !diagnosis.isEmpty { object["diagnosis"] = .array(diagnosis.map(JSONValue.string)) }
        return object
    }
}
