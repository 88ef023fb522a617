import YibaoCrypto

/// What a signed HSE answer may hold: only what the real platform returns. Real clients run an
/// empty-value filter over the decrypted data before checking `signData` that casts every array
/// element to an object (openhis `HseEncAndDecUtil.removeEmpty`): an array of plain strings makes it
/// throw, and the signature check fails. So the policy engine's derivation — `steps` and `notes`,
/// arrays of sentences — leaves the signed data for the answer envelope's unsigned `extra` member
/// (`extra.derivation`, by JSON pointer), where our client, `yibao demo` and a curious developer
/// still find it (docs/SETTLEMENT.md §3).
package enum SignedAnswer {
    static let derivationMembers: Set<String> = ["steps", "notes"]

    /// `output` without its derivation members, and those members by pointer (nil when none).
    package static func split(_ output: JSONValue) -> (signed: JSONValue, derivation: JSONValue?) {
        var derivation = JSONObject()
        let signed = strip(output, at: "", into: &derivation)
        return (signed, derivation.members.isEmpty ? nil : .object(derivation))
    }

    private static func strip(_ value: JSONValue, at pointer: String, into derivation: inout JSONObject) -> JSONValue {
        switch value {
        case .object(let object):
            var kept: [JSONObject.Member] = []
            for member in object.members {
                let path = pointer + "/" + member.key
                if derivationMembers.contains(member.key), case .array(let items) = member.value, items.allSatisfy({ $0.stringValue != nil }) {
                    derivation[path] = member.value
                } else {
                    kept.append(.init(key: member.key, value: strip(member.value, at: path, into: &derivation)))
                }
            }
            return .object(JSONObject(kept))
        case .array(let items):
            return .array(items.enumerated().map { strip($0.element, at: pointer + "/\($0.offset)", into: &derivation) })
        default:
            return value
        }
    }

    /// Whether `value` holds an array of non-objects anywhere (what the strictest real filter chokes on).
    package static func hasPlainArrays(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let object): return object.members.contains { hasPlainArrays($0.value) }
        case .array(let items): return items.contains { if case .object = $0 { hasPlainArrays($0) } else { true } }
        default: return false
        }
    }
}
