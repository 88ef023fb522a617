import Foundation
import YibaoCore
import YibaoCrypto

// Typed calls for the settlement of an outpatient visit: FSI 2204–2208 (the HIS settles through the
// FSI interface) and the mobile-payment services 6201–6203 and 6301 (the patient pays in the
// medical-insurance app). Amounts are yuan as decimal strings ("12.50"), as the platform writes them.

/// One fee line of a visit.
public struct FeeLine: Sendable, Hashable {
    /// The line's serial number within the visit (`feedetl_sn` / `feedetlSn`).
    public var serial: String
    /// The national catalogue code (`med_list_codg` / `medListCodg`).
    public var catalogueCode: String
    /// Unit price and count; `total` = price × count.
    public var price: String
    public var count: String
    public var total: String

    public init(serial: String, catalogueCode: String, price: String, count: String, total: String) {
        self.serial = serial
        self.catalogueCode = catalogueCode
        self.price = price
        self.count = count
        self.total = total
    }
}

/// What 2206 and 2207 settle: one charge batch of a registered visit.
public struct SettlementRequest: Sendable, Hashable {
    public var psnNo: String
    public var mdtrtId: String
    /// The charge batch (`chrg_bchno`) the lines were uploaded under.
    public var chargeBatch: String
    public var insutype: String
    /// Pay from the personal account (`acct_used_flag` 1) or not (0).
    public var useAccount: Bool
    /// The batch's total (`medfee_sumamt`), which must equal the uploaded lines'.
    public var total: String

    public init(psnNo: String, mdtrtId: String, chargeBatch: String, insutype: String = "310", useAccount: Bool = false, total: String) {
        self.psnNo = psnNo
        self.mdtrtId = mdtrtId
        self.chargeBatch = chargeBatch
        self.insutype = insutype
        self.useAccount = useAccount
        self.total = total
    }
}

/// The platform's split of a settlement (`setlinfo` of 2206/2207/2208; 2208's amounts are negative).
public struct SettlementSplit: Sendable, Hashable {
    /// `setl_id`: empty for a pre-settlement (2206).
    public var setlId: String
    public var mdtrtId: String
    public var total: String
    public var fund: String
    public var account: String
    public var cash: String
    /// The whole `setlinfo` object as answered.
    public var setlinfo: JSONObject

    static func decode(_ output: JSONValue, what: String) throws -> SettlementSplit {
        guard let info = output.objectValue?["setlinfo"]?.objectValue else {
            throw YibaoClientError.invalidResponse("\(what) answered without setlinfo")
        }
        func text(_ key: String) -> String {
            switch info[key] {
            case .string(let value)?: value
            case .number(let value)?: value
            default: ""
            }
        }
        return SettlementSplit(setlId: text("setl_id"), mdtrtId: text("mdtrt_id"), total: text("medfee_sumamt"), fund: text("fund_pay_sumamt"),
                               account: text("acct_pay"), cash: text("psn_cash_pay"), setlinfo: info)
    }
}

/// How the patient authorised a mobile payment: the single-use payAuthNo of `ec.payAuth`, or an
/// ecToken scanned for settlement.
public enum PaymentCredential: Sendable, Hashable {
    case payAuthNo(String)
    case ecToken(String)
}

/// The fees of a visit for mobile payment (6201 `uldFeeInfo`).
public struct MobileFeeUpload: Sendable, Hashable {
    /// The hospital's order number and charge batch: 6201's idempotency keys.
    public var hospitalOrder: String
    public var chargeBatch: String
    public var psnNo: String
    public var mdtrtId: String
    public var insutype: String
    /// `med_type` (11: general outpatient).
    public var medicalType: String
    public var total: String
    public var useAccount: Bool
    public var credential: PaymentCredential
    public var lines: [FeeLine]

    public init(hospitalOrder: String, chargeBatch: String, psnNo: String, mdtrtId: String, insutype: String = "310", medicalType: String = "11",
                total: String, useAccount: Bool = true, credential: PaymentCredential, lines: [FeeLine]) {
        self.hospitalOrder = hospitalOrder
        self.chargeBatch = chargeBatch
        self.psnNo = psnNo
        self.mdtrtId = mdtrtId
        self.insutype = insutype
        self.medicalType = medicalType
        self.total = total
        self.useAccount = useAccount
        self.credential = credential
        self.lines = lines
    }
}

/// A mobile-payment order as the platform answered it (6201, 6202, 6203, 6301).
public struct MobileOrder: Sendable, Hashable {
    public var payOrdId: String
    /// The token 6202 and 6401 must present; only 6201 answers it.
    public var payToken: String
    /// `ordStas`: 2 awaiting payment, 6 paid, 7 refunded, 9 partly refunded, … (docs/SETTLEMENT.md).
    public var status: String
    public var total: String
    public var fund: String
    public var account: String
    public var cash: String
    /// The whole answer.
    public var answer: JSONObject

    static func decode(_ value: JSONValue, what: String) throws -> MobileOrder {
        guard let object = value.objectValue, let id = object["payOrdId"]?.stringValue else {
            throw YibaoClientError.invalidResponse("\(what) answered without payOrdId")
        }
        func text(_ key: String) -> String { object[key]?.stringValue ?? "" }
        return MobileOrder(payOrdId: id, payToken: text("payToken"), status: text("ordStas"), total: text("feeSumamt"), fund: text("fundPay"),
                           account: text("psnAcctPay"), cash: text("ownPayAmt"), answer: object)
    }
}

/// A refund of a paid mobile order (6203 `refund_Order`); the parts add up to `total`.
public struct RefundRequest: Sendable, Hashable {
    public var payOrdId: String
    /// The hospital's refund serial (`appRefdSn`): 6203's idempotency key.
    public var serial: String
    public var time: Date
    public var total: String
    public var account: String
    public var fund: String
    public var cash: String

    public init(payOrdId: String, serial: String, time: Date, total: String, account: String = "0.00", fund: String = "0.00", cash: String = "0.00") {
        self.payOrdId = payOrdId
        self.serial = serial
        self.time = time
        self.total = total
        self.account = account
        self.fund = fund
        self.cash = cash
    }
}

extension YibaoClient {
    // MARK: FSI settlement

    /// 2204: uploads fee lines of a visit under a charge batch; returns the platform's classification rows.
    public func uploadFeeDetails(psnNo: String, mdtrtId: String, chargeBatch: String, lines: [FeeLine]) async throws -> JSONValue {
        try await call(infno: "2204", input: ["feedetail": .array(lines.map { line in
            .object(["feedetl_sn": .string(line.serial), "mdtrt_id": .string(mdtrtId), "psn_no": .string(psnNo), "chrg_bchno": .string(chargeBatch),
                     "med_list_codg": .string(line.catalogueCode), "pric": .string(line.price), "cnt": .string(line.count),
                     "det_item_fee_sumamt": .string(line.total)])
        })])
    }

    /// 2206: the split the batch would get, committing nothing.
    public func preSettle(_ request: SettlementRequest) async throws -> SettlementSplit {
        try SettlementSplit.decode(try await call(infno: "2206", input: ["data": .object(request.json)]), what: "2206")
    }

    /// 2207: settles the batch (once: a retry answers the first settlement).
    public func settle(_ request: SettlementRequest) async throws -> SettlementSplit {
        try SettlementSplit.decode(try await call(infno: "2207", input: ["data": .object(request.json)]), what: "2207")
    }

    /// 2208: cancels a settlement; the answer's amounts are the negated split.
    public func cancelSettlement(setlId: String, mdtrtId: String, psnNo: String) async throws -> SettlementSplit {
        try SettlementSplit.decode(try await call(infno: "2208", input: ["data": .object([
            "setl_id": .string(setlId), "mdtrt_id": .string(mdtrtId), "psn_no": .string(psnNo),
        ])]), what: "2208")
    }

    // MARK: Mobile payment

    /// 6201 `uldFeeInfo`: uploads the fees and creates the order (a retry with the same keys answers the same order).
    public func uploadMobileFees(_ upload: MobileFeeUpload) async throws -> MobileOrder {
        var data: JSONObject = [
            "orgCodg": .string(credentials.fixmedinsCode), "medOrgOrd": .string(upload.hospitalOrder), "chrgBchno": .string(upload.chargeBatch),
            "psnNo": .string(upload.psnNo), "insutype": .string(upload.insutype), "mdtrtId": .string(upload.mdtrtId), "medType": .string(upload.medicalType),
            "medfeeSumamt": .string(upload.total), "acctUsedFlag": .string(upload.useAccount ? "1" : "0"), "rxCircFlag": "0",
            "feedetailList": .array(upload.lines.map { line in
                .object(["feedetlSn": .string(line.serial), "medListCodg": .string(line.catalogueCode), "pric": .string(line.price),
                         "cnt": .string(line.count), "detItemFeeSumamt": .string(line.total)])
            }),
        ]
        switch upload.credential {
        case .payAuthNo(let value): data["payAuthNo"] = .string(value)
        case .ecToken(let value): data["ecToken"] = .string(value)
        }
        return try MobileOrder.decode(try await hse(service: "uldFeeInfo", data: .object(data)), what: "6201")
    }

    /// 6202 `pay_order`: pays an order created by 6201 with the patient's payAuthNo.
    public func payOrder(_ order: MobileOrder, upload: MobileFeeUpload, payAuthNo: String, businessSerial: String) async throws -> MobileOrder {
        try MobileOrder.decode(try await hse(service: "pay_order", data: .object([
            "payAuthNo": .string(payAuthNo), "payOrdId": .string(order.payOrdId), "payToken": .string(order.payToken),
            "orgCodg": .string(credentials.fixmedinsCode), "orgBizSer": .string(businessSerial), "chrgBchno": .string(upload.chargeBatch),
            "mdtrtId": .string(upload.mdtrtId), "acctUsedFlag": .string(upload.useAccount ? "1" : "0"),
        ])), what: "6202")
    }

    /// 6203 `refund_Order`: refunds part or all of a paid order (a retry with the same serial answers the first refund).
    public func refundOrder(_ refund: RefundRequest) async throws -> MobileOrder {
        try MobileOrder.decode(try await hse(service: "refund_Order", data: .object([
            "payOrdId": .string(refund.payOrdId), "appRefdSn": .string(refund.serial), "appRefdTime": .string(Timestamps.fsi(refund.time)),
            "totlRefdAmt": .string(refund.total), "psnAcctRefdAmt": .string(refund.account), "fundRefdAmt": .string(refund.fund),
            "cashRefdAmt": .string(refund.cash), "refdType": "HI",
        ])), what: "6203")
    }

    /// 6301 `query_order_info`: the order's state now.
    public func queryOrder(payOrdId: String) async throws -> MobileOrder {
        try MobileOrder.decode(try await hse(service: "query_order_info", data: .object(["payOrdId": .string(payOrdId)])), what: "6301")
    }
}

extension SettlementRequest {
    var json: JSONObject {
        ["psn_no": .string(psnNo), "mdtrt_id": .string(mdtrtId), "chrg_bchno": .string(chargeBatch), "insutype": .string(insutype),
         "acct_used_flag": .string(useAccount ? "1" : "0"), "medfee_sumamt": .string(total)]
    }
}
