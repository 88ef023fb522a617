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
