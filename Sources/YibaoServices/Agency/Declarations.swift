import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// `POST /admin/audit-flags/review`: a reviewer's decision on one flag of a settlement (PY-10).
package struct FlagReviewInput: Codable, Sendable {
    /// `6202` (a mobile-payment order, `id` its payOrdId) or `2207` (an FSI settlement, also a pharmacy's 2102; `id` its setl_id).
    package var kind: String
    package var id: String
    /// The flag's position in the settlement's `flags` (0-based).
    package var flag: Int
    /// `accepted` or `refused`.
    package var decision: FlagReview.Decision
    /// The part of the fund share refused payment, yuan; the whole of what is left when absent (refused only).
    package var refusedFundAmt: String?
    package var note: String?
}

/// PY-8, PY-10, SC-4: the flags settlements were kept with, their manual review, and each month's declaration
/// recomputed as it stands — after refunds, reversals and refused flags — split Internet / offline and local / off-site.
package enum Declarations {
    /// One settlement with its flags (a mobile-payment order or an FSI settlement).
    package struct Flagged: Sendable {
        package var kind: String
        package var id: String
        package var at: Date
        package var psnNo: String
        package var fundFen: Int64
        package var flags: [String]
        package var reviews: [FlagReview]
        package var offSite: Bool
        package var internet: Bool

        /// What reviewers refused, never more than the fund share as it stands (refunds after a review lower it).
        package var refusedFundFen: Int64 { min(fundFen, reviews.reduce(0) { $0 + $1.refusedFundFen }) }
        package var open: Int { flags.count - reviews.count }

        package var json: JSONValue {
            .object([
                "kind": .string(kind), "id": .string(id), "time": .string(Timestamps.fsi(at)), "psnNo": .string(psnNo),
                "fundPaySumamt": .string(Money.yuan(fundFen)), "refusedFundAmt": .string(Money.yuan(refusedFundFen)),
                "flags": .array(flags.enumerated().map { index, flag in
                    var entry: JSONObject = ["flag": .integer(index), "finding": .string(FlagReview.finding(of: flag)), "detail": .string(flag)]
                    if let review = reviews.first(where: { $0.flag == index }) {
                        entry["review"] = .object(["decision": .string(review.decision.rawValue), "refusedFundAmt": .string(Money.yuan(review.refusedFundFen)),
                                                   "note": .string(review.note), "reviewedAt": .string(Timestamps.iso(review.reviewedAt))])
                    }
                    return .object(entry)
                }),
            ])
        }
    }

    /// The settlements of `institution` in force with a settlement time in [from, to) and what each holds for the
    /// declaration: its flags and reviews, whether it was off-site (insured in another province) and Internet+.
    package static func settlements(institution: Institution, from: Date, to: Date, store: any StoreReading) async throws -> [Flagged] {
        var found: [Flagged] = []
        for entry in try await store.settlementEntries(institutionCode: institution.code, from: from, to: to) {
            let offSite = !entry.insuredAdmdvs.isEmpty && entry.insuredAdmdvs.prefix(2) != institution.admdvs.prefix(2)
            if entry.kind == "6202" {
                guard let order = try await store.paymentOrder(payOrdId: entry.id), order.status != .refunded else { continue }
                let lines = (try? JSONDecoder().decode([LineResult].self, from: Data(order.lines.utf8))) ?? []
                found.append(Flagged(kind: "6202", id: entry.id, at: entry.at, psnNo: order.psnNo, fundFen: entry.fund, flags: order.auditFindings,
                                     reviews: order.flagReviews ?? [], offSite: offSite, internet: lines.isEmpty || lines.contains(where: \.online)))
            } else if let settlement = try await store.outpatientSettlement(setlId: entry.id) {
                found.append(Flagged(kind: "2207", id: entry.id, at: entry.at, psnNo: settlement.psnNo, fundFen: entry.fund, flags: settlement.flags ?? [],
                                     reviews: settlement.flagReviews ?? [], offSite: offSite,
                                     internet: settlement.result.lines.isEmpty || settlement.result.lines.contains(where: \.online)))
            }
        }
        return found
    }

    /// Records a reviewer's decision on one flag; the settlement keeps it and the month's declaration counts it.
    package static func review(_ input: FlagReviewInput, store: any StoreWriting, now: Date) async throws -> JSONValue {
        let refused: Int64?
        if let text = input.refusedFundAmt {
            guard let fen = Money.fen(text) else {
                throw DomainError.invalidValue("/refusedFundAmt", "refusedFundAmt is an amount in yuan written as a string", expected: "e.g. \"12.50\"", actual: text, rule: .py10)
            }
            refused = fen
        } else {
            refused = nil
        }
        func unknown() -> DomainError {
            DomainError(.settlementNotFlagged, .notFound, rule: .py10, pointer: "/id",
                        "no settlement \(input.id) of kind \(input.kind) in force (kind 6202 names a payOrdId, 2207 a setl_id)", actual: input.id)
        }
        let review: FlagReview
        let institution: String
        switch input.kind {
        case "6202":
            guard var order = try await store.paymentOrder(payOrdId: input.id), order.setlId != nil, order.status != .refunded else { throw unknown() }
            review = try FlagReview.decide(flags: order.auditFindings, existing: order.flagReviews ?? [], flag: input.flag, decision: input.decision,
                                           refusedFundFen: refused, fundFen: order.fundFen - order.refundedFen.fund, note: input.note ?? "", at: now)
            order.flagReviews = (order.flagReviews ?? []) + [review]
            institution = order.institutionCode
            try await store.save(order)
        case "2207":
            guard var settlement = try await store.outpatientSettlement(setlId: input.id), settlement.status == .settled else { throw unknown() }
            review = try FlagReview.decide(flags: settlement.flags ?? [], existing: settlement.flagReviews ?? [], flag: input.flag, decision: input.decision,
                                           refusedFundFen: refused, fundFen: settlement.result.fundPaySumamt.fen, note: input.note ?? "", at: now)
            settlement.flagReviews = (settlement.flagReviews ?? []) + [review]
            institution = settlement.institutionCode
            try await store.save(settlement)
        default:
            throw DomainError.invalidValue("/kind", "kind is 6202 (a mobile-payment order) or 2207 (an FSI settlement, a pharmacy's 2102 too)",
                                           expected: "6202 or 2207", actual: input.kind, rule: .py10)
        }
        try await store.appendTrace(TraceEvent(at: now, kind: "admin.flag.review", actor: "admin", subject: input.id,
                                               outcome: review.decision.rawValue,
                                               payload: ["institution": institution, "finding": review.finding, "refused_fund": Money.yuan(review.refusedFundFen)]))
        return .object(["kind": .string(input.kind), "id": .string(input.id), "flag": .integer(review.flag), "finding": .string(review.finding),
                        "decision": .string(review.decision.rawValue), "refusedFundAmt": .string(Money.yuan(review.refusedFundFen)),
                        "note": .string(review.note), "reviewedAt": .string(Timestamps.iso(review.reviewedAt))])
    }

    /// The month `setlym` (yyyyMM) of `institution` as it stands now: what its 3203 declared and what the platform counted
    /// then, the fund share of its settlements now (refunds and reversals since taken off), what reviewers refused of it,
    /// and what is payable — by Internet / offline and local / off-site — with the flags still open.
    package static func month(_ setlym: String, institution code: String, store: any StoreReading) async throws -> JSONValue {
        guard let institution = try await store.institution(code: code) else {
            throw DomainError(.institutionUnknown, .notFound, rule: nil, pointer: "/institution", "no institution \(code)")
        }
        guard setlym.count == 6, setlym.allSatisfy(\.isNumber), let first = Timestamps.parseDay(setlym.prefix(4) + "-" + setlym.suffix(2) + "-01") else {
            throw DomainError.invalidValue("/setlym", "setlym is the month, yyyyMM", actual: setlym, rule: .py8)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let end = calendar.date(byAdding: DateComponents(month: 1), to: first)!
        let settlements = try await settlements(institution: institution, from: first, to: end, store: store)
        func group(_ items: [Flagged]) -> JSONValue {
            let fund = items.reduce(Int64(0)) { $0 + $1.fundFen }, refused = items.reduce(Int64(0)) { $0 + $1.refusedFundFen }
            return .object(["settlements": .integer(items.count), "fundPaySumamt": .string(Money.yuan(fund)),
                            "refusedFundAmt": .string(Money.yuan(refused)), "payableFundAmt": .string(Money.yuan(fund - refused))])
        }
        var answer: JSONObject = ["institution": .string(code), "setlym": .string(setlym)]
        if let stored = try await store.setting("declaration:\(code):\(setlym)"),
           let declared = (try? JSONValue.parse(stored).objectValue)?["answer"]?.objectValue {
            answer["declared"] = .object(["fundAppySum": .string(declared[key: "fund_appy_sum"]), "platformFundSumThen": .string(declared[key: "platform_fund_sum"]),
                                          "clrStas": .string(declared[key: "clr_stas"]), "clrAppyEvtId": .string(declared[key: "clr_appy_evt_id"])])
        } else {
            answer["declared"] = .null
        }
        answer["now"] = group(settlements)
        answer["internet"] = group(settlements.filter(\.internet))
        answer["offline"] = group(settlements.filter { !$0.internet })
        answer["local"] = group(settlements.filter { !$0.offSite })
        answer["offSite"] = group(settlements.filter(\.offSite))
        answer["openFlags"] = .integer(settlements.reduce(0) { $0 + $1.open })
        answer["flagged"] = .array(settlements.filter { !$0.flags.isEmpty }.map(\.json))
        return .object(answer)
    }
}
