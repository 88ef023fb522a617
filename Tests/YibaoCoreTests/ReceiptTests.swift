import Foundation
import Testing
@testable import YibaoCore
import YibaoCrypto

/// PY-11: the receipt a settlement yields (TJ 5: e-bills, e-invoices or paper receipts).
@Suite("Receipts (PY-11)")
struct ReceiptTests {
    @Test("the institution's e-invoice number wins; otherwise paper where the institution gives paper, else an e-bill")
    func kind() {
        #expect(Receipt.kind(invono: "INV1", paperReceipts: false) == .eInvoice)
        #expect(Receipt.kind(invono: "INV1", paperReceipts: true) == .eInvoice)
        #expect(Receipt.kind(invono: "  ", paperReceipts: false) == .eBill)
        #expect(Receipt.kind(invono: nil, paperReceipts: true) == .paper)
        #expect(Receipt.kind(invono: nil, paperReceipts: false) == .eBill)
    }

    @Test("an e-bill's 票据代码 is the institution's area and the Beijing year; the answers name the members as FSI and the e-bill platform do")
    func members() {
        // 2026-12-31 17:00 UTC is 2027-01-01 01:00 in Beijing.
        let newYear = Date(timeIntervalSince1970: 1_798_736_400)
        #expect(Receipt.billCode(admdvs: "120101", at: newYear) == "12010127")
        let receipt = Receipt(kind: .eBill, billCode: "12010127", billNo: "0000000042", checkCode: "A1B2C3", amountFen: 2_550, issuedAt: newYear)
        #expect(receipt.fsiMembers[key: "bill_no"] == "0000000042" && receipt.fsiMembers[key: "bill_amt"] == "25.50" && receipt.fsiMembers[key: "receipt_type"] == "eBill")
        #expect(receipt.hseObject.objectValue?[key: "billBatchCode"] == "12010127" && receipt.hseObject.objectValue?[key: "random"] == "A1B2C3")
        let decoded = try? JSONDecoder().decode(Receipt.self, from: JSONEncoder().encode(receipt))
        #expect(decoded == receipt)
    }
}
