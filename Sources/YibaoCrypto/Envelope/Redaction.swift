/// What a refusal, a log, a stored record or a report may show of secrets and personal data
/// (docs/SECURITY.md). Secrets (appSecret, HMAC keys, tokens) are never shown, only their length
/// and a short SM3 fingerprint a hospital can compare with its own; ID numbers and names are
/// masked (SV-5); decrypted business data is shown as its shape (member names and types) only.
public enum Redaction {
    /// `***` plus the secret's length and the first 8 hex digits of its SM3 digest, e.g.
    /// `***(32 chars, SM3 1f0e3dad)`: enough to tell whether the right secret is configured,
    /// nothing to recover it from.
    public static func secret(_ secret: String) -> String {
        let digest = (try? SM3.hash(Array(secret.utf8))) ?? []
        return "***(\(secret.count) chars, SM3 \(Hex.encode(digest.prefix(4))))"
    }

    /// The value with every leaf replaced by its type (and a string's length): `"<string:18>"`,
    /// `"<number>"`, `"<bool>"`. Member names, array lengths, null and empty strings are kept, so a
    /// sign string built over the shape drops the same members as the real one.
    public static func shape(_ value: JSONValue) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool: return .string("<bool>")
        case .number: return .string("<number>")
        case .string(let s): return .string(s.isEmpty ? "" : "<string:\(s.count)>")
        case .array(let items): return .array(items.map(shape))
        case .object(let object): return .object(JSONObject(object.members.map { .init(key: $0.key, value: shape($0.value)) }))
        }
    }

    /// Member names (compared without case and underscores) whose values are personal data or
    /// single-use credentials: ID numbers, names, phone numbers, addresses, e-voucher tokens.
    static let personalKeys: Set<String> = [
        "certno", "psncertno", "idno", "mdtrtcertno", "certnotext", "psnname", "name", "username", "patnname", "patientname",
        "tel", "phone", "mob", "mobile", "addr", "address", "cardno", "cardsn", "socialsecuritycardno",
        "ectoken", "payauthno", "qrcode", "ecqrcode", "authcode", "paytoken", "birthday", "birthdate",
        // The e-prescription centre's and the pharmacy side's: practitioners' names and ID numbers, single-use credentials.
        "prscdrname", "drname", "undodrname", "pharname", "prscdrcertno", "undodrcertno", "pharcertno", "pharpraccertno",
        "epctoken", "authno", "rxsignverifysn", "cashierurl",
    ]
    static let nameKeys: Set<String> = ["psnname", "name", "username", "patnname", "patientname", "prscdrname", "drname", "undodrname", "pharname"]

    /// Member names (compared without case and underscores) whose values are secrets: shown as ``secret(_:)``.
    static let secretKeys: Set<String> = ["appsecret", "secretkey", "clientsecret", "password", "accesstoken", "refreshtoken", "token", "admintoken"]

    /// Whether a member of this name holds personal data (e.g. `certno`, `psn_name`, `idNo`, `ecToken`).
    public static func isPersonal(key: String) -> Bool { personalKeys.contains(normalised(key)) }

    /// Whether a member of this name holds a secret (`access_token`, `password`, `clientSecret`, …).
    public static func isSecret(key: String) -> Bool { secretKeys.contains(normalised(key)) }

    /// A form body (`a=1&password=…`) with secret and personal values masked; nil when `text` is not one.
    public static func maskForm(_ text: String) -> String? {
        guard text.contains("="), !text.contains("{"), !text.contains(" ") || text.contains("&") else { return nil }
        return text.split(separator: "&", omittingEmptySubsequences: false).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return String(pair) }
            let key = String(parts[0]), value = String(parts[1])
            if isSecret(key: key) { return key + "=" + secret(value.removingPercentEncodingIfPossible) }
            if isPersonal(key: key) { return key + "=" + mask(value.removingPercentEncodingIfPossible, key: key) }
            return String(pair)
        }.joined(separator: "&")
    }

    static func normalised(_ key: String) -> String { key.lowercased().filter { $0 != "_" && $0 != "-" } }

    /// A URL with the values of secret and personal query parameters masked (`?token=…` of a cashier page).
    public static func maskURL(_ url: String) -> String {
        guard let mark = url.firstIndex(of: "?") else { return url }
        let query = String(url[url.index(after: mark)...])
        return String(url[...mark]) + (maskForm(query) ?? query)
    }

    /// The value with every secret member masked (recursively), personal data left as it is: what a report shows
    /// when it was asked to reveal personal data — secrets are never revealed.
    public static func maskSecrets(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(maskSecrets))
        case .object(let object):
            return .object(JSONObject(object.members.map { member in
                if isSecret(key: member.key), case .string(let text) = member.value { return .init(key: member.key, value: .string(secret(text))) }
                return .init(key: member.key, value: maskSecrets(member.value))
            }))
        default: return value
        }
    }

    /// The value with every personal member masked (recursively); other members as they are.
    public static func maskPersonal(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(maskPersonal))
        case .object(let object):
            return .object(JSONObject(object.members.map { member in
                if isSecret(key: member.key), case .string(let text) = member.value { return .init(key: member.key, value: .string(secret(text))) }
                guard isPersonal(key: member.key) else { return .init(key: member.key, value: maskPersonal(member.value)) }
                guard case .string(let text) = member.value else { return .init(key: member.key, value: shape(member.value)) }
                return .init(key: member.key, value: .string(mask(text, key: member.key)))
            }))
        default: return value
        }
    }

    /// A personal value masked by what it is: a name keeps its first letter (`张*`, `Z* San`),
    /// an ID number its first 4 and last 4 characters (`1201**********1234`), anything else its
    /// first 4 characters and its length.
    public static func mask(_ text: String, key: String) -> String {
        if nameKeys.contains(normalised(key)) { return maskName(text) }
        if looksLikeIDNumber(text) { return maskIDNumber(text) }
        guard text.count > 4 else { return String(repeating: "*", count: text.count) }
        return String(text.prefix(4)) + "…(\(text.count) chars)"
    }

    /// `张三` → `张*`, `欧阳娜娜` → `欧***`, `Zhang San` → `Z* San`.
    public static func maskName(_ name: String) -> String {
        let words = name.split(separator: " ", omittingEmptySubsequences: false)
        if words.count > 1, let first = words.first, let initial = first.first {
            return ([String(initial) + "*"] + words.dropFirst().map(String.init)).joined(separator: " ")
        }
        guard let initial = name.first else { return name }
        return String(initial) + String(repeating: "*", count: max(1, name.count - 1))
    }

    /// `120101199001011234` → `1201**********1234`.
    public static func maskIDNumber(_ id: String) -> String {
        guard id.count > 8 else { return String(repeating: "*", count: id.count) }
        return String(id.prefix(4)) + String(repeating: "*", count: id.count - 8) + String(id.suffix(4))
    }

    /// 15 digits, or 17 digits and a digit or X: a resident ID number's shape.
    public static func looksLikeIDNumber(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let isDigit = { (b: UInt8) in b >= 0x30 && b <= 0x39 }
        if bytes.count == 15 { return bytes.allSatisfy(isDigit) }
        guard bytes.count == 18 else { return false }
        return bytes.prefix(17).allSatisfy(isDigit) && (isDigit(bytes[17]) || bytes[17] == UInt8(ascii: "X") || bytes[17] == UInt8(ascii: "x"))
    }

    /// Free text with every embedded resident ID number masked (runs of 18 characters of the
    /// shape 17 digits + digit/X, and runs of exactly 15 digits, that are not part of a longer
    /// word such as an appId `YBH120101000018259B894`).
    public static func maskIDNumbers(in text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 15 else { return text }
        let isDigit = { (b: UInt8) in b >= 0x30 && b <= 0x39 }
        let isWordByte = { (b: UInt8) in isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            guard isDigit(bytes[i]), i == 0 || !isWordByte(bytes[i - 1]) else { out.append(bytes[i]); i += 1; continue }
            var j = i
            while j < bytes.count, isDigit(bytes[j]) { j += 1 }
            var run = j - i
            if run == 17, j < bytes.count, bytes[j] == UInt8(ascii: "X") || bytes[j] == UInt8(ascii: "x") { run = 18 }
            let standsAlone = i + run == bytes.count || !isWordByte(bytes[i + run])
            if standsAlone && (run == 18 || run == 15) {
                let id = String(decoding: bytes[i..<(i + run)], as: UTF8.self)
                out.append(contentsOf: Array(maskIDNumber(id).utf8))
            } else {
                out.append(contentsOf: bytes[i..<(i + run)])
            }
            i += run
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The message as a refusal may show it: the decrypted HSE business data (`data`) as its shape,
    /// every other member with personal values masked (the FSI `input` included).
    public static func signedForDisplay(_ signed: JSONObject) -> JSONObject {
        JSONObject(signed.members.map { member in
            if member.key == "data" { return .init(key: member.key, value: shape(member.value)) }
            if isPersonal(key: member.key), case .string(let text) = member.value { return .init(key: member.key, value: .string(mask(text, key: member.key))) }
            return .init(key: member.key, value: maskPersonal(member.value))
        })
    }
}

extension String {
    /// At most `limit` bytes of UTF-8 (cut on a character boundary), with a note of how much was left
    /// out. Linear in `limit`, not in the text: cheap on a hostile multi-megabyte value.
    public func cappedUTF8(_ limit: Int) -> String {
        let utf8 = self.utf8
        guard utf8.count > limit else { return self }
        var end = utf8.index(utf8.startIndex, offsetBy: limit)
        while end > utf8.startIndex, UTF8.isContinuation(utf8[end]) { end = utf8.index(before: end) }
        return String(self[..<end]) + "… (\(utf8.count - utf8.distance(from: utf8.startIndex, to: end)) more bytes)"
    }

    /// Percent-decoded when that works, else as it is (form values).
    var removingPercentEncodingIfPossible: String {
        var bytes: [UInt8] = []
        var iterator = Array(replacingOccurrences(of: "+", with: " ").utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
               let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension JSONValue {
    /// The bytes of its member names and text leaves (numbers' literals included): close to the
    /// length of any string built from it, without building one.
    public var textBytes: Int {
        switch self {
        case .null, .bool: return 5
        case .number(let literal): return literal.utf8.count
        case .string(let text): return text.utf8.count
        case .array(let items): return items.reduce(2) { $0 + $1.textBytes + 1 }
        case .object(let object): return object.members.reduce(2) { $0 + $1.key.utf8.count + $1.value.textBytes + 2 }
        }
    }
}

extension HSESignString {
    /// Largest message whose string to sign a refusal shows.
    public static let displayLimitBytes = 256 * 1024

    /// ``display(envelope:appSecret:variant:)``, or a note of the size for a message over
    /// ``displayLimitBytes`` (a hostile multi-megabyte body is not rebuilt and echoed).
    public static func displayIfSmall(envelope: JSONObject, appSecret: String) -> String {
        let size = JSONValue.object(envelope).textBytes
        guard size <= displayLimitBytes else { return "(not shown: the message holds about \(size) bytes of text; strings to sign are shown up to \(displayLimitBytes / 1024) KiB)" }
        return display(envelope: envelope, appSecret: appSecret)
    }

    /// The string to sign as a refusal, log or report may show it: built like ``build(envelope:appSecret:variant:)``
    /// over ``Redaction/signedForDisplay(_:)`` of `envelope`, with `key=` followed by
    /// ``Redaction/secret(_:)`` instead of the secret. Structure, member order and types stay visible.
    public static func display(envelope: JSONObject, appSecret: String, variant: Variant = []) -> String {
        var text = build(envelope: Redaction.signedForDisplay(envelope), appSecret: "", variant: variant.union(.secretNotAppended))
        if !variant.contains(.secretNotAppended) { text += (text.isEmpty ? "" : "&") + "key=" + Redaction.secret(appSecret) }
        return text
    }
}
