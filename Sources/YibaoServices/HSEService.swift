import YibaoCore
import YibaoCrypto
import YibaoStore

/// Every HSE service the platform offers, one case each: a service added here is a compile error
/// until ``HSEServices/run(_:data:institution:store:now:)`` routes it.
package enum HSEService: Sendable, Hashable {
    case voucher(VoucherService)
    case payment(PaymentService)
    case prescription(PrescriptionService)

    /// The service of a `/hse/{service}` path or a mobile-payment path, if offered.
    package init?(name: String) {
        if let service = VoucherService(rawValue: name) { self = .voucher(service) }
        else if let service = PaymentService(rawValue: name) { self = .payment(service) }
        else if let service = PrescriptionService(rawValue: name) { self = .prescription(service) }
        else { return nil }
    }

    package var name: String {
        switch self {
        case .voucher(let service): service.rawValue
        case .payment(let service): service.rawValue
        case .prescription(let service): service.rawValue
        }
    }

    /// Every name offered.
    package static var allNames: [String] {
        VoucherService.allCases.map(\.rawValue) + PrescriptionService.allCases.map(\.rawValue) + PaymentService.allCases.map(\.rawValue)
    }
}

/// The e-voucher services of an institution: 电子凭证码查询 and the wallet authorisation.
package enum VoucherService: String, CaseIterable, Sendable {
    case query = "ec.query"
    case payAuth = "ec.payAuth"
}

/// Mobile payment (移动支付), by the names of its paths.
package enum PaymentService: String, CaseIterable, Sendable {
    case upload = "uldFeeInfo"
    case pay = "pay_order"
    case refund = "refund_Order"
    case query = "query_order_info"
    case revoke = "revoke_order"

    /// The transaction code of the published interface, for messages and the trace.
    package var code: String {
        switch self {
        case .upload: "6201"
        case .pay: "6202"
        case .refund: "6203"
        case .query: "6301"
        case .revoke: "6401"
        }
    }
}

/// The e-prescription services (处方流转) of docs/PRESCRIPTION.md.
package enum PrescriptionService: String, CaseIterable, Sendable {
    case uploadCheck = "uploadChk"
    case countersign = "rxFixmedinsSign"
    case upload = "rxFileUpld"
    case undo = "rxUndo"
    case detailQuery = "hospRxDetlQuery"
    case reviewQuery = "rxChkInfoQuery"
    case settlementQuery = "rxSetlInfoQuery"
    case download = "rxDownload"
    case signatureCheck = "rxSignVerify"
    case pharmacyReview = "rxChkUpInfo"
    case dispense = "rxDispense"
    case circulatingDrugs = "circDrugQuery"
}

/// What a service did: its answer and its trace event — and, for the test personas whose writes
/// commit but whose answer is a failure (PY-9 settlement failure, a lost answer), that failure.
package struct ServiceOutcome: Sendable {
    package var output: JSONValue
    package var event: TraceEvent
    package var failureAfterCommit: CommittedFailure?

    package init(_ result: (JSONValue, TraceEvent), failureAfterCommit: CommittedFailure? = nil) {
        output = result.0
        event = result.1
        self.failureAfterCommit = failureAfterCommit
    }
}

/// A failure answered after the transaction committed (test personas, fixtures/README.md): the
/// platform's, not the institution's; its HTTP status is the upstream one (502, 504).
package struct CommittedFailure: Error, Sendable, Hashable {
    package var status: Int
    package var code: ErrorCode
    package var rule: Rule
    package var detail: String

    package init(status: Int, code: ErrorCode, rule: Rule, detail: String) {
        self.status = status
        self.code = code
        self.rule = rule
        self.detail = detail
    }
}
