import YibaoCore
import YibaoCrypto

/// Reads fields of a JSON object strictly, naming each by its RFC 6901 pointer when it is
/// missing or of the wrong type.
package struct Fields: Sendable {
    package let object: JSONObject
    /// The pointer of `object` itself, e.g. `/input/data`.
    package let pointer: String

    package init(_ object: JSONObject, at pointer: String) {
        self.object = object
        self.pointer = pointer
    }

    /// The fields of a nested object, which must be present.
    package init(in parent: Fields, _ key: String) throws {
        let at = parent.path(key)
        guard let value = parent.object[key] else { throw DomainError.missing(at, "\"\(key)\" (an object)") }
        guard case .object(let object) = value else {
            throw DomainError.invalidValue(at, "\"\(key)\" must be a JSON object", expected: "object", actual: value.typeName)
        }
        self.init(object, at: at)
    }

    package func path(_ key: String) -> String {
        pointer + "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    /// A required, non-empty string.
    package func string(_ key: String, _ what: String? = nil) throws -> String {
        guard let text = try optionalString(key), !text.isEmpty else { throw DomainError.missing(path(key), what.map { "\"\(key)\" (\($0))" } ?? "\"\(key)\"") }
        return text
    }

    /// A string if present and non-empty; nil when absent, null or "".
    package func optionalString(_ key: String) throws -> String? {
        guard let value = object[key] else { return nil }
        switch value {
        case .null: return nil
        case .string(let text): return text.isEmpty ? nil : text
        default:
            throw DomainError.invalidValue(path(key), "\"\(key)\" must be a JSON string", expected: "string", actual: value.typeName)
        }
    }

    /// A string present in the object (possibly empty); for envelope members that must be sent.
    package func present(_ key: String) throws -> String {
        guard let value = object[key] else { throw DomainError.missing(path(key), "\"\(key)\"") }
        guard case .string(let text) = value else {
            throw DomainError.invalidValue(path(key), "\"\(key)\" must be a JSON string", expected: "string", actual: value.typeName)
        }
        return text
    }

    /// A required string that must be one of `allowed`.
    package func oneOf(_ key: String, _ allowed: [String], rule: Rule = .protocolFields) throws -> String {
        let text = try string(key)
        guard allowed.contains(text) else {
            throw DomainError.invalidValue(path(key), "\"\(key)\" must be one of \(allowed.joined(separator: ", "))",
                                           expected: allowed.joined(separator: " | "), actual: text, rule: rule)
        }
        return text
    }
}

extension JSONValue {
    package var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
