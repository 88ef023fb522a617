import Foundation

/// 业务类型 — the business an ecToken is bound to when the institution scans the patient's QR code.
public enum BusinessType: String, Sendable, Codable, CaseIterable {
    // Hospital scenes (01): 1 before the visit, 2 during it, 3 after it. Meanings as hsa-his
    // `Constant.hainan.BusinessType` names them (docs/DIALECTS.md §9).
    case registration = "01101"           // 挂号
    case inpatientFile = "01102"          // 住院建档
    case admission = "01103"              // 入院登记
    case deposit = "01104"                // 缴纳预缴金
    case consultation = "01201"           // 问诊
    case examinationBooking = "01202"     // 预约检查
    case examination = "01203"            // 检查
    case treatment = "01204"              // 治疗
    case outpatientSettlement = "01301"   // 结算
    case dispensing = "01302"             // 取药
    case reportCollection = "01303"       // 取报告
    case receiptPrinting = "01304"        // 打印票据和清单
    case recordCopying = "01305"          // 病历材料复印
    // Pharmacy scenes (02).
    case pharmacyPurchase = "02121"       // 药店购药
    case prescriptionDownload = "02122"   // 下载外购处方
    // Medical app scenes (03).
    case appIdentity = "03131"            // 医疗类APP线上身份认证
    case appSettlement = "03132"          // 医疗类APP线上结算

    public var label: String {
        switch self {
        case .registration: "registration (挂号)"
        case .inpatientFile: "inpatient file (住院建档)"
        case .admission: "admission (入院登记)"
        case .deposit: "deposit payment (缴纳预缴金)"
        case .consultation: "consultation (问诊)"
        case .examinationBooking: "examination booking (预约检查)"
        case .examination: "examination (检查)"
        case .treatment: "treatment (治疗)"
        case .outpatientSettlement: "outpatient settlement (门诊结算)"
        case .dispensing: "dispensing (取药)"
        case .reportCollection: "report collection (取报告)"
        case .receiptPrinting: "receipt and list printing (打印票据和清单)"
        case .recordCopying: "medical-record copying (病历材料复印)"
        case .pharmacyPurchase: "pharmacy purchase (药店购药)"
        case .prescriptionDownload: "outside-prescription download (外购处方下载)"
        case .appIdentity: "medical app online identity check (医疗类APP线上身份认证)"
        case .appSettlement: "medical app online settlement (医疗类APP线上结算)"
        }
    }
}

/// Lifetimes of the e-voucher's tokens. PROTOCOL.md leaves them open ("gaps the real world
/// leaves"), so they are settings of the policy profile.
public struct VoucherPolicy: Sendable, Codable, Hashable {
    /// How long the dynamic QR code the patient shows stays scannable.
    public var qrCodeLifetimeSeconds: Int = 120
    /// How long an ecToken obtained by scanning stays usable.
    public var ecTokenLifetimeSeconds: Int = 1800
    /// How long the wallet's authorisation code stays exchangeable for a payAuthNo.
    public var authCodeLifetimeSeconds: Int = 300
    /// How long a payAuthNo stays usable for one payment.
    public var payAuthNoLifetimeSeconds: Int = 900

    public init() {}
    public static let standard = VoucherPolicy()
}

/// The dynamic QR code of an activated e-voucher, shown by the patient (issued by the authorised channel, ID-2).
public struct VoucherQRCode: Sendable, Codable, Hashable {
    public var code: String
    public var psnNo: String
    public var channel: String
    public var issuedAt: Date
    public var expiresAt: Date
    public var scannedAt: Date?
    public var scannedBy: String?

    public init(code: String, psnNo: String, channel: String, issuedAt: Date, expiresAt: Date) {
        self.code = code
        self.psnNo = psnNo
        self.channel = channel
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }

    /// A QR code is scanned once, before it expires (ID-2).
    public mutating func scan(by institution: String, at now: Date, pointer: String) throws {
        if let scannedAt {
            throw DomainError(.qrcodeReused, .conflict, rule: .id2, pointer: pointer,
                              "this QR code was already scanned at \(Timestamps.iso(scannedAt)) by \(scannedBy ?? "?"); the patient must refresh the code in the app")
        }
        guard now < expiresAt else {
            throw DomainError(.qrcodeExpired, .unauthenticated, rule: .id2, pointer: pointer,
                              "this QR code expired at \(Timestamps.iso(expiresAt)); the patient must refresh the code in the app",
                              expected: "before \(Timestamps.iso(expiresAt))", actual: Timestamps.iso(now))
        }
        scannedAt = now
        scannedBy = institution
    }
}

/// 电子凭证令牌 — what the institution gets by scanning the QR code: bound to one business type
/// and one institution, short-lived; each transaction may present it once (ID-2).
public struct ECToken: Sendable, Codable, Hashable {
    public var token: String
    public var psnNo: String
    public var businessType: BusinessType
    public var institutionCode: String
    public var issuedAt: Date
    public var expiresAt: Date
    /// Transaction code (e.g. `1101`, `2201`) → when it used the token.
    public var uses: [String: Date]

    public init(token: String, psnNo: String, businessType: BusinessType, institutionCode: String, issuedAt: Date, expiresAt: Date) {
        self.token = token
        self.psnNo = psnNo
        self.businessType = businessType
        self.institutionCode = institutionCode
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.uses = [:]
    }

    /// Spends the token for `transaction`: it must belong to `institution`, be bound to one of
    /// `businessTypes` (empty: any), not be expired, and not have been presented to this transaction before.
    public mutating func redeem(transaction: String, businessTypes: Set<BusinessType>, institution: String,
                                at now: Date, pointer: String) throws {
        guard institutionCode == institution else {
            throw DomainError(.tokenWrongInstitution, .forbidden, rule: .id2, pointer: pointer,
                              "this ecToken was issued to institution \(institutionCode) when it scanned the patient's code; it cannot be used by another institution",
                              expected: institutionCode, actual: institution)
        }
        guard businessTypes.isEmpty || businessTypes.contains(businessType) else {
            let wanted = businessTypes.map(\.rawValue).sorted().joined(separator: " or ")
            throw DomainError(.tokenWrongBusiness, .forbidden, rule: .id2, pointer: pointer,
                              "this ecToken is bound to business \(businessType.rawValue) \(businessType.label); transaction \(transaction) needs a token scanned for \(wanted)",
                              expected: wanted, actual: businessType.rawValue)
        }
        guard now < expiresAt else {
            throw DomainError(.tokenExpired, .unauthenticated, rule: .id2, pointer: pointer,
                              "this ecToken expired at \(Timestamps.iso(expiresAt)); scan the patient's QR code again",
                              expected: "before \(Timestamps.iso(expiresAt))", actual: Timestamps.iso(now))
        }
        if let used = uses[transaction] {
            throw DomainError(.tokenReused, .conflict, rule: .id2, pointer: pointer,
                              "this ecToken was already used for transaction \(transaction) at \(Timestamps.iso(used)); tokens are single-use — scan the patient's QR code again")
        }
        uses[transaction] = now
    }
}

/// The wallet's authorisation code: the patient approves online payment in the app (ID-2); the
/// institution exchanges the code for a `payAuthNo`.
public struct WalletAuthorisation: Sendable, Codable, Hashable {
    public var authCode: String
    public var psnNo: String
    public var institutionCode: String
    public var issuedAt: Date
    public var expiresAt: Date
    public var payAuthNo: String?
    public var payAuthNoExpiresAt: Date?
    public var exchangedAt: Date?
    public var payAuthNoUsedAt: Date?
    public var payAuthNoUsedBy: String?

    public init(authCode: String, psnNo: String, institutionCode: String, issuedAt: Date, expiresAt: Date) {
        self.authCode = authCode
        self.psnNo = psnNo
        self.institutionCode = institutionCode
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }

    /// Exchanges the authorisation code (once, in time, by the institution it was given to) for a payAuthNo.
    public mutating func exchange(by institution: String, payAuthNo: String, at now: Date, policy: VoucherPolicy, pointer: String) throws {
        guard institution == institutionCode else {
            throw DomainError(.authcodeWrongInstitution, .forbidden, rule: .id2, pointer: pointer,
                              "the patient authorised institution \(institutionCode), not \(institution)", expected: institutionCode, actual: institution)
        }
        if let exchangedAt {
            throw DomainError(.authcodeReused, .conflict, rule: .id2, pointer: pointer,
                              "this authorisation code was already exchanged at \(Timestamps.iso(exchangedAt)); ask the patient to authorise again")
        }
        guard now < expiresAt else {
            throw DomainError(.authcodeExpired, .unauthenticated, rule: .id2, pointer: pointer,
                              "this authorisation code expired at \(Timestamps.iso(expiresAt)); ask the patient to authorise again")
        }
        exchangedAt = now
        self.payAuthNo = payAuthNo
        payAuthNoExpiresAt = now.addingTimeInterval(TimeInterval(policy.payAuthNoLifetimeSeconds))
    }

    /// Spends the payAuthNo for one payment (single use, ID-2).
    public mutating func spendPayAuthNo(by institution: String, transaction: String, at now: Date, pointer: String) throws {
        guard institution == institutionCode else {
            throw DomainError(.payauthnoWrongInstitution, .forbidden, rule: .id2, pointer: pointer,
                              "this payAuthNo was issued to \(institutionCode)", expected: institutionCode, actual: institution)
        }
        if let used = payAuthNoUsedAt {
            throw DomainError(.payauthnoReused, .conflict, rule: .id2, pointer: pointer,
                              "this payAuthNo was already used by \(payAuthNoUsedBy ?? "?") at \(Timestamps.iso(used)); payAuthNo is single-use")
        }
        guard let expiry = payAuthNoExpiresAt, now < expiry else {
            throw DomainError(.payauthnoExpired, .unauthenticated, rule: .id2, pointer: pointer,
                              "this payAuthNo expired at \(payAuthNoExpiresAt.map(Timestamps.iso) ?? "?"); ask the patient to authorise again")
        }
        payAuthNoUsedAt = now
        payAuthNoUsedBy = transaction
    }
}

/// Random identifiers for tokens and platform numbers.
public enum TokenGenerator {
    /// `count` random bytes as upper-case hex.
    public static func hex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in String(format: "%02X", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// `count` random decimal digits.
    public static func digits(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
    }
}
