import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// What an operator may do to an order's callbacks from the web console (docs/GATEWAY.md §14):
/// send the latest one again, or trigger a fresh one for the order as it stands (like
/// `stripe trigger`) — each in the caller's one write transaction, traced.
public struct CallbackControl: Sendable {
    package let settlement: SettlementCalculator

    package init(settlement: SettlementCalculator) {
        self.settlement = settlement
    }

    /// Queues the order's latest callback again, due now (the same sealed bytes: a receiver that
    /// acknowledged it must acknowledge the duplicate). Its attempts start over.
    public func resend(payOrdId: String, store: any StoreWriting, now: Date) async throws -> Callback {
        let order = try await Self.order(payOrdId, store: store)
        guard var callback = try await store.callbacks(institutionCode: order.institutionCode, limit: 1000)
            .filter({ $0.payOrdId == payOrdId }).max(by: { $0.createdAt < $1.createdAt }) else {
            throw DomainError(.orderWrongState, .conflict, rule: .py6, pointer: "/payOrdId",
                              "order \(payOrdId) has no callback to resend: none was queued (is a callback URL set for \(order.institutionCode)?); trigger one instead")
        }
        callback.state = .pending
        callback.attempts = 0
        callback.nextAttemptAt = now
        callback.log.append("\(Timestamps.iso(now)) resent from the console")
        try await store.save(callback)
        try await store.appendTrace(TraceEvent(at: now, kind: "console.callback.resend", actor: "admin", subject: payOrdId, outcome: "queued",
                                               payload: ["callback": callback.id]))
        return callback
    }

    /// Queues a new callback of the order's current state: its settlement once paid, its refund
    /// once refunded; refused for an order not paid yet or an institution without a callback URL.
    public func trigger(payOrdId: String, store: any StoreWriting, now: Date) async throws -> Callback {
        let order = try await Self.order(payOrdId, store: store)
        let kind: SettlementNotice.Kind
        switch order.status {
        case .insurancePaid, .complete, .settlementFailed: kind = .settlement
        case .refunded, .partlyRefundedCash, .partlyRefundedInsurance, .partlyRefundedBoth, .partlyRefundedRepeatedly: kind = .refund
        default:
            throw DomainError(.orderWrongState, .conflict, rule: .py6, pointer: "/payOrdId",
                              "order \(payOrdId) is \(order.status) (ordStas \(order.status.rawValue)): only a paid or refunded order has a callback to trigger")
        }
        guard let app = try await store.app(institutionCode: order.institutionCode), let url = app.callbackURL, !url.isEmpty else {
            throw DomainError(.orderWrongState, .conflict, rule: .py6, pointer: "/payOrdId",
                              "\(order.institutionCode) has no callback URL (POST /admin/institutions/\(order.institutionCode)/callback): nothing to send")
        }
        var setlinfo: JSONObject = [:]
        if kind == .settlement, order.status != .settlementFailed {
            setlinfo = (try? JSONValue.parse(order.settlement))?.objectValue ?? [:]
            setlinfo["setl_id"] = .string(order.setlId ?? "")
        }
        let notice = try await settlement.notice(order, kind: kind, setlinfo: setlinfo, store: store, now: now)
        guard let queued = try await settlement.notifier.queue(notice, order: order, store: store, now: now) else {
            throw DomainError(.orderWrongState, .conflict, rule: .py6, pointer: "/payOrdId",
                              "the dialect of \(order.institutionCode) sends no \(kind == .refund ? "refund " : "")callback: nothing was queued")
        }
        try await store.appendTrace(TraceEvent(at: now, kind: "console.callback.trigger", actor: "admin", subject: payOrdId, outcome: "queued",
                                               payload: ["callback": queued.id, "kind": kind == .refund ? "refund" : "settlement"]))
        return queued
    }

    static func order(_ payOrdId: String, store: any StoreReading) async throws -> PaymentOrder {
        guard let order = try await store.paymentOrder(payOrdId: payOrdId) else {
            throw DomainError(.orderUnknown, .notFound, rule: .py6, pointer: "/payOrdId", "no payment order \(payOrdId)")
        }
        return order
    }
}
