import Foundation
import YibaoCore
import YibaoCrypto

/// One settlement as reconciliation (FSI 3201, `GET /admin/reconciliation`) counts it: an FSI 2207
/// settlement not cancelled, or a paid mobile-payment order net of its refunds.
public struct SettlementEntry: Sendable, Hashable {
    /// `2207` or `6202`.
    public var kind: String
    /// The setl_id, or the payOrdId.
    public var id: String
    public var at: Date
    public var medfee: Int64
    public var fund: Int64
    public var account: Int64
    public var cash: Int64
    /// The person, the visit (an order's `mdtrtId`), the insurance type and the place of insurance (the region
    /// whose parameters split it, e.g. `120000`): what 3201 groups by and 3202 compares line by line.
    public var psnNo: String
    public var mdtrtId: String
    public var insutype: String
    public var insuredAdmdvs: String

    public init(kind: String, id: String, at: Date, medfee: Int64, fund: Int64, account: Int64, cash: Int64,
                psnNo: String = "", mdtrtId: String = "", insutype: String = "", insuredAdmdvs: String = "") {
        self.kind = kind
        self.id = id
        self.at = at
        self.medfee = medfee
        self.fund = fund
        self.account = account
        self.cash = cash
        self.psnNo = psnNo
        self.mdtrtId = mdtrtId
        self.insutype = insutype
        self.insuredAdmdvs = insuredAdmdvs
    }
}

/// The settled volume the agency publishes (SV-4): settlements, their fees, fees by charge type.
public struct SettlementStatistics: Sendable, Hashable {
    public var settlements: Int
    public var medfeeFen: Int64
    /// 收费项目类别 (`med_chrgitm_type`) → fen.
    public var feesByChargeType: [String: Int64]

    public init(settlements: Int, medfeeFen: Int64, feesByChargeType: [String: Int64]) {
        self.settlements = settlements
        self.medfeeFen = medfeeFen
        self.feesByChargeType = feesByChargeType
    }
}

/// The typed columns a store keeps beside a settlement's document, so reconciliation and statistics
/// are SQL aggregates over indexed columns instead of scans of every document.
struct OrderFigures {
    var paidAtMillis: Int64?
    var settled: Bool
    var feeSum: Int64
    var net: (medfee: Int64, fund: Int64, account: Int64, cash: Int64)
    var lines: [(chargeType: String, fen: Int64)]

    init(_ order: PaymentOrder) {
        paidAtMillis = order.paidAt.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
        settled = order.setlId != nil && order.paidAt != nil
        feeSum = order.feeSumFen
        let refunded = order.refundedFen
        net = (order.feeSumFen - refunded.account - refunded.fund - refunded.cash, order.fundFen - refunded.fund,
               order.accountFen - refunded.account, order.cashFen - refunded.cash)
        lines = []
        guard order.setlId != nil else { return }
        for case .object(let line) in ((try? JSONValue.parse(order.lines))?.arrayValue ?? []) {
            lines.append((line[key: "med_chrgitm_type"], Money.fen(line[key: "det_item_fee_sumamt"]) ?? 0))
        }
    }
}

struct OutpatientFigures {
    var settled: Bool
    var settledAtMillis: Int64
    var medfee: Int64
    var fund: Int64
    var account: Int64
    var cash: Int64
    var lines: [(chargeType: String, fen: Int64)]

    init(_ settlement: OutpatientSettlement) {
        settled = settlement.status == .settled
        settledAtMillis = Int64((settlement.settledAt.timeIntervalSince1970 * 1000).rounded())
        let result = settlement.result
        medfee = result.medfeeSumamt.fen
        fund = result.fundPaySumamt.fen
        account = result.acctPay.fen
        cash = result.psnCashPay.fen
        lines = settled ? result.lines.map { ($0.medChrgitmType, $0.detItemFeeSumamt.fen) } : []
    }
}
