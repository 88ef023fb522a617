import Foundation
import YibaoArchive
import YibaoClient
import YibaoCore
import YibaoCrypto

/// Cases of month-end work and the catalogue (docs/SETTLEMENT.md §12–13): 9101/9102 files, 3201 per
/// group, 3202 detail reconciliation, 3301/3302 mappings and the catalogue queries.
extension GatewaySuite {
    static let filesCases: [String: Case] = [
        "FSI-FILE-001": { suite in
            let text = Array("SETL0\tM0\tP0\t1.00\t0.00\t0.00\t0\t\r\n".utf8)
            let archive = Zip.write([Zip.Entry(name: "detail.txt", bytes: text)])
            let uploaded = try await suite.accepted("9101 upload") { try await suite.hospital.uploadFile(filename: "data.zip", bytes: archive) }.objectValue ?? [:]
            let number = uploaded[key: "file_qury_no"]
            let back = try await suite.accepted("9102 download") { try await suite.hospital.downloadFile(fileQuryNo: number, filename: "data.zip") }
            guard back == archive else { throw CaseFailure("9102 did not answer the uploaded bytes", expected: "\(archive.count) bytes, the same", actual: "\(back.count) bytes") }
            let foreign = try await suite.refused("9102 of the hospital's file by the pharmacy", codes: ["FILE_UNKNOWN"], pointer: "/input/fsDownloadIn/file_qury_no") {
                _ = try await suite.pharmacy.downloadFile(fileQuryNo: number, filename: "data.zip")
            }
            var damaged = archive
            damaged[40] ^= 0x01
            let broken = try await suite.refused("9101 of a damaged zip", codes: ["FILE_UNREADABLE"], pointer: "/input/fsUploadIn/in") {
                _ = try await suite.hospital.uploadFile(filename: "data.zip", bytes: damaged)
            }
            return "9101 stored \(number) (dld_endtime \(uploaded[key: "dld_endtime"])); 9102 answered the same \(archive.count) bytes; \(foreign); \(broken)"
        },
        "FSI-RECON-002": { suite in
            // Month end: settle, cancel one, 3201 per group, then a detail file with one planted mismatch.
            func settle(_ price: String, msgid: String?) async throws -> JSONObject {
                let visit = try await suite.registeredVisit(zhangSan)
                let batch = suite.unique("ME", 4)
                let total = Money.yuan((Money.fen(price) ?? 0) * 2)
                _ = try await suite.accepted("2204") {
                    try await suite.hospital.call(infno: "2204", input: ["feedetail": .array([.object([
                        "feedetl_sn": "1", "mdtrt_id": .string(visit), "psn_no": .string(zhangSan.psnNo), "chrg_bchno": .string(batch),
                        "med_list_codg": .string(metformin), "pric": .string(price), "cnt": "2", "det_item_fee_sumamt": .string(total)])])])
                }
                let input: JSONObject = ["data": .object(["psn_no": .string(zhangSan.psnNo), "mdtrt_id": .string(visit), "chrg_bchno": .string(batch),
                                                          "insutype": "310", "acct_used_flag": "0", "medfee_sumamt": .string(total)])]
                guard let msgid else {
                    return try await suite.accepted("2207") { try await suite.hospital.call(infno: "2207", input: input) }.objectValue?["setlinfo"]?.objectValue ?? [:]
                }
                let signNo = try await suite.accepted("9001") { try await suite.hospital.signIn() }
                let envelope = try suite.fsiSigner(hospitalCode).envelope(infno: "2207", input: input, signNo: signNo, at: suite.clock.now(), msgid: msgid)
                return try await suite.accepted("2207 with a known msgid") { try await suite.send(fsiPath, envelope) }
                    .objectValue?["output"]?.objectValue?["setlinfo"]?.objectValue ?? [:]
            }
            let kept = try await settle("30.00", msgid: nil)
            // The second settlement is reversed (2601) by its msgid, as after a lost answer.
            let reversedMsgid = suite.msgid(hospitalCode)
            let gone = try await settle("12.50", msgid: reversedMsgid)
            _ = try await suite.accepted("2601 of the second settlement") {
                try await suite.hospital.call(infno: "2601", input: ["data": .object(["psn_no": .string(zhangSan.psnNo), "omsgid": .string(reversedMsgid), "oinfno": "2207"])])
            }
            let today = Timestamps.day(suite.clock.now())
            let stmt = try await suite.accepted("3201 per group") {
                try await suite.hospital.call(infno: "3201", input: ["data": .object([
                    "insutype": "310", "clr_type": "11", "setl_optins": "120100", "stmt_begndate": .string(today), "stmt_enddate": .string(today),
                    "medfee_sumamt": "0.01", "fund_pay_sumamt": "0.00", "acct_pay": "0.00", "fixmedins_setl_cnt": "1"])])
            }.objectValue?["stmtinfo"]?.objectValue ?? [:]
            guard stmt[key: "stmt_rslt"] == "1", (Int(stmt[key: "fixmedins_setl_cnt"]) ?? 0) >= 1 else {
                throw CaseFailure("3201 with wrong totals is not answered inconsistent", expected: "stmt_rslt 1 and the platform's count", actual: "\(stmt)")
            }
            // The planted mismatch: the kept settlement's fund share off by 1.00.
            let fund = (Money.fen(kept[key: "fund_pay_sumamt"]) ?? 0) + 100
            let line = [kept[key: "setl_id"], kept[key: "mdtrt_id"], zhangSan.psnNo, kept[key: "medfee_sumamt"], Money.yuan(fund), kept[key: "acct_pay"], "0"]
            let archive = Zip.write([Zip.Entry(name: "detail.txt", bytes: Array((line.joined(separator: "\t") + "\t\r\n").utf8))])
            let uploaded = try await suite.accepted("9101 the detail file") { try await suite.hospital.uploadFile(filename: "detail.zip", bytes: archive) }.objectValue ?? [:]
            let medfee = Money.fen(kept[key: "medfee_sumamt"]) ?? 0, account = Money.fen(kept[key: "acct_pay"]) ?? 0
            let info = try await suite.accepted("3202") {
                try await suite.hospital.call(infno: "3202", input: ["data": .object([
                    "setl_optins": "120100", "file_qury_no": .string(uploaded[key: "file_qury_no"]), "stmt_begndate": .string(today), "stmt_enddate": .string(today),
                    "medfee_sumamt": .string(Money.yuan(medfee)), "fund_pay_sumamt": .string(Money.yuan(fund)), "cash_payamt": .string(Money.yuan(medfee - fund - account)),
                    "fixmedins_setl_cnt": "1", "clr_type": "11", "refd_setl_flag": "0"])])
            }.objectValue?["fileinfo"]?.objectValue ?? [:]
            let result = try await suite.accepted("9102 the result") { try await suite.hospital.downloadFile(fileQuryNo: info[key: "file_qury_no"], filename: info[key: "filename"]) }
            let entries = (try? Zip.read(result)) ?? []
            let rows = entries.first { $0.name == "result.txt" }.map { String(decoding: $0.bytes, as: UTF8.self) }?
                .split(separator: "\r\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) } ?? []
            let planted = rows.filter { $0.count == 10 && $0[2] == kept[key: "setl_id"] }
            // Other settlements of the day (other cases) are listed as missing from the file (1); nothing else may differ.
            guard planted.count == 1, planted[0][4] == "3", rows.allSatisfy({ $0.count == 10 && ($0[4] == "1" || $0[2] == kept[key: "setl_id"]) }),
                  !rows.contains(where: { $0[2] == gone[key: "setl_id"] }) else {
                throw CaseFailure("the 3202 result does not list exactly the planted mismatch", expected: "one row stmt_rslt 3 for \(kept[key: "setl_id"]); the reversed \(gone[key: "setl_id"]) absent",
                                  actual: rows.map { $0.joined(separator: " ") }.joined(separator: " | "))
            }
            return "settled \(kept[key: "setl_id"]), reversed \(gone[key: "setl_id"]) (2601); 3201 per group answered stmt_rslt 1 to wrong totals; 3202 listed the planted mismatch: \(planted[0][6])"
        },
        "FSI-CAT-001": { suite in
            let page = try await suite.accepted("1312 page 1 of 2") { try await suite.hospital.call(infno: "1312", input: ["data": .object(["page_num": "1", "page_size": "2"])]) }
                .objectValue ?? [:]
            let records = Int(page["recordCounts"]?.serialized() ?? "") ?? 0
            guard page["data"]?.arrayValue?.count == 2, records > 2 else {
                throw CaseFailure("1312 does not page the catalogue", expected: "2 rows of more than 2", actual: "\(page["data"]?.arrayValue?.count ?? 0) rows of \(records)")
            }
            let limits = try await suite.accepted("1318") { try await suite.hospital.call(infno: "1318", input: ["data": .object(["page_num": "1", "page_size": "100"])]) }
                .objectValue?["data"]?.arrayValue?.compactMap(\.objectValue) ?? []
            let ratios = try await suite.accepted("1319") { try await suite.hospital.call(infno: "1319", input: ["data": .object(["page_num": "1", "page_size": "100"])]) }
                .objectValue?["data"]?.arrayValue?.compactMap(\.objectValue) ?? []
            let matches = try await suite.accepted("1316") { try await suite.hospital.call(infno: "1316", input: ["data": .object(["hilist_code": .string(metformin)])]) }
                .objectValue?["data"]?.arrayValue?.compactMap(\.objectValue) ?? []
            guard matches.first?[key: "med_list_codg"] == metformin else {
                throw CaseFailure("1316 does not answer metformin's list match", expected: metformin, actual: "\(matches.count) rows")
            }
            let table = try await suite.accepted("1901 insutype") { try await suite.hospital.call(infno: "1901", input: ["data": .object(["type": "insutype"])]) }
                .objectValue?["list"]?.arrayValue?.compactMap(\.objectValue) ?? []
            guard limits.contains(where: { $0[key: "hilist_code"] == "AADG0000" }), !ratios.isEmpty, table.contains(where: { $0[key: "value"] == "310" }) else {
                throw CaseFailure("1318/1319/1901 incomplete", expected: "AADG0000's price limit, class-B ratios, insutype 310", actual: "\(limits.count) limits, \(ratios.count) ratios, \(table.count) insutypes")
            }
            let own = suite.unique("H-", 4)
            _ = try await suite.accepted("3301") {
                try await suite.hospital.call(infno: "3301", input: ["data": .array([.object(["fixmedins_hilist_id": .string(own), "fixmedins_hilist_name": "Metformin 0.5 g",
                                                                                              "list_type": "101", "med_list_codg": .string(metformin), "begndate": "2020-01-01"])])])
            }
            func mapping() async throws -> JSONObject? {
                try await suite.accepted("1317") { try await suite.hospital.call(infno: "1317", input: ["data": .object(["medins_list_codg": .string(own)])]) }
                    .objectValue?["data"]?.arrayValue?.first?.objectValue
            }
            guard try await mapping()?[key: "vali_flag"] == "1" else { throw CaseFailure("1317 does not list the 3301 mapping", expected: "\(own) → \(metformin), vali_flag 1", actual: "absent") }
            _ = try await suite.accepted("3302") {
                try await suite.hospital.call(infno: "3302", input: ["data": .object(["fixmedins_code": .string(hospitalCode), "fixmedins_hilist_id": .string(own),
                                                                                     "list_type": "101", "med_list_codg": .string(metformin)])])
            }
            guard try await mapping()?[key: "vali_flag"] == "0" else { throw CaseFailure("the mapping is still in force after 3302", expected: "vali_flag 0", actual: "1") }
            return "1312 paged \(records) items; 1316 matched metformin; 1318 \(limits.count) price limits; 1319 \(ratios.count) ratios; 1901 \(table.count) insutypes; 3301 mapped \(own), 1317 listed it, 3302 ended it"
        },
        "FSI-CAT-002": { suite in
            try await suite.refused("3301 of a code outside the catalogue", codes: ["CATALOGUE_ITEM_UNKNOWN"], pointer: "/input/data/med_list_codg", rule: "PY-3") {
                _ = try await suite.hospital.call(infno: "3301", input: ["data": .object(["fixmedins_hilist_id": "H-X", "fixmedins_hilist_name": "x", "list_type": "101",
                                                                                         "med_list_codg": "XNOTACODE", "begndate": "2020-01-01"])])
            }
        },
    ]
}
