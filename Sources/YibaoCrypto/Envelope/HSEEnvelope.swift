import Foundation

/// The platform's HSE envelope (mobile payment, e-voucher, e-prescription services):
/// business data SM4-encrypted into `encData`, the whole signed with SM3-with-SM2 into
/// `signData`. Byte-level contract: docs/ENVELOPE.md.
public struct HSEEnvelope: Sendable {
    public let appId: String
    public let appSecret: String
    public let profile: HSEProfile
    /// How leniently requests are read and how answers are written (docs/DIALECTS.md §9).
    public let dialect: HSEDialect
    /// The SM4 data key, derived once.
    private let derivedKey: [UInt8]

    /// - Throws: when `appId` is shorter than 16 characters (its first 16 form the SM4 key).
    public init(appId: String, appSecret: String, profile: HSEProfile = .nhsa20, dialect: HSEDialect = .strict) throws {
        self.dialect = dialect
        guard appId.utf8.count >= 16, appId.prefix(16).allSatisfy(\.isASCII) else {
            throw CryptoError(.invalidKey, "appId must start with 16 ASCII characters (they form the SM4 key K1), got \"\(appId)\"")
        }
        guard !appSecret.isEmpty else { throw CryptoError(.invalidKey, "appSecret must not be empty") }
        self.appId = appId
        self.appSecret = appSecret
        self.profile = profile
        derivedKey = try Self.deriveDataKey(appId: appId, appSecret: appSecret)
    }

    // MARK: Encryption

    /// The 16-byte SM4 data key: the first 16 characters of the upper-case hex of
    /// SM4-ECB-PKCS7(K1 = first 16 characters of appId, appSecret).
    public static func deriveDataKey(appId: String, appSecret: String) throws -> [UInt8] {
        let k1 = Array(appId.utf8.prefix(16))
        guard k1.count == 16 else { throw CryptoError(.invalidKey, "appId must have at least 16 characters") }
        let sealed = try SM4.encrypt(Array(appSecret.utf8), key: k1, mode: .ecb, padding: .pkcs7)
        return Array(Hex.encode(sealed, uppercase: true).utf8.prefix(16))
    }

    /// The data key for this app.
    public func dataKey() -> [UInt8] { derivedKey }

    /// `encData` for the UTF-8 bytes of `plaintext`, in the profile's hex case.
    public func encrypt(_ plaintext: [UInt8]) throws -> String {
        Hex.encode(try SM4.encrypt(plaintext, key: derivedKey, mode: .ecb, padding: .pkcs7), uppercase: profile.encDataHexCase == .upper)
    }

    /// Decrypts `encData` (hex of either case).
    public func decrypt(_ encData: String) throws -> [UInt8] {
        guard let bytes = Hex.decode(encData) else { throw CryptoError(.invalidInput, "encData is not hex") }
        return try SM4.decrypt(bytes, key: derivedKey, mode: .ecb, padding: .pkcs7)
    }

    // MARK: Sealing

    /// Seals a request: `appId`, `encType`, `signType`, `timestamp` (epoch ms), `version`,
    /// any `additional` members (e.g. `transType`), `encData`, `signData`.
    public func sealRequest(data: JSONValue, privateKey: SM2.PrivateKey, timestamp: Date = Date(),
                            additional: [JSONObject.Member] = []) throws -> JSONObject {
        var header = JSONObject([
            .init(key: "appId", value: .string(appId)),
            .init(key: "encType", value: .string("SM4")),
            .init(key: "signType", value: .string("SM2")),
            .init(key: "timestamp", value: .string(String(Self.milliseconds(timestamp)))),
            .init(key: "version", value: .string(profile.version)),
        ])
        for member in additional {
            guard header[member.key] == nil, !["data", "encData", "signData"].contains(member.key) else {
                throw CryptoError(.invalidInput, "the envelope member \"\(member.key)\" is set by sealing and cannot be added")
            }
            header.members.append(member)
        }
        return try seal(header: header, data: data, privateKey: privateKey)
    }

    /// Seals a response: `code`, `message`, `success`, `type`, `appId`, `timestamp`, `encType`, `signType`, `encData`, `signData`.
    /// `code`, `type`, `message` and the `timestamp`'s unit follow the dialect unless given.
    public func sealResponse(data: JSONValue?, code: Int = 0, message: String? = nil, type: String? = nil,
                             privateKey: SM2.PrivateKey, timestamp: Date = Date()) throws -> JSONObject {
        let header = JSONObject([
            .init(key: "code", value: dialect.answerCodeAsString ? .string(String(code)) : .integer(code)),
            .init(key: "message", value: .string(message ?? dialect.answerMessage)),
            .init(key: "success", value: .bool(code == 0)),
            .init(key: "type", value: .string(type ?? dialect.answerType)),
            .init(key: "appId", value: .string(appId)),
            .init(key: "timestamp", value: .string(HSEDialect.write(timestamp, as: dialect.answerTimestamp))),
            .init(key: "encType", value: .string("SM4")),
            .init(key: "signType", value: .string("SM2")),
        ])
        return try seal(header: header, data: data, privateKey: privateKey)
    }

    /// Adds `encData` and `signData` to `header` for `data`.
    public func seal(header: JSONObject, data: JSONValue?, privateKey: SM2.PrivateKey) throws -> JSONObject {
        var signed = header
        var envelope = header
        if let data {
            signed["data"] = data
            envelope["encData"] = .string(try encrypt(Array(data.serialized(sortedKeys: true).utf8)))
        }
        let text = HSESignString.build(envelope: signed, appSecret: appSecret)
        let signature = try privateKey.signature(for: Array(text.utf8), signerID: profile.signerIDBytes(appSecret: appSecret))
        envelope["signData"] = .string(signature.encoded(profile.signatureEncoding).base64)
        return envelope
    }

    /// The string to sign for an envelope whose plaintext business object is `data`.
    public func signString(envelope: JSONObject, data: JSONValue?) -> String {
        var signed = envelope
        signed["data"] = data
        return HSESignString.build(envelope: signed, appSecret: appSecret)
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// Epoch milliseconds from 1–15 ASCII digits (up to the year 33658); nil otherwise.
    static func epochMilliseconds(_ text: String) -> Int64? {
        guard (1...15).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text)
    }

    // MARK: Opening

    /// Decrypts and verifies an envelope. Never throws: a failure comes back as a
    /// ``HSEOpenFailure`` naming the step, the field and — for a bad signature — the
    /// string we computed and a guess at the sender's mistake.
    ///
    /// - Parameter now: the receiver's clock for the timestamp window; nil skips that check.
    /// - Parameter diagnose: on a bad signature, try the known SDK mistakes (up to ~40 extra SM2
    ///   verifications) to say which one was made. A server under load may turn it off.
    public func open(_ bytes: [UInt8], peerPublicKey: SM2.PublicKey, now: Date? = Date(), diagnose: Bool = true) -> HSEOpenResult {
        let envelope: JSONObject
        do {
            guard let object = try JSONValue.parse(bytes).objectValue else {
                return .failure(.init(step: .parse, code: .notJSON, pointer: "", detail: "the envelope must be a JSON object"))
            }
            envelope = object
        } catch {
            return .failure(.init(step: .parse, code: .notJSON, pointer: "", detail: "the envelope is not valid JSON: \(error)"))
        }
        return open(envelope, peerPublicKey: peerPublicKey, now: now, diagnose: diagnose)
    }

    /// Decrypts and verifies a parsed envelope. See `open(_:peerPublicKey:now:)` for bytes.
    public func open(_ envelope: JSONObject, peerPublicKey: SM2.PublicKey, now: Date? = Date(), diagnose: Bool = true) -> HSEOpenResult {
        func fail(_ step: HSEOpenFailure.Step, _ code: HSEOpenFailure.Code, _ pointer: String, _ detail: String,
                  expected: String? = nil, actual: String? = nil) -> HSEOpenResult {
            .failure(.init(step: step, code: code, pointer: pointer, detail: detail, expected: expected, actual: actual))
        }

        // 1. Fields.
        let isErrorResponse: Bool = {
            if case .number(let code)? = envelope["code"] { return code != "0" }
            if case .string(let code)? = envelope["code"] { return code != "0" }
            return false
        }()
        var required = ["appId", "encType", "signType", "timestamp", "signData"]
        if !isErrorResponse { required.append("encData") }
        for key in required {
            guard let value = envelope[key] else {
                return fail(.fields, .missingField, "/\(key)", "the envelope has no \(key)")
            }
            if case .string(let s) = value, s.isEmpty { return fail(.fields, .missingField, "/\(key)", "\(key) is empty") }
        }
        if envelope["data"] != nil {
            return fail(.fields, .unexpectedField, "/data",
                        "a plaintext data member must not travel in the envelope: business data goes encrypted in encData")
        }
        guard envelope["appId"]?.stringValue == appId else {
            return fail(.fields, .appIdMismatch, "/appId", "appId does not match the credentials used to open the envelope",
                        expected: appId, actual: envelope["appId"]?.stringValue ?? envelope["appId"]?.serialized())
        }
        for (member, wanted, code) in [("encType", "SM4", HSEOpenFailure.Code.unsupportedEncType), ("signType", "SM2", .unsupportedSignType)] {
            let sent = envelope[member]?.stringValue
            if sent == wanted || (dialect.typesAnyCase && sent.map(Self.asciiUppercased) == wanted) { continue }
            // The official-demo-derived util sends "sm4"/"sm2": say so, and which profiles take it.
            let detail = sent.map(Self.asciiUppercased) == wanted
                ? "\(member) must be \(wanted) in upper case; \"\(sent ?? "")\" is the lower-case form the official-demo-derived vendor util sends (profile national accepts any case)"
                : "\(member) must be \(wanted)"
            return fail(.fields, code, "/\(member)", detail, expected: wanted, actual: envelope[member]?.serialized())
        }
        guard let signText = envelope["signData"]?.stringValue else {
            return fail(.fields, .missingField, "/signData", "signData must be a base64 string")
        }
        guard let signature = [UInt8](base64: signText) else {
            return fail(.signature, .signatureEncoding, "/signData", "signData is not valid base64")
        }
        let timestampText: String? = switch envelope["timestamp"] {
        case .string(let s)?: s
        case .number(let n)?: n
        default: nil
        }
        // Read by shape where the dialect accepts other forms (seconds, yyyyMMddHHmmss); epoch milliseconds otherwise.
        let detected = timestampText.flatMap(HSEDialect.detect)
        let timestamp: Int64?
        if let detected, detected.format != .milliseconds, dialect.timestampFormats.contains(detected.format) {
            timestamp = detected.millis
        } else {
            timestamp = timestampText.flatMap(Self.epochMilliseconds)
        }
        guard let timestamp else {
            return fail(.fields, .badTimestamp, "/timestamp",
                        "timestamp must be epoch milliseconds\(dialect.timestampFormats.count > 1 ? ", epoch seconds or yyyyMMddHHmmss (Beijing time)" : ": 1 to 15 digits")",
                        actual: envelope["timestamp"]?.serialized())
        }

        // 2. Decrypt.
        var data: JSONValue?
        if let encValue = envelope["encData"] {
            guard let encData = encValue.stringValue else {
                return fail(.decrypt, .encDataNotHex, "/encData", "encData must be a hex string")
            }
            let letterCase = Hex.letterCase(of: encData)
            let expectedCase: Hex.LetterCase = profile.encDataHexCase == .upper ? .upper : .lower
            if letterCase != .none && letterCase != expectedCase {
                return fail(.decrypt, .encDataHexCase, "/encData",
                            "encData hex is \(letterCase) case; profile \(profile.name) expects \(profile.encDataHexCase.rawValue) case",
                            expected: profile.encDataHexCase.rawValue, actual: "\(letterCase)")
            }
            guard Hex.decode(encData) != nil else {
                return fail(.decrypt, .encDataNotHex, "/encData", "encData is not hex (odd length or a non-hex character)")
            }
            let plaintext: [UInt8]
            do {
                plaintext = try decrypt(encData)
            } catch {
                // No detail of the failure (padding, block): an unauthenticated sender learns nothing about the plaintext.
                var failure = HSEOpenFailure(step: .decrypt, code: .decryptionFailed, pointer: "/encData",
                                             detail: "encData does not decrypt with the key derived from this appId/appSecret (wrong appSecret, a key not derived as SM4(appId[0..16], appSecret), or corrupted data)")
                if diagnose {
                    failure.diagnosis = diagnoseDecryption(encData)
                    if let first = failure.diagnosis.first { failure.detail += "; likely cause: \(first)" }
                }
                return .failure(failure)
            }
            do {
                data = try JSONValue.parse(plaintext)
            } catch {
                // The parser's message would quote the decrypted bytes: a decryption oracle for rearranged blocks.
                return fail(.decrypt, .dataNotJSON, "/encData",
                            "the decrypted data is not a JSON document (\(plaintext.count) bytes; not shown: the envelope's signature is not verified yet)")
            }
        }

        // 3. Timestamp window: cheap, so before the signature.
        if let now {
            let window = Int64(clamping: profile.timestampWindowSeconds).multipliedReportingOverflow(by: 1000)
            let skew = timestamp - Self.milliseconds(now) // both within 15 digits: no overflow
            if !window.overflow, abs(skew) > window.partialValue {
                var failure = HSEOpenFailure(step: .timestamp, code: .timestampOutOfWindow, pointer: "/timestamp",
                                             detail: "timestamp is \(Double(abs(skew)) / 1000) s \(skew < 0 ? "in the past" : "in the future"); the window is ±\(profile.timestampWindowSeconds) s",
                                             expected: "within \(profile.timestampWindowSeconds) s of \(Self.milliseconds(now))", actual: timestampText ?? String(timestamp))
                // A timestamp in another unit is far out of the window: name the shape it has.
                if let detected, detected.format != .milliseconds, abs(detected.millis - Self.milliseconds(now)) <= window.partialValue {
                    failure.diagnosis = ["timestamp is \(detected.format == .seconds ? "in epoch seconds (10 digits)" : "Beijing local time yyyyMMddHHmmss"); this profile reads it as epoch milliseconds (13 digits)\(dialect.timestampFormats.contains(detected.format) ? "" : " — profile national accepts it")"]
                    failure.detail += "; likely cause: \(failure.diagnosis[0])"
                }
                return .failure(failure)
            }
        }

        // 4. Signature.
        let signString = signString(envelope: envelope, data: data)
        let signerID = profile.signerIDBytes(appSecret: appSecret)
        let parsedSignature = try? ECSignature(signature, encoding: profile.signatureEncoding)
        var valid = parsedSignature.map { peerPublicKey.isValidSignature($0, for: Array(signString.utf8), signerID: signerID) } ?? false
        var verifiedString = signString
        if !valid, let parsedSignature, !dialect.acceptedSignStrings.isEmpty {
            // The dialect's accepted strings (case-insensitive sort, native types, empty objects dropped).
            var signed = envelope
            signed["data"] = data
            for accepted in dialect.acceptedSignStrings {
                let text = HSESignString.build(envelope: signed, appSecret: appSecret, variant: accepted.variant)
                if peerPublicKey.isValidSignature(parsedSignature, for: Array(text.utf8), signerID: signerID) {
                    valid = true
                    verifiedString = text
                    break
                }
            }
        }
        guard valid else {
            var failure = HSEOpenFailure(step: .signature, code: .signatureInvalid, pointer: "/signData",
                                         detail: "signData does not verify over the string we computed with the peer's public key")
            // Shown without the secret and with the business data as its shape: the sender is not proven yet.
            var signed = envelope
            signed["data"] = data
            failure.signString = HSESignString.displayIfSmall(envelope: signed, appSecret: appSecret)
            if diagnose {
                failure.diagnosis = self.diagnose(envelope: envelope, data: data, signature: signature, peerPublicKey: peerPublicKey)
            }
            if let first = failure.diagnosis.first { failure.detail += "; likely cause: \(first)" }
            return .failure(failure)
        }

        return .success(HSEOpened(envelope: envelope, data: data, signString: verifiedString, timestamp: timestamp))
    }

    /// Tries the mistakes real SDKs make and reports those under which the signature verifies.
    func diagnose(envelope: JSONObject, data: JSONValue?, signature: [UInt8], peerPublicKey: SM2.PublicKey) -> [String] {
        var signed = envelope
        signed["data"] = data
        return Self.diagnoseSignature(signed: signed, signature: signature, peerPublicKey: peerPublicKey, appSecret: appSecret,
                                      profile: profile, member: "signData")
    }

    /// The data keys SDKs derive by mistake, each named: encData that decrypts under one of them to a
    /// JSON object names the mistake. Only a sender that holds the appSecret can make such encData,
    /// so nothing is revealed that the sender does not know; nothing of the plaintext is shown.
    func diagnoseDecryption(_ encData: String) -> [String] {
        guard let bytes = Hex.decode(encData), bytes.count <= 64 * 1024 else { return [] }
        let text = String(decoding: derivedKey, as: UTF8.self)
        var candidates: [(String, [UInt8])] = []
        // The 16-character derived key decoded as hex: 8 bytes, which SM4 libraries that take short keys pad with zeros.
        if let eight = Hex.decode(text) { candidates.append(("the 16-character derived key decoded as hex (8 bytes, zero-padded) instead of its 16 ASCII bytes", eight + Array(repeating: 0, count: 16 - eight.count))) }
        if let lower = try? SM4.encrypt(Array(appSecret.utf8), key: Array(appId.utf8.prefix(16)), mode: .ecb, padding: .pkcs7) {
            candidates.append(("a key derived from the lower-case hex of SM4(appId[0..16], appSecret)", Array(Hex.encode(lower, uppercase: false).utf8.prefix(16))))
        }
        candidates.append(("the appSecret's first 16 characters used as the key, not derived", Array(appSecret.utf8.prefix(16))))
        candidates.append(("the first 16 characters of appId used as the key, not derived", Array(appId.utf8.prefix(16))))
        var findings: [String] = []
        for (name, key) in candidates where key.count == 16 && key != derivedKey {
            guard let plaintext = try? SM4.decrypt(bytes, key: key, mode: .ecb, padding: .pkcs7),
                  (try? JSONValue.parse(plaintext))?.objectValue != nil else { continue }
            findings.append("encData was encrypted with \(name); the data key is the first 16 characters of the upper-case hex of SM4(appId[0..16], appSecret), used as 16 ASCII bytes")
        }
        return findings
    }

    /// ASCII letters upper-cased, nothing else: `typesAnyCase` means `sm4`/`Sm4`, never a look-alike
    /// such as `ſm4` that full Unicode case mapping would turn into `SM4`.
    static func asciiUppercased(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { (0x61...0x7A).contains($0.value) ? Unicode.Scalar($0.value - 32)! : $0 }))
    }

    /// Largest string to sign the diagnosis tries variations of.
    public static let diagnosisLimitBytes = 256 * 1024

    /// Tries the mistakes real SDKs make — DER instead of raw r‖s, another signer ID, unsorted
    /// keys, numbers not stringified, empty values kept, no `&key=` — on the string-to-sign of
    /// `signed` (the message as signed: plaintext data in, signature out) and says which ones
    /// make `signature` verify. `member` names the signature's field in the sentences. Up to
    /// ~40 SM2 verifications. Also used for the FSI envelope's `cainfo`.
    public static func diagnoseSignature(signed: JSONObject, signature: [UInt8], peerPublicKey: SM2.PublicKey, appSecret: String,
                                         profile: HSEProfile, member: String) -> [String] {
        var findings: [String] = []
        // Each variation rebuilds and hashes the whole message: a hostile multi-megabyte body must not
        // cost forty times its size in work. Real requests are far below this bound.
        let size = JSONValue.object(signed).textBytes
        guard size <= diagnosisLimitBytes else {
            return ["no diagnosis: the string to sign is \(size) bytes; known SDK mistakes are tried for messages up to \(diagnosisLimitBytes / 1024) KiB"]
        }
        let encodings: [SignatureEncoding] = [profile.signatureEncoding] + SignatureEncoding.allCases.filter { $0 != profile.signatureEncoding }
        let ids: [(String, [UInt8])] = [
            ("the profile's signer ID", profile.signerIDBytes(appSecret: appSecret)),
            ("the default signer ID 1234567812345678", SM2.defaultSignerID),
            ("the appSecret as signer ID", Array(appSecret.utf8)),
            ("an EMPTY signer ID (OpenSSL 3.0's default when none is set)", []),
        ]
        let variants: [(String, HSESignString.Variant)] = [
            ("the correct string", []),
            ("keys not sorted", .unsortedKeys),
            ("numbers and booleans not written as strings", .numbersNotStringified),
            ("null / empty values kept", .emptyValuesKept),
            ("no &key=<appSecret> appended", .secretNotAppended),
            ("the k=v pairs sorted case-insensitively (the official util's String.CASE_INSENSITIVE_ORDER; profile national accepts it)", .caseInsensitiveSort),
            ("empty objects dropped (Shanxi's filter)", .emptyObjectsDropped),
        ]
        let expectedID = profile.signerIDBytes(appSecret: appSecret)
        // A variant that gives the very same string (no number, no empty value in this message) is not a finding.
        var seenMessages = Set<[UInt8]>()
        let messages: [(String, HSESignString.Variant, [UInt8])] = variants.compactMap { name, variant in
            let message = Array(HSESignString.build(envelope: signed, appSecret: appSecret, variant: variant).utf8)
            return seenMessages.insert(message).inserted ? (name, variant, message) : nil
        }
        // Differences are shown between the redacted strings: no secret, no decrypted data.
        let canonicalShown = Array(HSESignString.display(envelope: signed, appSecret: appSecret).utf8)
        for encoding in encodings {
            guard let value = try? ECSignature(signature, encoding: encoding) else { continue }
            for (variantName, variant, message) in messages {
                var seenIDs = Set<[UInt8]>()
                for (idName, id) in ids where seenIDs.insert(id).inserted {
                    guard peerPublicKey.isValidSignature(value, for: message, signerID: id) else { continue }
                    var causes: [String] = []
                    if encoding != profile.signatureEncoding {
                        causes.append("the signature is \(encoding == .der ? "DER-encoded" : "raw r‖s"); profile \(profile.name) expects \(profile.signatureEncoding == .raw ? "raw r‖s (64 bytes)" : "DER")")
                    }
                    if id != expectedID { causes.append("it was made with \(idName)") }
                    if !variant.isEmpty {
                        causes.append("it was computed over a string with \(variantName)")
                        let variantShown = Array(HSESignString.display(envelope: signed, appSecret: appSecret, variant: variant).utf8)
                        causes.append(variantShown == canonicalShown
                                      ? "the difference lies inside the business data, which a refusal shows as its shape only"
                                      : Self.firstDifference(canonical: canonicalShown, signed: variantShown))
                    }
                    findings.append(causes.joined(separator: "; "))
                }
            }
        }
        // A mistake seen in public threads: Base64 of the signature's hex TEXT (128 ASCII characters for r‖s).
        if findings.isEmpty, signature.count >= 128, let text = String(bytes: signature, encoding: .ascii), let bytes = Hex.decode(text) {
            let canonical = Array(HSESignString.build(envelope: signed, appSecret: appSecret).utf8)
            for encoding in SignatureEncoding.allCases {
                guard let value = try? ECSignature(bytes, encoding: encoding),
                      peerPublicKey.isValidSignature(value, for: canonical, signerID: expectedID) else { continue }
                findings.append("\(member) is the Base64 of the signature's hex text (\(signature.count) ASCII characters), not of its \(bytes.count) bytes: encode the bytes themselves")
                break
            }
        }
        if findings.isEmpty {
            if (try? ECSignature(signature, encoding: profile.signatureEncoding)) == nil {
                findings.append("\(member) is \(signature.count) bytes and not a valid \(profile.signatureEncoding == .raw ? "raw r‖s (64 bytes)" : "DER") signature")
            } else {
                findings.append("no known variation verifies: the message was signed with a different key than the peer public key given, or the data/fields differ from what was signed")
            }
        }
        return findings
    }
}

extension HSEEnvelope {
    /// Where the string the sender signed leaves the canonical one: the byte offset and a few
    /// characters of each around it, e.g. `first difference at byte 41: canonical «…&data={"a":"1"…», signed «…&data={"b":…»`.
    static func firstDifference(canonical: [UInt8], signed: [UInt8]) -> String {
        let offset = zip(canonical, signed).prefix { $0 == $1 }.count
        func excerpt(_ bytes: [UInt8]) -> String {
            let start = max(0, offset - 12), end = min(bytes.count, offset + 24)
            let text = String(decoding: bytes[start..<end], as: UTF8.self)
            return (start > 0 ? "…" : "") + text + (end < bytes.count ? "…" : "")
        }
        return "first difference at byte \(offset): canonical «\(excerpt(canonical))», signed «\(excerpt(signed))»"
    }
}

/// A successfully opened envelope.
public struct HSEOpened: Sendable {
    public let envelope: JSONObject
    /// The decrypted business data (nil for an error response without `encData`).
    public let data: JSONValue?
    /// The string whose signature verified.
    public let signString: String
    /// The envelope's timestamp, epoch milliseconds.
    public let timestamp: Int64
}

/// Why an envelope did not open: which step, a stable code, a JSON pointer to the field, a sentence,
/// and for signature failures the string we computed plus guesses at the cause.
public struct HSEOpenFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Step: String, Sendable, Codable { case parse, fields, decrypt, signature, timestamp }

    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let notJSON = Code(rawValue: "ENV_NOT_JSON")
        public static let missingField = Code(rawValue: "ENV_MISSING_FIELD")
        public static let unexpectedField = Code(rawValue: "ENV_UNEXPECTED_FIELD")
        public static let appIdMismatch = Code(rawValue: "ENV_APPID_MISMATCH")
        public static let unsupportedEncType = Code(rawValue: "ENV_UNSUPPORTED_ENCTYPE")
        public static let unsupportedSignType = Code(rawValue: "ENV_UNSUPPORTED_SIGNTYPE")
        public static let badTimestamp = Code(rawValue: "ENV_BAD_TIMESTAMP")
        public static let encDataNotHex = Code(rawValue: "ENV_ENCDATA_NOT_HEX")
        public static let encDataHexCase = Code(rawValue: "ENV_ENCDATA_HEX_CASE")
        public static let decryptionFailed = Code(rawValue: "ENV_DECRYPTION_FAILED")
        public static let dataNotJSON = Code(rawValue: "ENV_DATA_NOT_JSON")
        public static let signatureEncoding = Code(rawValue: "ENV_SIGNATURE_ENCODING")
        public static let signatureInvalid = Code(rawValue: "ENV_SIGNATURE_INVALID")
        public static let timestampOutOfWindow = Code(rawValue: "ENV_TIMESTAMP_OUT_OF_WINDOW")

        /// Every code an envelope can fail with (each is in the platform's error registry).
        public static let all: [Code] = [notJSON, missingField, unexpectedField, appIdMismatch, unsupportedEncType, unsupportedSignType, badTimestamp,
                                         encDataNotHex, encDataHexCase, decryptionFailed, dataNotJSON, signatureEncoding, signatureInvalid,
                                         timestampOutOfWindow]
    }

    public let step: Step
    public let code: Code
    /// RFC 6901 pointer into the envelope.
    public let pointer: String
    public var detail: String
    public var expected: String?
    public var actual: String?
    /// For signature failures: the string we computed and verified against, as ``HSESignString/display(envelope:appSecret:variant:)``
    /// shows it (no secret, business data as its shape).
    public var signString: String?
    /// For signature failures: the variations under which the signature does verify, or why none does.
    public var diagnosis: [String] = []

    public init(step: Step, code: Code, pointer: String, detail: String, expected: String? = nil, actual: String? = nil) {
        self.step = step
        self.code = code
        self.pointer = pointer
        self.detail = detail
        self.expected = expected
        self.actual = actual
    }

    public var description: String {
        var lines = ["\(code.rawValue) at step \(step.rawValue), field \(pointer.isEmpty ? "(envelope)" : pointer): \(detail)"]
        if let expected { lines.append("  expected: \(expected)") }
        if let actual { lines.append("  actual:   \(actual)") }
        if let signString { lines.append("  string we verified:    \(signString)") }
        for guess in diagnosis { lines.append("  diagnosis: \(guess)") }
        return lines.joined(separator: "\n")
    }
}

/// The result of `HSEEnvelope.open`.
public typealias HSEOpenResult = Result<HSEOpened, HSEOpenFailure>
