import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto

/// Mobile-payment cases (6201–6203, 6301; PY-1, PY-4, PY-5, PY-6, ID-2).
extension GatewaySuite {
    static let paymentCases: [String: Case] = [
        "FSI-SETL-001": { suite in
            // Li Na (prior offline visit): 2201 by resident ID → 2203 → 2204 → 2206 → 2207 with her e-voucher, a retried 2207, then 2208 to give it all back.
            let visit = try await suite.accepted("2201 registration") {
                try await suite.hospital.register(RegistrationRequest(psnNo: liNa.psnNo, insutype: "310", beginTime: suite.clock.now(), medium: .residentID, certNo: liNa.certno,
                                                                      iptOtpNo: suite.unique("MZ", 4), doctorCode: drLi.code, doctorName: drLi.name,
                                                                      deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            }
            _ = try await suite.accepted("2203 visit information") {
                try await suite.hospital.call(infno: "2203", input: ["mdtrtinfo": .object(["mdtrt_id": .string(visit), "psn_no": .string(liNa.psnNo), "med_type": "11",
                                                                                          "dise_codg": "I10.x00", "dise_name": "Essential hypertension"])])
            }
            let batch = suite.unique("B", 4)
            func line(_ sn: String, _ code: String, _ price: String) -> JSONValue {
                .object(["feedetl_sn": .string(sn), "mdtrt_id": .string(visit), "psn_no": .string(liNa.psnNo), "chrg_bchno": .string(batch), "med_list_codg": .string(code),
                         "pric": .string(price), "cnt": "1", "det_item_fee_sumamt": .string(price), "rx_circ_flag": "0"])
            }
            let details = try await suite.accepted("2204 fee details") {
                try await suite.hospital.call(infno: "2204", input: ["feedetail": .array([line("1", "AADG0000", "20.00"), line("2", "DELIVERY0001", "10.00")])])
            }
            let results = details.objectValue?["result"]?.arrayValue?.compactMap(\.objectValue) ?? []
            guard results.count == 2, results[1][key: "fulamt_ownpay_amt"] == "10.00", results[0][key: "inscp_scp_amt"] == "20.00" else {
                throw CaseFailure("2204 did not classify AADG0000 as in scope and the delivery fee as wholly self-paid (PY-1, PY-5)",
                                  expected: "line 1 inscp_scp_amt 20.00; line 2 fulamt_ownpay_amt 10.00",
                                  actual: results.map { "\($0[key: "med_list_codg"]): inscp \($0[key: "inscp_scp_amt"]), self \($0[key: "fulamt_ownpay_amt"])" }.joined(separator: "; "))
            }
            // ID-1: registered by resident ID, so the patient authenticates with the e-voucher at settlement (an ecToken scanned for 01301).
            let token = try await suite.scan(liNa.certno, for: .outpatientSettlement, by: suite.hospital)
            let input: JSONObject = ["data": .object(["psn_no": .string(liNa.psnNo), "mdtrt_cert_type": "01", "mdtrt_cert_no": .string(token.ecToken), "med_type": "11",
                                                      "medfee_sumamt": "30.00", "psn_setlway": "01", "mdtrt_id": .string(visit), "chrg_bchno": .string(batch),
                                                      "acct_used_flag": "1", "insutype": "310"])]
            let pre = try await suite.accepted("2206 pre-settlement") { try await suite.hospital.call(infno: "2206", input: input) }
            let settled = try await suite.accepted("2207 settlement") { try await suite.hospital.call(infno: "2207", input: input) }
            let again = try await suite.accepted("the same 2207 retried") { try await suite.hospital.call(infno: "2207", input: input) }
            let setlinfo = settled.objectValue?["setlinfo"]?.objectValue ?? [:]
            guard pre.objectValue?["setlinfo"]?.objectValue?[key: "fund_pay_sumamt"] == setlinfo[key: "fund_pay_sumamt"],
                  again.objectValue?["setlinfo"]?.objectValue?[key: "setl_id"] == setlinfo[key: "setl_id"], !setlinfo[key: "setl_id"].isEmpty else {
                throw CaseFailure("2206/2207 disagree, or a retried 2207 settled again", expected: "the same fund share in 2206 and 2207; the retry's setl_id \(setlinfo[key: "setl_id"])",
                                  actual: "2206 fund \(pre.objectValue?["setlinfo"]?.objectValue?[key: "fund_pay_sumamt"] ?? "?"), 2207 fund \(setlinfo[key: "fund_pay_sumamt"]), retry setl_id \(again.objectValue?["setlinfo"]?.objectValue?[key: "setl_id"] ?? "?")")
            }
            let parts = ["fund_pay_sumamt", "acct_pay", "psn_cash_pay"].map { Money.fen(setlinfo[key: $0]) ?? -1 }
            guard parts.allSatisfy({ $0 >= 0 }), parts.reduce(0, +) == Money.fen(setlinfo[key: "medfee_sumamt"]) else {
                throw CaseFailure("2207's split does not add up", expected: "fund_pay_sumamt + acct_pay + psn_cash_pay = medfee_sumamt",
                                  actual: "\(setlinfo[key: "fund_pay_sumamt"]) + \(setlinfo[key: "acct_pay"]) + \(setlinfo[key: "psn_cash_pay"]) vs \(setlinfo[key: "medfee_sumamt"])")
            }
            _ = try await suite.accepted("2208 cancelling the settlement") {
                try await suite.hospital.call(infno: "2208", input: ["data": .object(["setl_id": .string(setlinfo[key: "setl_id"]), "mdtrt_id": .string(visit),
                                                                                     "psn_no": .string(liNa.psnNo)])])
            }
            return "2203, 2204 (AADG0000 in scope, delivery self-paid), 2206 = 2207 (fund \(setlinfo[key: "fund_pay_sumamt"]) + account \(setlinfo[key: "acct_pay"]) + cash \(setlinfo[key: "psn_cash_pay"])), retried 2207 same setl_id, 2208 cancelled"
        },
        "PY-11-001": { suite in
            // Two batches of one visit: the first with the hospital's own e-invoice number, the second without (an e-bill).
            let visit = try await suite.registeredVisit(liNa)
            var receipts: [JSONObject] = []
            for invono in [Optional(suite.unique("INV", 6)), nil] {
                let batch = try await suite.uploadMetforminBatch(visit: visit, person: liNa)
                var data: JSONObject = ["psn_no": .string(liNa.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": .string(batch), "insutype": "310",
                                        "acct_used_flag": "0", "medfee_sumamt": "12.50"]
                if let invono { data["invono"] = .string(invono) }
                let setlinfo = try await suite.accepted("2207 of batch \(batch)") { try await suite.hospital.call(infno: "2207", input: ["data": .object(data)]) }
                    .objectValue?["setlinfo"]?.objectValue ?? [:]
                let queried = try await suite.accepted("5203 of the settlement") {
                    try await suite.hospital.call(infno: "5203", input: ["data": .object(["setl_id": .string(setlinfo[key: "setl_id"]), "psn_no": .string(liNa.psnNo)])])
                }.objectValue?["setlinfo"]?.objectValue ?? [:]
                let expected = invono == nil ? "eBill" : "eInvoice"
                guard setlinfo[key: "receipt_type"] == expected, setlinfo[key: "bill_amt"] == "12.50", !setlinfo[key: "bill_no"].isEmpty,
                      invono == nil || setlinfo[key: "bill_no"] == invono, queried[key: "bill_no"] == setlinfo[key: "bill_no"] else {
                    throw CaseFailure("the settlement's receipt is missing or wrong, or 5203 does not give it back", expected: "\(expected), bill_amt 12.50, the same bill_no in 5203",
                                      actual: "\(setlinfo[key: "receipt_type"]) \(setlinfo[key: "bill_code"])/\(setlinfo[key: "bill_no"]) \(setlinfo[key: "bill_amt"]); 5203 \(queried[key: "bill_no"])")
                }
                receipts.append(setlinfo)
            }
            return receipts.map { "\($0[key: "receipt_type"]) \([$0[key: "bill_code"], $0[key: "bill_no"]].filter { !$0.isEmpty }.joined(separator: "/")) for \($0[key: "bill_amt"])" }
                .joined(separator: "; ")
        },
        "SV-6-001": { suite in
            // False prescriptions: a drug line sent as circulated (rxCircFlag 1) naming a prescription the platform never issued.
            let (visit, payAuthNo) = try await suite.visitAndAuthorisation(zhangSan)
            var upload = suite.drugUpload(person: zhangSan, visit: visit, payAuthNo: payAuthNo)
            var lines = upload["feedetailList"]?.arrayValue ?? []
            guard case .object(var first)? = lines.first else { throw ConformanceError("the drug upload has no line") }
            first["rxCircFlag"] = "1"
            first["hiRxno"] = .string("HIRX120101" + suite.random.digits(12))
            lines[0] = .object(first)
            upload["feedetailList"] = .array(lines)
            return try await suite.refused("6201 of a circulated line whose prescription the platform does not know", codes: ["AUDIT_REFUSED"],
                                           pointer: "/feedetailList/0/hiRxno", rule: "SV-6", detail: "AUD-RX-001") {
                _ = try await suite.hospital.hse(service: "uldFeeInfo", data: .object(upload))
            }
        },
        "SV-6-002": { suite in
            // Forged receipts: an e-invoice number names one settlement only.
            let visit = try await suite.registeredVisit(liNa)
            let invono = suite.unique("INV", 6)
            func batch() async throws -> JSONObject {
                let batch = try await suite.uploadMetforminBatch(visit: visit, person: liNa)
                return ["data": .object(["psn_no": .string(liNa.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": .string(batch), "insutype": "310",
                                         "acct_used_flag": "0", "medfee_sumamt": "12.50", "invono": .string(invono)])]
            }
            let first = try await batch()
            _ = try await suite.accepted("2207 with e-invoice \(invono)") { try await suite.hospital.call(infno: "2207", input: first) }
            let second = try await batch()
            return try await suite.refused("a second settlement with the same e-invoice number", codes: ["RECEIPT_NUMBER_REUSED"], pointer: "/input/data/invono", rule: "SV-6") {
                _ = try await suite.hospital.call(infno: "2207", input: second)
            }
        },
        "SV-4-001": { suite in
            // The day's statistics: this run's settlements are in them, with the drugs by category.
            let today = Timestamps.day(suite.clock.now())
            let figures = try await suite.accepted("GET /admin/statistics for today") {
                try await HTTP.get(suite.http, url: suite.target + "/admin/statistics?from=\(today)&to=\(today)", bearer: suite.credentials.adminToken, observer: suite.recorder)
            }.objectValue ?? [:]
            let settlements = Int(figures["settlements"]?.serialized() ?? "") ?? 0
            let drugs = figures["drugFeesByCategory"]?.objectValue ?? [:]
            guard figures[key: "from"] == today, settlements > 0, Money.fen(figures[key: "medfeeSumamt"]) ?? 0 > 0,
                  ["westernMedicine", "chinesePatentMedicine", "chineseHerbalPieces"].allSatisfy({ drugs[$0] != nil }) else {
                throw CaseFailure("the day's statistics do not show this run's settlements with the drugs by category",
                                  expected: "from \(today), settlements > 0, medfeeSumamt > 0, drugFeesByCategory with three categories", actual: JSONValue.object(figures).serialized())
            }
            return "\(today): \(settlements) settlements, \(figures[key: "medfeeSumamt"]) in fees, western medicine \(drugs[key: "westernMedicine"])"
        },
        "PY-10-001": { suite in
            // The declared total must be the sum of the batch's uploaded details: a settlement is audited against them.
            let visit = try await suite.registeredVisit(liNa)
            let batch = try await suite.uploadMetforminBatch(visit: visit, person: liNa)
            return try await suite.refused("2207 declaring 99.00 for the 12.50 batch", codes: ["FIELD_INVALID"], pointer: "/input/data/medfee_sumamt", rule: "PY-10") {
                _ = try await suite.hospital.call(infno: "2207", input: ["data": .object([
                    "psn_no": .string(liNa.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": .string(batch), "insutype": "310",
                    "acct_used_flag": "0", "medfee_sumamt": "99.00"])])
            }
        },
        "SC-4-002": { suite in
            // A blood test is provided in person only: an Internet+ visit cannot charge it; the Internet consultation cannot be claimed for an offline visit.
            let visit = try await suite.registeredVisit(liNa)
            let online = try await suite.refused("2204 of a blood glucose test (provided offline only) for an Internet+ visit", codes: ["ITEM_SERVICE_MODE_MISMATCH"],
                                                 pointer: "/input/feedetail/0/med_list_codg", rule: "SC-4") {
                _ = try await suite.hospital.call(infno: "2204", input: ["feedetail": .array([.object([
                    "feedetl_sn": .string(suite.unique("F", 4)), "mdtrt_id": .string(visit), "psn_no": .string(liNa.psnNo), "chrg_bchno": .string(suite.unique("B", 4)),
                    "med_list_codg": "250305007", "pric": "6.00", "cnt": "1", "det_item_fee_sumamt": "6.00", "rx_circ_flag": "0"])])])
            }
            let offline = try await suite.refused("a claim after the fact (an offline visit away) charging the Internet consultation AADG0000", codes: ["ITEM_SERVICE_MODE_MISMATCH"],
                                                  pointer: "/feedetailList/0/medListCodg", rule: "SC-4") {
                _ = try await suite.admin("/admin/reimbursements", [
                    "psnNo": .string(wangQiang.psnNo), "claimNo": .string(suite.unique("CLM", 6)), "institutionCode": .string(hospitalCode),
                    "visitDate": .string(Timestamps.day(suite.clock.now().addingTimeInterval(-3 * 86_400))),
                    "feedetailList": .array([.object(["feedetlSn": "1", "medListCodg": "AADG0000", "pric": "20.00", "cnt": "1", "detItemFeeSumamt": "20.00"])]),
                ])
            }
            return online + "; " + offline
        },
        "PY-10-002": { suite in
            // Flags are kept for manual review: Zhang San's follow-up is settled without its medical record uploaded (AUD-REC-001, SV-1);
            // the reviewer refuses it, which takes its fund share off the month's payable amount.
            let visit = try await suite.registeredVisit(zhangSan)
            let batch = try await suite.uploadMetforminBatch(visit: visit, person: zhangSan)
            let setlinfo = try await suite.accepted("2207 of Zhang San's metformin, no 4301 uploaded") {
                try await suite.hospital.call(infno: "2207", input: ["data": .object([
                    "psn_no": .string(zhangSan.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": .string(batch), "insutype": "310",
                    "acct_used_flag": "0", "medfee_sumamt": "12.50"])])
            }.objectValue?["setlinfo"]?.objectValue ?? [:]
            let setlId = setlinfo[key: "setl_id"]
            let listed = try await suite.accepted("GET /admin/audit-flags") {
                try await HTTP.get(suite.http, url: suite.target + "/admin/audit-flags?institution=\(hospitalCode)", bearer: suite.credentials.adminToken, observer: suite.recorder)
            }.objectValue ?? [:]
            let mine = listed["settlements"]?.arrayValue?.compactMap(\.objectValue).first { $0[key: "id"] == setlId }
            let flags = mine?["flags"]?.arrayValue?.compactMap(\.objectValue) ?? []
            guard let flag = flags.firstIndex(where: { $0[key: "finding"] == "AUD-REC-001" }) else {
                throw CaseFailure("the settlement of a follow-up without its medical record is not listed with its flag", expected: "settlement \(setlId) with flag AUD-REC-001",
                                  actual: flags.isEmpty ? "not listed" : flags.map { $0[key: "finding"] }.joined(separator: ", "))
            }
            func review(_ body: JSONObject) async throws -> (status: Int, body: JSONObject) {
                let answer = try await HTTP.exchange(suite.http, url: suite.target + "/admin/audit-flags/review", method: .POST,
                                                     body: Array(JSONValue.object(body).serialized().utf8), bearer: suite.credentials.adminToken, observer: suite.recorder)
                return (answer.status, (try? JSONValue.parse(answer.body).objectValue) ?? [:])
            }
            let base: JSONObject = ["kind": "2207", "id": .string(setlId), "flag": .integer(flag), "decision": "refused"]
            let noReason = try await review(base)
            guard noReason.status == 400, noReason.body[key: "pointer"] == "/note" else {
                throw CaseFailure("a refusal without its reason was not refused naming /note", expected: "400 FIELD_MISSING at /note",
                                  actual: "\(noReason.status) \(noReason.body[key: "code"]) at \(noReason.body[key: "pointer"])")
            }
            var withReason = base
            withReason["note"] = "no medical record for the follow-up"
            let decided = try await review(withReason)
            guard decided.status == 200, decided.body[key: "refusedFundAmt"] == setlinfo[key: "fund_pay_sumamt"], (Money.fen(setlinfo[key: "fund_pay_sumamt"]) ?? 0) > 0 else {
                throw CaseFailure("the refusal did not refuse the settlement's whole fund share", expected: "200 with refusedFundAmt \(setlinfo[key: "fund_pay_sumamt"]) (more than 0.00)",
                                  actual: "\(decided.status) refusedFundAmt \(decided.body[key: "refusedFundAmt"])")
            }
            let month = String(Timestamps.day(suite.clock.now()).prefix(7)).replacingOccurrences(of: "-", with: "")
            let declaration = try await suite.accepted("GET /admin/declarations for this month") {
                try await HTTP.get(suite.http, url: suite.target + "/admin/declarations?institution=\(hospitalCode)&setlym=\(month)", bearer: suite.credentials.adminToken, observer: suite.recorder)
            }.objectValue ?? [:]
            let now = declaration["now"]?.objectValue ?? [:]
            guard let payable = Money.fen(now[key: "payableFundAmt"]), let fund = Money.fen(now[key: "fundPaySumamt"]), let refused = Money.fen(now[key: "refusedFundAmt"]),
                  payable == fund - refused, refused >= (Money.fen(setlinfo[key: "fund_pay_sumamt"]) ?? 0), declaration["internet"] != nil, declaration["offSite"] != nil else {
                throw CaseFailure("the month's declaration does not count the refusal", expected: "payableFundAmt = fundPaySumamt − refusedFundAmt, refusedFundAmt ≥ \(setlinfo[key: "fund_pay_sumamt"])",
                                  actual: JSONValue.object(now).serialized())
            }
            return "settlement \(setlId) listed with AUD-REC-001; a refusal without a reason refused at /note; refused \(decided.body[key: "refusedFundAmt"]) with one; the month: fund \(Money.yuan(fund)), refused \(Money.yuan(refused)), payable \(Money.yuan(payable))"
        },
        "PY-12-001": { suite in
            // The agency gives the hospital a total fund budget of 0.00 for the year: a settlement the fund pays a share of takes
            // the year's payments beyond it and is flagged for the appraisal, not refused. The budget is removed afterwards.
            func budget(_ value: JSONValue) async throws {
                _ = try await suite.accepted("POST /admin/institutions/\(hospitalCode)/budget \(value.serialized())") {
                    try await suite.admin("/admin/institutions/\(hospitalCode)/budget", ["annualBudgetFen": value])
                }
            }
            let before = try await suite.accepted("GET /admin/institutions/\(hospitalCode)") {
                try await HTTP.get(suite.http, url: suite.target + "/admin/institutions/\(hospitalCode)", bearer: suite.credentials.adminToken, observer: suite.recorder)
            }.objectValue?["annualBudgetFen"] ?? .null
            try await budget(.integer(0))
            do {
                let visit = try await suite.registeredVisit(zhangSan)
                let batch = try await suite.uploadMetforminBatch(visit: visit, person: zhangSan)
                let setlinfo = try await suite.accepted("2207 of Zhang San's metformin, beyond the budget") {
                    try await suite.hospital.call(infno: "2207", input: ["data": .object([
                        "psn_no": .string(zhangSan.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": .string(batch), "insutype": "310",
                        "acct_used_flag": "0", "medfee_sumamt": "12.50"])])
                }.objectValue?["setlinfo"]?.objectValue ?? [:]
                guard (Money.fen(setlinfo[key: "fund_pay_sumamt"]) ?? 0) > 0 else {
                    throw CaseSkipped("the fund paid no share of Zhang San's settlement (fund_pay_sumamt \(setlinfo[key: "fund_pay_sumamt"])), so no budget can be exceeded")
                }
                let flag = try await suite.flag("PY-12", of: setlinfo[key: "setl_id"], institution: hospitalCode, missing: "the settlement beyond the budget was not flagged PY-12")
                try await budget(before)
                return "settled \(setlinfo[key: "setl_id"]) (fund \(setlinfo[key: "fund_pay_sumamt"])) beyond a budget of 0.00 and flagged: \(flag[key: "detail"].prefix(120))…; budget restored to \(before.serialized())"
            } catch {
                try? await budget(before)
                throw error
            }
        },
        "XR-7-001": { suite in
            // Zhang San (insured in Tianjin) settles at home and, the same month, away at a Beijing hospital (the filing-free pilot):
            // the second settlement is flagged for the regulator, not refused.
            let home = try await suite.registeredVisit(zhangSan)
            let homeBatch = try await suite.uploadMetforminBatch(visit: home, person: zhangSan)
            _ = try await suite.accepted("2207 at home in Tianjin") {
                try await suite.hospital.call(infno: "2207", input: ["data": .object([
                    "psn_no": .string(zhangSan.psnNo), "mdtrt_id": .string(home), "chrg_bchno": .string(homeBatch), "insutype": "310",
                    "acct_used_flag": "0", "medfee_sumamt": "12.50"])])
            }
            let (beijing, visit, batch) = try await suite.zhangSanInBeijing("Conformance Beijing Hospital")
            let setlinfo = try await suite.accepted("2207 away in Beijing") {
                try await beijing.call(infno: "2207", input: ["data": .object([
                    "psn_no": .string(zhangSan.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": .string(batch), "insutype": "310",
                    "acct_used_flag": "0", "medfee_sumamt": "12.50", "med_type": "11"])])
            }.objectValue?["setlinfo"]?.objectValue ?? [:]
            let flag = try await suite.flag("XR-7", of: setlinfo[key: "setl_id"], institution: beijing.credentials.fixmedinsCode,
                                            missing: "the settlement away in the month of one at home was not flagged XR-7")
            return "settled at home in Tianjin and away in Beijing (\(setlinfo[key: "setl_id"])), flagged: \(flag[key: "detail"].prefix(140))…"
        },
        "SV-6-003": { suite in
            // False diagnosis against the filing: Li Na's visit is settled as a chronic or special disease (med_type 14) for
            // hypertension, which no chronic-disease filing of hers covers: settled, and flagged for manual review.
            let visit = try await suite.registeredVisit(liNa)
            _ = try await suite.accepted("2203 med_type 14, hypertension") {
                try await suite.hospital.call(infno: "2203", input: ["mdtrtinfo": .object(["mdtrt_id": .string(visit), "psn_no": .string(liNa.psnNo), "med_type": "14",
                                                                                          "dise_codg": "I10.x00", "dise_name": "Essential hypertension"])])
            }
            let batch = try await suite.uploadMetforminBatch(visit: visit, person: liNa)
            let setlinfo = try await suite.accepted("2207 med_type 14") {
                try await suite.hospital.call(infno: "2207", input: ["data": .object([
                    "psn_no": .string(liNa.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": .string(batch), "insutype": "310",
                    "acct_used_flag": "0", "medfee_sumamt": "12.50", "med_type": "14"])])
            }.objectValue?["setlinfo"]?.objectValue ?? [:]
            let flag = try await suite.flag("AUD-DIAG-002", of: setlinfo[key: "setl_id"], institution: hospitalCode,
                                            missing: "a special-disease settlement for a disease no filing covers was not flagged AUD-DIAG-002")
            return "settled \(setlinfo[key: "setl_id"]) and flagged: \(flag[key: "detail"].prefix(160))…"
        },
        "XR-4-002": { suite in
            // Wang Qiang (insured in Beijing) settled directly in Tianjin today (the filing-free pilot): a manual claim for the same visit is refused.
            let token = try await suite.scan(wangQiang.certno, for: .registration, by: suite.hospital)
            let visit = try await suite.accepted("2201 with the e-voucher") {
                try await suite.hospital.register(RegistrationRequest(psnNo: wangQiang.psnNo, insutype: "390", beginTime: suite.clock.now(), medium: .eVoucher,
                                                                      certNo: token.ecToken, iptOtpNo: suite.unique("MZ", 4), doctorCode: drLi.code,
                                                                      doctorName: drLi.name, deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            }
            let batch = try await suite.uploadMetforminBatch(visit: visit, person: wangQiang)
            let setlinfo = try await suite.accepted("2207 settled directly") {
                try await suite.hospital.call(infno: "2207", input: ["data": .object([
                    "psn_no": .string(wangQiang.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": .string(batch), "insutype": "390",
                    "acct_used_flag": "0", "medfee_sumamt": "12.50", "med_type": "11"])])
            }.objectValue?["setlinfo"]?.objectValue ?? [:]
            return try await suite.refused("a manual claim for the visit settled directly", codes: ["REIMBURSEMENT_SETTLED_DIRECTLY"], pointer: "/visitDate",
                                           rule: "XR-4", detail: setlinfo[key: "setl_id"]) {
                _ = try await suite.admin("/admin/reimbursements", [
                    "psnNo": .string(wangQiang.psnNo), "claimNo": .string(suite.unique("CLM", 6)), "institutionCode": .string(hospitalCode),
                    "visitDate": .string(Timestamps.day(suite.clock.now())),
                    "feedetailList": .array([.object(["feedetlSn": "1", "medListCodg": .string(metformin), "pric": "12.50", "cnt": "1", "detItemFeeSumamt": "12.50"])]),
                ])
            }
        },
        "XR-4-001": { suite in
            // The after-the-fact claim path is for visits away from the place of insurance only.
            try await suite.refused("a manual claim for a Tianjin-insured person's visit in Tianjin", codes: ["REIMBURSEMENT_NOT_CROSS_REGION"],
                                    pointer: "/institutionCode", rule: "XR-4") {
                _ = try await suite.admin("/admin/reimbursements", [
                    "psnNo": .string(zhangSan.psnNo), "claimNo": .string(suite.unique("CLM", 6)), "institutionCode": .string(hospitalCode),
                    "visitDate": .string(Timestamps.day(suite.clock.now())),
                    "feedetailList": .array([.object(["feedetlSn": "1", "medListCodg": .string(metformin), "pric": "12.50", "cnt": "1", "detItemFeeSumamt": "12.50"])]),
                ])
            }
        },
        "PY-PAY-001": { suite in
            let (document, hiRxno) = try suite.require(suite.circulated, "a dispensed prescription (RX-DISPENSE-001)")
            let visit = document.prescription.json["mdtrtinfo"]?.objectValue?[key: "mdtrtId"] ?? ""
            let authCode = try await suite.accepted("the wallet authorisation") { try await suite.channel.authorise(certno: zhangSan.certno, orgCodg: hospitalCode) }
            let payAuthNo = try await suite.accepted("ec.payAuth") { try await suite.hospital.payAuthorisation(authCode: authCode) }.payAuthNo
            // The drugs a retail pharmacy dispensed are settled by that pharmacy (PY-7, PY-7-001): the hospital's attempt is refused.
            let refusedPY7 = try await suite.refused("the hospital's 6201 with the drugs the pharmacy dispensed", codes: ["AUDIT_REFUSED"],
                                                     pointer: "/feedetailList/1/hiRxno", rule: "PY-7", detail: "AUD-RX-005") {
                _ = try await suite.hospital.hse(service: "uldFeeInfo", data: .object(suite.feeUpload(document: document, hiRxno: hiRxno, visit: visit, payAuthNo: payAuthNo)))
            }
            let upload = suite.feeUpload(document: document, hiRxno: hiRxno, visit: visit, payAuthNo: payAuthNo, drugs: false)
            let order = try await suite.accepted("6201 uldFeeInfo") { try await suite.hospital.hse(service: "uldFeeInfo", data: .object(upload)) }.objectValue ?? [:]
            try GatewaySuite.requireSplitAddsUp(order, what: "6201")
            let delivery = (order["extData"]?.objectValue?["feedetail"]?.arrayValue ?? []).compactMap(\.objectValue).first { $0[key: "med_list_codg"] == "DELIVERY0001" }
            guard let delivery else { throw CaseFailure("6201's feedetail has no line for the delivery fee DELIVERY0001", expected: "one result per uploaded line", actual: "missing") }
            guard Money.fen(delivery[key: "inscp_scp_amt"]) == 0, Money.fen(delivery[key: "fulamt_ownpay_amt"]) == Money.fen(delivery[key: "det_item_fee_sumamt"]) else {
                throw CaseFailure("the delivery fee is not wholly self-paid (PY-5: never paid by the fund)", expected: "inscp_scp_amt 0.00, fulamt_ownpay_amt = det_item_fee_sumamt",
                                  actual: "inscp_scp_amt \(delivery[key: "inscp_scp_amt"]), fulamt_ownpay_amt \(delivery[key: "fulamt_ownpay_amt"])")
            }
            let pay: JSONObject = [
                "payAuthNo": .string(payAuthNo), "payOrdId": .string(order[key: "payOrdId"]), "payToken": .string(order[key: "payToken"]),
                "orgCodg": .string(hospitalCode), "orgBizSer": .string("BIZ" + upload[key: "medOrgOrd"]), "chrgBchno": .string(upload[key: "chrgBchno"]),
                "mdtrtId": .string(visit), "acctUsedFlag": "1",
            ]
            let paid = try await suite.accepted("6202 pay_order") { try await suite.hospital.hse(service: "pay_order", data: .object(pay)) }.objectValue ?? [:]
            try GatewaySuite.requireSplitAddsUp(paid, what: "6202")
            guard paid[key: "ordStas"] == "6", !paid[key: "setlId"].isEmpty else {
                throw CaseFailure("6202 did not complete the order", expected: "ordStas 6 with a setlId", actual: "ordStas \(paid[key: "ordStas"]), setlId \"\(paid[key: "setlId"])\"")
            }
            suite.upload = upload
            suite.order = order
            suite.payRequest = pay
            suite.paid = paid
            return "\(refusedPY7); 6201 of the consultation and the delivery pre-settled \(paid[key: "feeSumamt"]) (delivery fee self-paid), 6202 paid: fund \(paid[key: "fundPay"]) + account \(paid[key: "psnAcctPay"]) + cash \(paid[key: "ownPayAmt"])"
        },
        "PY-IDEMP-001": { suite in
            let upload = try suite.require(suite.upload, "a paid order (PY-PAY-001)")
            let order = try suite.require(suite.order, "a paid order (PY-PAY-001)")
            let again = try await suite.accepted("the same 6201 sent again") { try await suite.hospital.hse(service: "uldFeeInfo", data: .object(upload)) }.objectValue ?? [:]
            guard again[key: "payOrdId"] == order[key: "payOrdId"] else {
                throw CaseFailure("a retried 6201 created another order", expected: "payOrdId \(order[key: "payOrdId"])", actual: "payOrdId \(again[key: "payOrdId"])")
            }
            return "the retried 6201 answered the same order \(again[key: "payOrdId"])"
        },
        "PY-IDEMP-002": { suite in
            let pay = try suite.require(suite.payRequest, "a paid order (PY-PAY-001)")
            let paid = try suite.require(suite.paid, "a paid order (PY-PAY-001)")
            let again = try await suite.accepted("the same 6202 sent again") { try await suite.hospital.hse(service: "pay_order", data: .object(pay)) }.objectValue ?? [:]
            guard again[key: "setlId"] == paid[key: "setlId"] else {
                throw CaseFailure("a retried 6202 paid a second time", expected: "setlId \(paid[key: "setlId"]) (the first answer)", actual: "setlId \(again[key: "setlId"])")
            }
            return "the retried 6202 answered the first payment (setlId \(again[key: "setlId"])): nothing paid twice"
        },
        "PY-IDEMP-003": { suite in
            var pay = try suite.require(suite.payRequest, "a paid order (PY-PAY-001)")
            pay["acctUsedFlag"] = "0"
            return try await suite.refused("6202 for the paid order with a different body", codes: ["IDEMPOTENCY_KEY_REUSED"], pointer: "/acctUsedFlag") {
                _ = try await suite.hospital.hse(service: "pay_order", data: .object(pay))
            }
        },
        "PY-QUERY-001": { suite in
            let paid = try suite.require(suite.paid, "a paid order (PY-PAY-001)")
            let query = try await suite.accepted("6301 query_order_info") {
                try await suite.hospital.hse(service: "query_order_info", data: .object(["payOrdId": .string(paid[key: "payOrdId"])]))
            }.objectValue ?? [:]
            guard query[key: "ordStas"] == "6", query[key: "feeSumamt"] == paid[key: "feeSumamt"] else {
                throw CaseFailure("6301 does not show the paid order", expected: "ordStas 6, feeSumamt \(paid[key: "feeSumamt"])",
                                  actual: "ordStas \(query[key: "ordStas"]), feeSumamt \(query[key: "feeSumamt"])")
            }
            return "6301 shows ordStas 6, feeSumamt \(query[key: "feeSumamt"])"
        },
        "PY-PAYAUTH-001": { suite in
            let pay = try suite.require(suite.payRequest, "a paid order (PY-PAY-001)")
            let visit = try await suite.register(zhangSan, by: suite.hospital)
            let medOrgOrd = suite.unique("MO", 6)
            let upload: JSONObject = [
                "orgCodg": .string(hospitalCode), "medOrgOrd": .string(medOrgOrd), "chrgBchno": .string("CB" + medOrgOrd), "psnNo": .string(zhangSan.psnNo),
                "insutype": "310", "mdtrtId": .string(visit), "medType": "11", "medfeeSumamt": "20.00", "acctUsedFlag": "1",
                "payAuthNo": .string(pay[key: "payAuthNo"]), "rxCircFlag": "0",
                "feedetailList": .array([.object(["feedetlSn": "1", "medListCodg": "AADG0000", "pric": "20.00", "cnt": "1", "detItemFeeSumamt": "20.00", "rxCircFlag": "0"])]),
            ]
            return try await suite.refused("a new order paid with the payAuthNo another order spent", codes: ["PAYAUTHNO_REUSED"], pointer: "/payAuthNo") {
                let order = try await suite.hospital.hse(service: "uldFeeInfo", data: .object(upload)).objectValue ?? [:]
                _ = try await suite.hospital.hse(service: "pay_order", data: .object([
                    "payAuthNo": .string(pay[key: "payAuthNo"]), "payOrdId": .string(order[key: "payOrdId"]), "payToken": .string(order[key: "payToken"]),
                    "orgCodg": .string(hospitalCode), "orgBizSer": .string("BIZ" + medOrgOrd), "chrgBchno": .string("CB" + medOrgOrd), "mdtrtId": .string(visit),
                    "acctUsedFlag": "1"]))
            }
        },
        "PY-AUDIT-001": { suite in
            _ = try suite.require(suite.paid, "a consultation settled today (PY-PAY-001)")
            let (visit, payAuthNo) = try await suite.visitAndAuthorisation(zhangSan)
            let upload = suite.drugUpload(person: zhangSan, visit: visit, payAuthNo: payAuthNo, consultation: true)
            return try await suite.refused("a second AADG0000 consultation for Zhang San the same day", codes: ["AUDIT_REFUSED"], pointer: "/feedetailList/0/medListCodg",
                                           rule: "SV-3", detail: "AUD-CONSULT-002") {
                _ = try await suite.hospital.hse(service: "uldFeeInfo", data: .object(upload))
            }
        },
        "PY-AUDIT-002": { suite in
            let (visit, payAuthNo) = try await suite.visitAndAuthorisation(accountLow)
            // The person was seen in person for asthma only (fixtures/demo.json); the 6201 names diabetes (diseCodg).
            var upload = suite.drugUpload(person: accountLow, visit: visit, payAuthNo: payAuthNo, consultation: true)
            upload["diseCodg"] = "E11.900"
            upload["diseName"] = "Type 2 diabetes mellitus"
            return try await suite.refused("an AADG0000 follow-up consultation for diabetes, a condition the person was never seen for in person", codes: ["AUDIT_REFUSED"],
                                           pointer: "/feedetailList/0/medListCodg", rule: "SC-3", detail: "AUD-CONSULT-001") {
                _ = try await suite.hospital.hse(service: "uldFeeInfo", data: .object(upload))
            }
        },
        "PY-TIMEOUT-001": { suite in
            let (order, pay) = try await suite.preSettledDrugs(platformTimeout)
            try await suite.refused("6202 for the platform-timeout test persona", codes: ["PLATFORM_TIMEOUT"]) { _ = try await suite.hospital.hse(service: "pay_order", data: .object(pay)) }
            let query = try await suite.accepted("6301 after the timeout") {
                try await suite.hospital.hse(service: "query_order_info", data: .object(["payOrdId": .string(order[key: "payOrdId"])]))
            }.objectValue ?? [:]
            let retried = try await suite.accepted("the 6202 retried after the timeout") { try await suite.hospital.hse(service: "pay_order", data: .object(pay)) }.objectValue ?? [:]
            guard query[key: "ordStas"] == "6", retried[key: "ordStas"] == "6" else {
                throw CaseFailure("after a timed-out 6202 the order is not shown paid", expected: "6301 and the retried 6202 both ordStas 6",
                                  actual: "6301 ordStas \(query[key: "ordStas"]), retry ordStas \(retried[key: "ordStas"])")
            }
            return "6202 timed out (504 PLATFORM_TIMEOUT) but had paid: 6301 shows ordStas 6 and the retried 6202 returns the payment"
        },
        "PY-9-001": { suite in
            let (order, pay) = try await suite.preSettledDrugs(settlementFailure)
            try await suite.refused("6202 for the settlement-failure test persona", codes: ["SETTLEMENT_FAILED"]) { _ = try await suite.hospital.hse(service: "pay_order", data: .object(pay)) }
            let query = try await suite.accepted("6301 after the failure") {
                try await suite.hospital.hse(service: "query_order_info", data: .object(["payOrdId": .string(order[key: "payOrdId"])]))
            }.objectValue ?? [:]
            guard query[key: "ordStas"] == "15" else {
                throw CaseFailure("a failed real-time settlement is not recorded as such", expected: "ordStas 15 (manual reimbursement follows, PY-9)", actual: "ordStas \(query[key: "ordStas"])")
            }
            suite.failedOrder = order
            return "6202 refused SETTLEMENT_FAILED; 6301 shows ordStas 15, to be reimbursed manually"
        },
        "PY-9-002": { suite in
            let order = try suite.require(suite.failedOrder, "the failed settlement of PY-9-001")
            let body: JSONObject = ["psnNo": .string(settlementFailure.psnNo), "payOrdId": .string(order[key: "payOrdId"])]
            let reimbursed = try await suite.accepted("POST /admin/reimbursements") { try await suite.admin("/admin/reimbursements", body) }.objectValue ?? [:]
            guard reimbursed[key: "reimbursedAmt"] == order[key: "fundPay"] else {
                throw CaseFailure("the manual reimbursement is not the fund share the failed settlement would have paid",
                                  expected: "reimbursedAmt \(order[key: "fundPay"])", actual: "reimbursedAmt \(reimbursed[key: "reimbursedAmt"])")
            }
            try await suite.refused("a second reimbursement of the same order", codes: ["REIMBURSEMENT_DONE"], rule: "PY-9") {
                _ = try await suite.admin("/admin/reimbursements", body)
            }
            return "the agency reimbursed the fund share \(order[key: "fundPay"]) manually, once (PY-9)"
        },
        "XR-2-001": { suite in
            let person = suite.shanghaiPerson()
            _ = try await suite.accepted("POST /admin/persons (a Shanghai-insured person)") {
                try await suite.admin("/admin/persons", [
                    "psnNo": .string(person.psnNo), "certno": .string(person.certno), "name": .string(person.name), "gender": "1", "birthDate": "1982-05-05",
                    "insutype": "310", "insuplcAdmdvs": "310100", "accountBalanceFen": .number("10000"), "voucherActivated": .bool(true),
                ])
            }
            try await suite.offlineVisit(person.psnNo)
            suite.shanghai = person
            let (visit, payAuthNo) = try await suite.visitAndAuthorisation(person)
            let upload = suite.drugUpload(person: person, visit: visit, payAuthNo: payAuthNo)
            return try await suite.refused("6201 in Tianjin for a Shanghai-insured person without a filing", codes: ["CROSS_REGION_NOT_FILED"], rule: "XR-2") {
                _ = try await suite.hospital.hse(service: "uldFeeInfo", data: .object(upload))
            }
        },
        "SC-3-001": { suite in
            // An Internet+ visit is a follow-up: a person never seen in person is not registered online; once the offline visit is on record, they are.
            let serial = suite.runStamp.suffix(12) + suite.random.digits(4)
            let certno = ResidentID.completing("12" + serial.prefix(15)) ?? "12" + serial
            let psnNo = "1201" + serial
            _ = try await suite.accepted("POST /admin/persons (a person never seen in person)") {
                try await suite.admin("/admin/persons", [
                    "psnNo": .string(psnNo), "certno": .string(certno), "name": "Qian Yu", "gender": "1", "birthDate": "1981-04-04",
                    "insutype": "310", "insuplcAdmdvs": "120100", "voucherActivated": .bool(true),
                ])
            }
            func register() async throws -> String {
                try await suite.hospital.register(RegistrationRequest(psnNo: psnNo, insutype: "310", beginTime: suite.clock.now(), medium: .residentID, certNo: certno,
                                                                      iptOtpNo: suite.unique("MZ", 4), doctorCode: drLi.code, doctorName: drLi.name,
                                                                      deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            }
            let refusal = try await suite.refused("2201 of an online visit for a person with no offline visit on record", codes: ["SCOPE_NO_PRIOR_OFFLINE_VISIT"],
                                                  pointer: "/input/data/psn_no", rule: "SC-3") { _ = try await register() }
            try await suite.offlineVisit(psnNo)
            let visit = try await suite.accepted("2201 once the offline visit is on record") { try await register() }
            return refusal + "; after POST /admin/offline-visits, registered \(visit)"
        },
        "SC-5-001": { suite in
            // A Tianjin-insured person who chose H12010100002 as designated institution follows up online only there.
            let serial = suite.runStamp.suffix(12) + suite.random.digits(4)
            let certno = ResidentID.completing("12" + serial.prefix(15)) ?? "12" + serial
            let psnNo = "1200" + serial
            _ = try await suite.accepted("POST /admin/persons (a person with chosen designated institutions)") {
                try await suite.admin("/admin/persons", [
                    "psnNo": .string(psnNo), "certno": .string(certno), "name": "Sun Li", "gender": "2", "birthDate": "1979-03-03",
                    "insutype": "310", "insuplcAdmdvs": "120100", "voucherActivated": .bool(true),
                    "designatedInstitutions": ["H12010100002"], "specialDiseaseInstitutions": ["H12010100002"],
                ])
            }
            return try await suite.refused("2201 of an online follow-up at an institution the person did not choose", codes: ["NOT_OWN_DESIGNATED_INSTITUTION"],
                                           pointer: "/fixmedins_code", rule: "SC-5") {
                _ = try await suite.hospital.register(RegistrationRequest(psnNo: psnNo, insutype: "310", beginTime: suite.clock.now(), medium: .residentID, certNo: certno,
                                                                          iptOtpNo: suite.unique("MZ", 4), doctorCode: drLi.code, doctorName: drLi.name,
                                                                          deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            }
        },
        "XR-2-002": { suite in
            let person = try suite.require(suite.shanghai, "the Shanghai-insured person of XR-2-001")
            let start = Timestamps.day(suite.clock.now())
            let tooLong = Timestamps.day(suite.clock.now().addingTimeInterval(400 * 86_400))
            return try await suite.refused("a temporary filing of 400 days (at most 12 months)", codes: ["FILING_TOO_LONG"], pointer: "/end", rule: "XR-2") {
                _ = try await suite.admin("/admin/filings", ["psnNo": .string(person.psnNo), "kind": "temporary", "filedAdmdvs": "120000",
                                                             "start": .string(start), "end": .string(tooLong)])
            }
        },
        "XR-3-001": { suite in
            // Wang Qiang, insured in Beijing, filed for Tianjin (the fixture's long-term filing, naming no institution for
            // chronic diseases), treated in Tianjin for a chronic disease (med_type 14): a filing settles a chronic disease
            // directly only at the institutions it names.
            let visit = try await suite.accepted("2201 registration (a Beijing-insured person in Tianjin)") {
                try await suite.hospital.register(RegistrationRequest(psnNo: wangQiang.psnNo, insutype: "390", beginTime: suite.clock.now(), medium: .residentID,
                                                                      certNo: wangQiang.certno, iptOtpNo: suite.unique("MZ", 4), doctorCode: drLi.code,
                                                                      doctorName: drLi.name, deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
            }
            let batch = suite.unique("B", 4)
            _ = try await suite.accepted("2204 fee details") {
                try await suite.hospital.call(infno: "2204", input: ["feedetail": .array([.object([
                    "feedetl_sn": "1", "mdtrt_id": .string(visit), "psn_no": .string(wangQiang.psnNo), "chrg_bchno": .string(batch),
                    "med_list_codg": "DELIVERY0001", "pric": "10.00", "cnt": "1", "det_item_fee_sumamt": "10.00", "rx_circ_flag": "0"])])])
            }
            let input: JSONObject = ["data": .object(["psn_no": .string(wangQiang.psnNo), "mdtrt_cert_type": "02", "mdtrt_cert_no": .string(wangQiang.certno),
                                                      "med_type": "14", "medfee_sumamt": "10.00", "psn_setlway": "01", "mdtrt_id": .string(visit),
                                                      "chrg_bchno": .string(batch), "acct_used_flag": "0", "insutype": "390"])]
            let refused = try await suite.refused("2206 of a chronic disease at an institution his filing does not name", codes: ["CROSS_REGION_INSTITUTION_NOT_FILED"],
                                                  pointer: "/input/data/psn_no", rule: "XR-3") { _ = try await suite.hospital.call(infno: "2206", input: input) }
            let filing = try await suite.accepted("a long-term filing naming H12010100001 for chronic diseases") {
                try await suite.admin("/admin/filings", ["psnNo": .string(wangQiang.psnNo), "kind": "longTerm", "filedAdmdvs": "120000",
                                                         "extraInstitutions": .array([.string(hospitalCode)])])
            }
            let filingId = filing.objectValue?["filingId"]?.stringValue ?? ""
            // Leave the person as found, whatever happens: the other cases (and the next run on the same data) expect the fixture's filing only.
            do {
                _ = try await suite.accepted("2206 of the chronic disease at the institution the filing names") { try await suite.hospital.call(infno: "2206", input: input) }
            } catch {
                _ = try? await suite.admin("/admin/filings/\(filingId)/cancel", [:])
                throw error
            }
            _ = try await suite.accepted("cancelling the filing") { try await suite.admin("/admin/filings/\(filingId)/cancel", [:]) }
            return refused + "; pre-settled once a filing names this institution"
        },
        "XR-2-003": { suite in
            let person = try suite.require(suite.shanghai, "the Shanghai-insured person of XR-2-001")
            _ = try await suite.accepted("a temporary filing of 180 days") {
                try await suite.admin("/admin/filings", ["psnNo": .string(person.psnNo), "kind": "temporary", "filedAdmdvs": "120000",
                                                         "start": .string(Timestamps.day(suite.clock.now())),
                                                         "end": .string(Timestamps.day(suite.clock.now().addingTimeInterval(180 * 86_400)))])
            }
            let (visit, payAuthNo) = try await suite.visitAndAuthorisation(person)
            let upload = suite.drugUpload(person: person, visit: visit, payAuthNo: payAuthNo)
            let order = try await suite.accepted("6201 after the filing") { try await suite.hospital.hse(service: "uldFeeInfo", data: .object(upload)) }.objectValue ?? [:]
            let settlement = order["extData"]?.objectValue?["preSetl"]?.objectValue ?? [:]
            guard settlement["crossRegion"] == .bool(true), settlement[key: "insuplc_admdvs"].hasPrefix("31") else {
                throw CaseFailure("the filed visit is not settled with the place of insurance's parameters", expected: "crossRegion true, insuplc_admdvs 31xxxx (XR-1)",
                                  actual: "crossRegion \(settlement["crossRegion"]?.serialized() ?? "missing"), insuplc_admdvs \(settlement[key: "insuplc_admdvs"])")
            }
            try GatewaySuite.requireSplitAddsUp(order, what: "6201")
            return "filed for 180 days, the Shanghai-insured person pre-settles in Tianjin with Shanghai's parameters: fund \(order[key: "fundPay"]) of \(order[key: "feeSumamt"])"
        },
        "XR-5-001": { suite in
            // The Tianjin plan's filing-free pilot: Tianjin's insured persons treated in Beijing (and Hebei) for general outpatient
            // settle directly without a filing; it runs one way, so a Beijing-insured person treated in Tianjin still files.
            let (beijing, visit, batch) = try await suite.zhangSanInBeijing("Conformance Pilot Hospital")
            let setlinfo = try await suite.accepted("2206 general outpatient in Beijing, no filing") {
                try await beijing.call(infno: "2206", input: ["data": .object([
                    "psn_no": .string(zhangSan.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": .string(batch), "insutype": "310",
                    "acct_used_flag": "0", "medfee_sumamt": "12.50", "med_type": "11"])])
            }.objectValue?["setlinfo"]?.objectValue ?? [:]
            guard setlinfo[key: "insuplc_admdvs"].hasPrefix("12") else {
                throw CaseFailure("the pre-settlement is not computed with the place of insurance's parameters (XR-1)", expected: "insuplc_admdvs 12xxxx",
                                  actual: "insuplc_admdvs \(setlinfo[key: "insuplc_admdvs"])")
            }
            // The other way: a person insured in Beijing, without a filing, treated in Tianjin.
            let serial = suite.runStamp.suffix(12) + suite.random.digits(4)
            let certno = ResidentID.completing("11" + serial.prefix(15)) ?? "11" + serial
            let psnNo = "1101" + serial
            _ = try await suite.accepted("POST /admin/persons (a Beijing-insured person, no filing)") {
                try await suite.admin("/admin/persons", [
                    "psnNo": .string(psnNo), "certno": .string(certno), "name": "Zheng Hao", "gender": "1", "birthDate": "1978-02-02",
                    "insutype": "310", "insuplcAdmdvs": "110100", "voucherActivated": .bool(true),
                ])
            }
            try await suite.offlineVisit(psnNo)
            let person = (certno: certno, psnNo: psnNo, name: "Zheng Hao")
            let (away, payAuthNo) = try await suite.visitAndAuthorisation(person)
            let upload = suite.drugUpload(person: person, visit: away, payAuthNo: payAuthNo)
            let refusal = try await suite.refused("6201 in Tianjin for a Beijing-insured person without a filing", codes: ["CROSS_REGION_NOT_FILED"], rule: "XR-2") {
                _ = try await suite.hospital.hse(service: "uldFeeInfo", data: .object(upload))
            }
            return "Zhang San pre-settled in Beijing without a filing (fund \(setlinfo[key: "fund_pay_sumamt"]) of \(setlinfo[key: "medfee_sumamt"])); the other way: \(refusal)"
        },
        "PY-REFUND-001": { suite in
            let paid = try suite.require(suite.paid, "a paid order (PY-PAY-001)")
            let total = Money.fen(paid[key: "feeSumamt"]) ?? 0
            let refund: JSONObject = ["payOrdId": .string(paid[key: "payOrdId"]), "appRefdSn": .string(suite.unique("RF", 6)),
                                      "appRefdTime": .string(Timestamps.fsi(suite.clock.now())), "totlRefdAmt": .string(Money.yuan(total + 100)),
                                      "psnAcctRefdAmt": .string(Money.yuan((Money.fen(paid[key: "psnAcctPay"]) ?? 0) + 100)), "fundRefdAmt": .string(paid[key: "fundPay"]),
                                      "cashRefdAmt": .string(paid[key: "ownPayAmt"]), "refdType": "ALL"]
            return try await suite.refused("a refund 1.00 larger than the payment", codes: ["REFUND_EXCEEDS_PAID"]) {
                _ = try await suite.hospital.hse(service: "refund_Order", data: .object(refund))
            }
        },
        "PY-REFUND-002": { suite in
            let paid = try suite.require(suite.paid, "a paid order (PY-PAY-001)")
            let refund: JSONObject = ["payOrdId": .string(paid[key: "payOrdId"]), "appRefdSn": .string(suite.unique("RF", 6)),
                                      "appRefdTime": .string(Timestamps.fsi(suite.clock.now())), "totlRefdAmt": .string(paid[key: "feeSumamt"]),
                                      "psnAcctRefdAmt": .string(paid[key: "psnAcctPay"]), "fundRefdAmt": .string(paid[key: "fundPay"]),
                                      "cashRefdAmt": .string(paid[key: "ownPayAmt"]), "refdType": "ALL"]
            let answer = try await suite.accepted("6203 full refund") { try await suite.hospital.hse(service: "refund_Order", data: .object(refund)) }.objectValue ?? [:]
            guard answer[key: "ordStas"] == "7" else {
                throw CaseFailure("a full refund did not leave the order refunded", expected: "ordStas 7", actual: "ordStas \(answer[key: "ordStas"])")
            }
            let again = try await suite.accepted("the same 6203 sent again") { try await suite.hospital.hse(service: "refund_Order", data: .object(refund)) }.objectValue ?? [:]
            guard again == answer else { throw CaseFailure("a retried 6203 answered differently from the first", expected: answer.serializedText, actual: again.serializedText) }
            return "6203 refunded \(paid[key: "feeSumamt"]) in full (ordStas 7); the retry answered the same refund"
        },
    ]

    /// 6201 for the consultation (AADG0000), the circulated prescription's drugs and a delivery fee.
    /// 6201 of the consultation, the prescription's drugs (`drugs`) and a delivery fee.
    func feeUpload(document: SignedPrescription, hiRxno: String, visit: String, payAuthNo: String, drugs: Bool = true) -> JSONObject {
        var lines: [JSONValue] = [.object(["feedetlSn": "1", "medListCodg": "AADG0000", "pric": "20.00", "cnt": "1", "detItemFeeSumamt": "20.00", "rxCircFlag": "0"])]
        var total: Int64 = 2000
        for (index, line) in (drugs ? document.prescription.json["rxdrugdetail"]?.arrayValue ?? [] : []).enumerated() {
            guard case .object(let drug) = line else { continue }
            lines.append(.object(["feedetlSn": .string(String(index + 2)), "medListCodg": .string(drug[key: "medListCodg"]), "pric": .string(drug[key: "drugPric"]),
                                  "cnt": .string(drug[key: "drugCnt"]), "detItemFeeSumamt": .string(drug[key: "drugSumamt"]), "rxCircFlag": "1", "hiRxno": .string(hiRxno)]))
            total += Money.fen(drug[key: "drugSumamt"]) ?? 0
        }
        lines.append(.object(["feedetlSn": .string(String(lines.count + 1)), "medListCodg": "DELIVERY0001", "pric": "8.00", "cnt": "1", "detItemFeeSumamt": "8.00", "rxCircFlag": "0"]))
        total += 800
        let medOrgOrd = unique("MO", 6)
        return [
            "orgCodg": .string(Self.hospitalCode), "medOrgOrd": .string(medOrgOrd), "chrgBchno": .string("CB" + medOrgOrd), "psnNo": .string(Self.zhangSan.psnNo),
            "insutype": "310", "mdtrtId": .string(visit), "medType": "11", "medfeeSumamt": .string(Money.yuan(total)), "acctUsedFlag": "1",
            "payAuthNo": .string(payAuthNo), "rxCircFlag": "1", "feedetailList": .array(lines),
        ]
    }

    /// Zhang San (insured in Tianjin) at a new Beijing hospital (``beijingHospital(_:)``), no filing: registered with the
    /// e-voucher, one box of metformin uploaded in a batch of its own. The hospital's client, the visit and the batch.
    func zhangSanInBeijing(_ name: String) async throws -> (client: YibaoClient, visit: String, batch: String) {
        let (beijing, doctor) = try await beijingHospital(name)
        let token = try await scan(Self.zhangSan.certno, for: .registration, by: beijing)
        let visit = try await accepted("2201 in Beijing for Zhang San (insured in Tianjin), with the e-voucher, no filing") {
            try await beijing.register(RegistrationRequest(psnNo: Self.zhangSan.psnNo, insutype: "310", beginTime: clock.now(), medium: .eVoucher,
                                                           certNo: token.ecToken, iptOtpNo: unique("MZ", 4), doctorCode: doctor.code,
                                                           doctorName: doctor.name, deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
        }
        let batch = unique("B", 4)
        _ = try await accepted("2204 in Beijing: one box of metformin") {
            try await beijing.call(infno: "2204", input: ["feedetail": .array([.object([
                "feedetl_sn": .string(batch), "mdtrt_id": .string(visit), "psn_no": .string(Self.zhangSan.psnNo), "chrg_bchno": .string(batch),
                "med_list_codg": .string(Self.metformin), "pric": "12.50", "cnt": "1", "det_item_fee_sumamt": "12.50", "rx_circ_flag": "0"])])])
        }
        return (beijing, visit, batch)
    }

    /// PY-10: the flag `finding` of settlement `setlId` as `GET /admin/audit-flags?status=all` of `institution` lists it;
    /// a `CaseFailure` saying `missing` when it is not there.
    func flag(_ finding: String, of setlId: String, institution: String, missing: String) async throws -> JSONObject {
        let listed = try await accepted("GET /admin/audit-flags of \(institution) (all)") {
            try await HTTP.get(http, url: target + "/admin/audit-flags?institution=\(institution)&status=all", bearer: credentials.adminToken, observer: recorder)
        }.objectValue ?? [:]
        let settled = listed["settlements"]?.arrayValue?.compactMap(\.objectValue).first { $0[key: "id"] == setlId }
        guard let flag = settled?["flags"]?.arrayValue?.compactMap(\.objectValue).first(where: { $0[key: "finding"] == finding }) else {
            throw CaseFailure(missing, expected: "settlement \(setlId) with a \(finding) flag", actual: settled.map { JSONValue.object($0).serialized() } ?? "not listed")
        }
        return flag
    }

    /// SC-3: records an offline visit of `psnNo` for type 2 diabetes at the demo hospital a month ago, so an online follow-up may be registered.
    func offlineVisit(_ psnNo: String) async throws {
        _ = try await accepted("POST /admin/offline-visits (type 2 diabetes, a month ago)") {
            try await admin("/admin/offline-visits", ["psnNo": .string(psnNo), "diseaseCode": "E11.900", "diseaseName": "Type 2 diabetes mellitus",
                                                      "institutionCode": .string(Self.hospitalCode), "visitDate": .string(Timestamps.day(clock.now().addingTimeInterval(-30 * 86_400)))])
        }
    }

    /// A 2201 by resident ID number (medium 02) and a fresh payAuthNo for `person`.
    func visitAndAuthorisation(_ person: (certno: String, psnNo: String, name: String), insutype: String = "310") async throws -> (String, String) {
        let visit = try await accepted("2201 registration") {
            try await hospital.register(RegistrationRequest(psnNo: person.psnNo, insutype: insutype, beginTime: clock.now(), medium: .residentID, certNo: person.certno,
                                                            iptOtpNo: unique("MZ", 4), doctorCode: Self.drLi.code, doctorName: Self.drLi.name,
                                                            deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
        }
        let authCode = try await accepted("the wallet authorisation") { try await channel.authorise(certno: person.certno, orgCodg: Self.hospitalCode) }
        return (visit, try await accepted("ec.payAuth") { try await hospital.payAuthorisation(authCode: authCode) }.payAuthNo)
    }

    /// 6201 for metformin 2 × 12.50 and gliclazide 1 × 28.60 (53.60), plus the AADG0000 consultation (20.00) when asked.
    func drugUpload(person: (certno: String, psnNo: String, name: String), visit: String, payAuthNo: String, consultation: Bool = false,
                    insutype: String = "310") -> JSONObject {
        var lines: [JSONValue] = []
        if consultation { lines.append(.object(["feedetlSn": "1", "medListCodg": "AADG0000", "pric": "20.00", "cnt": "1", "detItemFeeSumamt": "20.00"])) }
        lines.append(.object(["feedetlSn": .string(String(lines.count + 1)), "medListCodg": "XA10BAE054A001010100483", "pric": "12.50", "cnt": "2", "detItemFeeSumamt": "25.00"]))
        lines.append(.object(["feedetlSn": .string(String(lines.count + 1)), "medListCodg": "XA10BBG001A001010103929", "pric": "28.60", "cnt": "1", "detItemFeeSumamt": "28.60"]))
        let medOrgOrd = unique("MO", 6)
        return [
            "orgCodg": .string(Self.hospitalCode), "medOrgOrd": .string(medOrgOrd), "chrgBchno": .string("CB" + medOrgOrd), "psnNo": .string(person.psnNo),
            "insutype": .string(insutype), "mdtrtId": .string(visit), "medType": "11", "medfeeSumamt": .string(consultation ? "73.60" : "53.60"), "acctUsedFlag": "1",
            "payAuthNo": .string(payAuthNo), "rxCircFlag": "0", "feedetailList": .array(lines),
        ]
    }

    /// A visit, a payAuthNo and a 6201 of drugs for `person`; returns 6201's answer and the 6202 to send.
    func preSettledDrugs(_ person: (certno: String, psnNo: String, name: String)) async throws -> (order: JSONObject, pay: JSONObject) {
        let (visit, payAuthNo) = try await visitAndAuthorisation(person)
        let upload = drugUpload(person: person, visit: visit, payAuthNo: payAuthNo)
        let order = try await accepted("6201") { try await hospital.hse(service: "uldFeeInfo", data: .object(upload)) }.objectValue ?? [:]
        return (order, payData(order, upload: upload, payAuthNo: payAuthNo, visit: visit))
    }

    /// A Shanghai-insured person new to the target, numbered from the run's stamp (persons are never deleted).
    func shanghaiPerson() -> (certno: String, psnNo: String, name: String) {
        let serial = runStamp.suffix(12) + random.digits(4)
        // A valid resident ID number (GB 11643 check character): the gateway refuses any other.
        return (certno: ResidentID.completing("31" + serial.prefix(15)) ?? "31" + serial, psnNo: "3100" + serial, name: "Zhou Min")
    }

    /// POSTs to the agency API with the admin token (redacted in the reports).
    func admin(_ path: String, _ body: JSONObject) async throws -> JSONValue {
        try await HTTP.post(http, url: target + path, body: Array(JSONValue.object(body).serialized().utf8), bearer: credentials.adminToken, observer: recorder)
    }

    /// 6202 for an order 6201 answered.
    func payData(_ order: JSONObject, upload: JSONObject, payAuthNo: String, visit: String) -> JSONObject {
        ["payAuthNo": .string(payAuthNo), "payOrdId": .string(order[key: "payOrdId"]), "payToken": .string(order[key: "payToken"]),
         "orgCodg": .string(Self.hospitalCode), "orgBizSer": .string("BIZ" + upload[key: "medOrgOrd"]), "chrgBchno": .string(upload[key: "chrgBchno"]),
         "mdtrtId": .string(visit), "acctUsedFlag": "1"]
    }

    /// fund + personal account + cash = total, to the fen.
    static func requireSplitAddsUp(_ answer: JSONObject, what: String) throws {
        let parts = [answer[key: "fundPay"], answer[key: "psnAcctPay"], answer[key: "ownPayAmt"]].map { Money.fen($0) }
        guard parts.allSatisfy({ $0 != nil }), let total = Money.fen(answer[key: "feeSumamt"]), parts.compactMap({ $0 }).reduce(0, +) == total else {
            throw CaseFailure("\(what)'s split does not add up", expected: "fundPay + psnAcctPay + ownPayAmt = feeSumamt",
                              actual: "\(answer[key: "fundPay"]) + \(answer[key: "psnAcctPay"]) + \(answer[key: "ownPayAmt"]) vs \(answer[key: "feeSumamt"])")
        }
    }
}

extension JSONObject {
    var serializedText: String { JSONValue.object(self).serialized() }
}
