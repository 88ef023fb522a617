import Foundation
import Testing
import YibaoTestSupport
import YibaoDevKit
import YibaoClient
import YibaoCore
import YibaoCrypto
import YibaoGateway
import YibaoServices
import YibaoStore

/// The transactions around a settlement (2601, 2001, 2503/2504/5301, 3101/3102, 52xx, 9002):
/// through an independent real-HIS-style client (tools/testing/his_recovery.py, written from the
/// vendor code's description) against a live `yibao serve`, and the use cases directly.
@Suite("Around a settlement: reversal, queries, benefit check, chronic filings, audit, sign-out", .serialized)
struct AroundSettlementTests {
    static let client = GatewayHarness.packageRoot.appendingPathComponent("tools/testing/his_recovery.py").path

    @Test("the independent client: lost 2207 answer → 2601 → 5203/5204 reversed → 2207 again with counters and balance as if once; 2001, 2503/5301/2504, 3101/3102, 5201/5202/5205, 9002; the catalogue (1312, 1318, 1319, 1901, 3301/1317/3302; national-mapped refuses an unmapped item); bad inputs refused naming the member, nothing written",
          arguments: ["national", "national-mapped", "nhsa-2.0"])
    func independentClient(profile: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-around-\(UUID().uuidString)").path
        let server = try ListeningProcess.serve(dataDirectory: directory, extra: profile == "nhsa-2.0" ? [] : ["--profile", profile])
        defer { server.stop() }
        let admin = try DemoCredentials.load(certsDirectory: GatewayHarness.certs).adminToken
        for scenario in ["recovery", "around", "catalogue"] {
            let run = try await DialectTests.python(script: Self.client, ["--gateway", server.url, "--profile", profile, scenario])
            #expect(run.status == 0, "\(scenario): \(run.text)")
            #expect(run.lines.last?["step"]?.stringValue == "passed", "\(scenario): \(run.text)")
        }
        let before = try await DialectTests.head(server, admin: admin)
        let negative = try await DialectTests.python(script: Self.client, ["--gateway", server.url, "--profile", profile, "negative"])
        #expect(negative.status == 0, "\(negative.text)")
        let refusedSteps = negative.lines.filter { $0["code"] != nil }
        #expect(refusedSteps.count == 6, "\(negative.text)")
        if profile != "nhsa-2.0" {
            // HTTP 200 dialect: business refusals -2, malformed input -1, as real clients tell them apart.
            #expect(refusedSteps.first { $0["code"]?.stringValue == "REVERSAL_ORIGINAL_UNKNOWN" }?["infcode"] == .number("-2"))
            #expect(refusedSteps.first { $0["code"]?.stringValue == "FIELD_INVALID" }?["infcode"] == .number("-1"))
        }
        // Nothing the refused requests asked for was written (the scenario's own sign-in, visit and queries were).
        let written = try await DialectTests.accepted(server, after: before, admin: admin)
        #expect(written.filter { ["fsi.2601", "fsi.2503", "fsi.3101"].contains($0) }.isEmpty, "\(written)")
        #expect(written.contains("fsi.2201"))
    }

    @Test("month end through the independent client: 3201 per group, 9101 a zipped detail file (multipart jsonStr + file under national, Base64 under nhsa-2.0), 3202, 9102 the result zip listing exactly the planted mismatch; another institution cannot download it; a malformed line is refused by its number",
          arguments: ["national", "nhsa-2.0"])
    func monthEnd(profile: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-month-\(UUID().uuidString)").path
        let server = try ListeningProcess.serve(dataDirectory: directory, extra: profile == "national" ? ["--profile", "national"] : [])
        defer { server.stop() }
        let run = try await DialectTests.python(script: Self.client, ["--gateway", server.url, "--profile", profile, "month-end"])
        #expect(run.status == 0, "\(run.text)")
        #expect(run.lines.contains { $0["step"]?.stringValue == "9102 by another institution" && $0["code"]?.stringValue == "FILE_UNKNOWN" }, "\(run.text)")
        #expect(run.lines.last?["step"]?.stringValue == "passed", "\(run.text)")
    }

    // MARK: The use cases directly

    /// Runs one FSI transaction of the demo hospital in its own transaction, as the gateway would.
    func run(_ harness: GatewayHarness, _ infno: String, _ input: JSONObject, msgid: String? = nil,
             prerequisites: SettlementPrerequisites = SettlementPrerequisites()) async throws -> FSIOutcome {
        let gateway = harness.gateway
        let now = await gateway.clock.now()
        let call = FSICall(transaction: try #require(FSITransaction(rawValue: infno)), msgid: msgid ?? Self.msgid(now),
                           institutionCode: Demo.hospital, input: Fields(input, at: "/input"), prerequisites: prerequisites)
        let transactions = FSITransactions(policy: gateway.configuration.policy, regions: gateway.configuration.regions)
        return try await gateway.store.write { store in try await transactions.run(call, store: store, now: now) }
    }

    static func msgid(_ now: Date) -> String {
        Demo.hospital + Timestamps.compact(now) + String(format: "%04d", Int.random(in: 0..<10_000))
    }

    /// An ecToken of Zhang San for registration at the demo hospital, as ec.query issues it (the use cases run
    /// without the HSE route here): a visit registered with it is authenticated through the e-voucher (ID-1).
    func ecToken(_ harness: GatewayHarness) async throws -> String {
        let now = await harness.gateway.clock.now()
        let token = ECToken(token: TokenGenerator.hex(bytes: 16), psnNo: Demo.zhangSan.psnNo, businessType: .registration,
                            institutionCode: Demo.hospital, issuedAt: now, expiresAt: now.addingTimeInterval(600))
        try await harness.gateway.store.write { try await $0.save(token) }
        return token.token
    }

    /// 2201 (with the e-voucher) + 2203 + 2204 of one metformin line for Zhang San; the visit and the batch.
    func visitWithLine(_ harness: GatewayHarness, uploadMsgid: String? = nil) async throws -> (mdtrtId: String, batch: String) {
        let now = await harness.gateway.clock.now()
        let visit = try await run(harness, "2201", ["data": .object([
            "psn_no": .string(Demo.zhangSan.psnNo), "insutype": "310", "begntime": .string(Timestamps.fsi(now)), "mdtrt_cert_type": "01",
            "mdtrt_cert_no": .string(try await ecToken(harness)), "ipt_otp_no": "MZ1", "atddr_no": .string(Demo.doctorLi), "dr_name": "Li Wei",
            "dept_code": "A03", "dept_name": "Internal medicine", "caty": "A03"])])
        let mdtrtId = try #require(visit.output.objectValue?["data"]?.objectValue?["mdtrt_id"]?.stringValue)
        _ = try await run(harness, "2203", ["mdtrtinfo": .object(["mdtrt_id": .string(mdtrtId), "psn_no": .string(Demo.zhangSan.psnNo),
                                                                  "med_type": "11", "dise_codg": "E11.900"])])
        let batch = "B\(Int.random(in: 0..<1_000_000))"
        _ = try await run(harness, "2204", ["feedetail": .array([.object([
            "feedetl_sn": "1", "mdtrt_id": .string(mdtrtId), "psn_no": .string(Demo.zhangSan.psnNo), "chrg_bchno": .string(batch),
            "med_list_codg": "XA10BAE054A001010100483", "pric": "30.00", "cnt": "2", "det_item_fee_sumamt": "60.00"])])], msgid: uploadMsgid)
        return (mdtrtId, batch)
    }

    func settlement(_ visit: (mdtrtId: String, batch: String)) -> JSONObject {
        ["data": .object(["psn_no": .string(Demo.zhangSan.psnNo), "mdtrt_id": .string(visit.mdtrtId), "chrg_bchno": .string(visit.batch),
                          "insutype": "310", "acct_used_flag": "0", "medfee_sumamt": "60.00"])]
    }

    @Test("a profile with beforeSettlement 2001 and 3101: 2206 refused without a 2001 (ID-1), after a failed one, then without a 3101 of the visit (SV-3), accepted after both")
    func prerequisites() async throws {
        let harness = try await GatewayHarness.make()
        let visit = try await visitWithLine(harness)
        let required = SettlementPrerequisites(benefitCheck: true, preEventAudit: true)
        func refusal(_ code: ErrorCode, _ rule: Rule) async throws {
            do { _ = try await run(harness, "2206", settlement(visit), prerequisites: required); Issue.record("2206 accepted; expected \(code)") } catch let error as DomainError {
                #expect(error.code == code && error.rule == rule && error.pointer == "/input/data/mdtrt_id", "\(error)")
            }
        }
        try await refusal(.benefitCheckRequired, .id1)
        let now = await harness.gateway.clock.now()
        // A chronic-disease check (med_type 14) of an unfiled disease fails; the latest check counts.
        _ = try await run(harness, "2001", ["psn_no": .string(Demo.zhangSan.psnNo), "insutype": "310", "med_type": "14", "dise_codg": "E11.900",
                                            "begntime": .string(Timestamps.fsi(now))])
        try await refusal(.benefitCheckFailed, .id1)
        _ = try await run(harness, "2001", ["psn_no": .string(Demo.zhangSan.psnNo), "insutype": "310", "med_type": "11", "begntime": .string(Timestamps.fsi(now))])
        try await refusal(.auditRequired, .sv3)
        _ = try await run(harness, "3101", ["data": .object(["trig_scen": "7", "patient_dtos": .array([.object([
            "patn_id": .string(Demo.zhangSan.psnNo), "fsi_encounter_dtos": .array([.object(["mdtrt_id": .string(visit.mdtrtId), "fsi_order_dtos": .array([])])])])])])])
        let presettled = try await run(harness, "2206", settlement(visit), prerequisites: required)
        #expect(presettled.output.objectValue?["setlinfo"] != nil)
        // Without the profile setting nothing is required.
        _ = try await run(harness, "2207", settlement(visit))
    }

    @Test("a 2001 of a person whose insurance is suspended answers trt_enjymnt_flag 0 for the insurance check and is recorded as not passed")
    func failedBenefitCheck() async throws {
        let harness = try await GatewayHarness.make()
        let now = await harness.gateway.clock.now()
        let outcome = try await run(harness, "2001", ["data": .object(["psn_no": "12000000000000000012", "insutype": "310", "med_type": "11",
                                                                       "begntime": .string(Timestamps.fsi(now))])])
        let rows = outcome.output.objectValue?["trtinfo"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(rows.first { $0.string("trt_chk_type") == "01" }?.string("trt_enjymnt_flag") == "0")
        #expect(outcome.event.payload["passed"] == "0")
        let message = try await harness.gateway.store.read { try await $0.fsiMessages(institutionCode: Demo.hospital, infno: "2001", subject: "12000000000000000012") }
        #expect(message.count == 1 && message.first?.facts["passed"] == "0")
    }

    @Test("2601 of a 2204 cancels exactly the lines that message uploaded; of a 2201 cancels the visit; a settled visit's 2201 cannot be reversed; a second 2601 answers the first")
    func reversalOfRegistrationAndDetails() async throws {
        let harness = try await GatewayHarness.make()
        let now = await harness.gateway.clock.now()
        let upload = Self.msgid(now)
        let visit = try await visitWithLine(harness, uploadMsgid: upload)
        let reversal: JSONObject = ["data": .object(["psn_no": .string(Demo.zhangSan.psnNo), "omsgid": .string(upload), "oinfno": "2204"])]
        let first = try await run(harness, "2601", reversal)
        let lines = try await harness.gateway.store.read { try await $0.feeDetails(mdtrtId: visit.mdtrtId) }
        #expect(lines.map(\.status) == [.cancelled])
        let second = try await run(harness, "2601", reversal)
        #expect(second.output == first.output && second.event.outcome == "replayed")
        // A 2201 whose visit has a settlement in force is not reversed; after 2208 it is.
        let registration = Self.msgid(now)
        let other = try await run(harness, "2201", ["data": .object([
            "psn_no": .string(Demo.zhangSan.psnNo), "insutype": "310", "begntime": .string(Timestamps.fsi(now)), "mdtrt_cert_type": "01",
            "mdtrt_cert_no": .string(try await ecToken(harness)), "ipt_otp_no": "MZ2", "atddr_no": .string(Demo.doctorLi), "dr_name": "Li Wei",
            "dept_code": "A03", "dept_name": "Internal medicine", "caty": "A03"])], msgid: registration)
        let mdtrtId = try #require(other.output.objectValue?["data"]?.objectValue?["mdtrt_id"]?.stringValue)
        _ = try await run(harness, "2204", ["feedetail": .array([.object([
            "feedetl_sn": "1", "mdtrt_id": .string(mdtrtId), "psn_no": .string(Demo.zhangSan.psnNo), "chrg_bchno": "B2",
            "med_list_codg": "XA10BAE054A001010100483", "pric": "30.00", "cnt": "1", "det_item_fee_sumamt": "30.00"])])])
        let settled = try await run(harness, "2207", ["data": .object(["psn_no": .string(Demo.zhangSan.psnNo), "mdtrt_id": .string(mdtrtId),
                                                                       "chrg_bchno": "B2", "insutype": "310", "acct_used_flag": "0", "medfee_sumamt": "30.00"])])
        let undoVisit: JSONObject = ["data": .object(["psn_no": .string(Demo.zhangSan.psnNo), "omsgid": .string(registration), "oinfno": "2201"])]
        do { _ = try await run(harness, "2601", undoVisit); Issue.record("a settled visit's 2201 was reversed") } catch let error as DomainError {
            #expect(error.code == .visitSettled && error.pointer == "/input/data/omsgid")
        }
        let setlId = try #require(settled.output.objectValue?["setlinfo"]?.objectValue?["setl_id"]?.stringValue)
        _ = try await run(harness, "2208", ["data": .object(["setl_id": .string(setlId), "mdtrt_id": .string(mdtrtId), "psn_no": .string(Demo.zhangSan.psnNo)])])
        _ = try await run(harness, "2601", undoVisit)
        let cancelled = try await harness.gateway.store.read { try await $0.registration(mdtrtId: mdtrtId) }
        #expect(cancelled?.status == .cancelled && cancelled?.reversedBy != nil)
        // 5203 tells a 2208 cancellation from a 2601 reversal.
        let info = try await run(harness, "5203", ["data": .object(["setl_id": .string(setlId), "psn_no": .string(Demo.zhangSan.psnNo)])])
        #expect(info.output.objectValue?["setlinfo"]?.objectValue?.string("setl_stas") == "cancelled")
        // A 2601 naming the wrong infno for a message is refused naming oinfno.
        do {
            _ = try await run(harness, "2601", ["data": .object(["psn_no": .string(Demo.zhangSan.psnNo), "omsgid": .string(registration), "oinfno": "2207"])])
            Issue.record("a 2601 with the wrong oinfno was accepted")
        } catch let error as DomainError {
            #expect(error.code == .reversalInfnoMismatch && error.pointer == "/input/data/oinfno")
        }
    }

    @Test("a profile naming an unknown beforeSettlement transaction is refused when loaded")
    func profileValidation() throws {
        let text = #"{"transportAuth":"none","cainfo":"optional","beforeSettlement":["2001","9999"]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(FSIDialect.self, from: Data(text.utf8)) }
        let valid = try JSONDecoder().decode(FSIDialect.self, from: Data(#"{"beforeSettlement":["2001","3101"]}"#.utf8))
        #expect(valid.beforeSettlement == ["2001", "3101"])
    }

    @Test("3201 per group, as real code sends it: insutype, setl_optins (the place of insurance) and clr_type (11 at a hospital) select the settlements compared")
    func reconciliationGroups() async throws {
        let harness = try await GatewayHarness.make()
        let visit = try await visitWithLine(harness)
        let settled = try await run(harness, "2207", settlement(visit))
        let fund = settled.output.objectValue?["setlinfo"]?.objectValue?.string("fund_pay_sumamt") ?? "?"
        let today = Timestamps.day(await harness.gateway.clock.now())
        func reconcile(_ extra: JSONObject) async throws -> JSONObject {
            var data: JSONObject = ["stmt_begndate": .string(today), "stmt_enddate": .string(today), "medfee_sumamt": "60.00",
                                    "fund_pay_sumamt": .string(fund), "acct_pay": "0.00", "fixmedins_setl_cnt": "1"]
            for member in extra.members { data[member.key] = member.value }
            return try await run(harness, "3201", ["data": .object(data)]).output.objectValue?["stmtinfo"]?.objectValue ?? [:]
        }
        #expect(try await reconcile(["insutype": "310", "clr_type": "11", "setl_optins": "120100"]).string("stmt_rslt") == "0")
        let residents = try await reconcile(["insutype": "390"])
        #expect(residents.string("stmt_rslt") == "1" && residents.string("fixmedins_setl_cnt") == "0")
        #expect(try await reconcile(["setl_optins": "110100"]).string("fixmedins_setl_cnt") == "0")
        #expect(try await reconcile(["clr_type": "41"]).string("fixmedins_setl_cnt") == "0")
        do { _ = try await reconcile(["setl_optins": "12"]); Issue.record("a 2-digit setl_optins was accepted") } catch let error as DomainError {
            #expect(error.pointer == "/input/data/setl_optins")
        }
    }
}
