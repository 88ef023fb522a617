import Foundation
import YibaoCrypto

/// 结算结果通知 — a settlement callback to the hospital's URL: a signed HSE message, identical on
/// every retry, retried with exponential backoff until acknowledged.
public struct Callback: Sendable, Codable, Hashable {
    public enum State: String, Sendable, Codable { case pending, delivered, abandoned }

    public var id: String
    public var institutionCode: String
    public var payOrdId: String
    public var url: String
    /// The sealed envelope, JSON text: the same bytes on every attempt.
    public var body: String
    public var state: State
    public var attempts: Int
    public var createdAt: Date
    public var nextAttemptAt: Date
    public var deliveredAt: Date?
    /// One line per attempt: time, outcome.
    public var log: [String]

    public init(id: String, institutionCode: String, payOrdId: String, url: String, body: String, createdAt: Date, firstAttemptAt: Date) {
        self.id = id
        self.institutionCode = institutionCode
        self.payOrdId = payOrdId
        self.url = url
        self.body = body
        self.state = .pending
        self.attempts = 0
        self.createdAt = createdAt
        self.nextAttemptAt = firstAttemptAt
        self.log = []
    }

    /// Records a failed attempt and schedules the next: base × 2^(attempts−1), at most `maxAttempts` in all.
    public mutating func failed(at now: Date, reason: String, policy: CallbackPolicy) {
        attempts += 1
        log.append("\(Timestamps.iso(now)) attempt \(attempts): \(reason)")
        if attempts >= policy.maxAttempts {
            state = .abandoned
        } else {
            let delay = Double(policy.baseDelaySeconds) * pow(2, Double(attempts - 1))
            nextAttemptAt = now.addingTimeInterval(min(delay, Double(policy.maxDelaySeconds)))
        }
    }

    /// Records the acknowledgement.
    public mutating func delivered(at now: Date) {
        attempts += 1
        log.append("\(Timestamps.iso(now)) attempt \(attempts): acknowledged")
        state = .delivered
        deliveredAt = now
    }
}

/// Retry settings of settlement callbacks (a policy-profile setting; PROTOCOL.md leaves them open).
public struct CallbackPolicy: Sendable, Codable, Hashable {
    /// Delay before the second attempt; doubled after every failure.
    public var baseDelaySeconds: Int = 5
    public var maxDelaySeconds: Int = 3600
    public var maxAttempts: Int = 10

    public init() {}
    public static let standard = CallbackPolicy()
}

/// Faults a hospital can switch on for its own callback handler, to test it (issue 5 §4).
public struct CallbackFaults: Sendable, Codable, Hashable {
    /// Hold each first delivery this many seconds.
    public var delaySeconds: Int = 0
    /// Deliver every callback twice.
    public var duplicate: Bool = false
    /// Deliver pending callbacks newest first.
    public var outOfOrder: Bool = false

    public init(delaySeconds: Int = 0, duplicate: Bool = false, outOfOrder: Bool = false) {
        self.delaySeconds = delaySeconds
        self.duplicate = duplicate
        self.outOfOrder = outOfOrder
    }

    /// Every member is optional in JSON.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        delaySeconds = try container.decodeIfPresent(Int.self, forKey: .delaySeconds) ?? 0
        duplicate = try container.decodeIfPresent(Bool.self, forKey: .duplicate) ?? false
        outOfOrder = try container.decodeIfPresent(Bool.self, forKey: .outOfOrder) ?? false
    }
}

/// The amount members of a mobile-payment answer or callback, in a dialect's set. The V2.2.5
/// members this gateway has no source for are written as 0.00 — no mutual-aid account, hospital
/// share, deposit or delivery fee on a mobile order — so `fundPay + psnAcctPay + ownPayAmt +
/// hospPartAmt = feeSumamt` and `psnAcctPay = selfAcctPay + acctMulaidPay` always hold.
public enum PaymentAmounts {
    public static func members(feeSumFen: Int64, cashFen: Int64, accountFen: Int64, fundFen: Int64, cashMember: String = "ownPayAmt",
                               set: PaymentDialect.Amounts) -> [JSONObject.Member] {
        var members: [JSONObject.Member] = [
            .init(key: "feeSumamt", value: .string(Money.yuan(feeSumFen))), .init(key: cashMember, value: .string(Money.yuan(cashFen))),
            .init(key: "psnAcctPay", value: .string(Money.yuan(accountFen))), .init(key: "fundPay", value: .string(Money.yuan(fundFen))),
        ]
        if set == .v225 {
            members += [
                .init(key: "othFeeAmt", value: "0.00"), .init(key: "hospPartAmt", value: "0.00"), .init(key: "acctMulaidPay", value: "0.00"),
                .init(key: "selfAcctPay", value: .string(Money.yuan(accountFen))), .init(key: "deposit", value: "0.00"), .init(key: "delvFee", value: "0.00"),
            ]
        }
        return members
    }
}

/// The business data of a settlement callback (结算结果通知), written in a dialect: PROTOCOL.md's
/// `SETL`/`REFUND` form, or the real platforms' `callType "02"` with the split's `setlType`, the
/// profile's cash member, Hainan's members and `extData` arrays (docs/DIALECTS.md §10).
public struct SettlementNotice: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case settlement, refund }

    public var kind: Kind
    public var payOrdId: String
    public var medOrgOrd: String
    public var ordStas: String
    public var feeSumFen: Int64
    public var cashFen: Int64
    public var accountFen: Int64
    public var fundFen: Int64
    public var refundedFen: Int64
    public var at: Date
    /// The settlement's setlinfo (FSI member names) and its fund lines.
    public var setlinfo: JSONObject
    public var setldetail: [JSONValue]
    public var institutionCode: String
    public var institutionName: String
    public var setlId: String
    /// The visit (`mdtrtId`), Hainan's `hiRgstSn`.
    public var mdtrtId: String
    /// The e-voucher's index number (Hainan's `ecCode`).
    public var ecCode: String
    /// A fresh random value per notice (PROTOCOL.md `revsToken`).
    public var revsToken: String

    public init(kind: Kind, payOrdId: String, medOrgOrd: String, ordStas: String, feeSumFen: Int64, cashFen: Int64, accountFen: Int64, fundFen: Int64,
                refundedFen: Int64, at: Date, setlinfo: JSONObject, setldetail: [JSONValue], institutionCode: String, institutionName: String,
                setlId: String, mdtrtId: String, ecCode: String, revsToken: String) {
        self.kind = kind
        self.payOrdId = payOrdId
        self.medOrgOrd = medOrgOrd
        self.ordStas = ordStas
        self.feeSumFen = feeSumFen
        self.cashFen = cashFen
        self.accountFen = accountFen
        self.fundFen = fundFen
        self.refundedFen = refundedFen
        self.at = at
        self.setlinfo = setlinfo
        self.setldetail = setldetail
        self.institutionCode = institutionCode
        self.institutionName = institutionName
        self.setlId = setlId
        self.mdtrtId = mdtrtId
        self.ecCode = ecCode
        self.revsToken = revsToken
    }

    /// `setl_id` → `setlId`: FSI member names as the mobile-payment side writes them.
    static func camelCased(_ object: JSONObject) -> JSONObject {
        JSONObject(object.members.map { member in
            let parts = member.key.split(separator: "_")
            let key = parts.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined()
            return .init(key: key, value: member.value)
        })
    }

    /// The fund line of a settlement (Hainan's `SetlDetailDTO`, members in lower case as it names them).
    public static func fundLine(insutype: String, fundFen: Int64, inScopeFen: Int64) -> JSONValue {
        let (code, name) = insutype == "390" ? ("390100", "城乡居民基本医疗保险基金") : ("310100", "职工基本医疗保险统筹基金")
        return .object(["fundpaytype": .string(code), "inscpscpamt": .string(Money.yuan(inScopeFen)), "crtpayblmtamt": .string(Money.yuan(fundFen)),
                        "fundpayamt": .string(Money.yuan(fundFen)), "fundpaytypename": .string(name), "setlprocinfo": .string("")])
    }

    /// `ALL` (insurance and cash), `HI` (insurance only) or `CASH` (cash only, also a zero total).
    public var splitSetlType: String {
        let insurance = fundFen + accountFen > 0
        return insurance && cashFen > 0 ? "ALL" : insurance ? "HI" : "CASH"
    }

    /// The callback's business data under `dialect`, with the amounts of `amounts`.
    public func data(_ dialect: CallbackDialect, amounts: PaymentDialect.Amounts) -> JSONObject {
        var members: [JSONObject.Member] = [
            .init(key: "ordStas", value: .string(ordStas)),
            .init(key: "callType", value: .string(dialect.callType == .fixed02 ? "02" : kind == .settlement ? "SETL" : "REFUND")),
            .init(key: "payOrdId", value: .string(payOrdId)), .init(key: "medOrgOrd", value: .string(medOrgOrd)),
            .init(key: "traceTime", value: .string(Timestamps.fsi(at))),
        ]
        members += PaymentAmounts.members(feeSumFen: feeSumFen, cashFen: cashFen, accountFen: accountFen, fundFen: fundFen,
                                          cashMember: dialect.cashMember, set: amounts)
        members += [
            .init(key: "setlType", value: .string(dialect.setlType == .split ? splitSetlType : "1")),
            .init(key: "revsToken", value: .string(revsToken)),
            .init(key: "refdAmt", value: .string(Money.yuan(refundedFen))),
        ]
        if dialect.hainanMembers {
            members += [
                .init(key: "hiChrgTime", value: .string(Timestamps.fsi(at))), .init(key: "hiDocSn", value: .string(setlId)),
                .init(key: "hiRgstSn", value: .string(mdtrtId)), .init(key: "orgName", value: .string(institutionName)),
                .init(key: "orgCode", value: .string(institutionCode)), .init(key: "ecCode", value: .string(ecCode)),
            ]
        }
        // Arrays as real platforms send them: setlinfo in camelCase (Hainan's SetlInfoDTO), setldetail the fund lines.
        let extData: JSONValue = dialect.extDataArrays
            ? .object(["setlinfo": .array(setlinfo.members.isEmpty ? [] : [.object(Self.camelCased(setlinfo))]), "setldetail": .array(setldetail)])
            : .object(["setlinfo": .object(setlinfo)])
        members.append(.init(key: "extData", value: extData))
        return JSONObject(members)
    }
}
