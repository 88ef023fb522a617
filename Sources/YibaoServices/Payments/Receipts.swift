import Foundation
import YibaoCore
import YibaoStore

/// PY-11: issues the receipt of a settlement in the settlement's transaction — the simulated fiscal
/// e-bill platform's e-bill, the institution's e-invoice (`invono`), or a paper receipt
/// (`Institution.paperReceipts`).
package enum Receipts {
    /// SV-6 (forged receipts): an institution's e-invoice number names one settlement in force only. Kept with the
    /// settlement that used it (`settlement`: a setl_id or a payOrdId); a number whose settlement no longer stands
    /// (cancelled by 2208 or 2103, reversed by 2601, refunded in full, revoked) may be used again. A number in use is
    /// refused, naming the member that carried it. With `settlement` nil it is only checked (6201: reserved at 6202).
    package static func reserveInvoiceNumber(_ invono: String?, institution: String, settlement: String?, pointer: String,
                                             store: any StoreWriting, now: Date) async throws {
        guard let number = invono?.trimmingCharacters(in: .whitespaces), !number.isEmpty else { return }
        let scope = "invoice:\(institution)"
        if let holder = try await store.keptAnswer(scope: scope, key: number, at: now), holder != settlement,
           try await stands(holder, store: store) {
            throw DomainError(.receiptNumberReused, .conflict, rule: .sv6, pointer: pointer,
                              "e-invoice number \(number) was already given for settlement \(holder) of \(institution), which stands: one invoice, one settlement (a reused number is a forged or duplicated receipt)",
                              actual: number)
        }
        if let settlement {
            try await store.keepAnswer(scope: scope, key: number, answer: settlement, at: now, expiresAt: now.addingTimeInterval(10 * 366 * 86_400))
        }
    }

    /// Whether the settlement `id` (a setl_id of 2207/2102, or a payOrdId) still stands.
    private static func stands(_ id: String, store: any StoreReading) async throws -> Bool {
        if let settlement = try await store.outpatientSettlement(setlId: id) { return settlement.status == .settled }
        if let order = try await store.paymentOrder(payOrdId: id) { return ![.refunded, .cancelled, .settlementFailed].contains(order.status) }
        return false
    }

    package static func issue(for institution: Institution, amountFen: Int64, invono: String?, store: any StoreWriting, now: Date) async throws -> Receipt {
        switch Receipt.kind(invono: invono, paperReceipts: institution.paperReceipts == true) {
        case .eInvoice:
            return Receipt(kind: .eInvoice, billNo: (invono ?? "").trimmingCharacters(in: .whitespaces), amountFen: amountFen, issuedAt: now)
        case .paper:
            return Receipt(kind: .paper, amountFen: amountFen, issuedAt: now)
        case .eBill:
            return Receipt(kind: .eBill, billCode: Receipt.billCode(admdvs: institution.admdvs, at: now),
                           billNo: try await Identifiers.mint(.eBill, store: store, now: now),
                           checkCode: TokenGenerator.hex(bytes: 3).uppercased(), amountFen: amountFen, issuedAt: now)
        }
    }
}
