import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import YibaoClient
import YibaoConformance
import YibaoCore
import YibaoCrypto
@testable import YibaoGateway
import YibaoStore

/// Issue 12 items 4–5: mobile payment and the settlement callback as real platforms speak them
/// (docs/DIALECTS.md §10), each a setting of the profiles in `profiles/`.
@Suite("Dialects: mobile payment and the settlement callback", .serialized)
struct PaymentDialectTests {
    static func profile(_ name: String) throws -> DialectProfile {
        try DialectProfile.decode(try Data(contentsOf: GatewayHarness.packageRoot.appendingPathComponent("profiles/\(name).json")), fileName: name)
    }

    static func notice(fund: Int64, account: Int64, cash: Int64) -> SettlementNotice {
        SettlementNotice(kind: .settlement, payOrdId: "ORD1", medOrgOrd: "MO1", ordStas: "6", feeSumFen: fund + account + cash, cashFen: cash, accountFen: account,
                         fundFen: fund, refundedFen: 0, at: Date(timeIntervalSince1970: 1_790_000_000), setlinfo: ["setl_id": "S1", "medfee_sumamt": "73.60"],
                         setldetail: [SettlementNotice.fundLine(insutype: "310", fundFen: fund, inScopeFen: fund + account)], institutionCode: Demo.hospital,
                         institutionName: "Tianjin Demo Hospital", setlId: "S1", mdtrtId: "M1", ecCode: "EC1", revsToken: "ab")
    }

    @Test("the callback in each profile's shape: PROTOCOL.md's SETL; national's callType 02, setlType from the split, ownPayAmt, V2.2.5 amounts that add up, extData arrays; hainan's ownpayAmt and members")
    func callbackShapes() throws {
        let standard = Self.notice(fund: 5659, account: 1701, cash: 0).data(CallbackDialect(), amounts: .basic)
        #expect(standard[key: "callType"] == "SETL")
        #expect(standard[key: "setlType"] == "1")
        #expect(standard[key: "ownpayAmt"] == "0.00")
        #expect(standard["extData"]?.objectValue?["setlinfo"]?.objectValue != nil)

        let national = try Self.profile("national").payment
        let shanxi = Self.notice(fund: 5659, account: 1701, cash: 300).data(national.callback, amounts: national.answerAmounts)
        #expect(shanxi[key: "callType"] == "02")
        #expect(shanxi[key: "setlType"] == "ALL")
        #expect(shanxi["ownpayAmt"] == nil)
        #expect(shanxi[key: "ownPayAmt"] == "3.00")
        let fen = { (key: String) in Money.fen(shanxi[key: key]) ?? -1 }
        #expect(fen("fundPay") + fen("psnAcctPay") + fen("ownPayAmt") + fen("hospPartAmt") == fen("feeSumamt"))
        #expect(fen("selfAcctPay") + fen("acctMulaidPay") == fen("psnAcctPay"))
        for member in ["othFeeAmt", "deposit", "delvFee"] { #expect(shanxi[member] != nil, "\(member)") }
        let extData = try #require(shanxi["extData"]?.objectValue)
        #expect(extData["setlinfo"]?.arrayValue?.first?.objectValue?[key: "setlId"] == "S1")  // camelCase inside the arrays
        #expect(extData["setldetail"]?.arrayValue?.first?.objectValue?[key: "fundpaytype"] == "310100")
        #expect(Self.notice(fund: 100, account: 0, cash: 0).data(national.callback, amounts: .basic)[key: "setlType"] == "HI")
        #expect(Self.notice(fund: 0, account: 0, cash: 100).data(national.callback, amounts: .basic)[key: "setlType"] == "CASH")

        let hainan = try Self.profile("hainan").payment
        let haikou = Self.notice(fund: 5659, account: 1701, cash: 0).data(hainan.callback, amounts: hainan.answerAmounts)
        #expect(haikou[key: "ownpayAmt"] == "0.00")
        #expect(haikou[key: "orgName"] == "Tianjin Demo Hospital")
        #expect(haikou[key: "hiDocSn"] == "S1")
        #expect(haikou[key: "hiRgstSn"] == "M1")
        for member in ["hiChrgTime", "orgCode", "ecCode"] { #expect(!haikou[key: member].isEmpty, "\(member)") }
        #expect(!hainan.callback.refundCallbacks)
    }

    @Test("acknowledgements judged per profile: {code:0}, {success:true}, an empty 200; a code written as a string, an empty body where {success} is wanted and JSON where an empty 200 is wanted are named; a garbage answer is refused naming the profile's form")
    func acknowledgements() throws {
        let standard = CallbackDialect(), national = try Self.profile("national").payment.callback, hainan = try Self.profile("hainan").payment.callback
        let code0 = Array(#"{"code":0,"message":"ok"}"#.utf8), codeText = Array(#"{"code":"0"}"#.utf8), success = Array(#"{"success":true,"message":"ok"}"#.utf8)
        #expect(standard.judge(status: 200, body: code0) == nil)
        #expect(standard.acknowledgementRemark(status: 200, body: code0) == nil)
        #expect(standard.acknowledgementRemark(status: 200, body: codeText)?.contains("the string \"0\"") == true)
        #expect(standard.judge(status: 200, body: [])?.contains("an empty body is not an acknowledgement") == true)
        #expect(national.judge(status: 200, body: success) == nil)
        #expect(national.judge(status: 200, body: [])?.contains(#"{"success":true"#) == true)
        #expect(national.judge(status: 200, body: Array(#"{"success":false,"message":"unknown order"}"#.utf8))?.contains("success is false") == true)
        #expect(hainan.judge(status: 200, body: []) == nil)
        #expect(hainan.judge(status: 500, body: Array("系统异常".utf8))?.contains("HTTP 500 \"系统异常\"; the profile wants HTTP 200 with an empty body") == true)
        #expect(hainan.judge(status: 200, body: Array("OK!".utf8))?.contains("the profile wants HTTP 200 with an empty body") == true)
        #expect(hainan.acknowledgementRemark(status: 200, body: code0)?.contains("wants an empty body") == true)
    }

    /// The Hainan-style receiver (tools/testing/hainan_receiver.py) on a free port.
    final class PythonReceiver: @unchecked Sendable {
        let process = Process()
        let url: String

        init() throws {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-hainan-\(UUID().uuidString).url").path
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", GatewayHarness.packageRoot.appendingPathComponent("tools/testing/hainan_receiver.py").path, "--port", "0", "--url-file", file]
            process.currentDirectoryURL = GatewayHarness.packageRoot
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while FileManager.default.contents(atPath: file) == nil, process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            guard let data = FileManager.default.contents(atPath: file) else {
                process.terminate()
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "tools/testing/hainan_receiver.py did not start"])
            }
            url = String(decoding: data, as: UTF8.self)
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    @Test("a Hainan-style receiver acknowledging with an empty 200 passes the callback-receiver suite under profile hainan and fails it under national; the nhsa-2.0 sample receiver under hainan is named in CB-ACK-001")
    func hainanReceiverGraded() async throws {
        let receiver = try PythonReceiver()
        defer { receiver.stop() }
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-cb-\(UUID().uuidString)").path
        let hainan = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "run", "--suite", "callback-receiver", "--target", receiver.url,
                                                                  "--profile", "hainan", "--report-dir", reports + "/hainan", "--certs", GatewayHarness.certs])
        #expect(hainan.status == 0, "\(hainan.stdout)\(hainan.stderr)")
        #expect(hainan.stdout.contains("not applicable: CB-ORDER-001"), "\(hainan.stdout)")
        #expect(hainan.stdout.contains("PASS  CB-ACK-001"), "\(hainan.stdout)")
        let national = try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "run", "--suite", "callback-receiver", "--target", receiver.url,
                                                                    "--profile", "national", "--report-dir", reports + "/national", "--certs", GatewayHarness.certs])
        #expect(national.status == 1)
        #expect(national.stdout.contains("FAIL  CB-VALID-001"), "\(national.stdout)")
        #expect(national.stdout.contains("NullPointerException: ownpayAmt"), "\(national.stdout)")  // the receiver's own reason, quoted: national writes ownPayAmt
        #expect(national.stdout.contains("the profile wants HTTP 2xx with {\"success\":true"), "\(national.stdout)")
    }

    @Test("the strict sample receiver in national's form passes under national; in nhsa-2.0's form under hainan only CB-ACK-001 fails, naming the JSON answer")
    func sampleReceiverForms() async throws {
        let credentials = try DemoCredentials.load(certsDirectory: GatewayHarness.certs)
        let trust = try DevTrust(certs: GatewayHarness.certs, credentials: credentials)
        let platformKey = try SM2.PrivateKey(pemRepresentation: try trust.file(credentials.platform.privateKeyPem))
        let app = try #require(credentials.institutions.first { $0.fixmedins_code == DemoCredentials.demoHospital })
        func grade(receiverForm: CallbackDialect, suiteProfile: DialectProfile) async throws -> RunReport {
            let receiver = SampleCallbackReceiver(appId: app.appId, appSecret: app.appSecret, platformPublicKey: try SM2.PublicKey(base64: credentials.platform.publicKey),
                                                  dialect: receiverForm)
            return try await SampleCallbackReceiver.application(receiver, port: 0).test(.live) { live in
                let target = "http://127.0.0.1:\(try #require(live.port))/callback"
                let clock = VirtualClock(start: Date()), recorder = ExchangeRecorder()
                let suite = try CallbackReceiverSuite(target: target, credentials: credentials, institution: app.fixmedins_code, platformKey: platformKey,
                                                      seed: 5, clock: clock, recorder: recorder, profile: suiteProfile)
                return try await ConformanceRunner(catalogue: try Catalogue.bundled(), suite: suite, target: target, seed: 5, recorder: recorder, clock: clock).run()
            }
        }
        let national = try Self.profile("national")
        let passed = try await grade(receiverForm: national.payment.callback, suiteProfile: national)
        #expect(passed.succeeded, "\(passed.results.filter { !$0.verdict.isSuccess }.map { "\($0.definition.id): \($0.message)" })")
        #expect(!passed.results.contains { $0.definition.id == "CB-ORDER-001" })
        let mismatched = try await grade(receiverForm: CallbackDialect(), suiteProfile: try Self.profile("hainan"))
        let failing = mismatched.results.filter { !$0.verdict.isSuccess }
        // The nhsa-2.0 receiver refuses callType "02" outright, so the shape is named before the form.
        #expect(failing.first?.definition.id == "CB-VALID-001", "\(failing.map { "\($0.definition.id): \($0.message)" })")
        #expect(failing.first?.message.contains("callType: must be SETL or REFUND, got \\\"02\\\"") == true, "\(failing.map(\.message))")
    }

    struct Flow {
        let harness: GatewayHarness
        let port: Int
        let hospital: YibaoClient
        let context: PaymentFlowTests.Context

        /// Registers, authorises and uploads 6201 for `person`; returns the 6201 answer and the request.
        /// `drugsOnly`: without the consultation line (a person with no prior offline visit, or a second order the same day).
        func upload(certno: String = Demo.zhangSan.certno, psnNo: String = Demo.zhangSan.psnNo, drugsOnly: Bool = false) async throws -> (order: JSONObject, upload: JSONObject, payAuthNo: String) {
            let (mdtrtId, payAuthNo) = try await context.visitAndAuthorisation(certno: certno, psnNo: psnNo)
            var upload = context.feeUpload(mdtrtId: mdtrtId, payAuthNo: payAuthNo, psnNo: psnNo)
            if drugsOnly {
                upload["feedetailList"] = .array(Array(upload["feedetailList"]?.arrayValue?.dropFirst() ?? []))
                upload["medfeeSumamt"] = "53.60"
            }
            return (try await hospital.hse(service: "uldFeeInfo", data: .object(upload)).objectValue ?? [:], upload, payAuthNo)
        }

        func pay(_ order: JSONObject, _ upload: JSONObject, payAuthNo: String) async throws -> JSONObject {
            try await hospital.hse(service: "pay_order", data: .object([
                "payAuthNo": .string(payAuthNo), "payOrdId": .string(order[key: "payOrdId"]), "payToken": .string(order[key: "payToken"]),
                "orgCodg": .string(Demo.hospital), "orgBizSer": "BIZ1", "chrgBchno": .string(upload[key: "chrgBchno"]), "mdtrtId": .string(upload[key: "mdtrtId"]),
                "acctUsedFlag": .integer(1)])).objectValue ?? [:]
        }

        func query(_ order: JSONObject) async throws -> JSONObject {
            try await hospital.hse(service: "query_order_info", data: .object(["payOrdId": .string(order[key: "payOrdId"]), "orgCodg": .string(Demo.hospital),
                                                                               "payToken": .string(order[key: "payToken"])])).objectValue ?? [:]
        }
    }

    /// A live gateway whose demo hospital speaks `profile`, and a client speaking it too.
    func withProfile(_ profile: String, callbacks: Bool = true, _ body: @Sendable (Flow) async throws -> Void) async throws {
        let harness = try await GatewayHarness.make()
        let dialect = try Self.profile(profile)
        try await harness.app(callbacks: callbacks).test(.live) { live in
            let port = try #require(live.port)
            let set = try await HTTP.post(.shared, url: "http://127.0.0.1:\(port)/admin/institutions/\(Demo.hospital)/profile",
                                          body: Array(#"{"profile":"\#(profile)"}"#.utf8), bearer: harness.credentials.adminToken)
            #expect(set.objectValue?[key: "profile"] == profile)
            var hospital = try await harness.client(port: port)
            hospital.dialect = dialect
            try await body(Flow(harness: harness, port: port, hospital: hospital,
                                context: PaymentFlowTests.Context(harness: harness, port: port, hospital: hospital)))
        }
    }

    @Test("national: 6301 of an unpaid order holds no amounts; the patient pays on the cashier page 6201 returned (a wrong token is refused); 6301 then shows the V2.2.5 amounts, which add up")
    func cashierPayment() async throws {
        try await withProfile("national") { flow in
            let (order, _, _) = try await flow.upload()
            let cashier = try #require(order["cashierUrl"]?.stringValue)
            #expect(cashier.hasPrefix("/channel/cashier/\(order[key: "payOrdId"])?token="))
            let waiting = try await flow.query(order)
            #expect(Set(waiting.members.map(\.key)) == ["payOrdId", "ordStas"])
            #expect(waiting[key: "ordStas"] == "2")

            let base = "http://127.0.0.1:\(flow.port)"
            let page = try await HTTP.exchange(.shared, url: base + cashier, method: .GET, body: nil, timeout: .seconds(10))
            #expect(page.status == 200)
            #expect(String(decoding: page.body, as: UTF8.self).contains("Pay with medical insurance"))
            let forged = try await HTTP.exchange(.shared, url: base + "/channel/cashier/\(order[key: "payOrdId"])", body: Array("token=00".utf8), timeout: .seconds(10))
            #expect(forged.status == 403)
            #expect(String(decoding: forged.body, as: UTF8.self).contains("CASHIER_TOKEN_INVALID"))
            let token = String(cashier.split(separator: "=").last ?? "")
            let paid = try await HTTP.exchange(.shared, url: base + "/channel/cashier/\(order[key: "payOrdId"])", body: Array("token=\(token)".utf8), timeout: .seconds(10))
            #expect(paid.status == 200)
            #expect(String(decoding: paid.body, as: UTF8.self).contains("complete"))

            let done = try await flow.query(order)
            #expect(done[key: "ordStas"] == "6")
            let fen = { (key: String) in Money.fen(done[key: key]) ?? -1 }
            #expect(fen("fundPay") + fen("psnAcctPay") + fen("ownPayAmt") + fen("hospPartAmt") == fen("feeSumamt"))
            #expect(fen("selfAcctPay") == fen("psnAcctPay"))
            // Paid once: the page's button cannot pay again.
            let again = try await HTTP.exchange(.shared, url: base + "/channel/cashier/\(order[key: "payOrdId"])", body: Array("token=\(token)".utf8), timeout: .seconds(10))
            #expect(again.status == 409)
        }
    }

    @Test("national: the wallet pays an order for its own user only; 6202 answers the V2.2.5 amounts; 6203 with null parts refunds what is left; the refund-pending persona answers EXP until 6301 confirms it")
    func walletAndRefunds() async throws {
        try await withProfile("national", callbacks: false) { flow in
            // The wallet pays for the patient whose order it is.
            let (walletOrder, _, _) = try await flow.upload()
            let wallet = VoucherChannel(baseURL: "http://127.0.0.1:\(flow.port)", token: flow.harness.credentials.channel.token)
            let stranger = try await HTTP.exchange(.shared, url: wallet.baseURL + "/channel/wallet/pay",
                                                   body: Array(#"{"payOrdId":"\#(walletOrder[key: "payOrdId"])","certno":"\#(Demo.liuWeiSuspended.certno)"}"#.utf8),
                                                   bearer: flow.harness.credentials.channel.token)
            #expect(stranger.status == 403)
            #expect(String(decoding: stranger.body, as: UTF8.self).contains("ORDER_IDENTITY_MISMATCH"))
            let walletPaid = try await HTTP.post(.shared, url: wallet.baseURL + "/channel/wallet/pay",
                                                 body: Array(#"{"payOrdId":"\#(walletOrder[key: "payOrdId"])","certno":"\#(Demo.zhangSan.certno)"}"#.utf8),
                                                 bearer: flow.harness.credentials.channel.token)
            #expect(walletPaid.objectValue?[key: "ordStas"] == "6")
            // The hospital that then tries to pay it itself is told the patient paid in the channel.
            await expectRefusal("ORDER_PAID_IN_CHANNEL", rule: "PY-6", pointer: "/payOrdId") {
                _ = try await flow.hospital.hse(service: "pay_order", data: .object([
                    "payAuthNo": "X", "payOrdId": .string(walletOrder[key: "payOrdId"]), "payToken": .string(walletOrder[key: "payToken"]),
                    "orgCodg": .string(Demo.hospital), "chrgBchno": "CB", "mdtrtId": "M"]))
            }

            // 6202 by the hospital (Li Na), V2.2.5 members, then a refund whose parts are null.
            let (order, upload, payAuthNo) = try await flow.upload(certno: "12010119850615234X", psnNo: "12000000000000000002")
            let paid = try await flow.pay(order, upload, payAuthNo: payAuthNo)
            for member in ["othFeeAmt", "hospPartAmt", "acctMulaidPay", "selfAcctPay", "deposit", "delvFee"] { #expect(paid[member] != nil, "\(member)") }
            let refund = try await flow.hospital.hse(service: "refund_Order", data: .object([
                "payOrdId": .string(order[key: "payOrdId"]), "appRefdSn": "R1", "appRefdTime": "20261203101500", "totlRefdAmt": .string(paid[key: "feeSumamt"]),
                "psnAcctRefdAmt": .null, "fundRefdAmt": .null, "cashRefdAmt": .null, "refdType": "ALL", "payAuthNo": .string(payAuthNo),
                "extData": .object(["opter": "001", "systemNo": "HIS"])])).objectValue ?? [:]
            #expect(refund[key: "refStatus"] == "SUCC")
            #expect(refund[key: "ordStas"] == "7")
            #expect(refund[key: "psnAcctRefdAmt"] == paid[key: "psnAcctPay"])
            await expectRefusal("FIELD_INVALID", rule: "PY-6", pointer: "/appRefdTime") {
                _ = try await flow.hospital.hse(service: "refund_Order", data: .object([
                    "payOrdId": .string(order[key: "payOrdId"]), "appRefdSn": "R2", "appRefdTime": "03/12/2026", "totlRefdAmt": "1.00", "refdType": "CASH"]))
            }

            // The refund-pending persona: EXP, ordStas 17, the account untouched until the query.
            let pending = (psnNo: "12000000000000000015", certno: "120101197001010050")
            let balance = { try await flow.harness.gateway.store.read { try await $0.person(psnNo: pending.psnNo)?.accountBalanceFen } ?? -1 }
            let (held, heldUpload, heldAuth) = try await flow.upload(certno: pending.certno, psnNo: pending.psnNo, drugsOnly: true)
            let heldPaid = try await flow.pay(held, heldUpload, payAuthNo: heldAuth)
            let afterPayment = try await balance()
            let exp = try await flow.hospital.hse(service: "refund_Order", data: .object([
                "payOrdId": .string(held[key: "payOrdId"]), "appRefdSn": "R3", "appRefdTime": "20261203101500", "totlRefdAmt": .string(heldPaid[key: "feeSumamt"]),
                "refdType": "ALL"])).objectValue ?? [:]
            #expect(exp[key: "refStatus"] == "EXP")
            #expect(exp[key: "ordStas"] == "17")
            #expect(try await balance() == afterPayment)
            let confirmed = try await flow.query(held)
            #expect(confirmed[key: "ordStas"] == "7")
            #expect(confirmed["refunds"]?.arrayValue?.first?.objectValue?[key: "refStatus"] == "SUCC")
            #expect(try await balance() == afterPayment + (Money.fen(heldPaid[key: "psnAcctPay"]) ?? 0))
        }
    }

    @Test("nhsa-2.0 offers no channel-mode payment: the wallet is refused naming the profile, and 6201 answers no cashierUrl")
    func noChannelUnderStrictProfile() async throws {
        try await withProfile("nhsa-2.0", callbacks: false) { flow in
            let (order, _, _) = try await flow.upload()
            #expect(order["cashierUrl"] == nil)
            let refused = try await HTTP.exchange(.shared, url: "http://127.0.0.1:\(flow.port)/channel/wallet/pay",
                                                  body: Array(#"{"payOrdId":"\#(order[key: "payOrdId"])","certno":"\#(Demo.zhangSan.certno)"}"#.utf8),
                                                  bearer: flow.harness.credentials.channel.token)
            #expect(refused.status == 403)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("CHANNEL_PAYMENT_NOT_OFFERED"))
        }
    }

    @Test("6201 by ecToken (a counter scan) and its 6202 by the same token; a token of another person is refused")
    func voucherPayment() async throws {
        try await withProfile("national", callbacks: false) { flow in
            let (mdtrtId, _) = try await flow.context.visitAndAuthorisation()
            let qr = try await flow.harness.channel(port: flow.port).qrCode(certno: Demo.zhangSan.certno)
            let scan = try await flow.hospital.scanVoucher(qrCode: qr.code, business: .outpatientSettlement)
            var upload = flow.context.feeUpload(mdtrtId: mdtrtId, payAuthNo: "")
            upload["payAuthNo"] = nil
            upload["ecToken"] = .string("ffff")
            await expectRefusal("TOKEN_UNKNOWN", rule: "ID-2", pointer: "/ecToken") {
                _ = try await flow.hospital.hse(service: "uldFeeInfo", data: .object(upload))
            }
            upload["ecToken"] = .string(scan.ecToken)
            let order = try await flow.hospital.hse(service: "uldFeeInfo", data: .object(upload)).objectValue ?? [:]
            let paid = try await flow.hospital.hse(service: "pay_order", data: .object([
                "ecToken": .string(scan.ecToken), "payAuthNo": .null, "payOrdId": .string(order[key: "payOrdId"]), "payToken": .string(order[key: "payToken"]),
                "orgCodg": .string(Demo.hospital), "chrgBchno": .string(upload[key: "chrgBchno"]), "mdtrtId": .string(mdtrtId), "acctUsedFlag": ""])).objectValue ?? [:]
            #expect(paid[key: "ordStas"] == "6")
        }
    }

    @Test("hainan: the gateway's callback reaches the Hainan-style receiver, which acknowledges with an empty 200; no refund callback follows a 6203")
    func hainanDelivery() async throws {
        let receiver = try PythonReceiver()
        defer { receiver.stop() }
        try await withProfile("hainan", callbacks: false) { flow in
            _ = try await HTTP.post(.shared, url: "http://127.0.0.1:\(flow.port)/admin/institutions/\(Demo.hospital)/callback",
                                    body: Array(#"{"url":"\#(receiver.url)"}"#.utf8), bearer: flow.harness.credentials.adminToken)
            let (order, upload, payAuthNo) = try await flow.upload()
            let paid = try await flow.pay(order, upload, payAuthNo: payAuthNo)
            let dispatcher = CallbackDispatcher(gateway: flow.harness.gateway)
            #expect(try await dispatcher.deliverDue() == 1)
            let stored = try await flow.harness.gateway.store.read { try await $0.callbacks(institutionCode: Demo.hospital, limit: 10) }
            #expect(stored.first?.state == .delivered, "\(stored.first?.log ?? [])")
            let credentials = try flow.harness.clientCredentials()
            let opened = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
                .open(Array((stored.first?.body ?? "").utf8), peerPublicKey: credentials.platformPublicKey, now: nil).get()
            let data = try #require(opened.data?.objectValue)
            #expect(data[key: "callType"] == "02")
            #expect(data[key: "ownpayAmt"] == paid[key: "ownPayAmt"])
            #expect(data["extData"]?.objectValue?["setlinfo"]?.arrayValue?.count == 1)
            _ = try await flow.hospital.hse(service: "refund_Order", data: .object([
                "payOrdId": .string(order[key: "payOrdId"]), "appRefdSn": "R1", "appRefdTime": "20261203101500", "totlRefdAmt": .string(paid[key: "feeSumamt"]),
                "refdType": "ALL"]))
            #expect(try await flow.harness.gateway.store.read { try await $0.callbacks(institutionCode: Demo.hospital, limit: 10) }.count == 1)
        }
    }
}
