import Foundation

/// 订单状态 `ordStas` of a mobile-payment order, as PROTOCOL.md lists them.
public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    case saved = "0"
    case preSettled = "1"
    case awaitingPayment = "2"
    case selfPayDone = "3"
    case insurancePaid = "4"
    case inHospitalSettled = "5"
    case complete = "6"
    case refunded = "7"
    /// 8–11: partial refunds — 8 cash only, 9 insurance only (fund and/or account), 10 both parts, 11 several partial refunds.
    case partlyRefundedCash = "8"
    case partlyRefundedInsurance = "9"
    case partlyRefundedBoth = "10"
    case partlyRefundedRepeatedly = "11"
    case cancelled = "12"
    case insuranceCancelled = "13"
    case error = "14"
    case settlementFailed = "15"
    case refundInProgress = "17"

    public var label: String {
        switch self {
        case .saved: "saved"
        case .preSettled: "pre-settled"
        case .awaitingPayment: "awaiting payment"
        case .selfPayDone: "self-pay done"
        case .insurancePaid: "insurance paid"
        case .inHospitalSettled: "in-hospital settled"
        case .complete: "complete"
        case .refunded: "refunded"
        case .partlyRefundedCash: "partly refunded (cash)"
        case .partlyRefundedInsurance: "partly refunded (insurance)"
        case .partlyRefundedBoth: "partly refunded (cash and insurance)"
        case .partlyRefundedRepeatedly: "partly refunded (several refunds)"
        case .cancelled: "cancelled"
        case .insuranceCancelled: "insurance cancelled"
        case .error: "error"
        case .settlementFailed: "settlement failed"
        case .refundInProgress: "refund in progress"
        }
    }
}

/// A refund of a paid order (6203).
public struct Refund: Sendable, Codable, Hashable {
    /// 退款流水号 — the hospital's idempotency key.
    public var appRefdSn: String
    public var refundType: String
    public var totalFen: Int64
    public var accountFen: Int64
    public var fundFen: Int64
    public var cashFen: Int64
    public var at: Date
    /// The stored request body digest, for idempotency.
    public var requestDigest: String
    /// The answer given, returned again on a retry.
    public var answer: String
    /// The request's business data as sent, to name the first differing member of a conflicting retry.
    public var request: String?
    /// `refStatus` EXP: accepted, its money not yet returned until the hospital queries the order (6301).
    public var awaitingConfirmation: Bool?

    public init(appRefdSn: String, refundType: String, totalFen: Int64, accountFen: Int64, fundFen: Int64, cashFen: Int64, at: Date,
                requestDigest: String, answer: String) {
        self.appRefdSn = appRefdSn
        self.refundType = refundType
        self.totalFen = totalFen
        self.accountFen = accountFen
        self.fundFen = fundFen
        self.cashFen = cashFen
        self.at = at
        self.requestDigest = requestDigest
        self.answer = answer
    }
}

/// 移动支付订单 — a mobile-payment order from 6201 uldFeeInfo to completion and refunds.
/// Amounts are fen; the split is the policy engine's.
public struct PaymentOrder: Sendable, Codable, Hashable {
    public var payOrdId: String
    public var payToken: String
    public var institutionCode: String
    /// 医院订单号 and 收费批次号 — the hospital's idempotency keys of 6201.
    public var medOrgOrd: String
    public var chrgBchno: String
    public var psnNo: String
    public var mdtrtId: String
    public var insutype: String
    public var status: OrderStatus
    public var feeSumFen: Int64
    public var fundFen: Int64
    public var accountFen: Int64
    public var cashFen: Int64
    public var acctUsedFlag: Bool
    /// The settlement (setlinfo) as computed, JSON text, for answers and callbacks.
    public var settlement: String
    /// The fee-line classification (2204-style), JSON text.
    public var lines: String
    public var createdAt: Date
    public var paidAt: Date?
    public var setlId: String?
    public var cancelledAt: Date?
    /// Digests of the 6201 / 6202 request bodies and the answers given, for idempotent retries.
    public var uploadDigest: String
    public var uploadAnswer: String
    /// The 6201 business data as sent (to name the first differing member on a conflicting retry).
    public var uploadRequest: String = ""
    /// hiRxno of the circulated prescriptions the fee lines settle.
    public var prescriptionNumbers: [String] = []
    /// Smart-audit flags (findings that did not refuse), kept for manual review (PY-10).
    public var auditFindings: [String] = []
    /// PY-10: the reviewers' decisions on those flags.
    public var flagReviews: [FlagReview]?
    /// The manual reimbursement that paid the fund share after a failed real-time settlement (PY-9).
    public var reimbursementId: String?
    public var payDigest: String?
    public var payAnswer: String?
    /// The 6202 business data as sent.
    public var payRequest: String?
    public var refunds: [Refund]
    /// What authorised the payment at 6201: `payAuthNo:<n>` or `ecToken:<t>` (channel-mode payment spends it).
    public var credential: String?
    /// Set when the patient paid in the channel (the wallet or the cashier page), not the hospital by 6202.
    public var paidInChannel: String?
    /// The token of the cashier page 6201 returned (`cashierUrl`), for channel-mode payment.
    public var cashierToken: String?
    /// While a refund awaits confirmation (`ordStas` 17): the status the order takes once it is confirmed.
    public var statusAfterConfirmation: OrderStatus?
    /// PY-11: the receipt the payment yielded.
    public var receipt: Receipt?
    /// The institution's own e-invoice number sent with 6201 (`invono`), for the receipt.
    public var invono: String?

    public init(payOrdId: String, payToken: String, institutionCode: String, medOrgOrd: String, chrgBchno: String, psnNo: String,
                mdtrtId: String, insutype: String, feeSumFen: Int64, fundFen: Int64, accountFen: Int64, cashFen: Int64, acctUsedFlag: Bool,
                settlement: String, lines: String, createdAt: Date, uploadDigest: String, uploadAnswer: String) {
        self.payOrdId = payOrdId
        self.payToken = payToken
        self.institutionCode = institutionCode
        self.medOrgOrd = medOrgOrd
        self.chrgBchno = chrgBchno
        self.psnNo = psnNo
        self.mdtrtId = mdtrtId
        self.insutype = insutype
        self.status = .awaitingPayment
        self.feeSumFen = feeSumFen
        self.fundFen = fundFen
        self.accountFen = accountFen
        self.cashFen = cashFen
        self.acctUsedFlag = acctUsedFlag
        self.settlement = settlement
        self.lines = lines
        self.createdAt = createdAt
        self.uploadDigest = uploadDigest
        self.uploadAnswer = uploadAnswer
        self.refunds = []
    }

    public var refundedFen: (account: Int64, fund: Int64, cash: Int64) {
        refunds.reduce((0, 0, 0)) { ($0.0 + $1.accountFen, $0.1 + $1.fundFen, $0.2 + $1.cashFen) }
    }

    /// 6202: pays an order awaiting payment with its payToken.
    public mutating func pay(payToken: String, at now: Date, setlId: String, pointer: String) throws {
        guard payToken == self.payToken else {
            throw DomainError(.paytokenInvalid, .unauthenticated, rule: .py6, pointer: pointer + "/payToken",
                              "payToken is not the one 6201 returned for \(payOrdId)")
        }
        guard status == .awaitingPayment else {
            throw DomainError(.orderWrongState, .conflict, rule: .py6, pointer: pointer + "/payOrdId",
                              "order \(payOrdId) is \(status.rawValue) (\(status.label)); only an order awaiting payment (2) can be paid")
        }
        status = .complete
        paidAt = now
        self.setlId = setlId
    }

    /// Holds the refund just applied as awaiting confirmation (`refStatus` EXP): `ordStas` 17 until ``confirmRefunds()``.
    public mutating func holdLastRefund() {
        guard !refunds.isEmpty else { return }
        refunds[refunds.count - 1].awaitingConfirmation = true
        statusAfterConfirmation = status
        status = .refundInProgress
    }

    /// Confirms the refunds awaiting confirmation; returns them (their money is to be returned now).
    public mutating func confirmRefunds() -> [Refund] {
        var confirmed: [Refund] = []
        for index in refunds.indices where refunds[index].awaitingConfirmation == true {
            refunds[index].awaitingConfirmation = nil
            confirmed.append(refunds[index])
        }
        if let next = statusAfterConfirmation {
            status = next
            statusAfterConfirmation = nil
        }
        return confirmed
    }

    /// 6401: cancels an order that has not been paid.
    public mutating func revoke(at now: Date, pointer: String) throws {
        guard status == .awaitingPayment || status == .saved || status == .preSettled else {
            throw DomainError(.orderWrongState, .conflict, rule: .py6, pointer: pointer + "/payOrdId",
                              "order \(payOrdId) is \(status.rawValue) (\(status.label)); a paid order is refunded (6203), not revoked")
        }
        status = .cancelled
        cancelledAt = now
    }

    /// 6203: validates and applies a refund; `type` ALL, CASH or HI.
    public mutating func refund(_ refund: Refund, pointer: String) throws {
        guard [.complete, .partlyRefundedCash, .partlyRefundedInsurance, .partlyRefundedBoth, .partlyRefundedRepeatedly].contains(status) else {
            throw DomainError(.orderWrongState, .conflict, rule: .py6, pointer: pointer + "/payOrdId",
                              "order \(payOrdId) is \(status.rawValue) (\(status.label)); only a paid order can be refunded")
        }
        for (name, value) in [("psnAcctRefdAmt", refund.accountFen), ("fundRefdAmt", refund.fundFen), ("cashRefdAmt", refund.cashFen), ("totlRefdAmt", refund.totalFen)]
            where value < 0 {
            throw DomainError.invalidValue(pointer + "/\(name)", "\(name) cannot be negative", expected: "≥ 0.00", actual: Money.yuan(value), rule: .py6)
        }
        guard refund.totalFen == refund.accountFen + refund.fundFen + refund.cashFen else {
            throw DomainError.invalidValue(pointer + "/totlRefdAmt", "totlRefdAmt must equal psnAcctRefdAmt + fundRefdAmt + cashRefdAmt",
                                           expected: Money.yuan(refund.accountFen + refund.fundFen + refund.cashFen), actual: Money.yuan(refund.totalFen), rule: .py6)
        }
        guard refund.totalFen > 0 else { throw DomainError.invalidValue(pointer + "/totlRefdAmt", "a refund is more than 0.00", rule: .py6) }
        let done = refundedFen
        let remaining = (account: accountFen - done.account, fund: fundFen - done.fund, cash: cashFen - done.cash)
        for (name, asked, left) in [("psnAcctRefdAmt", refund.accountFen, remaining.account), ("fundRefdAmt", refund.fundFen, remaining.fund),
                                    ("cashRefdAmt", refund.cashFen, remaining.cash)] where asked > left {
            throw DomainError(.refundExceedsPaid, .conflict, rule: .py6, pointer: pointer + "/\(name)",
                              "\(name) \(Money.yuan(asked)) exceeds what is left to refund of that part", expected: "at most \(Money.yuan(left))", actual: Money.yuan(asked))
        }
        switch refund.refundType {
        case "ALL":
            guard refund.accountFen == remaining.account, refund.fundFen == remaining.fund, refund.cashFen == remaining.cash else {
                throw DomainError.invalidValue(pointer + "/totlRefdAmt", "refdType ALL refunds everything left: account \(Money.yuan(remaining.account)), fund \(Money.yuan(remaining.fund)), cash \(Money.yuan(remaining.cash))",
                                               expected: Money.yuan(remaining.account + remaining.fund + remaining.cash), actual: Money.yuan(refund.totalFen), rule: .py6)
            }
        case "CASH":
            guard refund.accountFen == 0, refund.fundFen == 0 else {
                throw DomainError.invalidValue(pointer + "/refdType", "refdType CASH refunds the cash part only", expected: "psnAcctRefdAmt and fundRefdAmt 0.00", rule: .py6)
            }
        case "HI":
            guard refund.cashFen == 0 else {
                throw DomainError.invalidValue(pointer + "/refdType", "refdType HI refunds the insurance part (fund and account) only", expected: "cashRefdAmt 0.00", rule: .py6)
            }
        default:
            throw DomainError.invalidValue(pointer + "/refdType", "refdType is ALL, CASH or HI", expected: "ALL | CASH | HI", actual: refund.refundType, rule: .py6)
        }
        refunds.append(refund)
        let total = refundedFen
        if total.account == accountFen && total.fund == fundFen && total.cash == cashFen {
            status = .refunded
        } else if refunds.count > 1 {
            status = .partlyRefundedRepeatedly
        } else if total.cash > 0 && total.account + total.fund > 0 {
            status = .partlyRefundedBoth
        } else if total.cash > 0 {
            status = .partlyRefundedCash
        } else {
            status = .partlyRefundedInsurance
        }
    }
}
