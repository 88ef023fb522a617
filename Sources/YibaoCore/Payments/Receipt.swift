import Foundation
import YibaoCrypto

/// PY-11: the receipt a settlement yields (TJ 5: electronic bills, electronic invoices or paper bills,
/// given to the patient in time). The simulated fiscal e-bill platform issues an e-bill (财政电子票据:
/// 票据代码, 票据号码, 校验码) unless the institution sent its own e-invoice number (`invono`) or
/// issues paper receipts.
public struct Receipt: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// 医疗收费电子票据 — issued through the fiscal e-bill platform.
        case eBill
        /// 电子发票 — the institution's own electronic invoice (`invono`).
        case eInvoice
        /// 纸质票据 — a paper receipt: only its kind is on record.
        case paper
    }

    public var kind: Kind
    /// 票据代码 `billBatchCode` of an e-bill: the institution's 6-digit area and the year's last two digits; empty otherwise.
    public var billCode: String
    /// 票据号码 `billNo` of an e-bill, or the e-invoice number; empty for paper.
    public var billNo: String
    /// 校验码 `random` of an e-bill; empty otherwise.
    public var checkCode: String
    /// The amount the receipt is for: the settlement's total medical fees.
    public var amountFen: Int64
    public var issuedAt: Date

    public init(kind: Kind, billCode: String = "", billNo: String = "", checkCode: String = "", amountFen: Int64, issuedAt: Date) {
        self.kind = kind
        self.billCode = billCode
        self.billNo = billNo
        self.checkCode = checkCode
        self.amountFen = amountFen
        self.issuedAt = issuedAt
    }

    /// Which receipt a settlement yields: the institution's e-invoice when the request names one,
    /// a paper receipt where the institution issues paper, else an e-bill.
    public static func kind(invono: String?, paperReceipts: Bool) -> Kind {
        if let invono, !invono.trimmingCharacters(in: .whitespaces).isEmpty { return .eInvoice }
        return paperReceipts ? .paper : .eBill
    }

    /// The 票据代码 of an e-bill issued for an institution of `admdvs` at `at` (Beijing year).
    public static func billCode(admdvs: String, at: Date) -> String {
        String(admdvs.prefix(6)) + String(Timestamps.day(at).prefix(4).suffix(2))
    }

    /// The members an FSI answer carries (2207, 2102 and 5203 `setlinfo`).
    public var fsiMembers: JSONObject {
        ["receipt_type": .string(kind.rawValue), "bill_code": .string(billCode), "bill_no": .string(billNo), "bill_chk_code": .string(checkCode),
         "bill_amt": .string(Money.yuan(amountFen)), "bill_time": .string(Timestamps.fsi(issuedAt))]
    }

    /// The `receipt` object of an HSE answer (6202, 6301), named as the fiscal e-bill platform names them.
    public var hseObject: JSONValue {
        .object(["receiptType": .string(kind.rawValue), "billBatchCode": .string(billCode), "billNo": .string(billNo), "random": .string(checkCode),
                 "billAmt": .string(Money.yuan(amountFen)), "issueTime": .string(Timestamps.fsi(issuedAt))])
    }
}
