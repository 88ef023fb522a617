import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// 3201 对总账: the institution states its totals of a period (medical fees, the fund share it advanced —
/// its declaration, PY-8 — and the personal-account share, and the number of settlements); the platform
/// compares them with its own record of FSI settlements and mobile-payment orders, net of cancellations
/// and refunds, and answers consistent (0) or not (1) with the differences. `GET /admin/reconciliation`
/// lists the settlements behind the platform's totals.
package struct Reconciliation: Sendable {
    package struct Entry: Sendable {
        package var kind: String          // "2207" or "6202"
        package var id: String            // setl_id or payOrdId
        package var at: Date
        package var medfee: Int64
        package var fund: Int64
        package var account: Int64
        package var cash: Int64
        package var psnNo: String = ""
        package var mdtrtId: String = ""
        package var insutype: String = ""
        /// The place of insurance's region (e.g. `120000`): the clearing side 3201's `setl_optins` names.
        package var insuredAdmdvs: String = ""
    }

    /// 清算类别 `clr_type` of an institution's settlements: 11 outpatient (a hospital), 41 drug purchase (a retail pharmacy).
    package static func clearingType(of kind: InstitutionKind) -> String { kind == .retailPharmacy ? "41" : "11" }

    /// Keeps the entries of `insutype`, of clearing institution `setlOptins` (same province as the place of
    /// insurance) and of `clrType` (the institution's), each when given — as real HIS code sends 3201 per group.
    package static func filter(_ entries: [Entry], insutype: String?, setlOptins: String?, clrType: String?, institutionKind: InstitutionKind) -> [Entry] {
        if let clrType, clrType != clearingType(of: institutionKind) { return [] }
        return entries.filter { entry in
            (insutype.map { $0 == entry.insutype } ?? true)
                && (setlOptins.map { $0.prefix(2) == entry.insuredAdmdvs.prefix(2) } ?? true)
        }
    }

    package struct Totals: Sendable, Equatable {
        package var medfee: Int64 = 0
        package var fund: Int64 = 0
        package var account: Int64 = 0
        package var count = 0
    }

    /// The settlements of `institution` with a settlement time in [from, to] (Beijing days), net of refunds:
    /// one indexed range query (``StoreReading/settlementEntries(institutionCode:from:to:)``).
    package static func entries(institution: String, from: String, to: String, store: any StoreReading) async throws -> [Entry] {
        guard let start = Timestamps.parseDay(from), let last = Timestamps.parseDay(to) else {
            throw DomainError.invalidValue("", "the period's days must be yyyy-MM-dd", expected: "yyyy-MM-dd", actual: "\(from) … \(to)")
        }
        return try await store.settlementEntries(institutionCode: institution, from: start, to: last.addingTimeInterval(86_400)).map {
            Entry(kind: $0.kind, id: $0.id, at: $0.at, medfee: $0.medfee, fund: $0.fund, account: $0.account, cash: $0.cash,
                  psnNo: $0.psnNo, mdtrtId: $0.mdtrtId, insutype: $0.insutype, insuredAdmdvs: $0.insuredAdmdvs)
        }
    }

    package static func totals(_ entries: [Entry]) -> Totals {
        entries.reduce(into: Totals()) { totals, entry in
            totals.medfee += entry.medfee
            totals.fund += entry.fund
            totals.account += entry.account
            totals.count += 1
        }
    }
}

extension FSITransactions {
    /// 3201: compares the institution's stated totals with the platform's — per `insutype`, `clr_type` and
    /// `setl_optins` when sent, as real HIS code reconciles (openhis `Financial3201Param`).
    func reconcile(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        let institution = try await authorise(request.institutionCode, store: store, now: now)
        let insutype = try data.optionalString("insutype")
        let clrType = try data.optionalString("clr_type")
        let setlOptins = try data.optionalString("setl_optins")
        if let setlOptins, setlOptins.count != 6 || !setlOptins.allSatisfy(\.isNumber) {
            throw DomainError.invalidValue(data.path("setl_optins"), "setl_optins is the clearing institution's 6-digit division code", expected: "e.g. 120100", actual: setlOptins)
        }
        let from = try data.string("stmt_begndate", "the first day, yyyy-MM-dd")
        let to = try data.string("stmt_enddate", "the last day, yyyy-MM-dd")
        for (key, value) in [("stmt_begndate", from), ("stmt_enddate", to)] where Timestamps.parseDay(value) == nil {
            throw DomainError.invalidValue(data.path(key), "\(key) must be yyyy-MM-dd", actual: value)
        }
        let stated = Reconciliation.Totals(medfee: try data.fen("medfee_sumamt"), fund: try data.fen("fund_pay_sumamt"), account: try data.fen("acct_pay"),
                                           count: Int(try data.string("fixmedins_setl_cnt")) ?? -1)
        let entries = Reconciliation.filter(try await Reconciliation.entries(institution: request.institutionCode, from: from, to: to, store: store),
                                            insutype: insutype, setlOptins: setlOptins, clrType: clrType, institutionKind: institution.kind)
        let platform = Reconciliation.totals(entries)
        var differences: [String] = []
        if stated.medfee != platform.medfee { differences.append("medfee_sumamt: stated \(Money.yuan(stated.medfee)), platform \(Money.yuan(platform.medfee))") }
        if stated.fund != platform.fund { differences.append("fund_pay_sumamt (the fund share advanced, PY-8): stated \(Money.yuan(stated.fund)), platform \(Money.yuan(platform.fund))") }
        if stated.account != platform.account { differences.append("acct_pay: stated \(Money.yuan(stated.account)), platform \(Money.yuan(platform.account))") }
        if stated.count != platform.count { differences.append("fixmedins_setl_cnt: stated \(stated.count), platform \(platform.count)") }
        let consistent = differences.isEmpty
        let group = [insutype.map { "insutype \($0)" }, clrType.map { "clr_type \($0)" }, setlOptins.map { "setl_optins \($0)" }].compactMap { $0 }
        let scope = group.isEmpty ? "" : " (" + group.joined(separator: ", ") + ")"
        let description = (consistent ? "consistent: \(platform.count) settlement(s), \(Money.yuan(platform.medfee))" : differences.joined(separator: "; ")) + scope
        var info = JSONObject()
        info["setl_optins"] = .string(try data.optionalString("setl_optins") ?? "")
        info["stmt_rslt"] = .string(consistent ? "0" : "1")
        info["stmt_rslt_dscr"] = .string(description)
        info["medfee_sumamt"] = .string(Money.yuan(platform.medfee))
        info["fund_pay_sumamt"] = .string(Money.yuan(platform.fund))
        info["acct_pay"] = .string(Money.yuan(platform.account))
        info["fixmedins_setl_cnt"] = .string(String(platform.count))
        if let insutype { info["insutype"] = .string(insutype) }
        info["clr_type"] = .string(clrType ?? Reconciliation.clearingType(of: institution.kind))
        let output: JSONValue = .object(["stmtinfo": .object(info)])
        return (output, TraceEvent(at: now, kind: "fsi.3201", actor: request.institutionCode, subject: "\(from)..\(to)",
                                   payload: ["msgid": request.msgid, "stmt_rslt": consistent ? "0" : "1"]))
    }
}

extension FSITransactions {
    /// 3203 清算申请: the institution declares, for a month, the fund share it advanced (PY-8); the platform
    /// checks it against the fund shares of that month's settlements (net of refunds and cancellations) and
    /// records it once per month: accepted when equal, otherwise adjusted to the platform's amount, with the difference.
    func declare(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, "data")
        try await authorise(request.institutionCode, store: store, now: now)
        let month = try data.string("setlym", "the month, yyyyMM")
        guard month.count == 6, month.allSatisfy(\.isNumber), let first = Timestamps.parseDay(month.prefix(4) + "-" + month.suffix(2) + "-01") else {
            throw DomainError.invalidValue(data.path("setlym"), "setlym must be yyyyMM", actual: month, rule: .py8)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let last = calendar.date(byAdding: DateComponents(month: 1, day: -1), to: first)!
        let declared = try data.fen("fund_appy_sum")
        let digest = JSONValue.object(data.object).serialized(sortedKeys: true)
        let key = "declaration:\(request.institutionCode):\(month)"
        if let stored = try await store.setting(key), let record = try? JSONValue.parse(stored).objectValue {
            guard record[key: "request"] == digest else {
                throw DomainError(.declarationExists, .conflict, rule: .py8, pointer: data.path("setlym"),
                                  "the fund share of \(month) was already declared as \(record["answer"]?.objectValue?[key: "fund_appy_sum"] ?? "?"); one declaration per month")
            }
            return (record["answer"] ?? .null, TraceEvent(at: now, kind: "fsi.3203", actor: request.institutionCode, subject: month, outcome: "replayed"))
        }
        let platform = await Reconciliation.totals(try Reconciliation.entries(institution: request.institutionCode, from: Timestamps.day(first),
                                                                       to: Timestamps.day(last), store: store))
        let accepted = declared == platform.fund
        // SC-4: the month's fund share by Internet / offline and local / off-site.
        var parts: [Declarations.Flagged] = []
        if let institution = try await store.institution(code: request.institutionCode) {
            parts = try await Declarations.settlements(institution: institution, from: first, to: last.addingTimeInterval(86_400), store: store)
        }
        func fund(_ keep: (Declarations.Flagged) -> Bool) -> JSONValue { .string(Money.yuan(parts.filter(keep).reduce(Int64(0)) { $0 + $1.fundFen })) }
        var answer = JSONObject()
        answer["clr_appy_evt_id"] = .string(try await Identifiers.mint(.clearing, store: store, now: now))
        answer["setlym"] = .string(month)
        answer["fund_appy_sum"] = .string(Money.yuan(declared))
        answer["platform_fund_sum"] = .string(Money.yuan(platform.fund))
        answer["clr_stas"] = .string(accepted ? "accepted" : "adjusted")
        answer["internet_fund_sum"] = fund(\.internet)
        answer["offline_fund_sum"] = fund { !$0.internet }
        answer["local_fund_sum"] = fund { !$0.offSite }
        answer["offsite_fund_sum"] = fund(\.offSite)
        answer["dscr"] = .string(accepted ? "the declared fund share matches \(platform.count) settlement(s)"
                                 : "declared \(Money.yuan(declared)), the platform's settlements give \(Money.yuan(platform.fund)) (difference \(Money.yuan(declared - platform.fund))); cleared at the platform's amount")
        let output: JSONValue = .object(answer)
        try await store.setSetting(key, JSONValue.object(["request": .string(digest), "answer": output]).serialized())
        return (output, TraceEvent(at: now, kind: "fsi.3203", actor: request.institutionCode, subject: month,
                                   payload: ["msgid": request.msgid, "clr_stas": accepted ? "accepted" : "adjusted", "fund_appy_sum": Money.yuan(declared)]))
    }
}
