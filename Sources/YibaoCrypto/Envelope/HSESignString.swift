/// Builds the HSE string to sign exactly as docs/ENVELOPE.md §2 specifies.
public enum HSESignString {
    /// Top-level members never signed.
    public static let excludedKeys: Set<String> = ["signData", "encData", "extra"]

    /// Variations seen in buggy SDKs; used to diagnose a signature that does not verify.
    public struct Variant: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Keys kept in the order they were written.
        public static let unsortedKeys = Variant(rawValue: 1)
        /// Numbers and booleans inside objects/arrays left as JSON numbers/booleans.
        public static let numbersNotStringified = Variant(rawValue: 2)
        /// null, "" and [] kept.
        public static let emptyValuesKept = Variant(rawValue: 4)
        /// No `&key=<appSecret>` at the end.
        public static let secretNotAppended = Variant(rawValue: 8)
        /// The `k=v&` pairs sorted case-insensitively (`String.CASE_INSENSITIVE_ORDER` of the official util).
        public static let caseInsensitiveSort = Variant(rawValue: 16)
        /// Empty objects removed too (Shanxi's filter), bottom-up.
        public static let emptyObjectsDropped = Variant(rawValue: 32)
    }

    /// The string to sign for `envelope` (which carries the plaintext business object as `data`).
    public static func build(envelope: JSONObject, appSecret: String, variant: Variant = []) -> String {
        var members = envelope.members.filter { member in !excludedKeys.contains { $0.utf8.elementsEqual(member.key.utf8) } }
        if !variant.contains(.emptyValuesKept) {
            let dropObjects = variant.contains(.emptyObjectsDropped)
            members = members.compactMap { member in prune(member.value, emptyObjects: dropObjects).map { .init(key: member.key, value: $0) } }
        }
        if !variant.contains(.unsortedKeys) {
            members = JSONObject(members).sortedMembers
        }
        var pairs = members.map { "\($0.key)=\(text(of: $0.value, variant: variant))" }
        if variant.contains(.caseInsensitiveSort) {
            pairs.sort { ($0 + "&").lowercased().unicodeScalars.lexicographicallyPrecedes(($1 + "&").lowercased().unicodeScalars) }
        }
        if !variant.contains(.secretNotAppended) { pairs.append("key=\(appSecret)") }
        return pairs.joined(separator: "&")
    }

    /// Removes null, "" and [] recursively (bottom-up), and `{}` too when `emptyObjects`; nil when `value` itself goes.
    public static func prune(_ value: JSONValue, emptyObjects: Bool = false) -> JSONValue? {
        switch value {
        case .null: return nil
        case .string(let s): return s.isEmpty ? nil : value
        case .array(let items):
            let kept = items.compactMap { prune($0, emptyObjects: emptyObjects) }
            return kept.isEmpty ? nil : .array(kept)
        case .object(let object):
            let kept = JSONObject(object.members.compactMap { m in prune(m.value, emptyObjects: emptyObjects).map { .init(key: m.key, value: $0) } })
            return emptyObjects && kept.members.isEmpty ? nil : .object(kept)
        case .bool, .number: return value
        }
    }

    static func text(of value: JSONValue, variant: Variant) -> String {
        switch value {
        case .string(let s): return s
        case .number(let literal): return literal
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array, .object:
            return value.serialized(sortedKeys: !variant.contains(.unsortedKeys),
                                    stringifyLeaves: !variant.contains(.numbersNotStringified))
        }
    }
}
