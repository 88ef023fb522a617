import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import YibaoClient
import YibaoCore
@testable import YibaoServices
import YibaoCrypto
@testable import YibaoGateway

/// HSE envelope services and the e-voucher channel through the router, in process.
@Suite("HSE routes and the e-voucher channel")
struct HSERouteTests {
    func channelHeaders(_ harness: GatewayHarness) -> HTTPFields { [.authorization: "Bearer \(harness.credentials.channel.token)"] }

    func qrCode(_ harness: GatewayHarness, _ client: some TestClientProtocol, certno: String = Demo.zhangSan.certno) async throws -> String {
        let answer = try await client.postJSON("/channel/ec/qrcode", ["certno": .string(certno)], headers: channelHeaders(harness))
        return try #require(answer.body.string("qrCode"))
    }

    func scanData(_ qr: String) -> JSONValue { .object(["qrCode": .string(qr), "businessType": "01101", "orgId": .string(Demo.hospital)]) }

    @Test("the secret oracle is closed: an envelope changed after sealing (timestamp + 1 ms) is refused without its decrypted data or the appSecret")
    func noDecryptionOracle() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let credentials = try harness.clientCredentials()
            let marker = ["idNo": JSONValue.string(Demo.zhangSan.certno), "userName": "Zhang San", "remark": "CONFIDENTIAL-MARKER"]
            guard case .object(var data) = scanData(try await qrCode(harness, client)) else { return }
            for (key, value) in marker { data[key] = value }
            var envelope = try await harness.hseEnvelope(.object(data))
            guard case .string(let stamp)? = envelope["timestamp"], let millis = Int64(stamp) else { Issue.record("no timestamp"); return }
            envelope["timestamp"] = .string(String(millis + 1))
            let refused = try await client.postJSON("/hse/ec.query", envelope)
            #expect(refused.status == 401)
            #expect(refused.body.string("code") == "ENV_SIGNATURE_INVALID")
            let text = JSONValue.object(refused.body).serialized()
            for secret in [credentials.appSecret, Demo.zhangSan.certno, "Zhang San", "CONFIDENTIAL-MARKER", try #require(data["qrCode"]?.stringValue)] {
                #expect(!text.contains(secret), "the refusal shows \(secret)")
            }
            // An envelope whose data decrypts to something that is not JSON (blocks rearranged, say): the
            // refusal says so without quoting a byte of the plaintext.
            let seal = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
            var garbled = try await harness.hseEnvelope(.object(data))
            garbled["encData"] = .string(try seal.encrypt(Array("CONFIDENTIAL-MARKER 120101198001011234 {half-open".utf8)))
            let notJSON = try await client.postJSON("/hse/ec.query", garbled)
            #expect(notJSON.body.string("code") == "ENV_DATA_NOT_JSON")
            let notJSONText = JSONValue.object(notJSON.body).serialized()
            #expect(!notJSONText.contains("CONFIDENTIAL") && !notJSONText.contains("120101198001011234") && !notJSONText.contains("half-open"), "\(notJSONText)")
            // What it does show: the members and their types, and the secret's fingerprint.
            let shown = try #require(refused.body.string("signString"))
            #expect(shown.contains("\"remark\":\"<string:19>\""))
            #expect(shown.hasSuffix("&key=" + Redaction.secret(credentials.appSecret)))
        }
    }

    @Test("a signed transType binds the envelope to its service: posted to another service's path it is refused, nothing done")
    func transTypeBinding() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let credentials = try harness.clientCredentials()
            let qr = try await qrCode(harness, client)
            let sealed = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
                .sealRequest(data: scanData(qr), privateKey: credentials.privateKey, timestamp: await harness.gateway.clock.now(),
                             additional: [.init(key: "transType", value: "ec.query")])
            let rerouted = try await client.postJSON("/hse/ec.payAuth", sealed)
            #expect(rerouted.body.string("code") == "ENV_TRANSTYPE_MISMATCH")
            #expect(rerouted.body.string("pointer") == "/transType")
            // Not spent: the same envelope on its own service's path is accepted.
            #expect(try await client.postJSON("/hse/ec.query", sealed).status == 200)
        }
    }

    @Test("ec.query answers a sealed envelope that opens with the platform's key")
    func ecQuery() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let qr = try await qrCode(harness, client)
            let answer = try await client.postJSON("/hse/ec.query", try await harness.hseEnvelope(scanData(qr)))
            #expect(answer.status == 200)
            #expect(answer.body["code"] == .number("0"))
            let credentials = try harness.clientCredentials()
            let opened = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
                .open(answer.body, peerPublicKey: credentials.platformPublicKey).get()
            #expect(opened.data?.objectValue?.string("userName") == "Zhang San")
            #expect(opened.data?.objectValue?.string("ecToken")?.count == 32)
        }
    }

    @Test("a single-use exchange resent after a lost answer gets the same answer; a new request for the same code is refused")
    func replay() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let qr = try await qrCode(harness, client)
            let envelope = try await harness.hseEnvelope(scanData(qr))
            let first = try await client.postJSON("/hse/ec.query", envelope)
            #expect(first.status == 200)
            // The same sealed request again: the very same sealed answer, the QR code not scanned twice.
            let again = try await client.postJSON("/hse/ec.query", envelope)
            #expect(again.status == 200)
            #expect(again.body == first.body)
            // A new request (new signature) for the same QR code is still refused.
            let other = try await client.postJSON("/hse/ec.query", try await harness.hseEnvelope(scanData(qr)))
            #expect(other.body.string("code") == "QRCODE_REUSED")
        }
    }

    @Test("a stale timestamp, an unknown appId and the appSecret as signer ID are refused with their field")
    func envelopeFailures() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let old = await harness.gateway.clock.now().addingTimeInterval(-3600)
            let stale = try await client.postJSON("/hse/ec.query", try await harness.hseEnvelope(scanData("x"), at: old))
            #expect(stale.status == 401)
            #expect(stale.body.string("code") == "ENV_TIMESTAMP_OUT_OF_WINDOW")
            #expect(stale.body.string("pointer") == "/timestamp")

            var unknown = try await harness.hseEnvelope(scanData("x"))
            unknown["appId"] = "YBUNKNOWN0000000000"
            let refused = try await client.postJSON("/hse/ec.query", unknown)
            #expect(refused.status == 401)
            #expect(refused.body.string("code") == "ENV_UNKNOWN_APPID")
            #expect(refused.body.string("pointer") == "/appId")

            let credentials = try harness.clientCredentials()
            let wrongID = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret, profile: HSEProfile(signerID: .appSecret))
                .sealRequest(data: scanData("x"), privateKey: credentials.privateKey, timestamp: await harness.gateway.clock.now())
            let badSignature = try await client.postJSON("/hse/ec.query", wrongID)
            #expect(badSignature.status == 401)
            #expect(badSignature.body.string("code") == "ENV_SIGNATURE_INVALID")
            #expect(badSignature.body.string("signString")?.hasSuffix("&key=\(Redaction.secret(credentials.appSecret))") == true)
            #expect(!JSONValue.object(badSignature.body).serialized().contains(credentials.appSecret))
            guard case .array(let diagnosis)? = badSignature.body["diagnosis"] else { Issue.record("no diagnosis"); return }
            #expect(diagnosis.contains { $0.stringValue?.contains("appSecret as signer ID") == true })
        }
    }

    @Test("the channel needs its token; ID-3 refuses activating an unverified person; ID-2 needs an activated voucher")
    func channel() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let anonymous = try await client.postJSON("/channel/ec/qrcode", ["certno": .string(Demo.zhangSan.certno)])
            #expect(anonymous.status == 401)
            #expect(anonymous.body.string("rule") == "ID-2")
            let unverified = try await client.postJSON("/channel/ec/activate", ["certno": .string(Demo.chenJingUnverified.certno), "name": "Chen Jing"],
                                                       headers: channelHeaders(harness))
            #expect(unverified.status == 403)
            #expect(unverified.body.string("rule") == "ID-3")
            // A verified person whose voucher is not yet activated: QR refused until activation.
            let person = PersonInput(psnNo: "12000000000000000009", certno: "120101200001011234", name: "Sun Li", gender: "2", birthDate: "2000-01-01",
                                     insutype: "390", insuplcAdmdvs: "120100")
            try await harness.gateway.store.write { try await $0.save(person.person) }
            let notActivated = try await client.postJSON("/channel/ec/qrcode", ["certno": "120101200001011234"], headers: channelHeaders(harness))
            #expect(notActivated.body.string("code") == "VOUCHER_NOT_ACTIVATED")
            let wrongName = try await client.postJSON("/channel/ec/activate", ["certno": "120101200001011234", "name": "Sun Lee"], headers: channelHeaders(harness))
            #expect(wrongName.body.string("pointer") == "/name")
            let activated = try await client.postJSON("/channel/ec/activate", ["certno": "120101200001011234", "name": "Sun Li"], headers: channelHeaders(harness))
            #expect(activated.status == 200)
            #expect(try await client.postJSON("/channel/ec/qrcode", ["certno": "120101200001011234"], headers: channelHeaders(harness)).status == 200)
        }
    }

    @Test("an unknown HSE service is refused with the list of offered ones")
    func unknownService() async throws {
        let harness = try await GatewayHarness.make(fixture: false)
        try await harness.app().test(.router) { client in
            let answer = try await client.postJSON("/hse/ec.nothing", ["appId": "x"])
            #expect(answer.status == 404)
            #expect(answer.body.string("detail")?.contains("ec.query") == true)
        }
    }
}
