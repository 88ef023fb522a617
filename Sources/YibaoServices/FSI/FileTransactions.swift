import Foundation
import YibaoArchive
import YibaoCore
import YibaoCrypto
import YibaoStore

/// FSI 9101 file upload, 9102 download and 3202 detail reconciliation (docs/SETTLEMENT.md §12): the
/// month-end work real HIS code does — upload the settlements it recorded as a tab-separated text file
/// (zipped), ask for detail reconciliation, download the result file listing every mismatch.
extension FSITransactions {
    /// Largest file 9101 accepts, in bytes (also the 3202 detail file once unpacked, per entry).
    package static let maximumFileBytes = 8 << 20
    /// How long a file can be downloaded (`dld_endtime`): seven days.
    package static let fileLifetime: TimeInterval = 7 * 86_400

    // MARK: 9101 upload

    /// `fsUploadIn` {`in`, `filename`, `fixmedins_code`}: `in` is the file as Base64 text or as a JSON array of
    /// bytes (vendor code sends both), or the request's file part (multipart `jsonStr` + `file`, as the
    /// official demo sends it). A `.zip` must be a readable archive, a `.txt` UTF-8 text.
    func uploadFile(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let input = try Fields(in: request.input, "fsUploadIn")
        try await authorise(request.institutionCode, store: store, now: now)
        let filename = try input.string("filename")
        if let code = try input.optionalString("fixmedins_code"), code != request.institutionCode {
            throw DomainError.invalidValue(input.path("fixmedins_code"), "fixmedins_code must be the sending institution's", expected: request.institutionCode, actual: code)
        }
        let bytes: [UInt8]
        switch input.object["in"] {
        case .string(let text)? where !text.isEmpty:
            guard let decoded = [UInt8](base64: text) else {
                throw DomainError(.fileUnreadable, .invalid, rule: .protocolFields, pointer: input.path("in"), "in is neither Base64 text nor a JSON array of bytes")
            }
            bytes = decoded
        case .array(let items)?:
            var decoded: [UInt8] = []
            decoded.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                // A Java byte[] serialises signed (-128…127); an unsigned 0…255 is accepted too.
                guard case .number(let literal) = item, let value = Int(literal), (-128...255).contains(value) else {
                    throw DomainError(.fileUnreadable, .invalid, rule: .protocolFields, pointer: input.path("in") + "/\(index)", "in holds bytes: integers from -128 to 255")
                }
                decoded.append(UInt8(truncatingIfNeeded: value))
            }
            bytes = decoded
        default:
            guard let attachment = request.attachment else {
                throw DomainError.missing(input.path("in"), "\"in\" (the file: Base64 text, a byte array, or the multipart file part)")
            }
            bytes = attachment
        }
        guard bytes.count <= Self.maximumFileBytes else {
            throw DomainError(.fileTooLarge, .invalid, rule: .protocolFields, pointer: input.path("in"),
                              "the file has \(bytes.count) bytes; at most \(Self.maximumFileBytes) are accepted", actual: String(bytes.count))
        }
        _ = try Self.textLines(of: bytes, filename: filename, pointer: input.path("in"))
        let number = try await Identifiers.mint(.file, store: store, now: now)
        let file = StoredFile(fileQuryNo: number, institutionCode: request.institutionCode, filename: filename, kind: .upload,
                              sm3: Hex.encode(try SM3.hash(bytes)), size: bytes.count, at: now, expiresAt: now.addingTimeInterval(Self.fileLifetime),
                              content: bytes.base64)
        try await store.save(file)
        return (.object(["file_qury_no": .string(number), "filename": .string(filename), "fixmedins_code": .string(request.institutionCode),
                         "dld_endtime": .string(Timestamps.fsi(file.expiresAt))]),
                TraceEvent(at: now, kind: "fsi.9101", actor: request.institutionCode, subject: number,
                           payload: ["msgid": request.msgid, "filename": filename, "size": String(bytes.count), "sm3": file.sm3]))
    }

    // MARK: 9102 download

    /// `fsDownloadIn` {`file_qury_no`, `filename`, `fixmedins_code`}: the file's bytes (the gateway answers them
    /// as `application/octet-stream`). Only the institution the file belongs to gets it; vendor code sends
    /// `fixmedins_code` "plc" for platform files, which is accepted.
    func downloadFile(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent, StoredFile) {
        let input = try Fields(in: request.input, "fsDownloadIn")
        try await authorise(request.institutionCode, store: store, now: now)
        let number = try input.string("file_qury_no")
        guard let file = try await store.file(fileQuryNo: number), file.institutionCode == request.institutionCode, now <= file.expiresAt else {
            throw DomainError(.fileUnknown, .notFound, rule: .protocolFields, pointer: input.path("file_qury_no"),
                              "no file \(number) of \(request.institutionCode) to download (unknown, another institution's, or past its dld_endtime)", actual: number)
        }
        if let filename = try input.optionalString("filename"), filename != file.filename {
            throw DomainError.invalidValue(input.path("filename"), "filename must be the file's", expected: file.filename, actual: filename)
        }
        return (.object(["file_qury_no": .string(number), "filename": .string(file.filename)]),
                TraceEvent(at: now, kind: "fsi.9102", actor: request.institutionCode, subject: number, payload: ["msgid": request.msgid, "sm3": file.sm3]),
                file)
    }

    // MARK: 3202 detail reconciliation

    /// One line of a 3202 detail file: the seven columns real HIS code writes, tab-separated, no header.
    struct DetailLine {
        var number: Int
        var setlId: String, mdtrtId: String, psnNo: String
        var medfee: Int64, fund: Int64, account: Int64
        var refunded: Bool
    }

    /// Compares the uploaded detail file `file_qury_no` line by line with the platform's settlements of the
    /// period and answers `fileinfo` {`file_qury_no`, `filename`, `dld_endtime`} of a result file (9102)
    /// listing every mismatch: a settlement missing from the file, a line the platform has no settlement
    /// for, amounts or visit that differ.
    func reconcileDetails(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        let institution = try await authorise(request.institutionCode, store: store, now: now)
        let from = try data.string("stmt_begndate", "the first day, yyyy-MM-dd")
        let to = try data.string("stmt_enddate", "the last day, yyyy-MM-dd")
        for (key, value) in [("stmt_begndate", from), ("stmt_enddate", to)] where Timestamps.parseDay(value) == nil {
            throw DomainError.invalidValue(data.path(key), "\(key) must be yyyy-MM-dd", expected: "yyyy-MM-dd", actual: value)
        }
        let setlOptins = try data.optionalString("setl_optins")
        let clrType = try data.optionalString("clr_type")
        let refunds = try data.optionalString("refd_setl_flag") == nil ? false : try data.oneOf("refd_setl_flag", ["0", "1"]) == "1"
        let number = try data.string("file_qury_no")
        guard let upload = try await store.file(fileQuryNo: number), upload.institutionCode == request.institutionCode, upload.kind == .upload else {
            throw DomainError(.fileUnknown, .notFound, rule: .protocolFields, pointer: data.path("file_qury_no"),
                              "no uploaded file \(number) of \(request.institutionCode): upload the detail file with 9101 first", actual: number)
        }
        let uploaded = try Self.textLines(of: [UInt8](base64: upload.content) ?? [], filename: upload.filename, pointer: data.path("file_qury_no"))
        let lines = try Self.detailLines(uploaded, pointer: data.path("file_qury_no")).filter { $0.refunded == refunds }
        // The declared totals must be those of the file's lines (what the HIS says it sent).
        var medfee: Int64 = 0, fund: Int64 = 0, cash: Int64 = 0
        for line in lines {
            medfee += line.medfee
            fund += line.fund
            cash += line.medfee - line.fund - line.account
        }
        let declared: [(String, Int64, Int64)] = [("medfee_sumamt", try data.fen("medfee_sumamt"), medfee),
                                                  ("fund_pay_sumamt", try data.fen("fund_pay_sumamt"), fund),
                                                  ("cash_payamt", try data.fen("cash_payamt"), cash)]
        for (member, stated, inFile) in declared where stated != inFile {
            throw DomainError(.detailFileTotalsMismatch, .invalid, rule: .py8, pointer: data.path(member),
                              "\(member) is \(Money.yuan(stated)) but the lines of file \(number) add up to \(Money.yuan(inFile))",
                              expected: Money.yuan(inFile), actual: Money.yuan(stated))
        }
        let count = try data.string("fixmedins_setl_cnt")
        guard Int(count) == lines.count else {
            throw DomainError(.detailFileTotalsMismatch, .invalid, rule: .py8, pointer: data.path("fixmedins_setl_cnt"),
                              "fixmedins_setl_cnt is \(count) but file \(number) has \(lines.count) line(s)\(refunds ? " of refunds" : "")",
                              expected: String(lines.count), actual: count)
        }

        // The platform's side: settlements in force (refd_setl_flag 0), or those cancelled in the period (1).
        var platform: [String: Reconciliation.Entry] = [:]
        if refunds {
            guard let start = Timestamps.parseDay(from), let last = Timestamps.parseDay(to)?.addingTimeInterval(86_400) else { throw DomainError.invalidValue(data.path("stmt_begndate"), "bad period") }
            for settlement in try await store.outpatientSettlements(institutionCode: request.institutionCode)
            where settlement.status == .cancelled && (settlement.cancelledAt.map { $0 >= start && $0 < last } ?? false) {
                platform[settlement.setlId] = Reconciliation.Entry(kind: "2207", id: settlement.setlId, at: settlement.cancelledAt ?? now,
                                                                   medfee: settlement.result.medfeeSumamt.fen, fund: settlement.result.fundPaySumamt.fen,
                                                                   account: settlement.result.acctPay.fen, cash: settlement.result.psnCashPay.fen,
                                                                   psnNo: settlement.psnNo, mdtrtId: settlement.mdtrtId, insutype: settlement.result.insutype,
                                                                   insuredAdmdvs: settlement.result.insuplcAdmdvs)
            }
        } else {
            let entries = Reconciliation.filter(try await Reconciliation.entries(institution: request.institutionCode, from: from, to: to, store: store),
                                                insutype: nil, setlOptins: setlOptins, clrType: clrType, institutionKind: institution.kind)
            for entry in entries { platform[entry.id] = entry }
        }
        var rows: [[String]] = []
        var seen = Set<String>()
        let flag = refunds ? "1" : "0"
        for line in lines {
            seen.insert(line.setlId)
            guard let entry = platform[line.setlId] else {
                rows.append([line.psnNo, line.mdtrtId, line.setlId, "", "2", flag, "line \(line.number): the platform has no such settlement in the period",
                             Money.yuan(line.medfee), Money.yuan(line.fund), Money.yuan(line.account)])
                continue
            }
            var differences: [String] = []
            if entry.medfee != line.medfee { differences.append("medfee_sumamt file \(Money.yuan(line.medfee)) platform \(Money.yuan(entry.medfee))") }
            if entry.fund != line.fund { differences.append("fund_pay_sumamt file \(Money.yuan(line.fund)) platform \(Money.yuan(entry.fund))") }
            if entry.account != line.account { differences.append("acct_pay file \(Money.yuan(line.account)) platform \(Money.yuan(entry.account))") }
            if !entry.mdtrtId.isEmpty, entry.mdtrtId != line.mdtrtId { differences.append("mdtrt_id file \(line.mdtrtId) platform \(entry.mdtrtId)") }
            if entry.psnNo != line.psnNo { differences.append("psn_no differs") }
            if !differences.isEmpty {
                rows.append([entry.psnNo, entry.mdtrtId, entry.id, "", "3", flag, "line \(line.number): " + differences.joined(separator: "; "),
                             Money.yuan(entry.medfee), Money.yuan(entry.fund), Money.yuan(entry.account)])
            }
        }
        for entry in platform.values.sorted(by: { ($0.at, $0.id) < ($1.at, $1.id) }) where !seen.contains(entry.id) {
            rows.append([entry.psnNo, entry.mdtrtId, entry.id, "", "1", flag, "missing from the file: the platform settled it on \(Timestamps.fsi(entry.at))",
                         Money.yuan(entry.medfee), Money.yuan(entry.fund), Money.yuan(entry.account)])
        }
        let text = rows.map { $0.map { $0.replacingOccurrences(of: "\t", with: " ") }.joined(separator: "\t") }.joined(separator: "\r\n") + (rows.isEmpty ? "" : "\r\n")
        let archive = Zip.write([Zip.Entry(name: "result.txt", bytes: Array(text.utf8))])
        let resultNumber = try await Identifiers.mint(.file, store: store, now: now)
        let filename = "result_\(number).zip"
        let result = StoredFile(fileQuryNo: resultNumber, institutionCode: request.institutionCode, filename: filename, kind: .result,
                                sm3: Hex.encode(try SM3.hash(archive)), size: archive.count, at: now, expiresAt: now.addingTimeInterval(Self.fileLifetime),
                                content: archive.base64)
        try await store.save(result)
        return (.object(["fileinfo": .object(["file_qury_no": .string(resultNumber), "filename": .string(filename), "dld_endtime": .string(Timestamps.fsi(result.expiresAt)),
                                             "stmt_rslt": .string(rows.isEmpty ? "0" : "1"), "mismatch_cnt": .string(String(rows.count))])]),
                TraceEvent(at: now, kind: "fsi.3202", actor: request.institutionCode, subject: "\(from)..\(to)",
                           payload: ["msgid": request.msgid, "file_qury_no": number, "result": resultNumber, "mismatches": String(rows.count)]))
    }

    /// The text of an uploaded file: a `.zip`'s `.txt` entries (all of them, in order) or the bytes themselves;
    /// UTF-8, split into lines (`\n` or `\r\n`). Refuses what is neither.
    static func textLines(of bytes: [UInt8], filename: String, pointer: String) throws -> [(entry: String, number: Int, text: String)] {
        var texts: [(String, [UInt8])] = []
        if filename.lowercased().hasSuffix(".zip") || Zip.looksLikeZip(bytes) {
            let entries: [Zip.Entry]
            do { entries = try Zip.read(bytes, maximumBytes: maximumFileBytes * 4) } catch let failure as Zip.Failure {
                throw DomainError(.fileUnreadable, .invalid, rule: .protocolFields, pointer: pointer, "\(filename) is not a readable zip archive: \(failure.description)")
            }
            texts = entries.filter { !$0.name.hasPrefix("__MACOSX") }.map { ($0.name, $0.bytes) }
            guard !texts.isEmpty else {
                throw DomainError(.fileUnreadable, .invalid, rule: .protocolFields, pointer: pointer, "\(filename) holds no file")
            }
        } else {
            texts = [(filename, bytes)]
        }
        var lines: [(String, Int, String)] = []
        for (name, content) in texts {
            guard String(validating: content, as: UTF8.self) != nil else {
                throw DomainError(.fileUnreadable, .invalid, rule: .protocolFields, pointer: pointer, "\(name) is not UTF-8 text")
            }
            // Split on the bytes: "\r\n" is one Character in Swift, and both endings occur.
            for (index, line) in content.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
                let bytes = line.last == 0x0D ? line.dropLast() : line[...]
                lines.append((name, index + 1, String(decoding: bytes, as: UTF8.self)))
            }
        }
        return lines
    }

    /// The detail lines: seven tab-separated columns (a trailing tab allowed; blank lines skipped), amounts in
    /// yuan with at most two decimals, refd_setl_flag 0 or 1. A malformed line is refused by its number.
    static func detailLines(_ lines: [(entry: String, number: Int, text: String)], pointer: String) throws -> [DetailLine] {
        var result: [DetailLine] = []
        var seen = Set<String>()
        for line in lines where !line.text.trimmingCharacters(in: .whitespaces).isEmpty {
            var fields = line.text.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.count == 8, fields[7].isEmpty { fields.removeLast() }   // zebone writes a tab after every field
            func refuse(_ why: String) -> DomainError {
                DomainError(.detailFileLineInvalid, .invalid, rule: .py8, pointer: pointer, "line \(line.number) of \(line.entry): \(why)",
                            expected: "setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag — tab-separated",
                            actual: String(line.text.prefix(200)))
            }
            guard fields.count == 7 else { throw refuse("\(fields.count) column(s); a detail line has 7, separated by tabs") }
            guard !fields[0].isEmpty else { throw refuse("setl_id is empty") }
            guard seen.insert(fields[0]).inserted else { throw refuse("setl_id \(fields[0]) appears twice") }
            var amounts: [Int64] = []
            for (column, name) in [(3, "medfee_sumamt"), (4, "fund_pay_sumamt"), (5, "acct_pay")] {
                guard let fen = Money.fen(fields[column]) else { throw refuse("\(name) \"\(fields[column])\" is not an amount in yuan") }
                amounts.append(fen)
            }
            guard fields[6] == "0" || fields[6] == "1" else { throw refuse("refd_setl_flag \"\(fields[6])\" is not 0 or 1") }
            result.append(DetailLine(number: line.number, setlId: fields[0], mdtrtId: fields[1], psnNo: fields[2], medfee: amounts[0], fund: amounts[1],
                                     account: amounts[2], refunded: fields[6] == "1"))
        }
        return result
    }
}
