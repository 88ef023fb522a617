import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

extension AdminEndpoint {
    /// The admin routes of manual reimbursement (PY-9), reconciliation, statistics (SV-4), callbacks, an order's derivation.
    func registerSettlements(on admin: RouterGroup<GatewayRequestContext>) {
        admin.post("/reimbursements") { request, _ in
            let input = try await decode(ReimbursementInput.self, request)
            let now = await gateway.clock.now()
            let settlement = gateway.settlement
            let answer = try await gateway.store.write { try await AgencyServices.reimburse(input, settlement: settlement, store: $0, now: now) }
            return JSONResponse.make(answer, status: .created)
        }
        admin.get("/reconciliation") { request, _ in
            guard let institution = request.uri.queryParameters.get("institution") else {
                throw DomainError.missing("/institution", "the query parameter institution")
            }
            let today = Timestamps.day(await gateway.clock.now())
            let from = request.uri.queryParameters.get("from") ?? today
            let to = request.uri.queryParameters.get("to") ?? today
            let entries = try await gateway.store.read { try await Reconciliation.entries(institution: institution, from: from, to: to, store: $0) }
            let totals = Reconciliation.totals(entries)
            return JSONResponse.make(.object([
                "institution": .string(institution), "from": .string(from), "to": .string(to),
                "totals": .object(["medfee_sumamt": .string(Money.yuan(totals.medfee)), "fund_pay_sumamt": .string(Money.yuan(totals.fund)),
                                   "acct_pay": .string(Money.yuan(totals.account)), "fixmedins_setl_cnt": .string(String(totals.count))]),
                "details": .array(entries.map { .object(["kind": .string($0.kind), "id": .string($0.id), "time": .string(Timestamps.fsi($0.at)),
                                                         "medfee_sumamt": .string(Money.yuan($0.medfee)), "fund_pay_sumamt": .string(Money.yuan($0.fund)),
                                                         "acct_pay": .string(Money.yuan($0.account)), "psn_cash_pay": .string(Money.yuan($0.cash))]) }),
            ]))
        }
        // SV-4: institutions, service volume and fees, drug categories and fees.
        admin.get("/statistics") { request, _ in
            let now = await gateway.clock.now()
            let from = request.uri.queryParameters.get("from"), to = request.uri.queryParameters.get("to")
            guard from != nil || to != nil else {
                return JSONResponse.make(try await gateway.store.read { try await AgencyServices.statistics(store: $0, now: now) })
            }
            // A period, Beijing days both included: from its first instant to the instant after its last day.
            guard let first = Timestamps.parseDay(from ?? "") else {
                throw DomainError.invalidValue("/from", "from is the period's first day, yyyy-MM-dd", expected: "yyyy-MM-dd", actual: from ?? "absent", rule: .sv4)
            }
            guard let last = Timestamps.parseDay(to ?? ""), last >= first else {
                throw DomainError.invalidValue("/to", "to is the period's last day, yyyy-MM-dd, not before from", expected: "yyyy-MM-dd ≥ \(from ?? "")", actual: to ?? "absent", rule: .sv4)
            }
            let end = last.addingTimeInterval(86_400)
            return JSONResponse.make(try await gateway.store.read { try await AgencyServices.statistics(from: first, to: end, store: $0, now: now) })
        }
        // PY-10: the flags settlements were kept with, and their manual review.
        admin.get("/audit-flags") { request, _ in
            guard let code = request.uri.queryParameters.get("institution") else { throw DomainError.missing("/institution", "the query parameter institution") }
            let status = request.uri.queryParameters.get("status") ?? "open"
            guard ["open", "all"].contains(status) else {
                throw DomainError.invalidValue("/status", "status is open (settlements with a flag not yet reviewed) or all", expected: "open or all", actual: status, rule: .py10)
            }
            let from = try request.uri.queryParameters.get("from").map { text -> Date in
                guard let day = Timestamps.parseDay(text) else { throw DomainError.invalidValue("/from", "from is a day, yyyy-MM-dd", expected: "yyyy-MM-dd", actual: text, rule: .py10) }
                return day
            } ?? Date(timeIntervalSince1970: 0)
            let now = await gateway.clock.now()
            let to = try request.uri.queryParameters.get("to").map { text -> Date in
                guard let day = Timestamps.parseDay(text) else { throw DomainError.invalidValue("/to", "to is a day, yyyy-MM-dd", expected: "yyyy-MM-dd", actual: text, rule: .py10) }
                return day.addingTimeInterval(86_400)
            } ?? now.addingTimeInterval(86_400)
            let flagged = try await gateway.store.read { store -> [Declarations.Flagged] in
                guard let institution = try await store.institution(code: code) else {
                    throw DomainError(.institutionUnknown, .notFound, rule: nil, pointer: "/institution", "no institution \(code)")
                }
                return try await Declarations.settlements(institution: institution, from: from, to: to, store: store)
            }.filter { status == "all" ? !$0.flags.isEmpty : $0.open > 0 }
            return JSONResponse.make(.object(["institution": .string(code), "status": .string(status), "settlements": .array(flagged.map(\.json))]))
        }
        admin.post("/audit-flags/review") { request, _ in
            let input = try await decode(FlagReviewInput.self, request)
            let now = await gateway.clock.now()
            return JSONResponse.make(try await gateway.store.write { try await Declarations.review(input, store: $0, now: now) })
        }
        // PY-8, PY-10, SC-4: a month's declaration as it stands now.
        admin.get("/declarations") { request, _ in
            guard let code = request.uri.queryParameters.get("institution") else { throw DomainError.missing("/institution", "the query parameter institution") }
            guard let month = request.uri.queryParameters.get("setlym") else { throw DomainError.missing("/setlym", "the query parameter setlym (yyyyMM)") }
            return JSONResponse.make(try await gateway.store.read { try await Declarations.month(month, institution: code, store: $0) })
        }
        admin.get("/callbacks") { request, _ in
            let institution = request.uri.queryParameters.get("institution")
            let limit = max(1, min(request.uri.queryParameters.get("limit", as: Int.self) ?? 100, 1000))
            let callbacks = try await gateway.store.read { try await $0.callbacks(institutionCode: institution, limit: limit) }
            return try JSONResponse.encode(callbacks)
        }
        // The policy engine's derivation of a mobile-payment order (the sentences real clients cannot take in signed data).
        admin.get("/orders/:payOrdId/derivation") { _, context in
            let id = try context.parameters.require("payOrdId")
            guard let order = try await gateway.store.read({ try await $0.paymentOrder(payOrdId: id) }) else {
                throw DomainError(.orderUnknown, .notFound, rule: .py6, pointer: "", "no payment order \(id)")
            }
            func derivation(_ text: String?) -> JSONValue {
                text.flatMap { try? JSONValue.parse($0) }.flatMap { SignedAnswer.split($0).derivation } ?? .null
            }
            return JSONResponse.make(.object(["payOrdId": .string(order.payOrdId), "uploadDerivation": derivation(order.uploadAnswer),
                                              "payDerivation": derivation(order.payAnswer)]))
        }
    }
}
