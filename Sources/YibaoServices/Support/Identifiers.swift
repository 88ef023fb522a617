import Foundation
import YibaoCore
import YibaoStore

/// The one place the platform mints identifiers: each kind's form, and uniqueness guaranteed by
/// the store — every identifier is reserved (a row unique by constraint, `recordNonce` in scope
/// `id:<kind>`) in the transaction that uses it, so two gateway processes never hand out the same
/// one. Kinds with a timestamp cannot meet an identifier minted before reservations existed.
package enum IdentifierKind: Sendable {
    /// 结算ID of FSI 2207 and of mobile payment (one space for both): `SETL` + yyyyMMddHHmmss + 6 digits.
    case settlement
    /// 支付订单号 of 6201: `ORD` + yyyyMMddHHmmss + 6 digits.
    case paymentOrder
    /// 就诊ID of 2201: the institution's 6-digit area + 14 digits.
    case visit(admdvs: String)
    /// A settlement callback: `CB` + 16 digits.
    case callback
    /// A cross-region filing: `BA` + yyyyMMddHHmmss + 4 digits.
    case filing
    /// A manual reimbursement: `RB` + yyyyMMddHHmmss + 4 digits.
    case reimbursement
    /// A 3201 clearing application: `CLR` + yyyyMMddHHmmss + 4 digits.
    case clearing
    /// A 9001 sign-in's `sign_no`: 20 digits.
    case signIn
    /// 医保处方编号 of an uploaded prescription: `HIRX` + the institution's 6-digit area + 12 digits.
    case prescription(admdvs: String)
    /// `rx_sign_verify_sn` of rxSignVerify: `RSV` + yyyyMMddHHmmss + 8 digits.
    case signatureCheck
    /// `rx_chk_biz_sn` of a pharmacist's review upload: `RCB` + yyyyMMddHHmmss + 8 digits.
    case review
    /// A dispensing: `DSP` + 14 digits.
    case dispensing
    /// 待遇申报明细流水号 of a 2503 chronic-disease filing: `TD` + yyyyMMddHHmmss + 6 digits.
    case chronicFiling
    /// 文件查询号 `file_qury_no` of a 9101 upload or a 3202 result: `FQ` + yyyyMMddHHmmss + 8 digits.
    case file
    /// 票据号码 of an e-bill (PY-11): 10 digits (unique across 票据代码s).
    case eBill

    var scope: String {
        switch self {
        case .settlement: "id:settlement"
        case .paymentOrder: "id:order"
        case .visit: "id:visit"
        case .callback: "id:callback"
        case .filing: "id:filing"
        case .reimbursement: "id:reimbursement"
        case .clearing: "id:clearing"
        case .signIn: "id:sign-in"
        case .prescription: "id:prescription"
        case .signatureCheck: "id:rx-sign-verify"
        case .review: "id:rx-review"
        case .dispensing: "id:dispensing"
        case .chronicFiling: "id:chronic-filing"
        case .file: "id:file"
        case .eBill: "id:e-bill"
        }
    }

    func candidate(at now: Date) -> String {
        switch self {
        case .settlement: "SETL" + Timestamps.compact(now) + TokenGenerator.digits(6)
        case .paymentOrder: "ORD" + Timestamps.compact(now) + TokenGenerator.digits(6)
        case .visit(let admdvs): String(admdvs.prefix(6)) + TokenGenerator.digits(14)
        case .callback: "CB" + TokenGenerator.digits(16)
        case .filing: "BA" + Timestamps.compact(now) + TokenGenerator.digits(4)
        case .reimbursement: "RB" + Timestamps.compact(now) + TokenGenerator.digits(4)
        case .clearing: "CLR" + Timestamps.compact(now) + TokenGenerator.digits(4)
        case .signIn: TokenGenerator.digits(20)
        case .prescription(let admdvs): "HIRX" + String(admdvs.prefix(6)) + TokenGenerator.digits(12)
        case .signatureCheck: "RSV" + Timestamps.compact(now) + TokenGenerator.digits(8)
        case .review: "RCB" + Timestamps.compact(now) + TokenGenerator.digits(8)
        case .dispensing: "DSP" + TokenGenerator.digits(14)
        case .chronicFiling: "TD" + Timestamps.compact(now) + TokenGenerator.digits(6)
        case .file: "FQ" + Timestamps.compact(now) + TokenGenerator.digits(8)
        case .eBill: TokenGenerator.digits(10)
        }
    }
}

package enum Identifiers {
    /// A new identifier of `kind`, reserved in `store`'s transaction.
    package static func mint(_ kind: IdentifierKind, store: any StoreWriting, now: Date) async throws -> String {
        for _ in 0..<64 {
            let candidate = kind.candidate(at: now)
            if try await store.recordNonce(scope: kind.scope, value: candidate, at: now) { return candidate }
        }
        throw DomainError(.identifiersExhausted, .conflict, rule: .protocolEnvelope, pointer: "",
                          "no free \(kind.scope.dropFirst(3)) identifier in 64 tries this second; retry in a second")
    }
}
