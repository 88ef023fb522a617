import Foundation
import YibaoCore
import YibaoStore

/// Where a settled, failed or refunded payment is announced to the hospital (结算结果通知): the
/// gateway implements it by sealing the notice in the institution's dialect and queueing a callback
/// in the same transaction, so the use cases never see keys or envelopes.
package protocol SettlementNotifier: Sendable {
    /// Queues `notice` of `order` for delivery and returns the callback queued; nil when none is
    /// (the institution has no callback URL, or its dialect sends no callback of this kind).
    @discardableResult
    func queue(_ notice: SettlementNotice, order: PaymentOrder, store: any StoreWriting, now: Date) async throws -> Callback?
}
