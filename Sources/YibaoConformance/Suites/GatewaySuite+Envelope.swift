import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto

/// Envelope, signature, time-window, replay and sign-in cases (PROTOCOL.md, docs/GATEWAY.md §3, docs/ENVELOPE.md).
extension GatewaySuite {
    typealias Case = @Sendable (GatewaySuite) async throws -> String

    static let envelopeCases: [String: Case] = [
        "FSI-SIGNIN-001": { suite in
            let signNo = try await suite.accepted("9001 sign-in") { try await suite.hospital.signIn() }
            guard !signNo.isEmpty else { throw CaseFailure("9001 answered an empty sign_no", expected: "a sign_no", actual: "\"\"") }
            return "9001 accepted, answer's cainfo verified with the platform key, sign_no \(signNo)"
        },
        "FSI-SIGNIN-002": { suite in
            let envelope = try suite.fsiSigner(hospitalCode).envelope(infno: "1101", input: personInfoInput(zhangSan), signNo: "", at: suite.clock.now(),
                                                                      msgid: suite.msgid(hospitalCode))
            return try await suite.refused("1101 without sign_no", codes: ["SIGN_NO_MISSING"], pointer: "/sign_no") { _ = try await suite.send(fsiPath, envelope) }
        },
        "FSI-SIGNIN-003": { suite in
            let envelope = try suite.fsiSigner(hospitalCode).envelope(infno: "1101", input: personInfoInput(zhangSan), signNo: "SN" + suite.random.digits(18),
                                                                      at: suite.clock.now(), msgid: suite.msgid(hospitalCode))
            return try await suite.refused("1101 with a sign_no 9001 never issued", codes: ["SIGN_NO_UNKNOWN"], pointer: "/sign_no") { _ = try await suite.send(fsiPath, envelope) }
        },
        "FSI-SIG-001": { suite in
            var envelope = try await suite.signedPersonInfo()
            var input = envelope["input"]?.objectValue ?? [:]
            var data = input["data"]?.objectValue ?? [:]
            data["psn_name"] = .string("Li Si")
            input["data"] = .object(data)
            envelope["input"] = .object(input)
            return try await suite.refused("1101 whose input was altered after signing", codes: ["FSI_SIGNATURE_INVALID"], pointer: "/cainfo") { _ = try await suite.send(fsiPath, envelope) }
        },
        "FSI-SIG-002": { suite in
            var envelope = try await suite.signedPersonInfo()
            var impostor = try suite.credentials.credentials(for: hospitalCode)
            impostor.privateKey = try suite.credentials.credentials(for: noAgreementCode).privateKey
            envelope["cainfo"] = .string(try FSIRequestSigner(credentials: impostor).sign(envelope))
            return try await suite.refused("1101 signed with another institution's key", codes: ["FSI_SIGNATURE_INVALID"], pointer: "/cainfo") { _ = try await suite.send(fsiPath, envelope) }
        },
        "FSI-SIG-003": { suite in
            var envelope = try await suite.signedPersonInfo()
            let raw = [UInt8](base64: envelope["cainfo"]?.stringValue ?? "") ?? []
            envelope["cainfo"] = .string(try ECSignature(raw, encoding: .raw).derRepresentation.base64)
            return try await suite.refused("1101 with a DER-encoded cainfo (the profile wants raw r‖s)", codes: ["FSI_SIGNATURE_INVALID"], pointer: "/cainfo", diagnosis: "DER") {
                _ = try await suite.send(fsiPath, envelope)
            }
        },
        "FSI-SIG-004": { suite in
            var envelope = try await suite.signedPersonInfo()
            envelope["cainfo"] = nil
            let credentials = try suite.credentials.credentials(for: hospitalCode)
            let text = HSESignString.build(envelope: envelope, appSecret: credentials.appSecret)
            envelope["cainfo"] = .string(try credentials.privateKey.signature(for: Array(text.utf8), signerID: []).encoded(.raw).base64)
            return try await suite.refused("1101 signed with an empty SM2 signer ID (OpenSSL 3.0 without distid)", codes: ["FSI_SIGNATURE_INVALID"], pointer: "/cainfo", diagnosis: "EMPTY signer ID") {
                _ = try await suite.send(fsiPath, envelope)
            }
        },
        "FSI-SIG-005": { suite in
            var envelope = try await suite.signedPersonInfo()
            envelope["cainfo"] = nil
            return try await suite.refused("1101 without cainfo", codes: ["FIELD_MISSING"], pointer: "/cainfo") { _ = try await suite.send(fsiPath, envelope) }
        },
        "FSI-FIELD-001": { suite in
            var envelope = try await suite.signedPersonInfo()
            envelope["infver"] = nil
            envelope["cainfo"] = .string(try suite.fsiSigner(hospitalCode).sign(envelope))
            return try await suite.refused("1101 without infver (correctly signed)", codes: ["FIELD_MISSING"], pointer: "/infver") { _ = try await suite.send(fsiPath, envelope) }
        },
        "FSI-MSGID-001": { suite in
            var envelope = try await suite.signedPersonInfo()
            envelope["msgid"] = .string("MSG" + suite.random.digits(12))
            envelope["cainfo"] = .string(try suite.fsiSigner(hospitalCode).sign(envelope))
            return try await suite.refused("1101 whose msgid is not fixmedins_code + yyyyMMddHHmmss + 4 digits", codes: ["FIELD_INVALID"], pointer: "/msgid") {
                _ = try await suite.send(fsiPath, envelope)
            }
        },
        "FSI-INST-001": { suite in
            var impostor = try suite.credentials.credentials(for: hospitalCode)
            impostor.fixmedinsCode = "H99999999999"
            let envelope = try FSIRequestSigner(credentials: impostor).envelope(infno: "9001", input: ["signIn": .object(["opter_no": "OP0001", "mac": "00-16-3E-00-00-01", "ip": "127.0.0.1"])],
                                                                                signNo: "", at: suite.clock.now(), msgid: suite.msgid("H99999999999"))
            return try await suite.refused("9001 from an institution the platform does not know", codes: ["INSTITUTION_UNKNOWN"], pointer: "/fixmedins_code") {
                _ = try await suite.send(fsiPath, envelope)
            }
        },
        "FSI-TIME-001": { suite in
            let signNo = try await suite.accepted("9001 sign-in") { try await suite.hospital.signIn() }
            let stale = suite.clock.now().addingTimeInterval(-600)
            let envelope = try suite.fsiSigner(hospitalCode).envelope(infno: "1101", input: personInfoInput(zhangSan), signNo: signNo, at: stale,
                                                                      msgid: hospitalCode + Timestamps.compact(stale) + suite.random.digits(4))
            return try await suite.refused("1101 whose inf_time is 10 minutes old", codes: ["FSI_TIME_OUT_OF_WINDOW"], pointer: "/inf_time") { _ = try await suite.send(fsiPath, envelope) }
        },
        "FSI-REPLAY-001": { suite in
            let envelope = try await suite.signedPersonInfo()
            _ = try await suite.accepted("the first 1101") { try await suite.send(fsiPath, envelope) }
            return try await suite.refused("the same 1101 sent again", codes: ["MSGID_REPLAYED"], pointer: "/msgid") { _ = try await suite.send(fsiPath, envelope) }
        },
        "HSE-SIG-001": { suite in
            let qr = try await suite.accepted("the channel's QR code") { try await suite.channel.qrCode(certno: zhangSan.certno) }
            let scan = try await suite.accepted("ec.query") { try await suite.hospital.scanVoucher(qrCode: qr.code, business: .registration) }
            return "ec.query accepted; the sealed answer opened and its signData verified with the platform key (ecToken for \(scan.userName))"
        },
        "HSE-SIG-002": { suite in
            var envelope = try await suite.sealedScan()
            let seal = try HSEEnvelope(appId: suite.hospital.credentials.appId, appSecret: suite.hospital.credentials.appSecret)
            let other: JSONValue = .object(["qrCode": .string("forged"), "businessType": "01101", "orgId": .string(hospitalCode)])
            envelope["encData"] = .string(try seal.encrypt(Array(other.serialized(sortedKeys: true).utf8)))
            return try await suite.refused("ec.query whose encData was replaced after signing", codes: ["ENV_SIGNATURE_INVALID"], pointer: "/signData") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-SIG-003": { suite in
            let data = try await suite.scanData()
            let credentials = suite.hospital.credentials
            let seal = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
            let envelope = try seal.sealRequest(data: data, privateKey: try suite.credentials.credentials(for: noAgreementCode).privateKey, timestamp: suite.clock.now())
            return try await suite.refused("ec.query sealed with another institution's key", codes: ["ENV_SIGNATURE_INVALID"], pointer: "/signData") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-SIG-004": { suite in
            var envelope = try await suite.sealedScan()
            let raw = [UInt8](base64: envelope["signData"]?.stringValue ?? "") ?? []
            envelope["signData"] = .string(try ECSignature(raw, encoding: .raw).derRepresentation.base64)
            return try await suite.refused("ec.query with a DER-encoded signData (the profile wants raw r‖s)", codes: ["ENV_SIGNATURE_INVALID"], pointer: "/signData", diagnosis: "DER") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-HEX-001": { suite in
            var envelope = try await suite.sealedScan()
            envelope["encData"] = .string((envelope["encData"]?.stringValue ?? "").lowercased())
            return try await suite.refused("ec.query with lower-case encData hex (the profile wants upper case)", codes: ["ENV_ENCDATA_HEX_CASE"], pointer: "/encData") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-TIME-001": { suite in
            let data = try await suite.scanData()
            let credentials = suite.hospital.credentials
            let seal = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
            let envelope = try seal.sealRequest(data: data, privateKey: credentials.privateKey, timestamp: suite.clock.now().addingTimeInterval(-600))
            return try await suite.refused("ec.query sealed 10 minutes ago", codes: ["ENV_TIMESTAMP_OUT_OF_WINDOW"], pointer: "/timestamp") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-REPLAY-001": { suite in
            let envelope = try await suite.sealedScan()
            let first = try await suite.accepted("the first ec.query") { try await suite.send("/hse/ec.query", envelope) }
            // Resent after a lost answer: the platform answers from what it kept, it does not scan the QR code again.
            let again = try await suite.accepted("the same sealed ec.query sent again (as after a lost answer)") { try await suite.send("/hse/ec.query", envelope) }
            guard let firstSignature = first.objectValue?["signData"], again.objectValue?["signData"] == firstSignature,
                  again.objectValue?["encData"] == first.objectValue?["encData"] else {
                throw CaseFailure("the same sealed ec.query sent again was processed a second time: its answer differs from the first",
                                  expected: "the very same sealed answer (same encData and signData)", actual: "another answer")
            }
            return "the same sealed ec.query sent again got the very same sealed answer: it was not processed twice"
        },
        "HSE-MIS-001": { suite in
            let envelope = try await suite.sealedScan(variant: .unsortedKeys)
            return try await suite.refused("ec.query signed over a string whose keys are not sorted", codes: ["ENV_SIGNATURE_INVALID"], pointer: "/signData", diagnosis: "keys not sorted") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-MIS-002": { suite in
            let envelope = try await suite.sealedScan(variant: .numbersNotStringified)
            return try await suite.refused("ec.query signed over a string with numbers and booleans not written as the canonical form says", codes: ["ENV_SIGNATURE_INVALID"], pointer: "/signData", diagnosis: "numbers and booleans") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-MIS-003": { suite in
            let envelope = try await suite.sealedScan(variant: .emptyValuesKept)
            return try await suite.refused("ec.query signed over a string that kept an empty value", codes: ["ENV_SIGNATURE_INVALID"], pointer: "/signData", diagnosis: "empty values kept") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-MIS-004": { suite in
            let envelope = try await suite.sealedScan(variant: .secretNotAppended)
            return try await suite.refused("ec.query signed over a string without &key=<appSecret>", codes: ["ENV_SIGNATURE_INVALID"], pointer: "/signData", diagnosis: "&key=") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-MIS-005": { suite in
            let envelope = try await suite.sealedScan(signerID: Array(suite.hospital.credentials.appSecret.utf8))
            return try await suite.refused("ec.query signed with the appSecret as SM2 signer ID (the profile uses 1234567812345678)", codes: ["ENV_SIGNATURE_INVALID"], pointer: "/signData", diagnosis: "appSecret as signer ID") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-MIS-006": { suite in
            var envelope = try await suite.sealedScan()
            envelope["signData"] = nil
            return try await suite.refused("ec.query without signData", codes: ["ENV_MISSING_FIELD"], pointer: "/signData") { _ = try await suite.send("/hse/ec.query", envelope) }
        },
        "HSE-ENC-001": { suite in
            let data = try await suite.scanData()
            let credentials = suite.hospital.credentials
            let seal = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
            var envelope = try seal.sealRequest(data: data, privateKey: credentials.privateKey, timestamp: suite.clock.now())
            // Encrypted under a key derived from another appSecret (vectors: WrongAppSecret, UnderivedKey, SwappedDerivation all end here).
            let wrong = try HSEEnvelope(appId: credentials.appId, appSecret: String(credentials.appSecret.reversed()))
            envelope["encData"] = .string(try wrong.encrypt(Array(data.serialized(sortedKeys: true).utf8)))
            return try await suite.refused("ec.query whose encData is encrypted under a wrongly derived key", codes: ["ENV_DECRYPTION_FAILED", "ENV_DATA_NOT_JSON"], pointer: "/encData") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-TIME-002": { suite in
            let data = try await suite.scanData()
            let credentials = suite.hospital.credentials
            let seal = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
            let envelope = try seal.sealRequest(data: data, privateKey: credentials.privateKey, timestamp: suite.clock.now().addingTimeInterval(600))
            return try await suite.refused("ec.query sealed 10 minutes in the future", codes: ["ENV_TIMESTAMP_OUT_OF_WINDOW"], pointer: "/timestamp") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        // The signature-value mistakes of vectors/sm2_verify_test.json, as signData.
        "HSE-SIGVAL-001": { suite in try await suite.refusedSignData("r = 0 (vectors: ZeroR)") { Array(repeating: 0, count: 32) + $0.suffix(32) } },
        "HSE-SIGVAL-002": { suite in try await suite.refusedSignData("s = 0 (vectors: ZeroS)") { $0.prefix(32) + Array(repeating: 0, count: 32) } },
        "HSE-SIGVAL-003": { suite in try await suite.refusedSignData("r = n, the curve order (vectors: RangeCheck)") { Hex.decode(GatewaySuite.sm2Order)! + $0.suffix(32) } },
        "HSE-SIGVAL-004": { suite in try await suite.refusedSignData("the last byte cut off (vectors: Truncated, WrongLength)") { Array($0.prefix(63)) } },
        "HSE-SIGVAL-005": { suite in try await suite.refusedSignData("a byte appended (vectors: TrailingData)") { $0 + [0] } },
        "HSE-SIGVAL-006": { suite in try await suite.refusedSignData("one bit of s flipped (vectors: ModifiedSignature)") { var b = $0; b[63] ^= 1; return b } },
        "HSE-SIGVAL-007": { suite in
            try await suite.refusedSignData("a BER (non-minimal length) encoding of the signature (vectors: BerEncoding)") { raw in
                let der = (try? ECSignature(raw, encoding: .raw).derRepresentation) ?? []
                return [0x30, 0x81] + der.dropFirst() // long-form length where the short form is required
            }
        },
        // The sign-string mistakes of vectors/hse_sign_string_test.json that are edits of the canonical string.
        "HSE-SS-001": { suite in
            try await suite.refusedSignString("the data object written with spaces after : and , (vectors: JsonWithSpaces)") {
                $0.replacingOccurrences(of: "\":\"", with: "\": \"").replacingOccurrences(of: "\",\"", with: "\", \"")
            }
        },
        "HSE-SS-002": { suite in
            try await suite.refusedSignString("'/' escaped as '\\/' (vectors: SlashEscaped)") { $0.replacingOccurrences(of: "/", with: "\\/") }
        },
        "HSE-SS-003": { suite in
            try await suite.refusedSignString("non-ASCII escaped as \\uXXXX (vectors: AsciiEscaped)") { text in
                text.unicodeScalars.map { $0.isASCII ? String($0) : String(format: "\\u%04x", $0.value) }.joined()
            }
        },
        // The encryption mistakes of vectors/sm4_test.json and hse_encryption_test.json.
        "HSE-ENC-002": { suite in
            var envelope = try await suite.sealedScan()
            let encData = envelope["encData"]?.stringValue ?? ""
            envelope["encData"] = .string(String(encData.dropLast(2)))
            return try await suite.refused("ec.query whose encData is not a whole number of SM4 blocks (vectors: BadLength)", codes: ["ENV_DECRYPTION_FAILED"], pointer: "/encData") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-ENC-003": { suite in
            let data = try await suite.scanData()
            let credentials = suite.hospital.credentials
            let seal = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
            var envelope = try seal.sealRequest(data: data, privateKey: credentials.privateKey, timestamp: suite.clock.now())
            var plaintext = Array(data.serialized(sortedKeys: true).utf8)
            plaintext += Array(repeating: 0, count: 16 - plaintext.count % 16) // zero padding instead of PKCS#7
            envelope["encData"] = .string(Hex.encode(try SM4.encrypt(plaintext, key: seal.dataKey(), padding: .none), uppercase: true))
            return try await suite.refused("ec.query whose encData is zero-padded instead of PKCS#7 (vectors: ZeroPadding, BadPadding)", codes: ["ENV_DECRYPTION_FAILED"], pointer: "/encData") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        "HSE-APPID-001": { suite in
            let data = try await suite.scanData()
            let credentials = suite.hospital.credentials
            let seal = try HSEEnvelope(appId: "YBUNKNOWN" + suite.random.digits(13), appSecret: credentials.appSecret)
            let envelope = try seal.sealRequest(data: data, privateKey: credentials.privateKey, timestamp: suite.clock.now())
            return try await suite.refused("ec.query from an appId the platform never issued", codes: ["ENV_UNKNOWN_APPID"], pointer: "/appId") {
                _ = try await suite.send("/hse/ec.query", envelope)
            }
        },
        // The integration mistakes seen in public threads (docs/DIALECTS.md §11), each refused under nhsa-2.0 with a diagnosis that names it.
        "HSE-DIAG-001": { suite in
            let envelope = try await suite.vendorScan { $0["encType"] = "sm4"; $0["signType"] = "sm2" }
            return try await suite.refused("ec.query with encType \"sm4\" and signType \"sm2\" (the official util's lower case)", codes: ["ENV_UNSUPPORTED_ENCTYPE"],
                                           pointer: "/encType", named: "lower-case form") { _ = try await suite.send("/hse/ec.query", envelope) }
        },
        "HSE-DIAG-002": { suite in
            let now = suite.clock.now()
            let envelope = try await suite.vendorScan { $0["timestamp"] = .number(String(Int64(now.timeIntervalSince1970))) }
            return try await suite.refused("ec.query whose timestamp is in epoch seconds", codes: ["ENV_TIMESTAMP_OUT_OF_WINDOW", "ENV_BAD_TIMESTAMP"],
                                           pointer: "/timestamp", named: "epoch seconds") { _ = try await suite.send("/hse/ec.query", envelope) }
        },
        "HSE-DIAG-003": { suite in
            let now = suite.clock.now()
            let envelope = try await suite.vendorScan { $0["timestamp"] = .string(HSEDialect.write(now, as: .compact)) }
            return try await suite.refused("ec.query whose timestamp is yyyyMMddHHmmss (Beijing time)", codes: ["ENV_TIMESTAMP_OUT_OF_WINDOW", "ENV_BAD_TIMESTAMP"],
                                           pointer: "/timestamp", named: "yyyyMMddHHmmss") { _ = try await suite.send("/hse/ec.query", envelope) }
        },
        "HSE-DIAG-004": { suite in
            try await suite.refusedVariant("over k=v pairs sorted case-insensitively", .caseInsensitiveSort, named: "sorted case-insensitively")
        },
        "HSE-DIAG-005": { suite in
            try await suite.refusedVariant("with nested numbers and booleans in their JSON types", .numbersNotStringified, named: "numbers and booleans not written as strings")
        },
        "HSE-DIAG-006": { suite in
            try await suite.refusedVariant("over a string that dropped an empty object", .emptyObjectsDropped, named: "empty objects dropped")
        },
        "HSE-DIAG-007": { suite in
            var envelope = try await suite.sealedScan()
            let raw = [UInt8](base64: envelope["signData"]?.stringValue ?? "") ?? []
            envelope["signData"] = .string(Array(Hex.encode(raw).utf8).base64)
            return try await suite.refused("ec.query whose signData is the Base64 of the signature's hex text", codes: ["ENV_SIGNATURE_INVALID", "ENV_SIGNATURE_ENCODING"],
                                           pointer: "/signData", named: "hex text") { _ = try await suite.send("/hse/ec.query", envelope) }
        },
        "HSE-DIAG-008": { suite in
            let data = try await suite.scanData()
            let credentials = suite.hospital.credentials
            let seal = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
            var envelope = try seal.sealRequest(data: data, privateKey: credentials.privateKey, timestamp: suite.clock.now())
            // The 16-character derived key decoded as hex (8 bytes), zero-padded to an SM4 key.
            let eight = Hex.decode(String(decoding: seal.dataKey(), as: UTF8.self)) ?? []
            let wrongKey = eight + Array(repeating: 0, count: 16 - eight.count)
            envelope["encData"] = .string(Hex.encode(try SM4.encrypt(Array(data.serialized(sortedKeys: true).utf8), key: wrongKey, mode: .ecb, padding: .pkcs7), uppercase: true))
            return try await suite.refused("ec.query encrypted with the derived key decoded as hex (8 bytes)", codes: ["ENV_DECRYPTION_FAILED"],
                                           pointer: "/encData", named: "decoded as hex (8 bytes") { _ = try await suite.send("/hse/ec.query", envelope) }
        },
    ]

    /// The order n of the SM2 curve (GB/T 32918.5).
    static let sm2Order = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123"

    /// A correctly sealed ec.query whose raw signData is then changed by `mutate`; it must be refused.
    func refusedSignData(_ what: String, _ mutate: @escaping ([UInt8]) -> [UInt8]) async throws -> String {
        var envelope = try await sealedScan()
        let raw = [UInt8](base64: envelope["signData"]?.stringValue ?? "") ?? []
        envelope["signData"] = .string(mutate(raw).base64)
        return try await refused("ec.query whose signData has \(what)", codes: ["ENV_SIGNATURE_INVALID", "ENV_SIGNATURE_ENCODING"], pointer: "/signData") {
            _ = try await send("/hse/ec.query", envelope)
        }
    }

    /// An ec.query as vendor code writes it: an extra top-level member (`ZoneId`, so a case-insensitive
    /// sort differs from the canonical one), a number, a boolean and an empty object in the data;
    /// `change` edits the envelope, which is then signed over `variant` of the string.
    func vendorScan(_ change: (inout JSONObject) -> Void, variant: HSESignString.Variant = []) async throws -> JSONObject {
        let credentials = hospital.credentials
        let seal = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
        guard case .object(var data) = try await scanData() else { throw ConformanceError("internal: ec.query data") }
        data["pageSize"] = .number("10")
        data["withCard"] = .bool(false)
        data["ext"] = .object([:])
        var envelope = try seal.sealRequest(data: .object(data), privateKey: credentials.privateKey, timestamp: clock.now(),
                                            additional: [.init(key: "ZoneId", value: "cn")])
        change(&envelope)
        try resign(&envelope, data: .object(data), variant: variant)
        return envelope
    }

    /// Signs `envelope` (its `data` given in plaintext) over `variant` of the string to sign, as a faulty SDK does.
    func resign(_ envelope: inout JSONObject, data: JSONValue, variant: HSESignString.Variant, signerID: [UInt8] = SM2.defaultSignerID) throws {
        let credentials = hospital.credentials
        var signed = envelope
        signed["data"] = data
        signed["signData"] = nil
        let text = HSESignString.build(envelope: signed, appSecret: credentials.appSecret, variant: variant)
        envelope["signData"] = .string(try credentials.privateKey.signature(for: Array(text.utf8), signerID: signerID).encoded(.raw).base64)
    }

    /// A vendor-style ec.query signed over `variant`: nhsa-2.0 refuses it, its diagnosis naming the variant.
    func refusedVariant(_ what: String, _ variant: HSESignString.Variant, named: String) async throws -> String {
        let envelope = try await vendorScan({ _ in }, variant: variant)
        return try await refused("ec.query signed \(what)", codes: ["ENV_SIGNATURE_INVALID"], pointer: "/signData", named: named) {
            _ = try await send("/hse/ec.query", envelope)
        }
    }

    /// An ec.query (its data with a '/' and Chinese text) signed over the canonical string as `edit` spoils it; it must be refused.
    func refusedSignString(_ what: String, _ edit: @escaping (String) -> String) async throws -> String {
        let credentials = hospital.credentials
        let seal = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
        guard case .object(var data) = try await scanData() else { throw ConformanceError("internal: ec.query data") }
        data["operatorName"] = "张医生/门诊"
        var envelope = try seal.sealRequest(data: .object(data), privateKey: credentials.privateKey, timestamp: clock.now())
        let canonical = seal.signString(envelope: envelope, data: .object(data))
        let spoiled = edit(canonical)
        guard spoiled != canonical else { throw ConformanceError("internal: the edit for \(what) changed nothing") }
        envelope["signData"] = .string(try credentials.privateKey.signature(for: Array(spoiled.utf8)).encoded(.raw).base64)
        return try await refused("ec.query signed over a string with \(what)", codes: ["ENV_SIGNATURE_INVALID"], pointer: "/signData") {
            _ = try await send("/hse/ec.query", envelope)
        }
    }

    /// 1101 input for a person by resident ID number (medium 02).
    static func personInfoInput(_ person: (certno: String, psnNo: String, name: String)) -> JSONObject {
        ["data": .object(["mdtrt_cert_type": "02", "mdtrt_cert_no": .string(person.certno), "card_sn": "", "psn_cert_type": "01",
                          "certno": .string(person.certno), "psn_name": .string(person.name)])]
    }

    /// A correctly signed 1101 for Zhang San, signed in first.
    func signedPersonInfo() async throws -> JSONObject {
        let signNo = try await accepted("9001 sign-in") { try await hospital.signIn() }
        return try fsiSigner(Self.hospitalCode).envelope(infno: "1101", input: Self.personInfoInput(Self.zhangSan), signNo: signNo, at: clock.now(),
                                                         msgid: msgid(Self.hospitalCode))
    }

    /// ec.query business data with a fresh QR code of Zhang San.
    func scanData() async throws -> JSONValue {
        let qr = try await accepted("the channel's QR code") { try await channel.qrCode(certno: Self.zhangSan.certno) }
        return .object(["qrCode": .string(qr.code), "businessType": "01101", "orgId": .string(Self.hospitalCode),
                        "operatorId": "OP0001", "operatorName": "Demo Operator"])
    }

    /// An ec.query with a fresh QR code, sealed correctly — or, with `variant` / `signerID`, signed
    /// the way a faulty SDK signs (the mistakes of vectors/hse_envelope_test.json and
    /// hse_sign_string_test.json). The data carries a number, a boolean and an empty value, so
    /// every variant changes the string.
    func sealedScan(variant: HSESignString.Variant = [], signerID: [UInt8]? = nil) async throws -> JSONObject {
        let credentials = hospital.credentials
        let seal = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
        guard case .object(var data) = try await scanData() else { throw ConformanceError("internal: ec.query data") }
        if !variant.isEmpty || signerID != nil {
            data["pageSize"] = .number("10")
            data["withCard"] = .bool(false)
            data["remark"] = ""
        }
        var envelope = try seal.sealRequest(data: .object(data), privateKey: credentials.privateKey, timestamp: clock.now())
        guard !variant.isEmpty || signerID != nil else { return envelope }
        // A faulty SDK encrypts the data as it wrote it (keys in its own order), then signs.
        envelope["encData"] = .string(try seal.encrypt(Array(JSONValue.object(data).serialized().utf8)))
        try resign(&envelope, data: .object(data), variant: variant, signerID: signerID ?? SM2.defaultSignerID)
        return envelope
    }
}
