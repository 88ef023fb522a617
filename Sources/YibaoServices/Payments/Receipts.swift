import Foundation
import YibaoCore
import YibaoStore

/// PY-11: issues the receipt of a settlement in the settlement's transaction — the simulated fiscal
/// e-bill platform's e-bill, the institution's e-invoice (`invono`), or a paper receipt
/// (`Institution.paperReceipts`).
package enum Receipts {
    /// SV-6 (forged receipts): an institution's e-invoice number names one settlement only. Reserved in the
    /// settlement's transaction (a refusal later in it releases it); a number used before is refused, naming
    /// the member that carried it.
    package static func reserveInvoiceNumber(_ invono: String?, institution: String, pointer: String, store: any StoreWriting, now: Date) async throws {
        guard let number = invono?.trimmingCharacters(in: .whitespaces), !number.isEmpty else { return }
        guard try await store.recordNonce(scope: "invoice:\(institution)", value: number, at: now) else {
            throw DomainError(.receiptNumberReused, .conflict, rule: .sv6, pointer: pointer,
                              "e-invoice number \(number) was already given for another settlement of \(institution): one invoice, one settlement (a reused number is a forged or duplicated receipt)",
                              actual: number)
        }
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
