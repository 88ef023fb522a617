import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import YibaoClient
import YibaoCore
import YibaoCrypto
@testable import YibaoGateway
import YibaoStore

/// FSI envelope checks through the router, in process.
@Suite("FSI routes")
struct FSIRouteTests {
    static let path = "/fsi/api/rsfComIfsService/callService"

    /// Signs in and returns the sign_no.
    func signIn(_ harness: GatewayHarness, _ client: some TestClientProtocol, institution: String = Demo.hospital) async throws -> String {
        let envelope = try await harness.fsiEnvelope("9001", input: ["signIn": .object(["opter_no": "OP1", "mac": "00-00-00-00-00-01", "ip": "127.0.0.1"])],
                                                     institution: institution)
        let (status, body) = try await client.postJSON(Self.path, envelope)
        #expect(status == 200)
        let signNo = body["output"]?.objectValue?["signinoutb"]?.objectValue?.string("sign_no")
        return try #require(signNo)
    }

    func personByID(_ certno: String) -> JSONObject {
        ["data": .object(["mdtrt_cert_type": "02", "mdtrt_cert_no": .string(certno)])]
    }

    @Test("a signed 1101 by resident ID answers the person's data with a platform signature that verifies")
    func personInfo() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let signNo = try await signIn(harness, client)
            let envelope = try await harness.fsiEnvelope("1101", input: personByID(Demo.zhangSan.certno), signNo: signNo)
            let (status, body) = try await client.postJSON(Self.path, envelope)
            #expect(status == 200)
            #expect(body["infcode"] == .number("0"))
            let base = body["output"]?.objectValue?["baseinfo"]?.objectValue
            #expect(base?.string("psn_no") == Demo.zhangSan.psnNo)
            #expect(body["output"]?.objectValue?["insuinfo"] == .array([.object([
                "insuplc_admdvs": "120100", "insutype": "310", "balc": .number("1234.56"), "psn_type": "11", "psn_insu_stas": "1",
                "psn_insu_date": "2003-07-01", "cvlserv_flag": "0", "emp_name": "Tianjin Port Logistics Co.", "paus_insu_date": "",
            ])]))
            #expect(FSIRequestSigner(credentials: try harness.clientCredentials()).verifyResponse(body))
        }
    }

    @Test("an unsigned request (no cainfo) is refused naming /cainfo")
    func unsigned() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            var envelope = try await harness.fsiEnvelope("9001", input: ["signIn": .object(["opter_no": "OP1", "mac": "m", "ip": "i"])])
            envelope["cainfo"] = nil
            let (status, body) = try await client.postJSON(Self.path, envelope)
            #expect(status == 400)
            #expect(body.string("code") == "FIELD_MISSING")
            #expect(body.string("pointer") == "/cainfo")
            #expect(body["infcode"] == .number("-1"))
        }
    }

    @Test("a request changed after signing is refused with the canonical string and a diagnosis")
    func tampered() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let signNo = try await signIn(harness, client)
            var envelope = try await harness.fsiEnvelope("1101", input: personByID(Demo.zhangSan.certno), signNo: signNo)
            envelope["input"] = .object(personByID(Demo.liuWeiSuspended.certno))
            let (status, body) = try await client.postJSON(Self.path, envelope)
            #expect(status == 401)
            #expect(body.string("code") == "FSI_SIGNATURE_INVALID")
            #expect(body.string("rule") == "PROTOCOL-ENVELOPE")
            #expect(body.string("pointer") == "/cainfo")
            // The canonical string is shown with personal values masked and the secret as its fingerprint only.
            let secret = try harness.clientCredentials().appSecret
            let shown = try #require(body.string("signString"))
            #expect(shown.contains("input={\"data\":{\"mdtrt_cert_no\":\"\(Redaction.maskIDNumber(Demo.liuWeiSuspended.certno))\""))
            #expect(!shown.contains(Demo.liuWeiSuspended.certno))
            #expect(shown.hasSuffix("&key=\(Redaction.secret(secret))"))
            #expect(!JSONValue.object(body).serialized().contains(secret))
            guard case .array(let diagnosis)? = body["diagnosis"] else { Issue.record("no diagnosis"); return }
            #expect(diagnosis.first?.stringValue?.contains("different key") == true)
        }
    }

    @Test("a DER-encoded cainfo is refused and diagnosed as DER")
    func derSignature() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            var envelope = try await harness.fsiEnvelope("9001", input: ["signIn": .object(["opter_no": "OP1", "mac": "m", "ip": "i"])])
            let credentials = try harness.clientCredentials()
            envelope["cainfo"] = .string(try FSIRequestSigner(credentials: credentials, profile: HSEProfile(signatureEncoding: .der)).sign(envelope))
            let (status, body) = try await client.postJSON(Self.path, envelope)
            #expect(status == 401)
            guard case .array(let diagnosis)? = body["diagnosis"] else { Issue.record("no diagnosis"); return }
            #expect(diagnosis.contains { $0.stringValue?.contains("DER-encoded") == true })
        }
    }

    @Test("a stale inf_time is refused naming /inf_time")
    func stale() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let old = await harness.gateway.clock.now().addingTimeInterval(-301)
            let envelope = try await harness.fsiEnvelope("9001", input: ["signIn": .object(["opter_no": "OP1", "mac": "m", "ip": "i"])], at: old)
            let (status, body) = try await client.postJSON(Self.path, envelope)
            #expect(status == 401)
            #expect(body.string("code") == "FSI_TIME_OUT_OF_WINDOW")
            #expect(body.string("pointer") == "/inf_time")
        }
    }

    @Test("a replayed request (same msgid) is refused; the first answer stands")
    func replay() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let signNo = try await signIn(harness, client)
            let envelope = try await harness.fsiEnvelope("1101", input: personByID(Demo.zhangSan.certno), signNo: signNo)
            let first = try await client.postJSON(Self.path, envelope)
            #expect(first.status == 200)
            let second = try await client.postJSON(Self.path, envelope)
            #expect(second.status == 409)
            #expect(second.body.string("code") == "MSGID_REPLAYED")
            #expect(second.body.string("rule") == "PROTOCOL-REPLAY")
            #expect(second.body.string("pointer") == "/msgid")
        }
    }

    @Test("without a 9001 sign_no a business transaction is refused")
    func signInRequired() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let envelope = try await harness.fsiEnvelope("1101", input: personByID(Demo.zhangSan.certno), signNo: "12345678901234567890")
            let (status, body) = try await client.postJSON(Self.path, envelope)
            #expect(status == 401)
            #expect(body.string("code") == "SIGN_NO_UNKNOWN")
            #expect(body.string("pointer") == "/sign_no")
        }
    }

    @Test("AG-1 / AG-5: institutions without an Internet+ agreement in force are refused", arguments: [Demo.hospitalWithoutAgreement, Demo.suspendedHospital])
    func notAuthorised(_ institution: String) async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let signNo = try await signIn(harness, client, institution: institution)
            let envelope = try await harness.fsiEnvelope("1101", input: personByID(Demo.zhangSan.certno), signNo: signNo, institution: institution)
            let (status, body) = try await client.postJSON(Self.path, envelope)
            #expect(status == 403)
            #expect(body.string("code") == "INSTITUTION_NOT_AUTHORISED")
            // The suspended hospital's Internet+ agreement fell with its entity agreement: refused under AG-5.
            #expect(body.string("rule") == (institution == Demo.suspendedHospital ? "AG-5" : "AG-1"))
            if institution == Demo.suspendedHospital { #expect(body.string("detail")?.contains("AG-5") == true) }
        }
    }

    @Test("ID-4: identity medium 04 is refused naming mdtrt_cert_type")
    func identityMedium() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let signNo = try await signIn(harness, client)
            let envelope = try await harness.fsiEnvelope("1101", input: ["data": .object(["mdtrt_cert_type": "04", "mdtrt_cert_no": "x"])], signNo: signNo)
            let (status, body) = try await client.postJSON(Self.path, envelope)
            #expect(status == 400)
            #expect(body.string("rule") == "ID-4")
            #expect(body.string("pointer") == "/input/data/mdtrt_cert_type")
        }
    }

    @Test("ID-3: a person who is not real-name verified is refused and told to correct their information")
    func notVerified() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let signNo = try await signIn(harness, client)
            let envelope = try await harness.fsiEnvelope("1101", input: personByID(Demo.chenJingUnverified.certno), signNo: signNo)
            let (status, body) = try await client.postJSON(Self.path, envelope)
            #expect(status == 403)
            #expect(body.string("rule") == "ID-3")
            #expect(body.string("detail")?.contains("correct") == true)
            #expect(body.string("detail")?.contains(Demo.chenJingUnverified.certno) == false)   // SV-5: masked
        }
    }

    @Test("a refused request leaves no rows and is itself recorded in the trace")
    func refusalLeavesNothing() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let signNo = try await signIn(harness, client)
            let before = try await harness.gateway.store.read { try await $0.traceHead()?.seq ?? 0 }
            // 2201 with the junior doctor: refused by PR-1 after the ecToken would have been spent.
            let qr = try await client.postJSON("/channel/ec/qrcode", ["certno": .string(Demo.zhangSan.certno)],
                                               headers: [.authorization: "Bearer \(harness.credentials.channel.token)"])
            let scan = try await client.postJSON("/hse/ec.query", try await harness.hseEnvelope(.object([
                "qrCode": .string(qr.body.string("qrCode") ?? ""), "businessType": "01101", "orgId": .string(Demo.hospital)])))
            #expect(scan.status == 200)
            let credentials = try harness.clientCredentials()
            let opened = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
                .open(scan.body, peerPublicKey: credentials.platformPublicKey).get()
            let token = try #require(opened.data?.objectValue?.string("ecToken"))
            var data: JSONObject = ["psn_no": .string(Demo.zhangSan.psnNo), "insutype": "310", "begntime": .string(Timestamps.fsi(Date())),
                                    "mdtrt_cert_type": "01", "mdtrt_cert_no": .string(token), "ipt_otp_no": "OP-1", "atddr_no": .string(Demo.doctorWangJunior),
                                    "dr_name": "Wang Fang", "dept_code": "A03", "dept_name": "Internal medicine", "caty": "A03"]
            let refused = try await client.postJSON(Self.path, try await harness.fsiEnvelope("2201", input: ["data": .object(data)], signNo: signNo))
            #expect(refused.status == 403)
            #expect(refused.body.string("rule") == "PR-1")
            #expect(refused.body.string("pointer") == "/input/data/atddr_no")
            // The token was not spent by the refused request: the same token still registers with the senior doctor.
            data["atddr_no"] = .string(Demo.doctorLi)
            data["dr_name"] = "Li Wei"
            let accepted = try await client.postJSON(Self.path, try await harness.fsiEnvelope("2201", input: ["data": .object(data)], signNo: signNo))
            #expect(accepted.status == 200)
            let entries = try await harness.gateway.store.read { try await $0.traceEntries(from: before + 1, limit: 100) }
            #expect(entries.map(\.kind) == ["channel.ec.qrcode", "hse.ec.query", "fsi.2201", "fsi.2201"])
            #expect(entries.map(\.outcome) == ["accepted", "accepted", "refused:PRACTITIONER_PRACTICE_TOO_SHORT", "accepted"])
        }
    }
}
