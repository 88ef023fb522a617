import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import YibaoTestSupport
import YibaoDevKit
@testable import YibaoClient
import YibaoCore
import YibaoServices
import YibaoCrypto
@testable import YibaoGateway
import YibaoStore

/// Real HIS code, unchanged: the independent dialect client (tools/testing/dialect_client.py,
/// written from the description of the vendor code) against a live `yibao serve --profile …`.
@Suite("Dialects: independent real-HIS-style clients against yibao serve --profile", .serialized)
struct DialectTests {
    static let client = GatewayHarness.packageRoot.appendingPathComponent("tools/testing/dialect_client.py").path

    /// Runs the Python client; returns its exit status and its JSON lines.
    static func python(script: String = client, _ arguments: [String]) async throws -> (status: Int32, lines: [JSONObject], text: String) {
        let run = try await EndToEndTests.run("/usr/bin/env", ["python3", script] + arguments)
        let lines = run.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }
        return (run.status, lines, run.stdout + run.stderr)
    }

    /// What was written since `seq`: the kinds of the accepted trace entries after it.
    static func accepted(_ server: EndToEndTests.Server, after seq: Int64, admin: String) async throws -> [String] {
        let answer = try await HTTP.exchange(.shared, url: server.url + "/admin/trace?from=\(seq + 1)&limit=1000", method: .GET, body: nil, bearer: admin)
        return (try JSONValue.parse(answer.body).arrayValue ?? []).compactMap { $0.objectValue }
            .filter { $0["outcome"]?.stringValue == "accepted" }.compactMap { $0["kind"]?.stringValue }
    }

    static func head(_ server: EndToEndTests.Server, admin: String) async throws -> Int64 {
        let answer = try await HTTP.exchange(.shared, url: server.url + "/admin/trace/verify", method: .GET, body: nil, bearer: admin)
        let head = try JSONValue.parse(answer.body).objectValue?["head"]?.objectValue?["seq"]
        if case .number(let text)? = head { return Int64(text) ?? 0 }
        return 0
    }

    @Test("every profile: 9001 → 1101 → 2201 through its own mechanism; each wrong request is refused as HTTP 200 with infcode -1, its named diagnosis, and nothing written",
          arguments: [
              ("national", ["not-json", "path-mismatch"]),
              ("csb", ["wrong-hmac", "stale-timestamp", "unsorted-string", "seconds-timestamp", "malformed-timestamp"]),
              ("tif", ["wrong-signature", "stale-timestamp", "replayed-nonce", "millisecond-timestamp"]),
              ("oauth", ["bad-password", "unknown-token", "other-institution-token", "expired-token"]),
              ("jilin-encrypted", ["wrong-client-key", "unknown-token"]),
          ])
    func profile(_ name: String, negatives: [String]) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-dialect-\(UUID().uuidString)").path
        let server = try ListeningProcess.serve(dataDirectory: directory, extra: ["--test-clock", "--profile", name])
        defer { server.stop() }
        #expect(server.banner.contains("dialect:     \(name)"))
        let admin = try DemoCredentials.load(certsDirectory: GatewayHarness.certs).adminToken

        let run = try await Self.python(["--gateway", server.url, "--profile", name, "run"])
        #expect(run.status == 0, "\(run.text)")
        #expect(run.lines.map { $0["step"]?.stringValue } == ["9001", "1101", "2201"], "\(run.text)")
        // infcode as the profile writes it: a string under tif, a number elsewhere.
        #expect(run.lines.allSatisfy { $0["infcode"] == (name == "tif" ? .string("0") : .number("0")) }, "\(run.text)")

        let expected: [String: (code: String, pointer: String, diagnosis: String?)] = [
            "not-json": ("FSI_NOT_JSON", "", nil),
            "path-mismatch": ("FSI_PATH_MISMATCH", "/infno", nil),
            "malformed-timestamp": ("CSB_TIMESTAMP_INVALID", "header:_api_timestamp", nil),
            "wrong-hmac": ("CSB_SIGNATURE_INVALID", "header:_api_signature", nil),
            "unsorted-string": ("CSB_SIGNATURE_INVALID", "header:_api_signature", "not sorted by name"),
            "seconds-timestamp": ("CSB_TIMESTAMP_OUT_OF_WINDOW", "header:_api_timestamp", "epoch seconds"),
            "wrong-signature": ("TIF_SIGNATURE_INVALID", "header:x-tif-signature", nil),
            "replayed-nonce": ("TIF_NONCE_REPLAYED", "header:x-tif-nonce", nil),
            "millisecond-timestamp": ("TIF_TIMESTAMP_OUT_OF_WINDOW", "header:x-tif-timestamp", "epoch milliseconds"),
            "unknown-token": ("TOKEN_UNKNOWN", "header:authorization", nil),
            "other-institution-token": ("TOKEN_WRONG_INSTITUTION", "header:authorization", nil),
            "expired-token": ("TOKEN_EXPIRED", "header:authorization", nil),
            "wrong-client-key": ("FSI_INPUT_NOT_DECRYPTED", "/input", nil),
        ]
        for negative in negatives {
            let before = try await Self.head(server, admin: admin)
            let refused = try await Self.python(["--gateway", server.url, "--profile", name, "negative", negative])
            #expect(refused.status == 0, "\(negative) was not refused: \(refused.text)")
            let result = try #require(refused.lines.first, "\(refused.text)")
            if negative == "bad-password" {
                #expect(result["http"] == .string("not 200"))
                #expect(result["detail"]?.stringValue?.contains("OAUTH_USER_INVALID") == true, "\(refused.text)")
            } else if negative == "stale-timestamp" {
                #expect(result["code"]?.stringValue?.hasSuffix("_TIMESTAMP_OUT_OF_WINDOW") == true, "\(refused.text)")
            } else {
                let want = try #require(expected[negative])
                #expect(result["http"] == .number("200"), "\(refused.text)")
                #expect(result["infcode"] == (name == "tif" ? .string("-1") : .number("-1")), "\(refused.text)")
                #expect(result["code"]?.stringValue == want.code, "\(negative): \(refused.text)")
                #expect(result["pointer"]?.stringValue == want.pointer, "\(negative): \(refused.text)")
                #expect(result["err_msg"]?.stringValue?.contains(want.code) == true)
                if let diagnosis = want.diagnosis {
                    let lines = result["answer"]?.objectValue?["problem"]?.objectValue?["diagnosis"]?.arrayValue ?? []
                    #expect(lines.contains { $0.stringValue?.contains(diagnosis) == true }, "\(negative): \(refused.text)")
                }
            }
            // No secret of any kind in what the client read.
            let institution = try #require(try DemoCredentials.load(certsDirectory: GatewayHarness.certs).institutions.first { $0.fixmedins_code == Demo.hospital })
            for secret in [institution.appSecret, institution.csb?.secretKey, institution.tif?.token, institution.oauth?.clientSecret, institution.oauth?.password].compactMap({ $0 }) {
                #expect(!refused.text.contains(secret), "\(negative) shows a secret")
            }
            // Nothing written by the refused request: no accepted FSI entry after it (the tokens a case fetches
            // first, and the first request of a replayed nonce, are the only accepted entries).
            let written = try await Self.accepted(server, after: before, admin: admin).filter { $0 != "oauth.token" }
            #expect(written == (negative == "replayed-nonce" ? ["fsi.9001"] : []), "\(negative) wrote \(written)")
        }
    }

    @Test("nhsa-2.0 is unchanged: a client that only knows a dialect's transport is refused as before, in HTTP 4xx problem+json")
    func nhsaUnchanged() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-dialect-\(UUID().uuidString)").path
        let server = try ListeningProcess.serve(dataDirectory: directory, extra: ["--test-clock"])
        defer { server.stop() }
        let run = try await Self.python(["--gateway", server.url, "--profile", "national", "run"])
        #expect(run.status == 1)
        #expect(run.text.contains("HTTP 400"), "\(run.text)")   // cainfo "" is a missing member under nhsa-2.0
        #expect(run.text.contains("FIELD_MISSING"), "\(run.text)")
    }

    @Test("profiles are data: yibao profiles lists them, show prints one, an unknown one is refused at serve and at the admin API")
    func profilesCommand() async throws {
        let list = try await EndToEndTests.run(EndToEndTests.binary, ["profiles", "--certs", GatewayHarness.certs])
        #expect(list.status == 0)
        for name in ["nhsa-2.0", "national", "csb", "tif", "oauth", "jilin-encrypted", "hainan"] { #expect(list.stdout.contains(name), "\(list.stdout)") }
        // One line says how each speaks: national and hainan differ in the callback they send and how it is acknowledged.
        let lines = Dictionary(uniqueKeysWithValues: list.stdout.split(separator: "\n").map { (String($0.split(separator: " ").first ?? ""), String($0)) })
        #expect(lines["nhsa-2.0"]?.contains("HSE strict; callback SETL|REFUND acked code-0; signDigest raw") == true, "\(list.stdout)")
        #expect(lines["national"]?.contains("HSE lenient; callback 02 acked success; signDigest cms") == true, "\(list.stdout)")
        #expect(lines["hainan"]?.contains("callback 02 acked empty-200") == true, "\(list.stdout)")
        let show = try await EndToEndTests.run(EndToEndTests.binary, ["profiles", "show", "csb", "--certs", GatewayHarness.certs])
        let profile = try DialectProfile.decode(Data(show.stdout.utf8), fileName: "csb")
        #expect(profile.fsi.transportAuth == .csb)
        #expect(!profile.sources.isEmpty)
        let unknown = try await EndToEndTests.run(EndToEndTests.binary, ["serve", "--profile", "atlantis", "--port", "0", "--certs", GatewayHarness.certs,
                                                                   "--data-dir", FileManager.default.temporaryDirectory.appendingPathComponent("yibao-\(UUID().uuidString)").path])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no dialect profile atlantis"))

        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer \(harness.credentials.adminToken)"]
            let refused = try await client.postJSON("/admin/institutions/\(Demo.hospital)/profile", ["profile": "atlantis"], headers: headers)
            #expect(refused.status == 400)
            #expect(refused.body.string("pointer") == "/profile")
            let set = try await client.postJSON("/admin/institutions/\(Demo.hospital)/profile", ["profile": "csb"], headers: headers)
            #expect(set.status == 200)
            #expect(set.body.string("profile") == "csb")
            // Secrets are shown as fingerprints only.
            #expect(set.body["csb"]?.objectValue?.string("secretKey")?.hasPrefix("***(") == true)
            // The institution now speaks csb: a request without the CSB headers is refused as HTTP 200, naming the header.
            let envelope = try await harness.fsiEnvelope("9001", input: ["signIn": .object(["opter_no": "OP1", "mac": "m", "ip": "i"])])
            let answer = try await client.postJSON(FSIEndpoint.path, envelope)
            #expect(answer.status == 200)
            #expect(answer.body["infcode"] == .number("-1"))
            #expect(answer.body["output"] == .null)
            #expect(answer.body["problem"]?.objectValue?.string("code") == "TRANSPORT_HEADER_MISSING")
            #expect(answer.body["problem"]?.objectValue?.string("pointer") == "header:_api_access_key")
        }
    }

    @Test("YibaoClient reads every form: an unsigned HTTP-200 answer is accepted, an HTTP-200 refusal becomes the problem it carries")
    func clientReadsEveryForm() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.live) { live in
            let port = try #require(live.port)
            let admin = harness.credentials.adminToken
            _ = try await HTTP.post(.shared, url: "http://127.0.0.1:\(port)/admin/institutions/\(Demo.hospital)/profile",
                                    body: Array(#"{"profile":"national"}"#.utf8), bearer: admin)
            var client = try await harness.client(port: port)
            client.dialect = try #require(harness.gateway.configuration.dialects["national"])
            let signNo = try await client.signIn()
            #expect(signNo.count == 20)
            do {
                _ = try await client.call(infno: "1101", input: ["data": .object(["mdtrt_cert_type": "02"])])
                Issue.record("accepted")
            } catch let error as YibaoClientError {
                #expect(error.status == 400)
                #expect(error.code == "FIELD_MISSING")
                #expect(error.pointer == "/input/data/mdtrt_cert_no")
            }
        }
    }

    @Test("the passive report names the dialect an institution's traffic speaks, says when it is not the configured one, and lists the dialect mistakes")
    func passiveDialect() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-dialect-\(UUID().uuidString)").path
        let server = try ListeningProcess.serve(dataDirectory: directory, extra: ["--test-clock", "--profile", "csb"])
        defer { server.stop() }
        let admin = try DemoCredentials.load(certsDirectory: GatewayHarness.certs).adminToken
        func report() async throws -> JSONObject {
            let answer = try await HTTP.exchange(.shared, url: server.url + "/admin/conformance/\(Demo.hospital)", method: .GET, body: nil, bearer: admin)
            return try #require(try JSONValue.parse(answer.body).objectValue?["dialect"]?.objectValue)
        }
        #expect(try await Self.python(["--gateway", server.url, "--profile", "csb", "run"]).status == 0)
        let matching = try await report()
        #expect(matching.string("configured") == "csb")
        #expect(matching.string("observed") == "csb")
        #expect(matching["matches"] == .bool(true))
        _ = try await Self.python(["--gateway", server.url, "--profile", "csb", "negative", "seconds-timestamp"])
        _ = try await Self.python(["--gateway", server.url, "--profile", "csb", "negative", "unsorted-string"])
        // A HIS that speaks the Guangdong dialect against an institution configured for CSB.
        #expect(try await Self.python(["--gateway", server.url, "--profile", "tif", "run"]).status == 1)
        let mismatch = try await report()
        #expect(mismatch.string("observed") == "tif")
        #expect(mismatch["matches"] == .bool(false))
        #expect(mismatch.string("note")?.contains("configured for csb") == true)
        let findings = (mismatch["findings"]?.arrayValue ?? []).compactMap(\.stringValue)
        #expect(findings.contains { $0.contains("epoch seconds") }, "\(findings)")
        #expect(findings.contains { $0.contains("not sorted by name") }, "\(findings)")
    }

    @Test("a constant msgid serial is named: one msgid accepted for 9001, then refused for 1101 as a replay; an empty cainfo under nhsa-2.0 names the dialects that allow it")
    func msgidCollisionAndEmptyCainfo() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let msgid = Demo.hospital + Timestamps.compact(await harness.gateway.clock.now()) + "1234"
            let signIn = try await harness.fsiEnvelope("9001", input: ["signIn": .object(["opter_no": "OP1", "mac": "m", "ip": "i"])], msgid: msgid)
            let signed = try await client.postJSON(FSIEndpoint.path, signIn)
            let signNo = try #require(signed.body["output"]?.objectValue?["signinoutb"]?.objectValue?.string("sign_no"))
            let person = try await harness.fsiEnvelope("1101", input: ["data": .object(["mdtrt_cert_type": "02", "mdtrt_cert_no": .string(Demo.zhangSan.certno)])],
                                                       signNo: signNo, msgid: msgid)
            #expect(try await client.postJSON(FSIEndpoint.path, person).body.string("code") == "MSGID_REPLAYED")
            var unsigned = try await harness.fsiEnvelope("9001", input: ["signIn": .object(["opter_no": "OP1", "mac": "m", "ip": "i"])])
            unsigned["cainfo"] = ""
            let empty = try await client.postJSON(FSIEndpoint.path, unsigned)
            #expect(empty.status == 400)
            #expect(empty.body.string("pointer") == "/cainfo")
            #expect(empty.body["diagnosis"]?.arrayValue?.first?.stringValue?.contains("national") == true)
            let answer = try await client.getJSON("/admin/conformance/\(Demo.hospital)", headers: [.authorization: "Bearer \(harness.credentials.adminToken)"])
            let dialect = try #require(answer.body.objectValue?["dialect"]?.objectValue)
            let findings = (dialect["findings"]?.arrayValue ?? []).compactMap(\.stringValue)
            #expect(findings.contains { $0.contains("msgid \(msgid) was used for 9001 and again for 1101") }, "\(findings)")
            #expect(findings.contains { $0.contains("cainfo is empty") }, "\(findings)")
            #expect(dialect.string("observed") == "national")   // the latest request: no transport, cainfo empty
            #expect(dialect["matches"] == .bool(false))
        }
    }
}

/// Issue 12's slice: the official-demo-derived HSE utility, unchanged, against `yibao serve --profile national`.
@Suite("Dialects: an official-demo-style HSE client", .serialized)
struct OfficialHSEClientTests {
    static let client = GatewayHarness.packageRoot.appendingPathComponent("tools/testing/official_hse_client.py").path

    @Test("under national it completes ec.query, ec.payAuth, 6201 (samples/uldFeeInfo.json as written), 6202, 6301 and 6203, verifying every answer with the util's own algorithm; under national-mapped 6201 is refused for the unmapped own code; under nhsa-2.0 it is refused naming the lower-case encType")
    func officialClient() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-official-\(UUID().uuidString)").path
        let national = try ListeningProcess.serve(dataDirectory: directory + "/national", extra: ["--test-clock", "--profile", "national"])
        defer { national.stop() }
        let run = try await EndToEndTests.run("/usr/bin/env", ["python3", Self.client, "--gateway", national.url])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let steps = run.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }
        #expect(steps.compactMap { $0["step"]?.stringValue } == ["ec.query", "ec.payAuth", "6201", "6202", "6301", "6203"], "\(run.stdout)")
        #expect(steps.allSatisfy { $0["verified"] == .bool(true) })

        // national-mapped: the sample's own code AADG0000 is not mapped by a 3301, so 6201 is refused naming it.
        let mapped = try ListeningProcess.serve(dataDirectory: directory + "/mapped", extra: ["--test-clock", "--profile", "national-mapped"])
        defer { mapped.stop() }
        let unmapped = try await EndToEndTests.run("/usr/bin/env", ["python3", Self.client, "--gateway", mapped.url])
        #expect(unmapped.status == 1)
        #expect(unmapped.stdout.contains("CATALOGUE_ITEM_NOT_MAPPED") && unmapped.stdout.contains("/feedetailList/0/medinsListCodg"), "\(unmapped.stdout)")

        let strict = try ListeningProcess.serve(dataDirectory: directory + "/strict", extra: ["--test-clock"])
        defer { strict.stop() }
        let refused = try await EndToEndTests.run("/usr/bin/env", ["python3", Self.client, "--gateway", strict.url])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("ENV_UNSUPPORTED_ENCTYPE"), "\(refused.stdout)")
        #expect(refused.stdout.contains("lower-case form the official-demo-derived vendor util sends"), "\(refused.stdout)")
    }
}

/// The HSE variants: accepted by a lenient dialect, refused by nhsa-2.0 with a diagnosis that names them.
@Suite("Dialects: HSE envelope variants")
struct HSEVariantTests {
    let key: SM2.PrivateKey
    let secret = "B11EDC1FBD3DD31EC68839EA6D187499"
    let appId = "YBH120101000018259B894"
    init() throws { key = try SM2.PrivateKey() }

    static let lenient: HSEDialect = {
        var dialect = HSEDialect()
        dialect.typesAnyCase = true
        dialect.timestampFormats = Set(HSEDialect.TimestampFormat.allCases)
        dialect.acceptedSignStrings = HSEDialect.SignStringVariant.allCases
        return dialect
    }()

    /// An envelope sealed normally, then changed as a vendor SDK would write it and signed over `variant`.
    func envelope(_ change: (inout JSONObject) -> Void, variant: HSESignString.Variant = []) throws -> JSONObject {
        let data: JSONValue = .object(["qrCode": "X", "orgId": "H12010100001", "cnt": .number("2"), "empty": .object([:])])
        var object = try HSEEnvelope(appId: appId, appSecret: secret).sealRequest(data: data, privateKey: key, timestamp: Date(),
                                                                                 additional: [.init(key: "ZoneId", value: "cn")])
        change(&object)
        var signed = object
        signed["data"] = data
        signed["signData"] = nil
        let text = HSESignString.build(envelope: signed, appSecret: secret, variant: variant)
        object["signData"] = .string(try key.signature(for: Array(text.utf8)).rawRepresentation.base64)
        return object
    }

    func open(_ object: JSONObject, _ dialect: HSEDialect) throws -> HSEOpenResult {
        try HSEEnvelope(appId: appId, appSecret: secret, dialect: dialect).open(object, peerPublicKey: try key.publicKey, now: Date())
    }

    @Test("lower-case types, a timestamp in seconds or yyyyMMddHHmmss, case-insensitive sorting, native types, empty objects dropped",
          arguments: ["lower-case", "seconds", "compact", "case-insensitive", "native-types", "empty-objects"])
    func variant(_ name: String) throws {
        let now = Date()
        let object: JSONObject
        let named: String
        switch name {
        case "lower-case": object = try envelope { $0["encType"] = "sm4"; $0["signType"] = "sm2" }; named = "lower-case form"
        case "seconds": object = try envelope { $0["timestamp"] = .number(String(Int64(now.timeIntervalSince1970))) }; named = "epoch seconds"
        case "compact": object = try envelope { $0["timestamp"] = .string(HSEDialect.write(now, as: .compact)) }; named = "yyyyMMddHHmmss"
        case "case-insensitive": object = try envelope({ _ in }, variant: .caseInsensitiveSort); named = "case-insensitively"
        case "native-types": object = try envelope({ _ in }, variant: .numbersNotStringified); named = "numbers and booleans not written as strings"
        default: object = try envelope({ _ in }, variant: .emptyObjectsDropped); named = "empty objects dropped"
        }
        guard case .success = try open(object, Self.lenient) else { Issue.record("\(name) refused by the lenient dialect"); return }
        guard case .failure(let failure) = try open(object, .strict) else { Issue.record("\(name) accepted under nhsa-2.0"); return }
        #expect((failure.detail + failure.diagnosis.joined(separator: " ")).contains(named), "\(name): \(failure)")
    }

    @Test("any case means ASCII case: \"Sm4\" is taken by a lenient dialect, a look-alike (U+017F ſ) is refused naming encType")
    func asciiCaseOnly() throws {
        guard case .success = try open(try envelope { $0["encType"] = "Sm4" }, Self.lenient) else { Issue.record("Sm4 refused"); return }
        guard case .failure(let failure) = try open(try envelope { $0["encType"] = "\u{17F}m4" }, Self.lenient) else { Issue.record("ſm4 accepted"); return }
        #expect(failure.code == .unsupportedEncType)
        #expect(failure.pointer == "/encType")
    }

    @Test("a lenient dialect still refuses what no variant explains: changed data, another key, a changed member")
    func lenientRefusals() throws {
        let good = try envelope({ _ in }, variant: .caseInsensitiveSort)
        guard case .success = try open(good, Self.lenient) else { Issue.record("the good one is refused"); return }
        var tampered = good
        tampered["encData"] = .string(try HSEEnvelope(appId: appId, appSecret: secret).encrypt(Array(#"{"qrCode":"Y","orgId":"H12010100001","cnt":2}"#.utf8)))
        var foreign = good
        foreign["signData"] = .string(try SM2.PrivateKey().signature(for: [1]).rawRepresentation.base64)
        var changed = good
        changed["ZoneId"] = "us"
        for (name, object) in [("changed data", tampered), ("another key", foreign), ("a changed member", changed)] {
            guard case .failure(let failure) = try open(object, Self.lenient) else { Issue.record("\(name) accepted"); continue }
            #expect(failure.code == .signatureInvalid, "\(name): \(failure)")
        }
    }

    @Test("the real platform's answer shape: code \"0\", type success, message 成功, timestamp in seconds; it opens and verifies")
    func answerShape() throws {
        var dialect = HSEDialect()
        dialect.answerCodeAsString = true
        dialect.answerType = "success"
        dialect.answerMessage = "成功"
        dialect.answerTimestamp = .seconds
        dialect.timestampFormats = [.milliseconds, .seconds]
        let sealer = try HSEEnvelope(appId: appId, appSecret: secret, dialect: dialect)
        let answer = try sealer.sealResponse(data: .object(["a": "1"]), privateKey: key)
        #expect(answer["code"] == .string("0"))
        #expect(answer["type"] == .string("success"))
        #expect(answer["message"] == .string("成功"))
        #expect(answer["timestamp"]?.stringValue?.count == 10)
        guard case .success = sealer.open(answer, peerPublicKey: try key.publicKey, now: Date()) else { Issue.record("does not open"); return }
    }
}

@Suite("Signed answers hold only what the real platform returns")
struct SignedAnswerTests {
    @Test("the derivation's arrays of sentences leave the signed data for extra.derivation, by pointer; no plain array is left")
    func split() throws {
        let output: JSONValue = .object(["payOrdId": "1", "extData": .object([
            "setlinfo": .object(["fund": "1.00", "steps": .array(["a", "b"])]),
            "feedetail": .array([.object(["sn": "1", "notes": .array(["n1"])])]),
            "auditFlags": .array([.object(["finding": "x"])]),
        ])])
        #expect(SignedAnswer.hasPlainArrays(output))
        let (signed, derivation) = SignedAnswer.split(output)
        #expect(!SignedAnswer.hasPlainArrays(signed))
        #expect(derivation?.objectValue?["/extData/setlinfo/steps"] == .array(["a", "b"]))
        #expect(derivation?.objectValue?["/extData/feedetail/0/notes"] == .array(["n1"]))
        #expect(signed.objectValue?["extData"]?.objectValue?["auditFlags"] == .array([.object(["finding": "x"])]))
    }
}
