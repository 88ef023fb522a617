import Foundation
import YibaoCrypto

/// How one dialect speaks mobile payment (移动支付) beyond the envelope: the answer members of
/// 6202/6301, what 6301 says while an order is still processing, whether 6201 offers a cashier
/// page, and the shape of the settlement callback (docs/DIALECTS.md §10). The defaults are
/// profile `nhsa-2.0` as PROTOCOL.md writes it.
public struct PaymentDialect: Sendable, Hashable, Codable {
    /// The amount members of the 6202 and 6301 answers and of the callback.
    public enum Amounts: String, Sendable, Hashable, Codable {
        /// `feeSumamt, ownPayAmt, psnAcctPay, fundPay`.
        case basic
        /// Also `othFeeAmt, hospPartAmt, acctMulaidPay, selfAcctPay, deposit, delvFee` (interface V2.2.5).
        case v225 = "v2.2.5"
    }

    public var answerAmounts: Amounts = .basic
    /// 6301 for an order still processing (`ordStas` 0, 1, 2) answers the order id and status only,
    /// no amounts, as real platforms do.
    public var processingWithoutAmounts = false
    /// 6201 answers a `cashierUrl`: the patient may pay on the platform's cashier page (or in the
    /// wallet) instead of the hospital calling 6202 (channel-mode payment).
    public var cashierUrl = false
    public var callback = CallbackDialect()

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        answerAmounts = try container.decodeIfPresent(Amounts.self, forKey: .answerAmounts) ?? .basic
        processingWithoutAmounts = try container.decodeIfPresent(Bool.self, forKey: .processingWithoutAmounts) ?? false
        cashierUrl = try container.decodeIfPresent(Bool.self, forKey: .cashierUrl) ?? false
        callback = try container.decodeIfPresent(CallbackDialect.self, forKey: .callback) ?? CallbackDialect()
    }

    /// Profile `nhsa-2.0`.
    public static let standard = PaymentDialect()
}

/// The settlement callback (结算结果通知, "6302") as a dialect sends it and expects it acknowledged.
public struct CallbackDialect: Sendable, Hashable, Codable {
    /// `callType`: PROTOCOL.md's `SETL`/`REFUND`, or the fixed `"02"` real platforms send.
    public enum CallType: String, Sendable, Hashable, Codable {
        case setlRefund = "SETL|REFUND"
        case fixed02 = "02"
    }
    /// `setlType`: PROTOCOL.md's `"1"`, or derived from the split — `ALL` (insurance and cash),
    /// `HI` (insurance only), `CASH` (cash only).
    public enum SetlType: String, Sendable, Hashable, Codable {
        case one = "1"
        case split = "ALL|CASH|HI"
    }
    /// What acknowledges a callback.
    public enum Acknowledgement: String, Sendable, Hashable, Codable, CaseIterable {
        /// HTTP 2xx with `{"code":0}` (PROTOCOL.md).
        case code0 = "code-0"
        /// HTTP 2xx with `{"success":true,"message":…}`; `success:false` refuses (Shanxi).
        case success
        /// HTTP 200 with an empty body (Hainan's controller returns nothing).
        case empty200 = "empty-200"

        /// What a receiver must answer, in words.
        public var description: String {
            switch self {
            case .code0: "HTTP 2xx with {\"code\":0}"
            case .success: "HTTP 2xx with {\"success\":true,\"message\":\"…\"}"
            case .empty200: "HTTP 200 with an empty body"
            }
        }
    }

    public var callType: CallType = .setlRefund
    public var setlType: SetlType = .one
    /// The member holding the cash part: `ownpayAmt` (PROTOCOL.md, Hainan) or `ownPayAmt` (Shanxi).
    public var cashMember = "ownpayAmt"
    /// `hiChrgTime, hiDocSn, hiRgstSn, orgName, orgCode, ecCode` (Hainan).
    public var hainanMembers = false
    /// `extData` as `{setlinfo:[…], setldetail:[…]}` (arrays) rather than `{setlinfo:{…}}`.
    public var extDataArrays = false
    public var acknowledgement: Acknowledgement = .code0
    /// Refunds are reported by callback too (PROTOCOL.md); real platforms report them only in 6203's `refStatus`.
    public var refundCallbacks = true

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        callType = try container.decodeIfPresent(CallType.self, forKey: .callType) ?? .setlRefund
        setlType = try container.decodeIfPresent(SetlType.self, forKey: .setlType) ?? .one
        cashMember = try container.decodeIfPresent(String.self, forKey: .cashMember) ?? "ownpayAmt"
        hainanMembers = try container.decodeIfPresent(Bool.self, forKey: .hainanMembers) ?? false
        extDataArrays = try container.decodeIfPresent(Bool.self, forKey: .extDataArrays) ?? false
        acknowledgement = try container.decodeIfPresent(Acknowledgement.self, forKey: .acknowledgement) ?? .code0
        refundCallbacks = try container.decodeIfPresent(Bool.self, forKey: .refundCallbacks) ?? true
        guard cashMember == "ownpayAmt" || cashMember == "ownPayAmt" else {
            throw DecodingError.dataCorruptedError(forKey: .cashMember, in: container, debugDescription: "cashMember is ownpayAmt or ownPayAmt")
        }
    }

    /// Whether a receiver's answer acknowledges a callback under this dialect: nil when it does,
    /// else why not — naming what was wrong and what the profile expects. `code` `"0"` as a string
    /// or the number 0 both acknowledge under `code-0` (``acknowledgementRemark`` names the type).
    public func judge(status: Int, body: [UInt8]) -> String? {
        let text = String(decoding: body.prefix(120), as: UTF8.self)
        guard (200..<300).contains(status) else {
            return "HTTP \(status)\(body.isEmpty ? "" : " \"\(text)\""); the profile wants \(acknowledgement.description)"
        }
        let blank = body.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        let object = (try? JSONValue.parse(body))?.objectValue
        switch acknowledgement {
        case .empty200:
            if status == 200, blank { return nil }
            // A receiver answering in one of the JSON forms is understood as well.
            if object?["success"] == .bool(true) || object?["code"] == .number("0") || object?["code"] == .string("0") { return nil }
            return "the answer \(blank ? "(empty, HTTP \(status))" : "\"\(text)\"") is not an acknowledgement; the profile wants \(acknowledgement.description)"
        case .success:
            if object?["success"] == .bool(true) { return nil }
            if blank { return "an empty body is not an acknowledgement; the profile wants \(acknowledgement.description)" }
            if let value = object?["success"] { return "success is \(value.serialized()); the profile wants \(acknowledgement.description)" }
            return "the answer \"\(text)\" has no success member; the profile wants \(acknowledgement.description)"
        case .code0:
            if object?["code"] == .number("0") || object?["code"] == .string("0") || object?["success"] == .bool(true) { return nil }
            if blank { return "an empty body is not an acknowledgement; the profile wants \(acknowledgement.description)" }
            if let value = object?["code"] { return "code is \(value.serialized()); the profile wants \(acknowledgement.description)" }
            return "the answer \"\(text)\" is not an acknowledgement; the profile wants \(acknowledgement.description)"
        }
    }

    /// For an acknowledging answer: how it departs from the profile's exact form (nil when it
    /// matches) — a `code` of the wrong JSON type, an empty body where `{success}` is wanted, a
    /// JSON form where an empty body is wanted. The receiver suite reports it (CB-ACK-001).
    public func acknowledgementRemark(status: Int, body: [UInt8]) -> String? {
        guard judge(status: status, body: body) == nil else { return nil }
        let object = (try? JSONValue.parse(body))?.objectValue
        switch acknowledgement {
        case .code0:
            if object?["code"] == .string("0") { return "code is the string \"0\"; the profile wants the number 0 (a platform that reads code as a number refuses it)" }
            if object?["code"] == nil { return "the answer acknowledges with success:true and no code; the profile wants {\"code\":0}" }
            return nil
        case .success:
            return object?["message"] == nil ? "the answer has success:true but no message; the profile wants {\"success\":true,\"message\":\"…\"}" : nil
        case .empty200:
            return object == nil ? nil : "the answer is JSON; the profile wants an empty body with HTTP 200"
        }
    }
}

/// How one dialect's e-prescription centre signs (docs/PRESCRIPTION.md §6.2).
public struct PrescriptionDialect: Sendable, Hashable, Codable {
    /// `signDigest` of `rxFixmedinsSign`: the raw r‖s (PROTOCOL.md), or a detached CMS/PKCS#7
    /// SignedData with SM2-with-SM3 over the decoded `originalValue` (GB/T 35275, the real centre).
    public enum SignDigest: String, Sendable, Hashable, Codable { case raw, cms }

    public var signDigest: SignDigest = .raw
    /// The CMS content-type OIDs (`rfc-5652` or `gb-t-35275`).
    public var cmsContentTypes: DetachedCMS.ContentTypes = .rfc5652
    /// The CMS signature's SM2 signer ID: `default` (1234567812345678, GB/T 35275) or `empty` (what
    /// OpenSSL 3.0's `openssl cms -verify` checks SM2 with).
    public enum SignerID: String, Sendable, Hashable, Codable { case `default`, empty }
    public var cmsSignerId: SignerID = .default

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        signDigest = try container.decodeIfPresent(SignDigest.self, forKey: .signDigest) ?? .raw
        cmsContentTypes = try container.decodeIfPresent(DetachedCMS.ContentTypes.self, forKey: .cmsContentTypes) ?? .rfc5652
        cmsSignerId = try container.decodeIfPresent(SignerID.self, forKey: .cmsSignerId) ?? .default
    }

    public static let standard = PrescriptionDialect()
}
