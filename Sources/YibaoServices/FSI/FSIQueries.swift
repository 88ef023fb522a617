import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// The 52xx queries and 5301 (docs/SETTLEMENT.md §10): what the platform holds about a person's
/// visits, diagnoses, settlements, fee lines, chronic-disease medication, year counters and
/// chronic filings. The recovery path after a lost 2207 answer is 5203/5204. Every query answers
/// only what the asking institution made (a visit or settlement of another institution is unknown).
extension FSITransactions {
    // MARK: 5201 visits

    func visitQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try request.dataOrInput()
        try await authorise(request.institutionCode, store: store, now: now)
        let person = try await knownPerson(data, store: store)
        let from = try Self.optionalTime(data, "begntime")
        let to = try Self.optionalTime(data, "endtime")
        let medType = try data.optionalString("med_type")
        let mdtrtId = try data.optionalString("mdtrt_id")
        let visits = try await store.registrations(psnNo: person.psnNo)
            .filter { $0.institutionCode == request.institutionCode }
            .filter { visit in mdtrtId.map { $0 == visit.mdtrtId } ?? true }
            .filter { visit in medType.map { $0 == (visit.medType ?? "11") } ?? true }
            .filter { visit in
                let began = Timestamps.parseFSI(visit.beginTime) ?? visit.registeredAt
                return (from.map { began >= $0 } ?? true) && (to.map { began <= $0 } ?? true)
            }
            .sorted { $0.registeredAt < $1.registeredAt }
        let rows: [JSONValue] = visits.map { visit in
            let main = visit.diagnoses?.first
            return .object([
                "mdtrt_id": .string(visit.mdtrtId), "psn_no": .string(visit.psnNo), "psn_name": .string(person.name),
                "insutype": .string(visit.insutype), "psn_type": .string(person.psnType), "begntime": .string(visit.beginTime),
                "endtime": .string(visit.cancelledAt.map(Timestamps.fsi) ?? ""), "mdtrt_cert_type": .string(visit.medium.rawValue),
                "med_type": .string(visit.medType ?? "11"), "ipt_otp_no": .string(visit.iptOtpNo), "atddr_no": .string(visit.doctorCode),
                "chfpdr_name": .string(visit.doctorName), "adm_dept_codg": .string(visit.deptCode), "adm_dept_name": .string(visit.deptName),
                "dise_codg": .string(main?.code ?? ""), "dise_name": .string(main?.name ?? ""),
                "vali_flag": .string(visit.status == .registered ? "1" : "0"),
            ])
        }
        return (.object(["mdtrtinfo": .array(rows)]), queryEvent(request, now: now, subject: person.psnNo, count: rows.count))
    }

    // MARK: 5202 diagnoses

    func diagnosisQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try request.dataOrInput()
        try await authorise(request.institutionCode, store: store, now: now)
        let psnNo = try data.string("psn_no")
        let visit = try await ownVisit(try data.string("mdtrt_id"), psnNo: psnNo, request: request, store: store, pointer: data.path("mdtrt_id"))
        let rows: [JSONValue] = (visit.diagnoses ?? []).enumerated().map { index, diagnosis in
            .object([
                "diag_info_id": .string("\(visit.mdtrtId)-\(index + 1)"), "mdtrt_id": .string(visit.mdtrtId), "psn_no": .string(psnNo),
                "inout_diag_type": .string("1"), "diag_type": .string(diagnosis.type), "maindiag_flag": .string(index == 0 ? "1" : "0"),
                "diag_srt_no": .string(diagnosis.sortNo), "diag_code": .string(diagnosis.code), "diag_name": .string(diagnosis.name),
                "diag_dept": .string(diagnosis.dept), "dise_dor_no": .string(diagnosis.doctorCode), "dise_dor_name": .string(diagnosis.doctorName),
                "diag_time": .string(diagnosis.time), "vali_flag": .string(diagnosis.valid ? "1" : "0"),
            ])
        }
        return (.object(["diseinfo": .array(rows)]), queryEvent(request, now: now, subject: visit.mdtrtId, count: rows.count))
    }

    // MARK: 5203 settlement information

    /// The settlement as 2207 answered it, with its state: `vali_flag` 0 and `setl_stas` `reversed`
    /// (2601) or `cancelled` (2208) once undone, `refd_setl_flag` 1 then.
    func settlementQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try request.dataOrInput()
        try await authorise(request.institutionCode, store: store, now: now)
        let settlement = try await ownSettlement(data, request: request, store: store)
        let answer = try JSONValue.parse(Array(settlement.answer.utf8)).objectValue ?? [:]
        var setlinfo = answer["setlinfo"]?.objectValue ?? [:]
        for (key, value) in Self.state(of: settlement) { setlinfo[key] = .string(value) }
        setlinfo["fixmedins_code"] = .string(settlement.institutionCode)
        setlinfo["clr_type"] = .string("11")
        return (.object(["setlinfo": .object(setlinfo), "setldetail": answer["setldetail"] ?? .array([])]),
                queryEvent(request, now: now, subject: settlement.setlId, count: 1))
    }

    // MARK: 5204 fee details

    /// The fee lines of a settlement (`output` is the list itself, as hsa-his reads it), each with the
    /// settlement's state; with `mdtrt_id` alone, every line of the visit with its own state.
    func feeDetailQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try request.dataOrInput()
        try await authorise(request.institutionCode, store: store, now: now)
        var rows: [JSONValue] = []
        if try data.optionalString("setl_id") != nil {
            let settlement = try await ownSettlement(data, request: request, store: store)
            let state = Self.state(of: settlement)
            for line in settlement.result.lines {
                var row = try Self.feeRow(line, mdtrtId: settlement.mdtrtId)
                row["setl_id"] = .string(settlement.setlId)
                for (key, value) in state { row[key] = .string(value) }
                rows.append(.object(row))
            }
        } else {
            let psnNo = try data.string("psn_no")
            let visit = try await ownVisit(try data.string("mdtrt_id", "the visit (or setl_id)"), psnNo: psnNo, request: request, store: store,
                                           pointer: data.path("mdtrt_id"))
            for detail in try await store.feeDetails(mdtrtId: visit.mdtrtId) {
                var row = try Self.feeRow(detail.result, mdtrtId: visit.mdtrtId)
                row["fee_ocur_time"] = .string(Timestamps.fsi(detail.uploadedAt))
                row["chrg_bchno"] = .string(detail.chrgBchno)
                row["vali_flag"] = .string(detail.status == .cancelled ? "0" : "1")
                row["setl_stas"] = .string(detail.status.rawValue)
                rows.append(.object(row))
            }
        }
        return (.array(rows), queryEvent(request, now: now, subject: try data.optionalString("setl_id") ?? (try data.optionalString("mdtrt_id") ?? ""), count: rows.count))
    }

    // MARK: 5205 chronic-disease medication

    /// The person's dispensed drugs of prescriptions for a filed chronic disease (or one on the
    /// catalogue), prescribed or dispensed by the asking institution, within [begntime, endtime].
    func chronicMedicationQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try request.dataOrInput()
        try await authorise(request.institutionCode, store: store, now: now)
        let person = try await knownPerson(data, store: store)
        let from = try Self.optionalTime(data, "begntime")
        let to = try Self.optionalTime(data, "endtime")
        let filings = try await store.chronicFilings(psnNo: person.psnNo).filter { $0.status == .filed }
        let catalogue = chronicCatalogue(for: person)
        var rows: [JSONValue] = []
        for record in try await store.prescriptions(psnNo: person.psnNo) {
            guard let signed = try? SignedPrescription(bytes: Array(record.document.utf8)) else { continue }
            let diagnosis = signed.prescription.mainDiagnosisCode
            guard filings.contains(where: { $0.covers(diagnosis) }) || catalogue.contains(OnlineScope.category(diagnosis)) else { continue }
            for dispensing in record.dispensings where record.institutionCode == request.institutionCode || dispensing.institutionCode == request.institutionCode {
                guard from.map({ dispensing.at >= $0 }) ?? true, to.map({ dispensing.at <= $0 }) ?? true else { continue }
                for (index, code) in record.drugCodes.enumerated() {
                    rows.append(.object([
                        "feedetl_sn": .string("\(dispensing.dispenseNo)-\(index + 1)"), "rx_drord_no": .string(record.hiRxno),
                        "fixmedins_code": .string(dispensing.institutionCode), "psn_no": .string(person.psnNo), "med_type": .string("14"),
                        "fee_ocur_time": .string(Timestamps.fsi(dispensing.at)),
                        "cnt": .string(index < record.drugCounts.count ? record.drugCounts[index] : ""),
                        "med_list_codg": .string(code), "hilist_code": .string(code), "dise_codg": .string(diagnosis),
                    ]))
                }
            }
        }
        return (.object(["feedetail": .array(rows)]), queryEvent(request, now: now, subject: person.psnNo, count: rows.count))
    }

    // MARK: 5206 cumulative figures

    /// The counters the policy engine keeps for the year of `cum_ym`: Q0000 deductible used and F0000
    /// fund paid (docs/SETTLEMENT.md §10.5), net of every cancellation and reversal.
    func cumulativeQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try request.dataOrInput()
        try await authorise(request.institutionCode, store: store, now: now)
        let person = try await knownPerson(data, store: store)
        let month = try data.optionalString("cum_ym") ?? String(Timestamps.compact(now).prefix(6))
        guard month.count == 6, month.allSatisfy(\.isASCII), let year = Int(month.prefix(4)), let number = Int(month.suffix(2)), (1...12).contains(number) else {
            throw DomainError.invalidValue(data.path("cum_ym"), "cum_ym must be yyyyMM", expected: "yyyyMM", actual: month)
        }
        let used = try await store.personYear(psnNo: person.psnNo, year: year)
        func row(_ code: String, _ fen: Int64) -> JSONValue {
            .object(["insutype": .string(person.insutype), "year": .string(String(year)), "cum_ym": .string(month),
                     "cum_type_code": .string(code), "cum": .string(Money.yuan(fen))])
        }
        return (.object(["cuminfo": .array([row(CumulativeType.deductibleUsed, used.deductibleUsedFen), row(CumulativeType.fundPaid, used.fundPaidFen)])]),
                queryEvent(request, now: now, subject: person.psnNo, count: 2))
    }

    // MARK: 5301 chronic filings

    /// The person's chronic/special-disease filings in force (`feedetail`, as vendor code reads it);
    /// `trt_dcla_detl_sn` only on the asking institution's own filings (the one 2504 needs).
    func chronicFilingQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try request.dataOrInput()
        try await authorise(request.institutionCode, store: store, now: now)
        let person = try await knownPerson(data, store: store)
        let today = Timestamps.day(now)
        let rows: [JSONValue] = try await store.chronicFilings(psnNo: person.psnNo).filter { $0.status == .filed && $0.endDate >= today }.map { filing in
            var row: JSONObject = ["opsp_dise_code": .string(filing.diseaseCode), "opsp_dise_name": .string(filing.diseaseName),
                                   "begndate": .string(filing.beginDate), "enddate": .string(filing.endDate)]
            if filing.institutionCode == request.institutionCode { row["trt_dcla_detl_sn"] = .string(filing.trtDclaDetlSn) }
            return .object(row)
        }
        return (.object(["feedetail": .array(rows)]), queryEvent(request, now: now, subject: person.psnNo, count: rows.count))
    }

    // MARK: Helpers

    private func knownPerson(_ data: Fields, store: any StoreReading) async throws -> InsuredPerson {
        let psnNo = try data.string("psn_no")
        guard let person = try await store.person(psnNo: psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: data.path("psn_no"), "no insured person \(psnNo)", actual: psnNo)
        }
        return person
    }

    /// A visit of the asking institution and of `psnNo` (cancelled or not); another's is unknown.
    private func ownVisit(_ mdtrtId: String, psnNo: String, request: FSICall, store: any StoreReading, pointer: String) async throws -> Registration {
        guard let visit = try await store.registration(mdtrtId: mdtrtId), visit.institutionCode == request.institutionCode, visit.psnNo == psnNo else {
            throw DomainError(.visitUnknown, .notFound, rule: .protocolFields, pointer: pointer, "no visit \(mdtrtId) of \(psnNo) at \(request.institutionCode)", actual: mdtrtId)
        }
        return visit
    }

    /// The settlement `setl_id` of the asking institution, of `psn_no` (and of `mdtrt_id` when sent);
    /// without `setl_id` — a HIS whose 2207 answer was lost never learnt it — the visit's latest.
    private func ownSettlement(_ data: Fields, request: FSICall, store: any StoreReading) async throws -> OutpatientSettlement {
        let psnNo = try data.string("psn_no")
        guard let setlId = try data.optionalString("setl_id") else {
            let mdtrtId = try data.string("mdtrt_id", "the visit, when setl_id is not known")
            guard let latest = try await store.outpatientSettlements(psnNo: psnNo)
                .last(where: { $0.mdtrtId == mdtrtId && $0.institutionCode == request.institutionCode }) else {
                throw DomainError(.settlementUnknown, .notFound, rule: .py6, pointer: data.path("mdtrt_id"),
                                  "no settlement of visit \(mdtrtId) of \(psnNo) at \(request.institutionCode)", actual: mdtrtId)
            }
            return latest
        }
        guard let settlement = try await store.outpatientSettlement(setlId: setlId), settlement.institutionCode == request.institutionCode,
              settlement.psnNo == psnNo else {
            throw DomainError(.settlementUnknown, .notFound, rule: .py6, pointer: data.path("setl_id"),
                              "no settlement \(setlId) of \(psnNo) at \(request.institutionCode)", actual: setlId)
        }
        if let mdtrtId = try data.optionalString("mdtrt_id"), mdtrtId != settlement.mdtrtId {
            throw DomainError.invalidValue(data.path("mdtrt_id"), "mdtrt_id must be the settlement's visit", expected: settlement.mdtrtId, actual: mdtrtId)
        }
        return settlement
    }

    /// `vali_flag`, `refd_setl_flag` and `setl_stas` (settled, cancelled by 2208, reversed by 2601).
    static func state(of settlement: OutpatientSettlement) -> [(String, String)] {
        let state = settlement.status == .settled ? "settled" : settlement.reversedBy != nil ? "reversed" : "cancelled"
        var members = [("vali_flag", settlement.status == .settled ? "1" : "0"), ("refd_setl_flag", settlement.status == .settled ? "0" : "1"),
                       ("setl_stas", state)]
        if let at = settlement.cancelledAt { members.append(("cancel_time", Timestamps.fsi(at))) }
        return members
    }

    /// A fee line as 5204 answers it: the platform's classification of the line.
    static func feeRow(_ line: LineResult, mdtrtId: String) throws -> JSONObject {
        var row = try SettlementCalculator.encode(line).objectValue ?? [:]
        row["mdtrt_id"] = .string(mdtrtId)
        return row
    }

    static func optionalTime(_ data: Fields, _ key: String) throws -> Date? {
        guard let text = try data.optionalString(key) else { return nil }
        guard let date = Timestamps.parseFSI(text) ?? Timestamps.parseDay(text) else {
            throw DomainError.invalidValue(data.path(key), "\(key) must be yyyy-MM-dd HH:mm:ss", expected: "yyyy-MM-dd HH:mm:ss", actual: text)
        }
        return date
    }

    private func queryEvent(_ request: FSICall, now: Date, subject: String, count: Int) -> TraceEvent {
        TraceEvent(at: now, kind: "fsi.\(request.infno)", actor: request.institutionCode, subject: subject, payload: ["msgid": request.msgid, "rows": String(count)])
    }
}

/// `cum_type_code` of a 5206 row (Q0000 as vendor code reads it; F0000 is ours — docs/SETTLEMENT.md §10.5).
enum CumulativeType {
    /// 起付线累计: deductible used this year.
    static let deductibleUsed = "Q0000"
    /// Fund paid this year (toward the annual cap).
    static let fundPaid = "F0000"
}
