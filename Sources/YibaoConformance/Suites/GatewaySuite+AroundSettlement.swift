import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto

/// Cases of the transactions real HIS code calls around a settlement (docs/SETTLEMENT.md §10):
/// 2601 reversal after a lost 2207 answer, the 52xx queries, 2001, 2503/2504/5301, 3101/3102, 9002.
extension GatewaySuite {
    /// The fixture's lost-answer test person: the first 2207 of each charge batch commits and is not answered.
    static let lostAnswer = (certno: "120101197001010077", psnNo: "12000000000000000016", name: "Test Lost Answer")
    static let metformin = "XA10BAE054A001010100483"

    static let aroundSettlementCases: [String: Case] = [
        "FSI-RVS-001": { suite in
            let person = lostAnswer
            let before = try await suite.counters(person.psnNo)
            let visit = try await suite.registeredVisit(person)
            let batch = suite.unique("RB", 4)
            _ = try await suite.accepted("2204 fee details") {
                try await suite.hospital.call(infno: "2204", input: ["feedetail": .array([.object([
                    "feedetl_sn": "1", "mdtrt_id": .string(visit), "psn_no": .string(person.psnNo), "chrg_bchno": .string(batch),
                    "med_list_codg": .string(metformin), "pric": "30.00", "cnt": "2", "det_item_fee_sumamt": "60.00", "rx_circ_flag": "0"])])])
            }
            let input: JSONObject = ["data": .object(["psn_no": .string(person.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": .string(batch),
                                                      "insutype": "310", "acct_used_flag": "0", "medfee_sumamt": "60.00", "med_type": "11"])]
            // The 2207 whose answer is lost: sent by hand to know its msgid, as the HIS logs it.
            let signNo = try await suite.accepted("9001 sign-in") { try await suite.hospital.signIn() }
            let msgid = suite.msgid(hospitalCode)
            let envelope = try suite.fsiSigner(hospitalCode).envelope(infno: "2207", input: input, signNo: signNo, at: suite.clock.now(), msgid: msgid)
            do {
                _ = try await suite.send(fsiPath, envelope)
                throw CaseFailure("the lost-answer person's first 2207 of a batch was answered", expected: "the connection closed without an answer", actual: "an answer")
            } catch let error as YibaoClientError where error.status == 0 || ["HTTP_502", "HTTP_504"].contains(error.code) {
                // Lost, as intended (closed connection; a proxy in front answers 502 for it): the HIS cannot know whether it settled.
            }
            let committed = try await suite.accepted("5203 by visit (setl_id unknown)") {
                try await suite.hospital.call(infno: "5203", input: ["data": .object(["psn_no": .string(person.psnNo), "mdtrt_id": .string(visit)])])
            }.objectValue?["setlinfo"]?.objectValue ?? [:]
            guard committed[key: "setl_stas"] == "settled", !committed[key: "setl_id"].isEmpty else {
                throw CaseFailure("5203 does not show the lost 2207 as committed", expected: "setl_stas settled with a setl_id", actual: "setl_stas \(committed[key: "setl_stas"])")
            }
            let reversal: JSONObject = ["data": .object(["psn_no": .string(person.psnNo), "omsgid": .string(msgid), "oinfno": "2207"])]
            let first = try await suite.accepted("2601 reversal") { try await suite.hospital.call(infno: "2601", input: reversal) }
            let again = try await suite.accepted("the same 2601 again") { try await suite.hospital.call(infno: "2601", input: reversal) }
            guard first == again else { throw CaseFailure("a second 2601 of the same omsgid answered differently", expected: first.serialized(), actual: again.serialized()) }
            let setlId = committed[key: "setl_id"]
            let query: JSONObject = ["data": .object(["setl_id": .string(setlId), "psn_no": .string(person.psnNo), "mdtrt_id": .string(visit)])]
            let reversed = try await suite.accepted("5203 after 2601") { try await suite.hospital.call(infno: "5203", input: query) }.objectValue?["setlinfo"]?.objectValue ?? [:]
            let lines = try await suite.accepted("5204 after 2601") { try await suite.hospital.call(infno: "5204", input: query) }.arrayValue ?? []
            guard reversed[key: "setl_stas"] == "reversed", reversed[key: "vali_flag"] == "0", !lines.isEmpty,
                  lines.allSatisfy({ $0.objectValue?[key: "setl_stas"] == "reversed" }) else {
                throw CaseFailure("5203/5204 do not show the settlement reversed", expected: "setl_stas reversed, vali_flag 0, every 5204 line reversed",
                                  actual: "5203 setl_stas \(reversed[key: "setl_stas"]), vali_flag \(reversed[key: "vali_flag"]); \(lines.count) lines")
            }
            guard try await suite.counters(person.psnNo) == before else {
                throw CaseFailure("after 2601 the person's year counters are not as before the lost settlement", expected: "\(before)", actual: "\(try await suite.counters(person.psnNo))")
            }
            let second = try await suite.accepted("2207 again, new msgid") { try await suite.hospital.call(infno: "2207", input: input) }.objectValue?["setlinfo"]?.objectValue ?? [:]
            let after = try await suite.counters(person.psnNo)
            let expected = ["Q0000": (before["Q0000"] ?? 0) + (Money.fen(second[key: "act_pay_dedc"]) ?? 0),
                            "F0000": (before["F0000"] ?? 0) + (Money.fen(second[key: "fund_pay_sumamt"]) ?? 0)]
            guard second[key: "setl_id"] != setlId, after == expected else {
                throw CaseFailure("the second settlement does not stand alone", expected: "a new setl_id; 5206 counters \(expected)",
                                  actual: "setl_id \(second[key: "setl_id"]); counters \(after)")
            }
            return "2207 (msgid \(msgid)) lost; 5203 by visit showed it committed; 2601 reversed it (repeated: same answer); 5203/5204 show it reversed; 5206 back to \(before); 2207 again settled \(second[key: "setl_id"])"
        },
        "FSI-RVS-002": { suite in
            let unknown = try await suite.refused("2601 of a msgid that never committed", codes: ["REVERSAL_ORIGINAL_UNKNOWN"], pointer: "/input/data/omsgid", rule: "PY-6") {
                _ = try await suite.hospital.call(infno: "2601", input: ["data": .object(["psn_no": .string(zhangSan.psnNo), "omsgid": .string(suite.msgid(hospitalCode)),
                                                                                         "oinfno": "2207"])])
            }
            let query = try await suite.refused("2601 of a 1101", codes: ["REVERSAL_NOT_REVERSIBLE"], pointer: "/input/data/oinfno") {
                _ = try await suite.hospital.call(infno: "2601", input: ["data": .object(["psn_no": .string(zhangSan.psnNo), "omsgid": .string(suite.msgid(hospitalCode)),
                                                                                         "oinfno": "1101"])])
            }
            return "\(unknown); \(query)"
        },
        "FSI-QRY-001": { suite in
            let visit = try await suite.registeredVisit(zhangSan)
            _ = try await suite.accepted("2203 with diseinfo") {
                try await suite.hospital.call(infno: "2203", input: [
                    "mdtrtinfo": .object(["mdtrt_id": .string(visit), "psn_no": .string(zhangSan.psnNo), "med_type": "11", "dise_codg": "E11.900"]),
                    "diseinfo": .array([.object(["diag_type": "1", "diag_srt_no": "1", "diag_code": "E11.900", "diag_name": "Type 2 diabetes"])])])
            }
            let visits = try await suite.accepted("5201 visits") {
                try await suite.hospital.call(infno: "5201", input: ["data": .object(["psn_no": .string(zhangSan.psnNo), "mdtrt_id": .string(visit)])])
            }.objectValue?["mdtrtinfo"]?.arrayValue?.compactMap(\.objectValue) ?? []
            let diagnoses = try await suite.accepted("5202 diagnoses") {
                try await suite.hospital.call(infno: "5202", input: ["data": .object(["psn_no": .string(zhangSan.psnNo), "mdtrt_id": .string(visit)])])
            }.objectValue?["diseinfo"]?.arrayValue?.compactMap(\.objectValue) ?? []
            guard visits.count == 1, visits[0][key: "mdtrt_id"] == visit, diagnoses.first?[key: "diag_code"] == "E11.900" else {
                throw CaseFailure("5201/5202 do not answer the visit and its 2203 diagnosis", expected: "1 visit \(visit); diag_code E11.900",
                                  actual: "\(visits.count) visits; diag_code \(diagnoses.first?[key: "diag_code"] ?? "none")")
            }
            let counters = try await suite.counters(zhangSan.psnNo)
            guard counters["Q0000"] != nil, counters["F0000"] != nil else {
                throw CaseFailure("5206 does not answer the year counters", expected: "cum_type_code Q0000 and F0000", actual: "\(counters.keys.sorted())")
            }
            let foreign = try await suite.refused("5204 of another institution's visit", codes: ["VISIT_UNKNOWN"], pointer: "/input/data/mdtrt_id") {
                _ = try await suite.pharmacy.call(infno: "5204", input: ["data": .object(["psn_no": .string(zhangSan.psnNo), "mdtrt_id": .string(visit)])])
            }
            return "5201 answered the visit, 5202 its diagnosis E11.900, 5206 Q0000 \(Money.yuan(counters["Q0000"] ?? 0)) / F0000 \(Money.yuan(counters["F0000"] ?? 0)); \(foreign)"
        },
        "FSI-TRT-001": { suite in
            func check(_ psnNo: String) async throws -> [JSONObject] {
                try await suite.accepted("2001 for \(psnNo)") {
                    try await suite.hospital.call(infno: "2001", input: ["data": .object(["psn_no": .string(psnNo), "insutype": "310", "fixmedins_code": .string(hospitalCode),
                                                                                         "med_type": "11", "begntime": .string(Timestamps.fsi(suite.clock.now()))])])
                }.objectValue?["trtinfo"]?.arrayValue?.compactMap(\.objectValue) ?? []
            }
            let clean = try await check(zhangSan.psnNo)
            guard !clean.isEmpty, clean.allSatisfy({ $0[key: "trt_enjymnt_flag"] == "1" }) else {
                throw CaseFailure("2001 of an insured, unsuspended person does not pass", expected: "every trtinfo row trt_enjymnt_flag 1",
                                  actual: clean.map { "\($0[key: "trt_chk_type"])=\($0[key: "trt_enjymnt_flag"])" }.joined(separator: ", "))
            }
            let suspended = try await check(fraudSuspended.psnNo)
            guard suspended.contains(where: { $0[key: "trt_enjymnt_flag"] == "0" && $0[key: "trt_chk_rslt"].contains("ID-5") }) else {
                throw CaseFailure("2001 of a person whose Internet+ payment is suspended (ID-5) does not say so", expected: "a row with trt_enjymnt_flag 0 citing ID-5",
                                  actual: suspended.map { "\($0[key: "trt_chk_type"])=\($0[key: "trt_enjymnt_flag"])" }.joined(separator: ", "))
            }
            return "2001: \(clean.count) checks passed for an insured person; the suspended person's ID-5 row trt_enjymnt_flag 0"
        },
        "FSI-OPSP-001": { suite in
            let person = zhangSan.psnNo
            func filings() async throws -> [JSONObject] {
                try await suite.accepted("5301") { try await suite.hospital.call(infno: "5301", input: ["psn_no": .string(person)]) }
                    .objectValue?["feedetail"]?.arrayValue?.compactMap(\.objectValue) ?? []
            }
            for row in try await filings() where !row[key: "trt_dcla_detl_sn"].isEmpty {  // a rerun starts unfiled
                _ = try await suite.accepted("2504 of an earlier run's filing") {
                    try await suite.hospital.call(infno: "2504", input: ["data": .object(["psn_no": .string(person), "trt_dcla_detl_sn": .string(row[key: "trt_dcla_detl_sn"]), "memo": "rerun"])])
                }
            }
            let today = Timestamps.day(suite.clock.now())
            let outside = try await suite.refused("2503 of a disease outside the catalogue", codes: ["CHRONIC_DISEASE_NOT_FILEABLE"], pointer: "/input/data/opsp_dise_code", rule: "SC-1") {
                _ = try await suite.hospital.call(infno: "2503", input: ["data": .object(["psn_no": .string(person), "insutype": "310", "opsp_dise_code": "S72.000",
                                                                                         "opsp_dise_name": "Femoral neck fracture", "begndate": .string(today), "enddate": "2099-12-31"])])
            }
            let sn = try await suite.accepted("2503 filing of E11") {
                try await suite.hospital.call(infno: "2503", input: ["data": .object(["psn_no": .string(person), "insutype": "310", "opsp_dise_code": "E11.900",
                                                                                     "opsp_dise_name": "Type 2 diabetes", "begndate": .string(today + " 00:00:00"),
                                                                                     "enddate": "2099-12-31 00:00:00", "diag_dr_codg": .string(drLi.code)])])
            }.objectValue?["result"]?.objectValue?[key: "trt_dcla_detl_sn"] ?? ""
            guard try await filings().contains(where: { $0[key: "trt_dcla_detl_sn"] == sn && $0[key: "opsp_dise_code"] == "E11.900" }) else {
                throw CaseFailure("5301 does not list the new filing", expected: "trt_dcla_detl_sn \(sn)", actual: "absent")
            }
            _ = try await suite.accepted("2504 cancelling it") {
                try await suite.hospital.call(infno: "2504", input: ["data": .object(["psn_no": .string(person), "trt_dcla_detl_sn": .string(sn), "memo": "test"])])
            }
            guard !(try await filings().contains { $0[key: "trt_dcla_detl_sn"] == sn }) else {
                throw CaseFailure("5301 still lists the filing after 2504", expected: "gone", actual: "listed")
            }
            return "\(outside); 2503 filed E11 as \(sn), 5301 listed it, 2504 cancelled it"
        },
        "FSI-AUD-001": { suite in
            let visit = try await suite.registeredVisit(zhangSan)
            func audit(_ infno: String, scenario: String, boxes: String) async throws -> [JSONObject] {
                try await suite.accepted("\(infno) (trig_scen \(scenario))") {
                    try await suite.hospital.call(infno: infno, input: ["data": .object([
                        "syscode": "YYDS", "task_id": "", "trig_scen": .string(scenario), "rule_ids": "",
                        "patient_dtos": .array([.object(["patn_id": .string(zhangSan.psnNo), "fsi_encounter_dtos": .array([.object([
                            "mdtrt_id": .string(visit), "med_type": "11",
                            "fsi_order_dtos": .array([.object(["rx_id": "RX1", "hilist_code": .string(metformin), "cnt": .string(boxes),
                                                               "pric": "30.00", "sumamt": .string(Money.yuan((Int64(boxes) ?? 0) * 3000))])])])])])])])])
                }.objectValue?["result"]?.arrayValue?.compactMap(\.objectValue) ?? []
            }
            let findings = try await audit("3101", scenario: "1", boxes: "20")
            guard let finding = findings.first(where: { $0[key: "rule_id"] == "AUD-QTY-001" }),
                  finding["judge_result_detail_dtos"]?.arrayValue?.first?.objectValue?[key: "rx_id"] == "RX1" else {
                throw CaseFailure("3101 does not find the 20-box order above the maximum supply (SV-3)", expected: "AUD-QTY-001 naming rx_id RX1",
                                  actual: findings.map { $0[key: "rule_id"] }.joined(separator: ", "))
            }
            // SV-1: before the visit's record is uploaded, the settlement-time audit flags it (and only that).
            let unrecorded = try await audit("3102", scenario: "6", boxes: "2").map { $0[key: "rule_id"] }
            guard unrecorded == ["AUD-REC-001"] else {
                throw CaseFailure("3102 of a 2-box order of a visit without its medical record", expected: "AUD-REC-001 only (SV-1)", actual: unrecorded.joined(separator: ", "))
            }
            try await suite.uploadOutpatientRecord(visit: visit, person: zhangSan)
            let clean = try await audit("3102", scenario: "6", boxes: "2")
            guard clean.isEmpty else {
                throw CaseFailure("3102 finds something in a 2-box order of a recorded visit", expected: "no finding", actual: clean.map { $0[key: "rule_id"] }.joined(separator: ", "))
            }
            return "3101 (registration) found AUD-QTY-001 on RX1 (vola_amt \(finding[key: "vola_amt"])); 3102 (settlement) of a 2-box order flagged AUD-REC-001 until the 4301 record was uploaded, then found nothing"
        },
        "SV-1-001": { suite in
            let visit = try await suite.registeredVisit(liNa)
            // 4301 with its nodes as lists (as hsa-his sends them), then 4701 with single objects and Guangdong's "null" for an empty node.
            try await suite.uploadOutpatientRecord(visit: visit, person: liNa)
            _ = try await suite.accepted("4701 electronic medical record") {
                try await suite.hospital.call(infno: "4701", input: [
                    "adminfo": .object(["mdtrt_sn": .string(suite.unique("MZ", 4)), "mdtrt_id": .string(visit), "psn_no": .string(liNa.psnNo), "name": .string(liNa.name),
                                        "gend": "2", "age": "41", "vali_flag": "1"]),
                    "diseinfo": .object(["inout_diag_type": "1", "maindiag_flag": "1", "diag_seq": "1", "diag_time": .string(Timestamps.fsi(suite.clock.now())),
                                         "wm_diag_code": "I10.x00", "wm_diag_name": "Essential hypertension", "vali_flag": "1"]),
                    "coursrinfo": .object(["dept_code": "A03", "dept_name": "Internal medicine", "rcd_time": .string(Timestamps.fsi(suite.clock.now())),
                                           "chfcomp": "follow-up of hypertension", "vali_flag": "1"]),
                    "oprninfo": "null", "rescinfo": "null", "dieinfo": "null", "dscginfo": "null",
                ])
            }
            return try await suite.refused("a 4301 whose diagnosis has no code", codes: ["FIELD_MISSING"], pointer: "/input/diseinfo/0/diag_code") {
                _ = try await suite.hospital.call(infno: "4301", input: [
                    "rgstinfo": .object(["mdtrt_sn": "MZ1", "mdtrt_id": .string(visit), "psn_no": .string(liNa.psnNo)]),
                    "diseinfo": .array([.object(["diag_name": "Essential hypertension"])]),
                ])
            }
        },
        "FSI-SIGNOUT-001": { suite in
            let client = try suite.client(hospitalCode)
            let signNo = try await suite.accepted("9001 sign-in") { try await client.signIn() }
            let out = try await suite.accepted("9002 sign-out") {
                try await client.call(infno: "9002", input: ["signOut": .object(["sign_no": .string(signNo), "opter_no": "OP0001"])])
            }
            guard !(out.objectValue?["signoutoutb"]?.objectValue?[key: "sign_time"] ?? "").isEmpty else {
                throw CaseFailure("9002 answered no signoutoutb.sign_time", expected: "signoutoutb.sign_time", actual: out.serialized())
            }
            return try await suite.refused("a request with the signed-out sign_no", codes: ["SIGN_NO_SIGNED_OUT"], pointer: "/sign_no") {
                _ = try await client.call(infno: "5301", input: ["psn_no": .string(zhangSan.psnNo)])
            }
        },
    ]

    /// 2201 of `person` with the e-voucher (an ecToken of ec.query, so the visit may settle: ID-1) at the demo hospital; the visit's mdtrt_id.
    func registeredVisit(_ person: (certno: String, psnNo: String, name: String)) async throws -> String {
        let token = try await scan(person.certno, for: .registration, by: hospital)
        return try await accepted("2201 registration") {
            try await hospital.register(RegistrationRequest(psnNo: person.psnNo, insutype: "310", beginTime: clock.now(), medium: .eVoucher, certNo: token.ecToken,
                                                            iptOtpNo: unique("MZ", 4), doctorCode: Self.drLi.code, doctorName: Self.drLi.name,
                                                            deptCode: "A03", deptName: "Internal medicine", caty: "A03"))
        }
    }

    /// 2204 of one box of metformin (12.50) for `visit` in a batch of its own; the batch's chrg_bchno.
    func uploadMetforminBatch(visit: String, person: (certno: String, psnNo: String, name: String)) async throws -> String {
        let batch = unique("B", 4)
        _ = try await accepted("2204 of batch \(batch): one box of metformin, 12.50") {
            try await hospital.call(infno: "2204", input: ["feedetail": .array([.object([
                "feedetl_sn": .string(batch), "mdtrt_id": .string(visit), "psn_no": .string(person.psnNo), "chrg_bchno": .string(batch),
                "med_list_codg": .string(Self.metformin), "pric": "12.50", "cnt": "1", "det_item_fee_sumamt": "12.50", "rx_circ_flag": "0"])])])
        }
        return batch
    }

    /// SV-1: the 4301 record of `visit` (nodes as lists, as hsa-his sends them).
    func uploadOutpatientRecord(visit: String, person: (certno: String, psnNo: String, name: String)) async throws {
        _ = try await accepted("4301 outpatient record") {
            try await hospital.call(infno: "4301", input: [
                "rgstinfo": .array([.object(["mdtrt_sn": .string(unique("MZ", 4)), "mdtrt_id": .string(visit), "psn_no": .string(person.psnNo),
                                             "rgst_type_code": "1", "rgst_way_code": "1", "medfee_paymtd_code": "01", "fstdiag_flag": "0", "vali_flag": "1"])]),
                "caseinfo": .array([.object(["mdtrt_date": .string(Timestamps.day(clock.now())), "chfcomp": "follow-up", "dept_code": "A03",
                                             "dept_name": "Internal medicine", "vali_flag": "1"])]),
                "diseinfo": .array([.object(["maindiag_flag": "1", "diag_code": "E11.900", "diag_name": "Type 2 diabetes mellitus", "vali_flag": "1"])]),
                "rxinfo": .array([]),
            ])
        }
    }

    /// 5206 of `psnNo` for the current month: cum_type_code → fen.
    func counters(_ psnNo: String) async throws -> [String: Int64] {
        let rows = try await accepted("5206 cumulative figures") {
            try await hospital.call(infno: "5206", input: ["data": .object(["psn_no": .string(psnNo), "cum_ym": .string(String(Timestamps.compact(clock.now()).prefix(6)))])])
        }.objectValue?["cuminfo"]?.arrayValue?.compactMap(\.objectValue) ?? []
        return Dictionary(rows.map { ($0[key: "cum_type_code"], Money.fen($0[key: "cum"]) ?? -1) }, uniquingKeysWith: { a, _ in a })
    }
}

extension GatewaySuite {
    static let pharmacyCases: [String: Case] = [
        "PY-7-001": { suite in
            let (document, hiRxno) = try suite.require(suite.circulated, "a prescription the pharmacy dispensed (RX-DISPENSE-001)")
            var detail: [JSONValue] = []
            var total: Int64 = 0
            for (index, line) in (document.prescription.json["rxdrugdetail"]?.arrayValue ?? []).compactMap(\.objectValue).enumerated() {
                detail.append(.object(["feedetl_sn": .string(String(index + 1)), "rxno": .string(hiRxno), "rx_circ_flag": "1",
                                       "fee_ocur_time": .string(Timestamps.fsi(suite.clock.now())), "med_list_codg": .string(line[key: "medListCodg"]),
                                       "medins_list_codg": .string(line[key: "medListCodg"]), "det_item_fee_sumamt": .string(line[key: "drugSumamt"]),
                                       "cnt": .string(line[key: "drugCnt"]), "pric": .string(line[key: "drugPric"])]))
                total += Money.fen(line[key: "drugSumamt"]) ?? 0
            }
            func purchase(_ key: String) -> JSONObject {
                ["druginfo": .object(["psn_no": .string(zhangSan.psnNo), "mdtrt_cert_type": "02", "mdtrt_cert_no": .string(zhangSan.certno),
                                      "begntime": .string(Timestamps.fsi(suite.clock.now())), "medfee_sumamt": .string(Money.yuan(total)), "insutype": "310",
                                      "med_type": "41", "acct_used_flag": "1", "medins_setl_id": .string(key)]),
                 "drugdetail": .array(detail)]
            }
            let hospitalRefused = try await suite.refused("the hospital's 2102", codes: ["RETAIL_PHARMACY_ONLY"], pointer: "/fixmedins_code", rule: "PY-7") {
                _ = try await suite.hospital.call(infno: "2102", input: purchase(suite.unique("PS", 4)))
            }
            let pre = try await suite.accepted("2101 pre-settlement") { try await suite.pharmacy.call(infno: "2101", input: purchase("")) }.objectValue?["setlinfo"]?.objectValue ?? [:]
            let settlement = purchase(suite.unique("PS", 4))
            let settled = try await suite.accepted("2102 settlement") { try await suite.pharmacy.call(infno: "2102", input: settlement) }.objectValue?["setlinfo"]?.objectValue ?? [:]
            let again = try await suite.accepted("the same 2102 again") { try await suite.pharmacy.call(infno: "2102", input: settlement) }.objectValue?["setlinfo"]?.objectValue ?? [:]
            let parts = ["fund_pay_sumamt", "acct_pay", "psn_cash_pay"].map { Money.fen(settled[key: $0]) ?? -1 }
            guard !settled[key: "setl_id"].isEmpty, again[key: "setl_id"] == settled[key: "setl_id"], settled[key: "fund_pay_sumamt"] == pre[key: "fund_pay_sumamt"],
                  parts.allSatisfy({ $0 >= 0 }), parts.reduce(0, +) == total else {
                throw CaseFailure("2101/2102 disagree, the split does not add up, or a retried 2102 settled again",
                                  expected: "2101 fund = 2102 fund; fund + account + cash = \(Money.yuan(total)); the retry's setl_id \(settled[key: "setl_id"])",
                                  actual: "2101 fund \(pre[key: "fund_pay_sumamt"]), 2102 fund \(settled[key: "fund_pay_sumamt"]), parts \(parts), retry \(again[key: "setl_id"])")
            }
            func settler() async throws -> (String, String) {
                let state = try await suite.accepted("rxSetlInfoQuery") { try await suite.pharmacy.queryPrescription("rxSetlInfoQuery", hiRxno: hiRxno) }.objectValue ?? [:]
                return (state[key: "setlId"], state[key: "setlFixmedinsCode"])
            }
            guard try await settler() == (settled[key: "setl_id"], pharmacyCode) else {
                throw CaseFailure("rxSetlInfoQuery does not show the pharmacy's settlement (PY-7)", expected: "\(settled[key: "setl_id"]) by \(pharmacyCode)", actual: "\(try await settler())")
            }
            _ = try await suite.accepted("2103 cancellation") {
                try await suite.pharmacy.call(infno: "2103", input: ["data": .object(["setl_id": .string(settled[key: "setl_id"]), "mdtrt_id": .string(settled[key: "mdtrt_id"]),
                                                                                     "psn_no": .string(zhangSan.psnNo)])])
            }
            guard try await settler().0.isEmpty else { throw CaseFailure("the prescription is still settled after 2103", expected: "setlId \"\"", actual: try await settler().0) }
            let final = try await suite.accepted("2102 after the cancellation") { try await suite.pharmacy.call(infno: "2102", input: purchase(suite.unique("PS", 4))) }
                .objectValue?["setlinfo"]?.objectValue ?? [:]
            return "\(hospitalRefused); 2101 = 2102 (fund \(settled[key: "fund_pay_sumamt"]) + account \(settled[key: "acct_pay"]) + cash \(settled[key: "psn_cash_pay"])) by \(pharmacyCode); the retried 2102 answered the same setl_id; rxSetlInfoQuery names the pharmacy; 2103 gave it back; settled again as \(final[key: "setl_id"])"
        },
    ]
}
