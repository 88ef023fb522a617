import Foundation
import Testing
@testable import YibaoCrypto

@Suite("The HSE envelope")
struct EnvelopeTests {
    static let appId = "1G7Q8ABCDEF0123456"
    static let appSecret = "S3CR3TS3CR3T2024"
    let sender: SM2.PrivateKey
    let senderPublic: SM2.PublicKey
    let now = Date(timeIntervalSince1970: 1_763_900_000)

    init() throws {
        sender = try SM2.PrivateKey(pemRepresentation: TestSupport.text(TestSupport.certs("sm2/hospital.key.pem")))
        senderPublic = try sender.publicKey
    }

    static let sampleData = """
    {"orgCodg":"H12010100001","medOrgOrd":"MO2026112300001","medfeeSumamt":12.00,"acctUsedFlag":1,"psnName":"张三",\
    "rxCircFlag":null,"remark":"","diseinfoList":[],"feedetailList":[{"feedetlSn":"1","medListCodg":"AADG0000","pric":12.00,"cnt":1,"memo":""}]}
    """

    func envelope(_ profile: HSEProfile = .nhsa20) throws -> HSEEnvelope {
        try HSEEnvelope(appId: Self.appId, appSecret: Self.appSecret, profile: profile)
    }

    func sealed(_ profile: HSEProfile = .nhsa20, data: String = sampleData) throws -> JSONObject {
        try envelope(profile).sealRequest(data: JSONValue.parse(data), privateKey: sender, timestamp: now)
    }

    func open(_ object: JSONObject, profile: HSEProfile = .nhsa20, at date: Date? = nil) throws -> HSEOpenResult {
        try envelope(profile).open(Array(JSONValue.object(object).serialized().utf8), peerPublicKey: senderPublic, now: date ?? now)
    }

    @Test("the string to sign follows every rule of docs/ENVELOPE.md §2")
    func signStringExample() throws {
        let object = try JSONValue.parse(#"{"appId":"A","timestamp":"1700000000000","data":{"b":[{"y":1,"x":""}],"a":12.00,"c":true,"d":null}}"#).objectValue!
        #expect(HSESignString.build(envelope: object, appSecret: "S")
                == #"appId=A&data={"a":"12.00","b":[{"y":"1"}],"c":"true"}&timestamp=1700000000000&key=S"#)
        let tricky = try JSONValue.parse(#"""
        {"signData":"x","encData":"y","extra":{"a":1},"z":"","n":null,"e":[],"o":{},"q":"a\"b\\c\n/é","arr":[null,"",[],{"k":[]},1e3,false],"num":-0.50}
        """#).objectValue!
        #expect(HSESignString.build(envelope: tricky, appSecret: "K")
                == #"arr=[{},"1e3","false"]&num=-0.50&o={}&q=a"b\c"# + "\n" + #"/é&key=K"#)
    }

    @Test("the SM4 data key is derived from appId and appSecret")
    func keyDerivation() async throws {
        let key = try HSEEnvelope.deriveDataKey(appId: Self.appId, appSecret: Self.appSecret)
        #expect(key.count == 16)
        let expected = try SM4.encrypt(Array(Self.appSecret.utf8), key: Array(Self.appId.utf8.prefix(16)))
        #expect(key == Array(Hex.encode(expected, uppercase: true).utf8.prefix(16)))
        // Cross-check with the openssl CLI.
        let cli = try await TestSupport.openssl(["enc", "-sm4-ecb", "-K", Array(Self.appId.utf8.prefix(16)).hex], stdin: Array(Self.appSecret.utf8))
        #expect(Array(Hex.encode(cli.stdout, uppercase: true).utf8.prefix(16)) == key)
        #expect { try HSEEnvelope(appId: "short", appSecret: "s") } throws: { ($0 as? CryptoError)?.code == .invalidKey }
    }

    @Test("seal then open returns the same data", arguments: [
        HSEProfile.nhsa20,
        HSEProfile(signatureEncoding: .der),
        HSEProfile(signerID: .appSecret),
        HSEProfile(encDataHexCase: .lower, version: "1.0.0"),
    ])
    func roundTrip(profile: HSEProfile) throws {
        let object = try sealed(profile)
        #expect(object.keys == ["appId", "encType", "signType", "timestamp", "version", "encData", "signData"])
        #expect(object["version"]?.stringValue == profile.version)
        let opened = try open(object, profile: profile).get()
        #expect(opened.data?.serialized() == (try JSONValue.parse(Self.sampleData).serialized(sortedKeys: true)))
        #expect(opened.signString.hasSuffix("&key=\(Self.appSecret)"))
        #expect(opened.signString.contains(#""medfeeSumamt":"12.00""#))
    }

    @Test("responses seal and open too, with code, message, success and type signed")
    func response() throws {
        let env = try envelope()
        let sealed = try env.sealResponse(data: .object(["payOrdId": .string("ORD1"), "ordStas": .string("1")]), privateKey: sender, timestamp: now)
        let opened = try open(sealed).get()
        #expect(opened.signString.hasPrefix("appId=\(Self.appId)&code=0&data={"))
        #expect(opened.signString.contains("&success=true&"))
        let failure = try env.sealResponse(data: nil, code: -1, message: "参数错误", privateKey: sender, timestamp: now)
        #expect(failure["encData"] == nil)
        #expect(try open(failure).get().data == nil)
    }

    @Test("each real-world mistake is diagnosed")
    func diagnoses() throws {
        let env = try envelope()
        // The data as the receiver decrypts it (sealRequest encrypts it with sorted keys).
        let data = try JSONValue.parse(JSONValue.parse(Self.sampleData).serialized(sortedKeys: true))
        func signedWith(_ variant: HSESignString.Variant = [], id: [UInt8] = SM2.defaultSignerID, encoding: SignatureEncoding = .raw) throws -> JSONObject {
            var object = try sealed()
            var withData = object
            withData["data"] = data
            let text = HSESignString.build(envelope: withData, appSecret: Self.appSecret, variant: variant)
            object["signData"] = .string(try sender.signature(for: Array(text.utf8), signerID: id).encoded(encoding).base64)
            return object
        }
        func failure(_ result: HSEOpenResult) -> HSEOpenFailure? { if case .failure(let f) = result { return f } else { return nil } }

        let cases: [(JSONObject, String)] = [
            (try signedWith(encoding: .der), "DER-encoded"),
            (try signedWith(id: Array(Self.appSecret.utf8)), "appSecret as signer ID"),
            (try signedWith(id: []), "EMPTY signer ID"),
            (try signedWith(.unsortedKeys), "keys not sorted"),
            (try signedWith(.numbersNotStringified), "not written as strings"),
            (try signedWith(.emptyValuesKept), "empty values kept"),
            (try signedWith(.secretNotAppended), "no &key="),
        ]
        for (object, cause) in cases {
            let f = try #require(failure(try open(object)))
            #expect(f.code == .signatureInvalid && f.step == .signature && f.pointer == "/signData")
            #expect(f.diagnosis.contains { $0.contains(cause) }, "\(cause): \(f.diagnosis)")
            // Shown redacted: the business data as its shape, the secret as its fingerprint (never the values).
            var signed = object
            signed["data"] = data
            #expect(f.signString == HSESignString.display(envelope: signed, appSecret: Self.appSecret))
            #expect(f.signString?.contains(Self.appSecret) == false)
            #expect(f.description.contains(Self.appSecret) == false)
        }
        // Signed by someone else: no variation helps.
        var foreign = try sealed()
        foreign["signData"] = .string(try SM2.PrivateKey().signature(for: [1]).rawRepresentation.base64)
        #expect(failure(try open(foreign))?.diagnosis.first?.contains("different key") == true)
    }

    @Test("fields, hex case, decryption and timestamp failures name their step and field")
    func structuralFailures() throws {
        func failure(_ result: HSEOpenResult) -> HSEOpenFailure? { if case .failure(let f) = result { return f } else { return nil } }
        var missing = try sealed()
        missing["signData"] = nil
        #expect(failure(try open(missing)).map { [$0.code.rawValue, $0.pointer] } == ["ENV_MISSING_FIELD", "/signData"])

        var lower = try sealed()
        lower["encData"] = .string(lower["encData"]!.stringValue!.lowercased())
        #expect(failure(try open(lower)).map { [$0.code.rawValue, $0.step.rawValue] } == ["ENV_ENCDATA_HEX_CASE", "decrypt"])

        var tampered = try sealed()
        let other = try envelope().encrypt(Array(#"{"medfeeSumamt":"99.00"}"#.utf8))
        tampered["encData"] = .string(other)
        #expect(failure(try open(tampered))?.code == .signatureInvalid)

        let wrongSecret = try HSEEnvelope(appId: Self.appId, appSecret: "another-secret-1")
        let sealedObject = try sealed()
        let garbled = wrongSecret.open(Array(JSONValue.object(sealedObject).serialized().utf8), peerPublicKey: senderPublic, now: now)
        #expect(failure(garbled)?.code == .decryptionFailed)

        let stale = try open(try sealed(), at: now.addingTimeInterval(301))
        #expect(failure(stale).map { [$0.code.rawValue, $0.pointer] } == ["ENV_TIMESTAMP_OUT_OF_WINDOW", "/timestamp"])
        #expect(try open(try sealed(), at: now.addingTimeInterval(299)).get().timestamp == Int64(now.timeIntervalSince1970 * 1000))

        var wrongApp = try sealed()
        wrongApp["appId"] = .string("XXXXXXXXXXXXXXXXXX")
        #expect(failure(try open(wrongApp))?.code == .appIdMismatch)

        let notJSON = try envelope().open(Array("{".utf8), peerPublicKey: senderPublic)
        #expect(failure(notJSON)?.code == .notJSON)

        // A plaintext data member on the wire would go unsigned: refused.
        var smuggled = try sealed()
        smuggled["data"] = .object(["payOrdId": .string("EVIL")])
        #expect(failure(try open(smuggled)).map { [$0.code.rawValue, $0.pointer] } == ["ENV_UNEXPECTED_FIELD", "/data"])

        // Timestamps are 1–15 digits; signs, fractions and overlong values are refused before any arithmetic.
        for bad: JSONValue in [.string("+1763900000000"), .string("-5"), .string("9223372036854775807"), .number("1.7e12"), .string("")] {
            var object = try sealed()
            object["timestamp"] = bad
            let code = failure(try open(object))?.code
            #expect(code == .badTimestamp || code == .missingField, "\(bad)")
        }

        // Sealing refuses to add a member it sets itself.
        #expect {
            try envelope().sealRequest(data: .object([:]), privateKey: sender, additional: [.init(key: "appId", value: .string("x"))])
        } throws: { ($0 as? CryptoError)?.code == .invalidInput }
    }

    @Test("an envelope sealed by the independent Python implementation opens, and ours opens there")
    func independentImplementation() async throws {
        let script = TestSupport.packageRoot.appendingPathComponent("tools/vectors/hse.py").path
        let keys = try TestSupport.rawKeys("sm2/hospital.raw.json")
        let theirs = try await TestSupport.run("python3", [script, "seal", "--app-id", Self.appId, "--app-secret", Self.appSecret,
                                                     "--private-key", keys.privateKey, "-"], stdin: Array(Self.sampleData.utf8))
        #expect(theirs.status == 0, "\(theirs.stderr)")
        let opened = try envelope().open(theirs.stdout, peerPublicKey: senderPublic, now: Date())
        #expect(throws: Never.self) { try opened.get() }
        #expect(try opened.get().data?.serialized(sortedKeys: true) == (try JSONValue.parse(Self.sampleData).serialized(sortedKeys: true)))

        let ours = try envelope().sealRequest(data: JSONValue.parse(Self.sampleData), privateKey: sender)
        let back = try await TestSupport.run("python3", [script, "open", "--app-id", Self.appId, "--app-secret", Self.appSecret,
                                                   "--peer-public-key", keys.publicKey, "-"], stdin: Array(JSONValue.object(ours).serialized().utf8))
        #expect(back.status == 0, "\(back.stderr)")
    }
}

@Suite("JSON that keeps number literals and member order")
struct JSONValueTests {
    @Test("member names are compared byte for byte, not by Unicode equivalence")
    func exactKeys() throws {
        let object = try JSONValue.parse("{\"\u{E9}\":1,\"e\u{301}\":2}").objectValue!
        #expect(object.members.count == 2)
        #expect(object["\u{E9}"] == .number("1"))
        #expect(object["e\u{301}"] == .number("2"))
    }

    @Test("literals and order survive a round trip")
    func literals() throws {
        let text = #"{"b":12.00,"a":[1e3,-0,true,null],"c":"\u4e2d\ud83d\ude00\n"}"#
        let value = try JSONValue.parse(text)
        #expect(value.serialized() == #"{"b":12.00,"a":[1e3,-0,true,null],"c":"中😀\n"}"#)
        #expect(value.serialized(sortedKeys: true, stringifyLeaves: true) == #"{"a":["1e3","-0","true",null],"b":"12.00","c":"中😀\n"}"#)
    }

    @Test("invalid JSON is refused with an offset", arguments: [
        "{", #"{"a":1,"a":2}"#, "[1,]", "01", "1.", #""\ud800""#, "{} x", "\"\u{01}\"", "nul", #""\u+041""#, #""\u-000""#,
    ])
    func invalid(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }
}
