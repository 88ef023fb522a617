import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// The agency's own acts (经办机构, the admin API): cross-region filings (XR-2, XR-3), manual
/// reimbursement after a failed real-time settlement (PY-9, XR-4) and the statistics it publishes (SV-4).
package enum AgencyServices {
    /// Files a person for settlement in another region.
    package static func file(_ input: FilingInput, regions: [String: RegionPolicy], measures: MeasureNumbers = .standard, store: any StoreWriting,
                             now: Date) async throws -> CrossRegionFiling {
        guard let person = try await store.person(psnNo: input.psnNo) else {
            throw DomainError(.personUnknown, .notFound, rule: .xr2, pointer: "/psnNo", "no person \(input.psnNo)")
        }
        guard regions[input.filedAdmdvs] != nil else {
            throw DomainError.invalidValue("/filedAdmdvs", "filedAdmdvs is the province-level code of a region with a policy profile",
                                           expected: regions.keys.sorted().joined(separator: " | "), actual: input.filedAdmdvs, rule: .xr2)
        }
        let filing = try CrossRegionFiling(filingId: try await Identifiers.mint(.filing, store: store, now: now), psnNo: input.psnNo, kind: input.kind,
                                           insuredAdmdvs: SettlementCalculator.province(person.insuplcAdmdvs), filedAdmdvs: input.filedAdmdvs,
                                           start: input.start ?? now, end: input.end, extraInstitutions: input.extraInstitutions ?? [], measures: measures)
        try await store.save(filing)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.filing.create", actor: "admin", subject: input.psnNo,
                                               payload: ["filing": filing.filingId, "kind": filing.kind.rawValue, "filedAdmdvs": filing.filedAdmdvs]))
        return filing
    }

    /// Cancels an active filing.
    package static func cancelFiling(_ id: String, store: any StoreWriting, now: Date) async throws -> CrossRegionFiling {
        guard var filing = try await store.filing(id: id) else {
            throw DomainError(.filingUnknown, .notFound, rule: .xr2, pointer: "", "no filing \(id)")
        }
        guard filing.status == .active else {
            throw DomainError(.filingAlreadyCancelled, .conflict, rule: .xr2, pointer: "", "filing \(id) was already cancelled")
        }
        filing.status = .cancelled
        filing.cancelledAt = now
        try await store.save(filing)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.filing.cancel", actor: "admin", subject: filing.psnNo, payload: ["filing": id]))
        return filing
    }

    /// PY-9: pays back the fund share of a failed real-time settlement (`payOrdId`), or — XR-4 — of a
    /// cross-region visit paid in cash and filed after the fact (`claimNo` …).
    package static func reimburse(_ input: ReimbursementInput, settlement: SettlementCalculator, store: any StoreWriting, now: Date) async throws -> JSONValue {
        guard let payOrdId = input.payOrdId else {
            return try await settlement.reimburseAfterTheFact(input, store: store, now: now)
        }
        guard var order = try await store.paymentOrder(payOrdId: payOrdId), order.psnNo == input.psnNo else {
            throw DomainError(.orderUnknown, .notFound, rule: .py9, pointer: "/payOrdId", "no payment order \(payOrdId) of \(input.psnNo)")
        }
        guard order.status == .settlementFailed else {
            throw DomainError(.reimbursementNotNeeded, .conflict, rule: .py9, pointer: "/payOrdId",
                              "manual reimbursement is for a failed real-time settlement (ordStas 15); order \(order.payOrdId) is \(order.status.rawValue) (\(order.status.label))")
        }
        if let done = order.reimbursementId {
            throw DomainError(.reimbursementDone, .conflict, rule: .py9, pointer: "/payOrdId", "order \(order.payOrdId) was already reimbursed (\(done))")
        }
        // The patient paid everything in cash; the fund share computed at 6201 is paid back to them.
        let computed = (try? JSONValue.parse(order.settlement))?.objectValue ?? [:]
        let id = try await Identifiers.mint(.reimbursement, store: store, now: now)
        order.reimbursementId = id
        try await store.save(order)
        let year = SettlementCalculator.year(now)
        let used = try await store.personYear(psnNo: order.psnNo, year: year)
        try await store.savePersonYear(psnNo: order.psnNo, year: year, deductibleUsedFen: used.deductibleUsedFen + (Money.fen(computed[key: "act_pay_dedc"]) ?? 0),
                                       fundPaidFen: used.fundPaidFen + order.fundFen)
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.reimbursement", actor: "admin", subject: order.payOrdId,
                                               payload: ["reimbursement": id, "psn_no": order.psnNo, "fund": Money.yuan(order.fundFen)]))
        return .object(["reimbursementId": .string(id), "payOrdId": .string(order.payOrdId), "psnNo": .string(order.psnNo),
                        "medfeeSumamt": .string(Money.yuan(order.feeSumFen)), "reimbursedAmt": .string(Money.yuan(order.fundFen)),
                        "rule": .string(Rule.py9.rawValue)])
    }

    /// SV-4: institutions in force by kind, settlements and fees, fees by charge type.
    /// SV-4 for a period: the settlements of [`from`, `to`] (Beijing days, both included), each institution's FSI
    /// settlements in force and paid mobile orders net of their refunds — their count, fees and fund, account and
    /// cash shares — and their fee lines by charge type, with the drugs by category (`med_chrgitm_type` 09 western
    /// medicine, 10 Chinese patent medicine, 11 Chinese herbal pieces); a fully refunded order's lines count no more.
    package static func statistics(from: Date, to: Date, store: any StoreReading, now: Date) async throws -> JSONValue {
        let drugCategories = ["09": "westernMedicine", "10": "chinesePatentMedicine", "11": "chineseHerbalPieces"]
        var count = 0
        var totals = (medfee: Int64(0), fund: Int64(0), account: Int64(0), cash: Int64(0))
        var byChargeType: [String: Int64] = [:]
        var byInstitution: [String: (count: Int, medfee: Int64, fund: Int64)] = [:]
        // SC-4: Internet+ apart from offline, local apart from off-site (the person insured in another province).
        var byGroup: [String: (count: Int, medfee: Int64, fund: Int64)] = ["internet": (0, 0, 0), "offline": (0, 0, 0), "local": (0, 0, 0), "offSite": (0, 0, 0)]
        for institution in try await store.institutions() {
            for entry in try await store.settlementEntries(institutionCode: institution.code, from: from, to: to) {
                let lines: [LineResult]
                if entry.kind == "6202" {
                    guard let order = try await store.paymentOrder(payOrdId: entry.id), order.status != .refunded else { continue }
                    lines = (try? JSONDecoder().decode([LineResult].self, from: Data(order.lines.utf8))) ?? []
                } else {
                    lines = try await store.outpatientSettlement(setlId: entry.id)?.result.lines ?? []
                }
                count += 1
                totals.medfee += entry.medfee
                totals.fund += entry.fund
                totals.account += entry.account
                totals.cash += entry.cash
                // PY-7: each settlement's fund share is the settling institution's — a pharmacy's 2102 of circulated prescriptions is the pharmacy's.
                byInstitution[institution.code, default: (0, 0, 0)].count += 1
                byInstitution[institution.code, default: (0, 0, 0)].medfee += entry.medfee
                byInstitution[institution.code, default: (0, 0, 0)].fund += entry.fund
                let offSite = !entry.insuredAdmdvs.isEmpty && entry.insuredAdmdvs.prefix(2) != institution.admdvs.prefix(2)
                for group in [lines.isEmpty || lines.contains(where: \.online) ? "internet" : "offline", offSite ? "offSite" : "local"] {
                    byGroup[group]!.count += 1
                    byGroup[group]!.medfee += entry.medfee
                    byGroup[group]!.fund += entry.fund
                }
                for line in lines { byChargeType[line.medChrgitmType, default: 0] += line.detItemFeeSumamt.fen }
            }
        }
        func group(_ figures: (count: Int, medfee: Int64, fund: Int64)) -> JSONValue {
            .object(["settlements": .integer(figures.count), "medfeeSumamt": .string(Money.yuan(figures.medfee)), "fundPaySumamt": .string(Money.yuan(figures.fund))])
        }
        func amounts(_ values: [String: Int64]) -> JSONValue {
            .object(JSONObject(values.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string(Money.yuan($0.value))) }))
        }
        return .object([
            "from": .string(Timestamps.day(from)), "to": .string(Timestamps.day(to.addingTimeInterval(-1))),
            "settlements": .integer(count), "medfeeSumamt": .string(Money.yuan(totals.medfee)), "fundPaySumamt": .string(Money.yuan(totals.fund)),
            "acctPay": .string(Money.yuan(totals.account)), "psnCashPay": .string(Money.yuan(totals.cash)),
            "feesByChargeType": amounts(byChargeType),
            "drugFeesByCategory": amounts(Dictionary(uniqueKeysWithValues: drugCategories.map { ($0.value, byChargeType[$0.key] ?? 0) })),
            "byServiceMode": .object(["internet": group(byGroup["internet"]!), "offline": group(byGroup["offline"]!)]),
            "byPlace": .object(["local": group(byGroup["local"]!), "offSite": group(byGroup["offSite"]!)]),
            "byInstitution": .object(JSONObject(byInstitution.sorted { $0.key < $1.key }.map {
                .init(key: $0.key, value: .object(["settlements": .integer($0.value.count), "medfeeSumamt": .string(Money.yuan($0.value.medfee)),
                                                     "fundPaySumamt": .string(Money.yuan($0.value.fund))]))
            })),
        ])
    }

    package static func statistics(store: any StoreReading, now: Date) async throws -> JSONValue {
        let institutions = try await store.institutions()
        var byKind: [String: Int] = [:]
        for institution in institutions where institution.publicListing(at: now) != nil { byKind[institution.kind.rawValue, default: 0] += 1 }
        // SQL aggregates over indexed, typed columns: no settlement document is decoded.
        let settled = try await store.settlementStatistics()
        let volume = settled.settlements, total = settled.medfeeFen, fees = settled.feesByChargeType
        return .object([
            "institutionsInForce": .object(JSONObject(byKind.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .integer($0.value)) })),
            "settlements": .integer(volume), "medfeeSumamt": .string(Money.yuan(total)),
            "feesByChargeType": .object(JSONObject(fees.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string(Money.yuan($0.value))) })),
        ])
    }
}

/// `POST /admin/reimbursements`: manual reimbursement after a failed real-time settlement (PY-9).
/// Either `payOrdId` (a failed mobile payment) or, for a cross-region visit paid in cash and filed after
/// the fact (XR-4), `claimNo`, `institutionCode`, `visitDate` and `feedetailList`.
package struct ReimbursementInput: Codable, Sendable {
    package var psnNo: String
    package var payOrdId: String?
    package var claimNo: String?
    package var institutionCode: String?
    package var visitDate: String?
    package var feedetailList: [ReimbursementLine]?
}

package struct ReimbursementLine: Codable, Sendable {
    package var feedetlSn: String
    package var medListCodg: String
    package var pric: String
    package var cnt: String
    package var detItemFeeSumamt: String
}

/// `POST /admin/filings`: a cross-region filing (XR-2, XR-3).
package struct FilingInput: Codable, Sendable {
    package var psnNo: String
    package var kind: CrossRegionFiling.Kind
    /// The province-level admdvs of the place of treatment, e.g. 120000.
    package var filedAdmdvs: String
    package var start: Date?
    package var end: Date?
    package var extraInstitutions: [String]?
}

