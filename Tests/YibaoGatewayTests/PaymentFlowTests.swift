import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import YibaoClient
import YibaoCore
@testable import YibaoServices
import YibaoCrypto
@testable import YibaoGateway
import YibaoStore

/// Mobile payment (6201–6401) and settlement callbacks through a live gateway.
@Suite("Mobile payment through a live gateway")
struct PaymentFlowTests {
    struct Context {
        let harness: GatewayHarness
        let port: Int
        let hospital: YibaoClient

        /// A registration and a payAuthNo for Zhang San (or another person of the fixture).
        func visitAndAuthorisation(certno: String = Demo.zhangSan.certno, psnNo: String = Demo.zhangSan.psnNo) async throws -> (mdtrtId: String, payAuthNo: String) {
            let mdtrtId = try await hospital.register(RegistrationRequest(psnNo: psnNo, insutype: "310", beginTime: Date(), medium: .residentID,
                                                                          certNo: certno, iptOtpNo: "MZ" + TokenGenerator.digits(6), doctorCode: Demo.doctorLi,
                                                                          doctorName: "Li Wei", deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            let authCode = try await harness.channel(port: port).authorise(certno: certno, orgCodg: Demo.hospital)
            return (mdtrtId, try await hospital.payAuthorisation(authCode: authCode).payAuthNo)
        }

        /// 6201 data: consultation 20.00 + metformin 2 × 12.50 + gliclazide 1 × 28.60 = 73.60.
        func feeUpload(mdtrtId: String, payAuthNo: String, psnNo: String = Demo.zhangSan.psnNo, medOrgOrd: String = "MO" + TokenGenerator.digits(8)) -> JSONObject {
            [
                "orgCodg": .string(Demo.hospital), "medOrgOrd": .string(medOrgOrd), "chrgBchno": .string("CB" + medOrgOrd), "psnNo": .string(psnNo),
                "insutype": "310", "mdtrtId": .string(mdtrtId), "medType": "11", "medfeeSumamt": "73.60", "acctUsedFlag": "1",
                "payAuthNo": .string(payAuthNo), "rxCircFlag": "0",
                "feedetailList": [
                    .object(["feedetlSn": "1", "medListCodg": "AADG0000", "pric": "20.00", "cnt": "1", "detItemFeeSumamt": "20.00"]),
                    .object(["feedetlSn": "2", "medListCodg": "XA10BAE054A001010100483", "pric": "12.50", "cnt": "2", "detItemFeeSumamt": "25.00"]),
                    .object(["feedetlSn": "3", "medListCodg": "XA10BBG001A001010103929", "pric": "28.60", "cnt": "1", "detItemFeeSumamt": "28.60"]),
                ],
            ]
        }
    }

    func withContext(callbacks: Bool = true, _ body: @Sendable (Context) async throws -> Void) async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app(callbacks: callbacks).test(.live) { live in
            let port = try #require(live.port)
            try await body(Context(harness: harness, port: port, hospital: try await harness.client(port: port)))
        }
    }

    @Test("6201 checks the identity real code sends (idNo, idType, userName) and takes exactly one of ecToken and payAuthNo")
    func uploadIdentity() async throws {
        try await withContext { context in
            let (mdtrtId, payAuthNo) = try await context.visitAndAuthorisation()
            var upload = context.feeUpload(mdtrtId: mdtrtId, payAuthNo: payAuthNo)
            upload["userName"] = "Li Na"
            await expectRefusal("ORDER_IDENTITY_MISMATCH", rule: "ID-1", pointer: "/userName") {
                _ = try await context.hospital.hse(service: "uldFeeInfo", data: .object(upload))
            }
            upload["userName"] = "Zhang San"
            upload["ecToken"] = "0123"
            await expectRefusal("FIELD_INVALID", rule: "ID-2", pointer: "/ecToken") {
                _ = try await context.hospital.hse(service: "uldFeeInfo", data: .object(upload))
            }
            upload["ecToken"] = nil
            upload["idNo"] = .string(Demo.zhangSan.certno)
            upload["idType"] = "01"
            let order = try await context.hospital.hse(service: "uldFeeInfo", data: .object(upload)).objectValue ?? [:]
            #expect(!order[key: "payOrdId"].isEmpty)
        }
    }

    @Test("6301 and 6401 check the payToken, idNo, idType and userName real code sends: a wrong one is refused naming it")
    func queryIdentity() async throws {
        try await withContext { context in
            let (mdtrtId, payAuthNo) = try await context.visitAndAuthorisation()
            let order = try await context.hospital.hse(service: "uldFeeInfo", data: .object(context.feeUpload(mdtrtId: mdtrtId, payAuthNo: payAuthNo))).objectValue ?? [:]
            let good: JSONObject = ["payOrdId": .string(order[key: "payOrdId"]), "payToken": .string(order[key: "payToken"]),
                                    "idNo": .string(Demo.zhangSan.certno), "idType": "01", "userName": "Zhang San"]
            let queried = try await context.hospital.hse(service: "query_order_info", data: .object(good)).objectValue ?? [:]
            #expect(queried[key: "payOrdId"] == order[key: "payOrdId"])
            for (member, wrong, code) in [("userName", "Li Na", "ORDER_IDENTITY_MISMATCH"), ("idNo", "12010119850615234X", "ORDER_IDENTITY_MISMATCH"),
                                          ("payToken", "0000", "PAY_TOKEN_MISMATCH")] {
                var bad = good
                bad[member] = .string(wrong)
                await expectRefusal(code, rule: member == "payToken" ? "PY-6" : "ID-1", pointer: "/\(member)") {
                    _ = try await context.hospital.hse(service: member == "payToken" ? "revoke_order" : "query_order_info", data: .object(bad))
                }
            }
        }
    }

    @Test("the same sealed 6201 envelope sent twice is refused the second time as a replay, naming /signData")
    func sealedReplay() async throws {
        try await withContext { context in
            let (mdtrtId, payAuthNo) = try await context.visitAndAuthorisation()
            let envelope = try await context.harness.hseEnvelope(.object(context.feeUpload(mdtrtId: mdtrtId, payAuthNo: payAuthNo)))
            let url = "http://127.0.0.1:\(context.port)/org/local/api/hos/uldFeeInfo"
            let bytes = Array(JSONValue.object(envelope).serialized().utf8)
            let first = try await HTTP.exchange(.shared, url: url, body: bytes)
            #expect(first.status == 200)
            let again = try await HTTP.exchange(.shared, url: url, body: bytes)
            let problem = try JSONValue.parse(again.body).objectValue ?? [:]
            #expect(again.status == 409)
            #expect(problem.string("code") == "ENV_REPLAYED")
            #expect(problem.string("pointer") == "/signData")
            #expect(problem["success"] == .bool(false))
        }
    }

    @Test("the crash-loop repro: a refund onto a balance an admin raised to the limit meanwhile is refused, not a trap; the gateway answers on, the retry is refused alike")
    func refundOverflow() async throws {
        try await withContext { context in
            let (mdtrtId, payAuthNo) = try await context.visitAndAuthorisation()
            let upload = context.feeUpload(mdtrtId: mdtrtId, payAuthNo: payAuthNo)
            let order = try await context.hospital.hse(service: "uldFeeInfo", data: .object(upload)).objectValue ?? [:]
            let payOrdId = order[key: "payOrdId"]
            _ = try await context.hospital.hse(service: "pay_order", data: .object([
                "payAuthNo": .string(payAuthNo), "payOrdId": .string(payOrdId), "payToken": .string(order[key: "payToken"]),
                "orgCodg": .string(Demo.hospital), "orgBizSer": "BIZ9", "chrgBchno": .string(upload[key: "chrgBchno"]),
                "mdtrtId": .string(mdtrtId), "acctUsedFlag": "1"]))
            // The admin sets the largest balance the platform holds (an Int64.max one is refused at the edge).
            let admin = context.harness.credentials.adminToken
            let base = "http://127.0.0.1:\(context.port)"
            var person = try #require(try await context.harness.gateway.store.read { try await $0.person(psnNo: Demo.zhangSan.psnNo) })
            let huge = try await HTTP.exchange(.shared, url: base + "/admin/persons", body: Array(#"{"psnNo":"12000000000000000001","certno":"120101198001011234","name":"Zhang San","gender":"1","birthDate":"1980-01-01","insutype":"310","insuplcAdmdvs":"120100","accountBalanceFen":9223372036854775807}"#.utf8), bearer: admin)
            #expect(huge.status == 400)
            person.accountBalanceFen = Money.maximumFen
            try await context.harness.gateway.store.write { [person] store in try await store.save(person) }
            let refund: JSONObject = ["payOrdId": .string(payOrdId), "appRefdSn": "R9", "appRefdTime": "2026-11-23 12:00:00", "totlRefdAmt": "5.00",
                                      "psnAcctRefdAmt": "5.00", "fundRefdAmt": "0.00", "cashRefdAmt": "0.00", "refdType": "HI"]
            for _ in 0..<2 {  // the client's retry: refused again, no crash
                await expectRefusal("AMOUNT_OUT_OF_RANGE", rule: nil, pointer: "/payOrdId") {
                    _ = try await context.hospital.hse(service: "refund_Order", data: .object(refund))
                }
            }
            let health = try await HTTP.exchange(.shared, url: base + "/health", method: .GET, body: nil)
            #expect(health.status == 200)
            let kept = try await context.harness.gateway.store.read { try await $0.person(psnNo: Demo.zhangSan.psnNo) }
            #expect(kept?.accountBalanceFen == Money.maximumFen)  // nothing half-written
        }
    }

    @Test("the typed client: a visit settled through FSI (2204 → 2206 → 2207, a retry, 2208) and one paid in the app (6201 → 6202 → 6301 → 6203); each split adds up")
    func typedClient() async throws {
        try await withContext(callbacks: false) { context in
            func sum(_ parts: String...) -> Decimal { parts.reduce(Decimal(0)) { $0 + (Decimal(string: $1) ?? .nan) } }
            let hospital = context.hospital
            let token = try await context.harness.ecToken(port: context.port, certno: Demo.zhangSan.certno, hospital: hospital)
            let mdtrtId = try await hospital.register(RegistrationRequest(psnNo: Demo.zhangSan.psnNo, insutype: "310", beginTime: Date(), medium: .eVoucher,
                                                                          certNo: token, iptOtpNo: "MZ" + TokenGenerator.digits(6),
                                                                          doctorCode: Demo.doctorLi, doctorName: "Li Wei", deptCode: "A03",
                                                                          deptName: "Internal medicine", caty: "A03"))
            let lines = [FeeLine(serial: "1", catalogueCode: "XA10BAE054A001010100483", price: "12.50", count: "2", total: "25.00")]
            _ = try await hospital.uploadFeeDetails(psnNo: Demo.zhangSan.psnNo, mdtrtId: mdtrtId, chargeBatch: "B1", lines: lines)
            let request = SettlementRequest(psnNo: Demo.zhangSan.psnNo, mdtrtId: mdtrtId, chargeBatch: "B1", total: "25.00")
            let preview = try await hospital.preSettle(request)
            #expect(sum(preview.total) == 25 && sum(preview.fund, preview.account, preview.cash) == 25)
            let settled = try await hospital.settle(request)
            #expect(!settled.setlId.isEmpty && settled.mdtrtId == mdtrtId)
            #expect(sum(settled.fund, settled.account, settled.cash) == sum(settled.total) && sum(settled.total) == 25)
            #expect(try await hospital.settle(request).setlId == settled.setlId)      // once: the retry answers the first
            let cancelled = try await hospital.cancelSettlement(setlId: settled.setlId, mdtrtId: mdtrtId, psnNo: Demo.zhangSan.psnNo)
            #expect(sum(cancelled.total) == -25)

            let (visit, payAuthNo) = try await context.visitAndAuthorisation()
            let upload = MobileFeeUpload(hospitalOrder: "MO" + TokenGenerator.digits(8), chargeBatch: "CB" + TokenGenerator.digits(8), psnNo: Demo.zhangSan.psnNo,
                                         mdtrtId: visit, total: "73.60", credential: .payAuthNo(payAuthNo), lines: [
                                             FeeLine(serial: "1", catalogueCode: "AADG0000", price: "20.00", count: "1", total: "20.00"),
                                             FeeLine(serial: "2", catalogueCode: "XA10BAE054A001010100483", price: "12.50", count: "2", total: "25.00"),
                                             FeeLine(serial: "3", catalogueCode: "XA10BBG001A001010103929", price: "28.60", count: "1", total: "28.60"),
                                         ])
            let order = try await hospital.uploadMobileFees(upload)
            #expect(!order.payToken.isEmpty && sum(order.total) == sum("73.60"))
            #expect(sum(order.fund, order.account, order.cash) == sum(order.total))
            let paid = try await hospital.payOrder(order, upload: upload, payAuthNo: payAuthNo, businessSerial: "BIZ1")
            #expect(paid.payOrdId == order.payOrdId && paid.status == "6")
            #expect(try await hospital.queryOrder(payOrdId: order.payOrdId).status == "6")
            let refunded = try await hospital.refundOrder(RefundRequest(payOrdId: order.payOrdId, serial: "R1", time: Date(), total: "5.00", account: "5.00"))
            #expect(refunded.answer["refStatus"]?.stringValue == "SUCC")
            #expect(try await hospital.queryOrder(payOrdId: order.payOrdId).status == refunded.status)
        }
    }

    @Test("6201 → 6202 → 6203: the split adds up, retries return the first answer, a changed body is refused naming the field")
    func payAndRefund() async throws {
        try await withContext { context in
            let (mdtrtId, payAuthNo) = try await context.visitAndAuthorisation()
            let upload = context.feeUpload(mdtrtId: mdtrtId, payAuthNo: payAuthNo)
            let first = try await context.hospital.hse(service: "uldFeeInfo", data: .object(upload)).objectValue ?? [:]
            let again = try await context.hospital.hse(service: "uldFeeInfo", data: .object(upload)).objectValue ?? [:]
            #expect(first[key: "payOrdId"] == again[key: "payOrdId"])
            #expect(first == again)
            // Worked example (Tianjin employee, tertiary hospital, deductible already met this year, ratio 0.80):
            //   consultation 20.00 (class A, within the 20.00 price) + metformin 25.00 (A) + gliclazide 28.60 (B, self-pay share 0.10 → 2.86)
            //   inscope = 20.00 + 25.00 + 25.74 = 70.74; fund = 70.74 × 0.80 = 56.592 → 56.59
            //   individual share = 73.60 − 56.59 = 17.01, paid from the personal account (balance 1234.56).
            #expect(first[key: "feeSumamt"] == "73.60")
            #expect(first[key: "fundPay"] == "56.59")
            #expect(first[key: "psnAcctPay"] == "17.01")
            #expect(first[key: "ownPayAmt"] == "0.00")
            var changed = upload
            changed["medfeeSumamt"] = "73.50"
            await expectRefusal("IDEMPOTENCY_KEY_REUSED", rule: "PY-6", pointer: "/medfeeSumamt") {
                _ = try await context.hospital.hse(service: "uldFeeInfo", data: .object(changed))
            }
            let payOrdId = first[key: "payOrdId"]
            let pay: JSONObject = ["payAuthNo": .string(payAuthNo), "payOrdId": .string(payOrdId), "payToken": .string(first[key: "payToken"]),
                                   "orgCodg": .string(Demo.hospital), "orgBizSer": "BIZ1", "chrgBchno": .string(upload[key: "chrgBchno"]),
                                   "mdtrtId": .string(mdtrtId), "acctUsedFlag": "1"]
            let paid = try await context.hospital.hse(service: "pay_order", data: .object(pay)).objectValue ?? [:]
            #expect(paid[key: "ordStas"] == "6")
            let repaid = try await context.hospital.hse(service: "pay_order", data: .object(pay)).objectValue ?? [:]
            #expect(paid == repaid)
            // PY-11: the payment's e-bill, in the 6202 answer and again in 6301.
            let receipt = paid["receipt"]?.objectValue ?? [:]
            #expect(receipt[key: "receiptType"] == "eBill" && receipt[key: "billNo"].count == 10 && receipt[key: "billAmt"] == paid[key: "feeSumamt"], "\(receipt)")
            let queried = try await context.hospital.hse(service: "query_order_info", data: .object([
                "payOrdId": .string(payOrdId), "payToken": .string(first[key: "payToken"]), "orgCodg": .string(Demo.hospital), "idNo": .string(Demo.zhangSan.certno),
                "idType": "01", "userName": "Zhang San"])).objectValue ?? [:]
            #expect(queried["receipt"]?.objectValue == receipt, "\(queried)")
            let person = try await context.harness.gateway.store.read { try await $0.person(psnNo: Demo.zhangSan.psnNo) }
            #expect(person?.accountBalanceFen == Int64(123_456 - 1_701))
            // A negative part would raise what is left to refund: refused.
            await expectRefusal("FIELD_INVALID", rule: "PY-6", pointer: "/psnAcctRefdAmt") {
                _ = try await context.hospital.hse(service: "refund_Order", data: .object([
                    "payOrdId": .string(payOrdId), "appRefdSn": "R0", "appRefdTime": "2026-11-23 12:00:00", "totlRefdAmt": "1.00",
                    "psnAcctRefdAmt": "-5.00", "fundRefdAmt": "6.00", "cashRefdAmt": "0.00", "refdType": "HI"]))
            }
            let refund: JSONObject = ["payOrdId": .string(payOrdId), "appRefdSn": "R1", "appRefdTime": "2026-11-23 12:00:00", "totlRefdAmt": "5.00",
                                      "psnAcctRefdAmt": "5.00", "fundRefdAmt": "0.00", "cashRefdAmt": "0.00", "refdType": "HI"]
            let refunded = try await context.hospital.hse(service: "refund_Order", data: .object(refund)).objectValue ?? [:]
            #expect(refunded[key: "refStatus"] == "SUCC")
            #expect(refunded[key: "ordStas"] == "9")
            let rerefunded = try await context.hospital.hse(service: "refund_Order", data: .object(refund)).objectValue ?? [:]
            #expect(refunded == rerefunded)
            var otherRefund = refund
            otherRefund["totlRefdAmt"] = "6.00"
            otherRefund["psnAcctRefdAmt"] = "6.00"
            await expectRefusal("IDEMPOTENCY_KEY_REUSED", rule: "PY-6", pointer: "/psnAcctRefdAmt") {
                _ = try await context.hospital.hse(service: "refund_Order", data: .object(otherRefund))
            }
            let order = try await context.harness.gateway.store.read { try await $0.paymentOrder(payOrdId: payOrdId) }
            #expect(order?.refunds.count == 1)
            var rest = refund
            rest["appRefdSn"] = "R2"
            rest["totlRefdAmt"] = "68.60"
            rest["psnAcctRefdAmt"] = "12.01"
            rest["fundRefdAmt"] = "56.59"
            rest["refdType"] = "ALL"
            let all = try await context.hospital.hse(service: "refund_Order", data: .object(rest)).objectValue ?? [:]
            #expect(all[key: "ordStas"] == "7")
            let query = try await context.hospital.hse(service: "query_order_info", data: .object(["payOrdId": .string(payOrdId)])).objectValue ?? [:]
            #expect(query[key: "ordStas"] == "7")
            let restored = try await context.harness.gateway.store.read { try await $0.person(psnNo: Demo.zhangSan.psnNo) }
            #expect(restored?.accountBalanceFen == Int64(123_456))
        }
    }

    func payData(_ order: JSONObject, upload: JSONObject, payAuthNo: String, mdtrtId: String) -> JSONObject {
        ["payAuthNo": .string(payAuthNo), "payOrdId": .string(order[key: "payOrdId"]), "payToken": .string(order[key: "payToken"]),
         "orgCodg": .string(Demo.hospital), "orgBizSer": "BIZ1", "chrgBchno": .string(upload[key: "chrgBchno"]), "mdtrtId": .string(mdtrtId), "acctUsedFlag": "1"]
    }

    @Test("test personas: a platform timeout after the payment (query or retry tells the truth), a settlement failure (PY-9), suspended insurance")
    func personas() async throws {
        try await withContext(callbacks: false) { context in
            // Platform timeout: 120101197001010034 (psn …13) — it has a prior offline visit? No: its consultation is audited, so it buys drugs only.
            func drugsOnly(_ upload: JSONObject) -> JSONObject {
                var upload = upload
                upload["medfeeSumamt"] = "53.60"
                upload["feedetailList"] = .array(Array((upload["feedetailList"]?.arrayValue ?? []).dropFirst()))
                return upload
            }
            let timeout = (certno: "120101197001010034", psnNo: "12000000000000000013")
            let (visit, payAuthNo) = try await context.visitAndAuthorisation(certno: timeout.certno, psnNo: timeout.psnNo)
            let upload = drugsOnly(context.feeUpload(mdtrtId: visit, payAuthNo: payAuthNo, psnNo: timeout.psnNo))
            let order = try await context.hospital.hse(service: "uldFeeInfo", data: .object(upload)).objectValue ?? [:]
            let pay = payData(order, upload: upload, payAuthNo: payAuthNo, mdtrtId: visit)
            await expectRefusal("PLATFORM_TIMEOUT", rule: "PY-6") { _ = try await context.hospital.hse(service: "pay_order", data: .object(pay)) }
            let query = try await context.hospital.hse(service: "query_order_info", data: .object(["payOrdId": .string(order[key: "payOrdId"])])).objectValue ?? [:]
            #expect(query[key: "ordStas"] == "6")
            let retried = try await context.hospital.hse(service: "pay_order", data: .object(pay)).objectValue ?? [:]
            #expect(retried[key: "ordStas"] == "6")

            let failure = (certno: "120101197001010042", psnNo: "12000000000000000014")
            let (failedVisit, failedAuth) = try await context.visitAndAuthorisation(certno: failure.certno, psnNo: failure.psnNo)
            let failedUpload = drugsOnly(context.feeUpload(mdtrtId: failedVisit, payAuthNo: failedAuth, psnNo: failure.psnNo))
            let failedOrder = try await context.hospital.hse(service: "uldFeeInfo", data: .object(failedUpload)).objectValue ?? [:]
            await expectRefusal("SETTLEMENT_FAILED", rule: "PY-9") {
                _ = try await context.hospital.hse(service: "pay_order", data: .object(payData(failedOrder, upload: failedUpload, payAuthNo: failedAuth, mdtrtId: failedVisit)))
            }
            let failedQuery = try await context.hospital.hse(service: "query_order_info", data: .object(["payOrdId": .string(failedOrder[key: "payOrdId"])])).objectValue ?? [:]
            #expect(failedQuery[key: "ordStas"] == "15")
            let balance = try await context.harness.gateway.store.read { try await $0.person(psnNo: failure.psnNo)?.accountBalanceFen }
            #expect(balance == Int64(50_000))
            // PY-9: the agency reimburses the fund share manually, once.
            let reimbursement = #"{"psnNo":"\#(failure.psnNo)","payOrdId":"\#(failedOrder[key: "payOrdId"])"}"#
            let url = "http://127.0.0.1:\(context.port)/admin/reimbursements"
            let reimbursed = try await HTTP.post(.shared, url: url, body: Array(reimbursement.utf8), bearer: context.harness.credentials.adminToken)
            #expect(reimbursed.objectValue?[key: "reimbursedAmt"] == failedOrder[key: "fundPay"])
            await expectRefusal("REIMBURSEMENT_DONE", rule: "PY-9") {
                _ = try await HTTP.post(.shared, url: url, body: Array(reimbursement.utf8), bearer: context.harness.credentials.adminToken)
            }

            await expectRefusal("PERSON_INSURANCE_NOT_ACTIVE", rule: "ID-1") {
                _ = try await context.visitAndAuthorisation(certno: "120101197001010026", psnNo: "12000000000000000012")
            }
        }
    }

    @Test("smart audit (SC-3): an Internet follow-up consultation charged for a condition the person was never seen for in person is refused (AUD-CONSULT-001)")
    func auditRefusal() async throws {
        try await withContext(callbacks: false) { context in
            // Seen in person for asthma only; the 6201 names diabetes (diseCodg).
            let person = (certno: "120101197001010018", psnNo: "12000000000000000011")
            let (visit, payAuthNo) = try await context.visitAndAuthorisation(certno: person.certno, psnNo: person.psnNo)
            var upload = context.feeUpload(mdtrtId: visit, payAuthNo: payAuthNo, psnNo: person.psnNo)
            upload["diseCodg"] = "E11.900"
            await expectRefusal("AUDIT_REFUSED", rule: "SC-3", pointer: "/feedetailList/0/medListCodg") {
                _ = try await context.hospital.hse(service: "uldFeeInfo", data: .object(upload))
            }
        }
    }

    /// A hospital's callback endpoint that fails its first `failures` deliveries, then acknowledges.
    actor Receiver {
        var bodies: [String] = []
        let failures: Int
        init(failures: Int) { self.failures = failures }
        func receive(_ body: String) -> Bool {
            bodies.append(body)
            return bodies.count > failures
        }
    }

    @Test("callback faults a hospital switches on: delayed by 30 s, then delivered twice with the same bytes; GET /admin/callbacks shows it")
    func callbackFaults() async throws {
        let receiver = Receiver(failures: 0)
        let router = Router()
        router.post("/notify") { request, _ -> Response in
            _ = await receiver.receive(String(buffer: try await request.body.collect(upTo: 1 << 20)))
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"code":0}"#)))
        }
        let hospitalApp = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await hospitalApp.test(.live) { hospitalSide in
            let receiverPort = try #require(hospitalSide.port)
            try await withContext(callbacks: false) { context in
                let admin = context.harness.credentials.adminToken
                _ = try await HTTP.post(.shared, url: "http://127.0.0.1:\(context.port)/admin/institutions/\(Demo.hospital)/callback",
                                        body: Array(#"{"url":"http://127.0.0.1:\#(receiverPort)/notify","faults":{"delaySeconds":30,"duplicate":true}}"#.utf8), bearer: admin)
                let (mdtrtId, payAuthNo) = try await context.visitAndAuthorisation()
                let upload = context.feeUpload(mdtrtId: mdtrtId, payAuthNo: payAuthNo)
                let order = try await context.hospital.hse(service: "uldFeeInfo", data: .object(upload)).objectValue ?? [:]
                _ = try await context.hospital.hse(service: "pay_order", data: .object(payData(order, upload: upload, payAuthNo: payAuthNo, mdtrtId: mdtrtId)))
                let dispatcher = CallbackDispatcher(gateway: context.harness.gateway)
                #expect(try await dispatcher.deliverDue() == 0)        // held for 30 s
                try await context.harness.advance(seconds: 30)
                #expect(try await dispatcher.deliverDue() == 1)
                let bodies = await receiver.bodies
                #expect(bodies.count == 2)
                #expect(bodies[0] == bodies[1])
                let listed = try await HTTP.get(.shared, url: "http://127.0.0.1:\(context.port)/admin/callbacks?institution=\(Demo.hospital)", bearer: admin)
                #expect(listed.arrayValue?.first?.objectValue?[key: "state"] == "delivered")
                // Out of order: two refunds queue two callbacks; with the fault on, the newer one arrives first.
                _ = try await HTTP.post(.shared, url: "http://127.0.0.1:\(context.port)/admin/institutions/\(Demo.hospital)/callback",
                                        body: Array(#"{"url":"http://127.0.0.1:\#(receiverPort)/notify","faults":{"outOfOrder":true}}"#.utf8), bearer: admin)
                for (serial, amount) in [("R1", "1.00"), ("R2", "2.00")] {
                    _ = try await context.hospital.hse(service: "refund_Order", data: .object([
                        "payOrdId": .string(order[key: "payOrdId"]), "appRefdSn": .string(serial), "appRefdTime": "2026-11-23 12:00:00",
                        "totlRefdAmt": .string(amount), "psnAcctRefdAmt": .string(amount), "fundRefdAmt": "0.00", "cashRefdAmt": "0.00", "refdType": "HI"]))
                    try await context.harness.advance(seconds: 1)
                }
                #expect(try await dispatcher.deliverDue() == 2)
                let credentials = try context.harness.clientCredentials()
                let envelope = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
                let refundsSeen = await receiver.bodies.dropFirst(2).map { body in
                    (try? envelope.open(Array(body.utf8), peerPublicKey: credentials.platformPublicKey, now: nil).get())?.data?.objectValue?[key: "refdAmt"] ?? "?"
                }
                #expect(refundsSeen == ["3.00", "1.00"])   // the second refund's callback (3.00 refunded in all) before the first's
            }
        }
    }

    @Test("a callback receiver that fails twice gets the same signed callback a third time; the callback verifies with the platform key")
    func callbackRetries() async throws {
        let receiver = Receiver(failures: 2)
        let router = Router()
        router.post("/notify") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
            let ok = await receiver.receive(body)
            return Response(status: ok ? .ok : .internalServerError, body: .init(byteBuffer: ByteBuffer(string: ok ? #"{"code":0,"message":"ok"}"# : "busy")))
        }
        let hospitalApp = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await hospitalApp.test(.live) { hospitalSide in
            let receiverPort = try #require(hospitalSide.port)
            try await withContext(callbacks: false) { context in
                let admin = try await HTTP.post(.shared, url: "http://127.0.0.1:\(context.port)/admin/institutions/\(Demo.hospital)/callback",
                                                body: Array(#"{"url":"http://127.0.0.1:\#(receiverPort)/notify"}"#.utf8), bearer: context.harness.credentials.adminToken)
                #expect(admin.objectValue?[key: "url"].hasSuffix("/notify") == true)
                let (mdtrtId, payAuthNo) = try await context.visitAndAuthorisation()
                let upload = context.feeUpload(mdtrtId: mdtrtId, payAuthNo: payAuthNo)
                let order = try await context.hospital.hse(service: "uldFeeInfo", data: .object(upload)).objectValue ?? [:]
                _ = try await context.hospital.hse(service: "pay_order", data: .object([
                    "payAuthNo": .string(payAuthNo), "payOrdId": .string(order[key: "payOrdId"]), "payToken": .string(order[key: "payToken"]),
                    "orgCodg": .string(Demo.hospital), "orgBizSer": "BIZ1", "chrgBchno": .string(upload[key: "chrgBchno"]), "mdtrtId": .string(mdtrtId),
                    "acctUsedFlag": "1"]))
                let dispatcher = CallbackDispatcher(gateway: context.harness.gateway)
                let clock = context.harness.gateway.clock
                let store = context.harness.gateway.store
                // One failed attempt, then its backoff: the next attempt is `seconds` after it and not
                // due a moment before (asked of the store at explicit times: the test clock also runs
                // with real time, so "not due yet" by the clock would depend on the machine's speed).
                func failedAttempt(backoff seconds: TimeInterval) async throws {
                    let before = await clock.now()
                    #expect(try await dispatcher.deliverDue() == 1)
                    let after = await clock.now()
                    let callback = try #require(try await store.read { try await $0.callbacks(institutionCode: Demo.hospital, limit: 10) }.first)
                    #expect(callback.state == .pending)
                    #expect(callback.nextAttemptAt >= before.addingTimeInterval(seconds) && callback.nextAttemptAt <= after.addingTimeInterval(seconds))
                    let dueEarly = try await store.read { try await $0.dueCallbacks(at: callback.nextAttemptAt.addingTimeInterval(-0.001), limit: 10) }
                    #expect(dueEarly.isEmpty)
                    try await context.harness.advance(seconds: max(0, callback.nextAttemptAt.timeIntervalSince(await clock.now())))
                }
                try await failedAttempt(backoff: 5)                      // attempt 1: 500, next in 5 s
                try await failedAttempt(backoff: 10)                     // attempt 2: 500, next in 10 s
                #expect(try await dispatcher.deliverDue() == 1)          // attempt 3: acknowledged
                let bodies = await receiver.bodies
                #expect(bodies.count == 3)
                #expect(Set(bodies).count == 1)                          // identical bytes every time
                let stored = try await context.harness.gateway.store.read { try await $0.callbacks(institutionCode: Demo.hospital, limit: 10) }
                #expect(stored.first?.state == .delivered)
                #expect(stored.first?.attempts == 3)
                // The hospital verifies the callback with the platform's public key.
                let credentials = try context.harness.clientCredentials()
                let opened = try HSEEnvelope(appId: credentials.appId, appSecret: credentials.appSecret)
                    .open(Array(bodies[0].utf8), peerPublicKey: credentials.platformPublicKey, now: nil).get()
                #expect(opened.data?.objectValue?[key: "payOrdId"] == order[key: "payOrdId"])
                #expect(opened.data?.objectValue?[key: "ordStas"] == "6")
                #expect(opened.data?.objectValue?[key: "callType"] == "SETL")
            }
        }
    }
}


/// FSI outpatient settlement (2204 → 2206 → 2207 → 2208) through the client.
@Suite("FSI outpatient settlement through a live gateway")
struct OutpatientSettlementTests {
    @Test("after 2208 the same 2207 body settles again: the visit stays authenticated by the ecToken it presented (ID-1), and its e-invoice number is free once its settlement is cancelled (SV-6)")
    func settleAgainAfterCancel() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            let visit = try await harness.visitWithMetformin(port: port, hospital: hospital, person: (Demo.zhangSan.psnNo, Demo.zhangSan.certno), medium: .residentID)
            let token = try await harness.ecToken(port: port, certno: Demo.zhangSan.certno, business: .outpatientSettlement, hospital: hospital)
            let input: JSONObject = ["data": .object(["psn_no": .string(Demo.zhangSan.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": "B1", "insutype": "310",
                                                      "acct_used_flag": "0", "medfee_sumamt": "12.50", "mdtrt_cert_type": "01", "mdtrt_cert_no": .string(token),
                                                      "invono": "INV-AGAIN-1"])]
            let first = try #require(try await hospital.call(infno: "2207", input: input).objectValue?["setlinfo"]?.objectValue?.string("setl_id"))
            _ = try await hospital.call(infno: "2208", input: ["data": .object(["setl_id": .string(first), "mdtrt_id": .string(visit), "psn_no": .string(Demo.zhangSan.psnNo)])])
            let again = try await hospital.call(infno: "2207", input: input).objectValue?["setlinfo"]?.objectValue ?? [:]
            #expect(again.string("setl_id") != first && again.string("bill_no") == "INV-AGAIN-1", "\(again)")
        }
    }

    @Test("PY-11: every settlement yields a receipt — an e-bill (票据代码 of the area and year, 10-digit number, check code) in the 2207 answer and again in 5203; the hospital's e-invoice when 2207 names invono; a paper receipt where the institution gives paper")
    func receipts() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            func settle(invono: String?) async throws -> JSONObject {
                let visit = try await harness.visitWithMetformin(port: port, hospital: hospital, person: (Demo.zhangSan.psnNo, Demo.zhangSan.certno), boxes: 2)
                var data: JSONObject = ["psn_no": .string(Demo.zhangSan.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": "B1", "insutype": "310",
                                        "acct_used_flag": "0", "medfee_sumamt": "25.00"]
                if let invono { data["invono"] = .string(invono) }
                let settled = try await hospital.call(infno: "2207", input: ["data": .object(data)]).objectValue?["setlinfo"]?.objectValue ?? [:]
                let queried = try await hospital.call(infno: "5203", input: ["data": .object(["setl_id": settled["setl_id"] ?? "", "psn_no": .string(Demo.zhangSan.psnNo)])])
                let again = queried.objectValue?["setlinfo"]?.objectValue ?? [:]
                for key in ["receipt_type", "bill_code", "bill_no", "bill_chk_code", "bill_amt", "bill_time"] {
                    #expect(settled[key] != nil && again[key] == settled[key], "\(key): 2207 \(settled[key]?.serialized() ?? "absent"), 5203 \(again[key]?.serialized() ?? "absent")")
                }
                return settled
            }
            let bill = try await settle(invono: nil)
            let year = String(Timestamps.day(Date()).prefix(4).suffix(2))
            #expect(bill.string("receipt_type") == "eBill" && bill.string("bill_code") == "120101" + year && bill.string("bill_amt") == "25.00")
            #expect(bill.string("bill_no")?.count == 10 && bill.string("bill_no")?.allSatisfy(\.isNumber) == true && bill.string("bill_chk_code")?.count == 6)
            let invoice = try await settle(invono: "INV20261203001")
            #expect(invoice.string("receipt_type") == "eInvoice" && invoice.string("bill_no") == "INV20261203001" && invoice.string("bill_code") == "")
            #expect(invoice.string("bill_no") != bill.string("bill_no"))
            // SV-6: the same invoice number for another settlement is a forged or duplicated receipt.
            await expectRefusal("RECEIPT_NUMBER_REUSED", rule: "SV-6", pointer: "/input/data/invono") { _ = try await settle(invono: "INV20261203001") }
        }
        // An institution giving paper receipts: the receipt records its kind, amount and date only.
        var found = try #require(try await harness.gateway.store.read { try await $0.institution(code: Demo.hospital) })
        found.paperReceipts = true
        let paperHospital = found
        let paper = try await harness.gateway.store.write { try await Receipts.issue(for: paperHospital, amountFen: 2_500, invono: nil, store: $0, now: Date()) }
        #expect(paper.kind == .paper && paper.billNo.isEmpty && paper.billCode.isEmpty && paper.amountFen == 2_500)
        // Its own e-invoice still wins.
        let own = try await harness.gateway.store.write { try await Receipts.issue(for: paperHospital, amountFen: 2_500, invono: " INV9 ", store: $0, now: Date()) }
        #expect(own.kind == .eInvoice && own.billNo == "INV9")
    }

    @Test("ID-1: a visit registered by resident ID settles only when its 2207 presents the patient's ecToken scanned for settlement; not another person's, not one for registration")
    func settlementNeedsTheVoucher() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            let registration = try await hospital.register(RegistrationRequest(
                psnNo: Demo.zhangSan.psnNo, insutype: "310", beginTime: Date(), medium: .residentID, certNo: Demo.zhangSan.certno, iptOtpNo: "MZ7",
                doctorCode: Demo.doctorLi, doctorName: "Li Wei", deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            _ = try await hospital.call(infno: "2204", input: ["feedetail": .array([.object([
                "feedetl_sn": "1", "mdtrt_id": .string(registration), "psn_no": .string(Demo.zhangSan.psnNo), "chrg_bchno": "B1",
                "med_list_codg": "AADG0000", "pric": "20.00", "cnt": "1", "det_item_fee_sumamt": "20.00", "rx_circ_flag": "0"])])])
            func input(_ medium: String, _ certNo: String) -> JSONObject {
                ["data": .object(["psn_no": .string(Demo.zhangSan.psnNo), "mdtrt_cert_type": .string(medium), "mdtrt_cert_no": .string(certNo),
                                  "med_type": "11", "medfee_sumamt": "20.00", "psn_setlway": "01", "mdtrt_id": .string(registration),
                                  "chrg_bchno": "B1", "acct_used_flag": "0", "insutype": "310"])]
            }
            // Pre-settlement is not settlement: it answers without the voucher.
            _ = try await hospital.call(infno: "2206", input: input("02", Demo.zhangSan.certno))
            await expectRefusal("VISIT_NOT_VOUCHER_AUTHENTICATED", rule: "ID-1", pointer: "/input/data/mdtrt_cert_type") {
                _ = try await hospital.call(infno: "2207", input: input("02", Demo.zhangSan.certno))
            }
            let liNa = try await harness.ecToken(port: port, certno: Demo.liNa.certno, business: .outpatientSettlement, hospital: hospital)
            await expectRefusal("PERSON_MISMATCH", rule: "ID-1", pointer: "/input/data/mdtrt_cert_no") {
                _ = try await hospital.call(infno: "2207", input: input("01", liNa))
            }
            let forRegistration = try await harness.ecToken(port: port, certno: Demo.zhangSan.certno, business: .registration, hospital: hospital)
            await expectRefusal("TOKEN_WRONG_BUSINESS", rule: "ID-2") { _ = try await hospital.call(infno: "2207", input: input("01", forRegistration)) }
            // Refused, nothing was settled; with the right token it is.
            let token = try await harness.ecToken(port: port, certno: Demo.zhangSan.certno, business: .outpatientSettlement, hospital: hospital)
            let settled = try await hospital.call(infno: "2207", input: input("01", token))
            #expect(settled.objectValue?["setlinfo"]?.objectValue?["setl_id"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("2204 classifies each line; 2206 pre-settles; 2207 settles once (a retry returns the first answer); 2208 gives the account back")
    func settleAndCancel() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            let token = try await harness.ecToken(port: port, certno: Demo.zhangSan.certno, hospital: hospital)
            let registration = try await hospital.register(RegistrationRequest(
                psnNo: Demo.zhangSan.psnNo, insutype: "310", beginTime: Date(), medium: .eVoucher, certNo: token, iptOtpNo: "MZ1",
                doctorCode: Demo.doctorLi, doctorName: "Li Wei", deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            func line(_ sn: String, _ code: String, _ price: String, _ count: String, _ sum: String) -> JSONValue {
                .object(["feedetl_sn": .string(sn), "mdtrt_id": .string(registration), "psn_no": .string(Demo.zhangSan.psnNo), "chrg_bchno": "B1",
                         "med_list_codg": .string(code), "pric": .string(price), "cnt": .string(count), "det_item_fee_sumamt": .string(sum), "rx_circ_flag": "0"])
            }
            // AADG0000 at 25.00 against Tianjin's 20.00 consultation price (PY-1): 5.00 over the limit; a 10.00 delivery fee (PY-5).
            let details = try await hospital.call(infno: "2204", input: ["feedetail": .array([
                line("1", "AADG0000", "25.00", "1", "25.00"), line("2", "DELIVERY0001", "10.00", "1", "10.00"),
            ])])
            let results = details.objectValue?["result"]?.arrayValue ?? []
            #expect(results.first?.objectValue?[key: "overlmt_amt"] == "5.00")
            #expect(results.first?.objectValue?[key: "inscp_scp_amt"] == "20.00")
            #expect(results.last?.objectValue?[key: "fulamt_ownpay_amt"] == "10.00")
            let input: JSONObject = ["data": .object(["psn_no": .string(Demo.zhangSan.psnNo), "mdtrt_cert_type": "02", "mdtrt_cert_no": .string(Demo.zhangSan.certno),
                                                      "med_type": "11", "medfee_sumamt": "35.00", "psn_setlway": "01", "mdtrt_id": .string(registration),
                                                      "chrg_bchno": "B1", "acct_used_flag": "1", "insutype": "310"])]
            let pre = try await hospital.call(infno: "2206", input: input)
            // Worked example: inscope 20.00 (deductible met) × 0.80 = 16.00 from the fund; 35.00 − 16.00 = 19.00 from the account.
            #expect(pre.objectValue?["setlinfo"]?.objectValue?[key: "fund_pay_sumamt"] == "16.00")
            #expect(pre.objectValue?["setlinfo"]?.objectValue?[key: "acct_pay"] == "19.00")
            let settled = try await hospital.call(infno: "2207", input: input)
            let again = try await hospital.call(infno: "2207", input: input)
            #expect(settled == again)
            let setlId = try #require(settled.objectValue?["setlinfo"]?.objectValue?[key: "setl_id"])
            var balance = try await harness.gateway.store.read { try await $0.person(psnNo: Demo.zhangSan.psnNo)?.accountBalanceFen }
            #expect(balance == Int64(123_456 - 1_900))
            // 3201: the hospital's totals of the day against the platform's (PY-8: the fund share it advanced).
            let today = Timestamps.day(await harness.gateway.clock.now())
            func reconcile(fund: String) async throws -> JSONObject {
                try await hospital.call(infno: "3201", input: ["data": .object([
                    "insutype": "310", "clr_type": "11", "setl_optins": "120100", "stmt_begndate": .string(today), "stmt_enddate": .string(today),
                    "medfee_sumamt": "35.00", "fund_pay_sumamt": .string(fund), "acct_pay": "19.00", "fixmedins_setl_cnt": "1"])]).objectValue?["stmtinfo"]?.objectValue ?? [:]
            }
            #expect(try await reconcile(fund: "16.00")[key: "stmt_rslt"] == "0")
            let wrong = try await reconcile(fund: "17.00")
            #expect(wrong[key: "stmt_rslt"] == "1")
            #expect(wrong[key: "stmt_rslt_dscr"].contains("fund_pay_sumamt"))
            // 3203: the month's declaration of the fund share advanced (PY-8), once per month.
            let month = String(today.prefix(4) + today.dropFirst(5).prefix(2))
            let declared = try await hospital.call(infno: "3203", input: ["data": .object(["clr_type": "11", "setlym": .string(month), "fund_appy_sum": "16.00"])])
            #expect(declared.objectValue?[key: "clr_stas"] == "accepted")
            await expectRefusal("DECLARATION_EXISTS", rule: "PY-8") {
                _ = try await hospital.call(infno: "3203", input: ["data": .object(["clr_type": "11", "setlym": .string(month), "fund_appy_sum": "20.00"])])
            }
            let statistics = try await HTTP.get(.shared, url: "http://127.0.0.1:\(port)/admin/statistics", bearer: harness.credentials.adminToken)
            #expect(statistics.objectValue?[key: "medfeeSumamt"] == "35.00")
            _ = try await hospital.call(infno: "2208", input: ["data": .object(["setl_id": .string(setlId), "mdtrt_id": .string(registration), "psn_no": .string(Demo.zhangSan.psnNo)])])
            balance = try await harness.gateway.store.read { try await $0.person(psnNo: Demo.zhangSan.psnNo)?.accountBalanceFen }
            #expect(balance == Int64(123_456))
            await expectRefusal("SETTLEMENT_ALREADY_CANCELLED", rule: "PY-6") {
                _ = try await hospital.call(infno: "2208", input: ["data": .object(["setl_id": .string(setlId), "mdtrt_id": .string(registration), "psn_no": .string(Demo.zhangSan.psnNo)])])
            }
        }
    }

    @Test("SC-3 at settlement: the follow-up consultation of a condition the person never had an offline visit for is refused; of the one they had, accepted",
          arguments: [("I10.x00", false), ("E11.900", true)])
    func followUpOfTheSameCondition(diagnosis: String, accepted: Bool) async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app(callbacks: false).test(.live) { live in
            let hospital = try await harness.client(port: try #require(live.port))
            // Zhang San's offline visit on record (demo fixture) is for E11.900 (diabetes).
            let registration = try await hospital.register(RegistrationRequest(
                psnNo: Demo.zhangSan.psnNo, insutype: "310", beginTime: Date(), medium: .residentID, certNo: Demo.zhangSan.certno, iptOtpNo: "MZ3",
                doctorCode: Demo.doctorLi, doctorName: "Li Wei", deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            _ = try await hospital.call(infno: "2203", input: ["mdtrtinfo": .object([
                "mdtrt_id": .string(registration), "psn_no": .string(Demo.zhangSan.psnNo), "med_type": "11", "dise_codg": .string(diagnosis)])])
            _ = try await hospital.call(infno: "2204", input: ["feedetail": .array([.object([
                "feedetl_sn": "1", "mdtrt_id": .string(registration), "psn_no": .string(Demo.zhangSan.psnNo), "chrg_bchno": "B1",
                "med_list_codg": "AADG0000", "pric": "20.00", "cnt": "1", "det_item_fee_sumamt": "20.00", "rx_circ_flag": "0"])])])
            let input: JSONObject = ["data": .object(["psn_no": .string(Demo.zhangSan.psnNo), "mdtrt_cert_type": "02", "mdtrt_cert_no": .string(Demo.zhangSan.certno),
                                                      "med_type": "11", "medfee_sumamt": "20.00", "psn_setlway": "01", "mdtrt_id": .string(registration),
                                                      "chrg_bchno": "B1", "acct_used_flag": "1", "insutype": "310"])]
            if accepted {
                _ = try await hospital.call(infno: "2206", input: input)
            } else {
                await expectRefusal("AUDIT_REFUSED", rule: "SC-3") { _ = try await hospital.call(infno: "2206", input: input) }
            }
        }
    }
}

/// Cross-region settlement (XR-1, XR-2, XR-3, XR-5, XR-6).
@Suite("Cross-region settlement through a live gateway")
struct CrossRegionTests {
    @Test("XR-3: a chronic-disease visit away from home settles directly only at an institution a filing in force names; general outpatient under any filing")
    func chronicDiseaseAtFiledInstitutions() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            let admin = harness.credentials.adminToken
            // Wang Qiang is insured in Beijing (110000), filed for Tianjin (the fixture's long-term filing, naming no institution)
            // and treated in Tianjin at H12010100001.
            let wang = (psnNo: "11000000000000000003", certno: "110105199003033451")
            let registration = try await hospital.register(RegistrationRequest(
                psnNo: wang.psnNo, insutype: "390", beginTime: Date(), medium: .residentID, certNo: wang.certno, iptOtpNo: "MZ4",
                doctorCode: Demo.doctorLi, doctorName: "Li Wei", deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            _ = try await hospital.call(infno: "2204", input: ["feedetail": .array([.object([
                "feedetl_sn": "1", "mdtrt_id": .string(registration), "psn_no": .string(wang.psnNo), "chrg_bchno": "B1",
                "med_list_codg": "DELIVERY0001", "pric": "10.00", "cnt": "1", "det_item_fee_sumamt": "10.00", "rx_circ_flag": "0"])])])
            func input(medType: String) -> JSONObject {
                ["data": .object(["psn_no": .string(wang.psnNo), "mdtrt_cert_type": "02", "mdtrt_cert_no": .string(wang.certno),
                                  "med_type": .string(medType), "medfee_sumamt": "10.00", "psn_setlway": "01", "mdtrt_id": .string(registration),
                                  "chrg_bchno": "B1", "acct_used_flag": "0", "insutype": "390"])]
            }
            // General outpatient: settled directly under the filing; a chronic disease only where a filing names the institution.
            _ = try await hospital.call(infno: "2206", input: input(medType: "11"))
            await expectRefusal("CROSS_REGION_INSTITUTION_NOT_FILED", rule: "XR-3") { _ = try await hospital.call(infno: "2206", input: input(medType: "14")) }
            func file(_ institutions: [String]) async throws -> String {
                let names = institutions.map { "\"\($0)\"" }.joined(separator: ",")
                let filed = try await HTTP.post(.shared, url: "http://127.0.0.1:\(port)/admin/filings", body: Array(
                    #"{"psnNo":"\#(wang.psnNo)","kind":"longTerm","filedAdmdvs":"120000","extraInstitutions":[\#(names)]}"#.utf8), bearer: admin)
                return try #require(filed.objectValue?["filingId"]?.stringValue, "\(filed)")
            }
            // Filed, naming another institution: not here.
            let other = try await file(["H12010100002"])
            await expectRefusal("CROSS_REGION_INSTITUTION_NOT_FILED", rule: "XR-3", pointer: "/input/data/psn_no") {
                _ = try await hospital.call(infno: "2206", input: input(medType: "14"))
            }
            _ = try await HTTP.post(.shared, url: "http://127.0.0.1:\(port)/admin/filings/\(other)/cancel", body: Array("{}".utf8), bearer: admin)
            // Filed naming this one: settled directly.
            _ = try await file(["H12010100001"])
            _ = try await hospital.call(infno: "2206", input: input(medType: "14"))
        }
    }

    @Test("XR-7: a 2207 settlement is flagged for verification, kept with it, when the person settled in the other place the same month — away after home, and at home after away")
    func settledInBothPlaces() async throws {
        let harness = try await GatewayHarness.make()
        // A payment earlier this month at the Beijing hospital (110105), as a paid order records it.
        @Sendable func paidInBeijing(_ psnNo: String) async throws {
            let now = Date()
            var order = PaymentOrder(payOrdId: "ORD" + TokenGenerator.digits(20), payToken: TokenGenerator.hex(bytes: 16), institutionCode: Demo.suspendedHospital,
                                     medOrgOrd: "MO" + TokenGenerator.digits(8), chrgBchno: "B" + TokenGenerator.digits(8), psnNo: psnNo, mdtrtId: "110105" + TokenGenerator.digits(14),
                                     insutype: "310", feeSumFen: 1_000, fundFen: 0, accountFen: 0, cashFen: 1_000, acctUsedFlag: false,
                                     settlement: "{}", lines: "[]", createdAt: now, uploadDigest: "", uploadAnswer: "")
            order.status = .complete
            order.setlId = "SETL" + TokenGenerator.digits(20)
            order.paidAt = now
            let paid = order
            try await harness.gateway.store.write { try await $0.save(paid) }
        }
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            func settle(_ person: (psnNo: String, certno: String), insutype: String) async throws -> [String] {
                let visit = try await harness.visitWithMetformin(port: port, hospital: hospital, person: person, insutype: insutype, boxes: 1)
                let answer = try await hospital.call(infno: "2207", input: ["data": .object([
                    "psn_no": .string(person.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": "B1", "insutype": .string(insutype),
                    "acct_used_flag": "0", "medfee_sumamt": "12.50", "med_type": "11"])])
                let setlId = try #require(answer.objectValue?["setlinfo"]?.objectValue?.string("setl_id"))
                return try await harness.gateway.store.read { try await $0.outpatientSettlement(setlId: setlId)?.flags ?? [] }
            }
            let wang = (psnNo: "11000000000000000003", certno: "110105199003033451")
            #expect(try await settle(wang, insutype: "390").allSatisfy { !$0.hasPrefix("XR-7") }, "nothing at home this month yet")
            try await paidInBeijing(wang.psnNo)
            let away = try await settle(wang, insutype: "390").filter { $0.hasPrefix("XR-7") }
            #expect(away.count == 1 && away[0].contains("after settling in the place of insurance 110000") && away[0].contains("/input/data/psn_no"), "\(away)")
            try await paidInBeijing(Demo.zhangSan.psnNo)
            let home = try await settle((Demo.zhangSan.psnNo, Demo.zhangSan.certno), insutype: "310").filter { $0.hasPrefix("XR-7") }
            #expect(home.count == 1 && home[0].contains("in the place of insurance 120000") && home[0].contains("after settling away in 110000"), "\(home)")
        }
    }

    @Test("SV-4: statistics of a period (Beijing days, both included): settlements, fees and shares net, fee lines by charge type and drugs by category; another period is empty; a bad day is refused naming it")
    func periodStatistics() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            let token = try await harness.ecToken(port: port, certno: Demo.zhangSan.certno, hospital: hospital)
            let visit = try await hospital.register(RegistrationRequest(
                psnNo: Demo.zhangSan.psnNo, insutype: "310", beginTime: Date(), medium: .eVoucher, certNo: token, iptOtpNo: "MZ1",
                doctorCode: Demo.doctorLi, doctorName: "Li Wei", deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            _ = try await hospital.call(infno: "2204", input: ["feedetail": .array([
                .object(["feedetl_sn": "1", "mdtrt_id": .string(visit), "psn_no": .string(Demo.zhangSan.psnNo), "chrg_bchno": "B1",
                         "med_list_codg": "AADG0000", "pric": "20.00", "cnt": "1", "det_item_fee_sumamt": "20.00"]),
                .object(["feedetl_sn": "2", "mdtrt_id": .string(visit), "psn_no": .string(Demo.zhangSan.psnNo), "chrg_bchno": "B1",
                         "med_list_codg": "XA10BAE054A001010100483", "pric": "12.50", "cnt": "2", "det_item_fee_sumamt": "25.00"]),
            ])])
            _ = try await hospital.call(infno: "2207", input: ["data": .object(["psn_no": .string(Demo.zhangSan.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": "B1",
                                                                              "insutype": "310", "acct_used_flag": "0", "medfee_sumamt": "45.00"])])
            let admin = harness.credentials.adminToken
            let base = "http://127.0.0.1:\(port)/admin/statistics"
            let today = Timestamps.day(await harness.gateway.clock.now())
            let period = try await HTTP.get(.shared, url: base + "?from=\(today)&to=\(today)", bearer: admin).objectValue ?? [:]
            #expect(period[key: "from"] == today && period[key: "to"] == today && period["settlements"] == .integer(1), "\(period)")
            #expect(period[key: "medfeeSumamt"] == "45.00")
            #expect(period["drugFeesByCategory"]?.objectValue?[key: "westernMedicine"] == "25.00", "\(period)")
            #expect(period["byInstitution"]?.objectValue?[Demo.hospital]?.objectValue?["settlements"] == .integer(1))
            #expect(period["byInstitution"]?.objectValue?[Demo.hospital]?.objectValue?[key: "fundPaySumamt"] == period[key: "fundPaySumamt"], "\(period)")
            // SC-4: an Internet+ settlement of a person insured here.
            #expect(period["byServiceMode"]?.objectValue?["internet"]?.objectValue?["settlements"] == .integer(1), "\(period)")
            #expect(period["byServiceMode"]?.objectValue?["offline"]?.objectValue?["settlements"] == .integer(0))
            #expect(period["byPlace"]?.objectValue?["local"]?.objectValue?[key: "medfeeSumamt"] == "45.00" && period["byPlace"]?.objectValue?["offSite"]?.objectValue?["settlements"] == .integer(0))
            let tomorrow = Timestamps.day(await harness.gateway.clock.now().addingTimeInterval(86_400))
            let empty = try await HTTP.get(.shared, url: base + "?from=\(tomorrow)&to=\(tomorrow)", bearer: admin).objectValue ?? [:]
            #expect(empty["settlements"] == .integer(0) && empty[key: "medfeeSumamt"] == "0.00")
            let refused = try await HTTP.exchange(.shared, url: base + "?from=\(today)&to=yesterday", method: .GET, body: nil, bearer: admin)
            let problem = try JSONValue.parse(refused.body).objectValue ?? [:]
            #expect(refused.status == 400 && problem[key: "pointer"] == "/to" && problem[key: "rule"] == "SV-4", "\(problem)")
        }
    }

    @Test("PY-12: with a total budget set, the settlement that takes the institution's fund payments of the year beyond it is flagged for the appraisal, not refused")
    func totalBudget() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.gateway.store.write { store in
            // Zhang San's deductible is met this year, so the fund pays a share of each settlement.
            try await store.savePersonYear(psnNo: Demo.zhangSan.psnNo, year: SettlementCalculator.year(Date()), deductibleUsedFen: 1_000_000, fundPaidFen: 0)
            var hospital = try #require(try await store.institution(code: Demo.hospital))
            hospital.annualBudgetFen = 2_000
            try await store.save(hospital)
        }
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            func settle() async throws -> (fund: String, flags: [String]) {
                let visit = try await harness.visitWithMetformin(port: port, hospital: hospital, person: (Demo.zhangSan.psnNo, Demo.zhangSan.certno), boxes: 2)
                let setlinfo = try await hospital.call(infno: "2207", input: ["data": .object([
                    "psn_no": .string(Demo.zhangSan.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": "B1", "insutype": "310",
                    "acct_used_flag": "0", "medfee_sumamt": "25.00"])]).objectValue?["setlinfo"]?.objectValue ?? [:]
                let setlId = try #require(setlinfo.string("setl_id"))
                let flags = try await harness.gateway.store.read { try await $0.outpatientSettlement(setlId: setlId)?.flags ?? [] }
                return (setlinfo.string("fund_pay_sumamt") ?? "", flags.filter { $0.hasPrefix("PY-12") })
            }
            let first = try await settle()
            #expect((Money.fen(first.fund) ?? 0) > 0 && (Money.fen(first.fund) ?? 0) <= 2_000 && first.flags.isEmpty, "within the 20.00 budget: \(first)")
            let second = try await settle()
            #expect(second.flags.count == 1 && second.flags[0].contains("beyond its total budget of 20.00") && second.flags[0].contains("/fixmedins_code"), "\(second)")
        }
    }

    @Test("SC-5: a person who chose designated institutions registers online follow-ups only there; their special-disease fees (med_type 14) settle only at their special-disease institution")
    func ownDesignatedInstitutions() async throws {
        let harness = try await GatewayHarness.make()
        let chooser = PersonInput(psnNo: "12000000000000000077", certno: "120101198305050013", name: "Ma Lin", gender: "1", birthDate: "1983-05-05",
                                  insutype: "310", insuplcAdmdvs: "120100", accountBalanceFen: 10_000, voucherActivated: true)
        var input = chooser
        input.designatedInstitutions = ["H12010100002"]
        let first = input.person
        try await harness.gateway.store.write {
            try await $0.save(first)
            // SC-3: seen in person before, so an online follow-up may be registered.
            try await $0.add(OfflineVisit(psnNo: chooser.psnNo, diseaseCode: "E11.900", diseaseName: "Type 2 diabetes mellitus", institutionCode: Demo.hospital, visitDate: "2026-09-01"))
        }
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            func register() async throws -> String {
                try await hospital.register(RegistrationRequest(psnNo: chooser.psnNo, insutype: "310", beginTime: Date(), medium: .residentID, certNo: chooser.certno,
                                                               iptOtpNo: "MZ" + TokenGenerator.digits(6), doctorCode: Demo.doctorLi, doctorName: "Li Wei",
                                                               deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            }
            await expectRefusal("NOT_OWN_DESIGNATED_INSTITUTION", rule: "SC-5", pointer: "/fixmedins_code") { _ = try await register() }
            // Chose this hospital too, but their special-disease institution is another one.
            var changed = chooser
            changed.designatedInstitutions = ["H12010100002", Demo.hospital]
            changed.specialDiseaseInstitutions = ["H12010100002"]
            let second = changed.person
            try await harness.gateway.store.write { try await $0.save(second) }
            let visit = try await register()
            _ = try await hospital.call(infno: "2204", input: ["feedetail": .array([.object([
                "feedetl_sn": "1", "mdtrt_id": .string(visit), "psn_no": .string(chooser.psnNo), "chrg_bchno": "B1",
                "med_list_codg": "XA10BAE054A001010100483", "pric": "12.50", "cnt": "1", "det_item_fee_sumamt": "12.50"])])])
            func input(_ medType: String) -> JSONObject {
                ["data": .object(["psn_no": .string(chooser.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": "B1", "insutype": "310",
                                  "acct_used_flag": "0", "medfee_sumamt": "12.50", "med_type": .string(medType)])]
            }
            await expectRefusal("NOT_OWN_DESIGNATED_INSTITUTION", rule: "SC-5", pointer: "/input/data/med_type") { _ = try await hospital.call(infno: "2206", input: input("14")) }
            _ = try await hospital.call(infno: "2206", input: input("11"))
        }
    }

    @Test("XR-2: without a filing a Shanghai-insured person is refused in Tianjin; filed, the visit uses Shanghai's deductible and ratio (XR-1) and Tianjin's catalogue (XR-6)")
    func filedSettlement() async throws {
        let harness = try await GatewayHarness.make()
        let shanghai = PersonInput(psnNo: "31000000000000000006", certno: "310101198205050011", name: "Zhou Min", gender: "1", birthDate: "1982-05-05",
                                   insutype: "310", insuplcAdmdvs: "310100", accountBalanceFen: 10_000, voucherActivated: true)
        try await harness.gateway.store.write { store in
            try await store.save(shanghai.person)
            // An earlier offline visit makes the online consultation a follow-up (smart audit AUD-CONSULT-001).
            try await store.add(OfflineVisit(psnNo: shanghai.psnNo, diseaseCode: "E11.900", diseaseName: "Type 2 diabetes mellitus", institutionCode: "H31000000001",
                                       visitDate: "2026-01-15"))
            // Shanghai's 1500.00 employee deductible is met this year.
            try await store.savePersonYear(psnNo: shanghai.psnNo, year: SettlementCalculator.year(Date()), deductibleUsedFen: 150_000, fundPaidFen: 0)
        }
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            let visit = try await hospital.register(RegistrationRequest(
                psnNo: shanghai.psnNo, insutype: "310", beginTime: Date(), medium: .residentID, certNo: shanghai.certno, iptOtpNo: "MZ9",
                doctorCode: Demo.doctorLi, doctorName: "Li Wei", deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            func line(_ sn: String, _ code: String, _ price: String, _ count: String, _ sum: String) -> JSONValue {
                .object(["feedetl_sn": .string(sn), "mdtrt_id": .string(visit), "psn_no": .string(shanghai.psnNo), "chrg_bchno": "B1",
                         "med_list_codg": .string(code), "pric": .string(price), "cnt": .string(count), "det_item_fee_sumamt": .string(sum)])
            }
            _ = try await hospital.call(infno: "2204", input: ["feedetail": .array([
                line("1", "AADG0000", "20.00", "1", "20.00"), line("2", "XA10BAE054A001010100483", "12.50", "2", "25.00"),
            ])])
            let input: JSONObject = ["data": .object(["psn_no": .string(shanghai.psnNo), "mdtrt_cert_type": "02", "mdtrt_cert_no": .string(shanghai.certno),
                                                      "med_type": "11", "medfee_sumamt": "45.00", "psn_setlway": "01", "mdtrt_id": .string(visit),
                                                      "chrg_bchno": "B1", "acct_used_flag": "1", "insutype": "310"])]
            await expectRefusal("CROSS_REGION_NOT_FILED", rule: "XR-2", pointer: "/input/data/psn_no") { _ = try await hospital.call(infno: "2206", input: input) }
            let admin = harness.credentials.adminToken
            let start = Timestamps.day(Date())
            await expectRefusal("FILING_TOO_LONG", rule: "XR-2", pointer: "/end") {
                _ = try await HTTP.post(.shared, url: "http://127.0.0.1:\(port)/admin/filings",
                                        body: Array(#"{"psnNo":"31000000000000000006","kind":"temporary","filedAdmdvs":"120000","start":"\#(start)","end":"2099-01-01"}"#.utf8), bearer: admin)
            }
            let end = Timestamps.day(Date().addingTimeInterval(180 * 86_400))
            _ = try await HTTP.post(.shared, url: "http://127.0.0.1:\(port)/admin/filings",
                                    body: Array(#"{"psnNo":"31000000000000000006","kind":"temporary","filedAdmdvs":"120000","start":"\#(start)","end":"\#(end)"}"#.utf8), bearer: admin)
            let pre = try await hospital.call(infno: "2206", input: input).objectValue?["setlinfo"]?.objectValue ?? [:]
            // Worked example: Tianjin's catalogue (both lines class A, AADG0000 within Tianjin's 20.00 price) → inscope 45.00;
            // Shanghai's parameters: deductible met, ratio for a level-3 institution 0.75 → fund 33.75 (a Tianjin-insured person would get 36.00).
            #expect(pre[key: "inscp_scp_amt"] == "45.00")
            #expect(pre[key: "fund_pay_sumamt"] == "33.75")
            #expect(pre[key: "acct_pay"] == "11.25")
        }
    }
}

@Suite("Cross-region: filing after the fact and double settlement")
struct CrossRegionAfterTheFactTests {
    @Test("XR-4: no double payment — a claim after the fact for a visit already settled directly (2207) is refused, naming the settlement; a claim for another day is not")
    func settledDirectly() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let hospital = try await harness.client(port: port)
            // Wang Qiang, insured in Beijing, settles directly in Tianjin (the filing-free pilot, XR-5).
            let wang = (psnNo: "11000000000000000003", certno: "110105199003033451")
            let visit = try await harness.visitWithMetformin(port: port, hospital: hospital, person: wang, insutype: "390")
            let setlinfo = try await hospital.call(infno: "2207", input: ["data": .object([
                "psn_no": .string(wang.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": "B1", "insutype": "390",
                "acct_used_flag": "0", "medfee_sumamt": "12.50", "med_type": "11"])]).objectValue?["setlinfo"]?.objectValue ?? [:]
            let setlId = try #require(setlinfo.string("setl_id"))
            let url = "http://127.0.0.1:\(port)/admin/reimbursements"
            func claim(_ number: String, day: String) -> [UInt8] {
                Array(#"{"psnNo":"\#(wang.psnNo)","claimNo":"\#(number)","institutionCode":"H12010100001","visitDate":"\#(day)","feedetailList":[{"feedetlSn":"1","medListCodg":"XA10BAE054A001010100483","pric":"12.50","cnt":"1","detItemFeeSumamt":"12.50"}]}"#.utf8)
            }
            let today = Timestamps.day(await harness.gateway.clock.now())
            let refused = try await HTTP.exchange(.shared, url: url, body: claim("C-DUP", day: today), bearer: harness.credentials.adminToken)
            let problem = try JSONValue.parse(refused.body).objectValue ?? [:]
            #expect(refused.status == 409 && problem[key: "code"] == "REIMBURSEMENT_SETTLED_DIRECTLY" && problem[key: "rule"] == "XR-4", "\(problem)")
            #expect(problem[key: "pointer"] == "/visitDate" && problem[key: "detail"].contains(setlId), "\(problem)")
            let earlier = Timestamps.day(await harness.gateway.clock.now().addingTimeInterval(-5 * 86_400))
            let paid = try await HTTP.post(.shared, url: url, body: claim("C-OTHER", day: earlier), bearer: harness.credentials.adminToken)
            #expect(paid.objectValue?[key: "claimNo"] == "C-OTHER" && paid.objectValue?[key: "medfeeSumamt"] == "12.50", "\(paid)")
        }
    }

    @Test("XR-4: a visit paid in cash without a filing is reimbursed once the person files with a start covering it; once per claim")
    func afterTheFact() async throws {
        let harness = try await GatewayHarness.make()
        let person = PersonInput(psnNo: "31000000000000000007", certno: "310101198306060024", name: "Xu Lan", gender: "2", birthDate: "1983-06-06",
                                 insutype: "310", insuplcAdmdvs: "310100")
        let today = Timestamps.day(Date())
        try await harness.gateway.store.write { store in
            try await store.save(person.person)
            try await store.savePersonYear(psnNo: person.psnNo, year: SettlementCalculator.year(Date()), deductibleUsedFen: 150_000, fundPaidFen: 0)
        }
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let url = "http://127.0.0.1:\(port)/admin/reimbursements"
            let admin = harness.credentials.adminToken
            let claim = #"{"psnNo":"\#(person.psnNo)","claimNo":"C1","institutionCode":"H12010100001","visitDate":"\#(today)","feedetailList":[{"feedetlSn":"1","medListCodg":"250305007","pric":"6.00","cnt":"1","detItemFeeSumamt":"6.00"},{"feedetlSn":"2","medListCodg":"XA10BAE054A001010100483","pric":"12.50","cnt":"2","detItemFeeSumamt":"25.00"}]}"#
            await expectRefusal("CROSS_REGION_NOT_FILED", rule: "XR-2") { _ = try await HTTP.post(.shared, url: url, body: Array(claim.utf8), bearer: admin) }
            _ = try await HTTP.post(.shared, url: "http://127.0.0.1:\(port)/admin/filings",
                                    body: Array(#"{"psnNo":"\#(person.psnNo)","kind":"longTerm","filedAdmdvs":"120000","start":"\#(today)"}"#.utf8), bearer: admin)
            let paid = try await HTTP.post(.shared, url: url, body: Array(claim.utf8), bearer: admin)
            // An offline visit: the blood glucose test (offline only, SC-4) is claimable. Tianjin's catalogue, Shanghai's
            // parameters (deductible met, level 3 ratio 0.75): 31.00 × 0.75 = 23.25.
            #expect(paid.objectValue?[key: "reimbursedAmt"] == "23.25")
            await expectRefusal("REIMBURSEMENT_DONE", rule: "PY-9") { _ = try await HTTP.post(.shared, url: url, body: Array(claim.utf8), bearer: admin) }
        }
    }

    @Test("XR-7: a settlement away from home in a month with a settlement at home is flagged")
    func doubleSettlement() async throws {
        let harness = try await GatewayHarness.make()
        let now = Date()
        var home = PaymentOrder(payOrdId: "ORDHOME", payToken: "T", institutionCode: Demo.suspendedHospital, medOrgOrd: "M", chrgBchno: "B",
                                psnNo: "11000000000000000003", mdtrtId: "X", insutype: "390", feeSumFen: 1000, fundFen: 500, accountFen: 0, cashFen: 500,
                                acctUsedFlag: false, settlement: "{}", lines: "[]", createdAt: now, uploadDigest: "", uploadAnswer: "{}")
        home.paidAt = now
        home.setlId = "S1"
        let saved = home
        try await harness.gateway.store.write { try await $0.save(saved) }
        let flag = try await harness.gateway.store.read {
            try await SettlementCalculator.settledInBothPlaces(psnNo: "11000000000000000003", insured: "110000", treated: "120000", store: $0, now: now)
        }
        #expect(flag?.contains("XR-7") == true)
        let none = try await harness.gateway.store.read {
            try await SettlementCalculator.settledInBothPlaces(psnNo: "11000000000000000003", insured: "110000", treated: "110000", store: $0, now: now)
        }
        #expect(none == nil)
    }
}
