import Foundation
import YibaoCrypto

/// 参保人 — an insured person as the platform knows them.
public struct InsuredPerson: Sendable, Codable, Hashable {
    /// 人员编号 — the platform's person number (`psn_no`).
    public var psnNo: String
    /// 证件号码 — resident ID number (`certno`).
    public var certno: String
    /// `psn_cert_type` — 01 resident ID card.
    public var psnCertType: String
    public var name: String
    /// `gend`: 1 male, 2 female.
    public var gender: String
    /// `naty`: ethnicity code, 01 Han.
    public var nationality: String
    /// `brdy`: birth date, yyyy-MM-dd.
    public var birthDate: String
    /// 险种类型 `insutype`: 310 employee basic medical insurance, 390 urban-rural residents.
    public var insutype: String
    /// 参保地医保区划 `insuplc_admdvs`.
    public var insuplcAdmdvs: String
    /// `psn_type`: 11 employed, 12 retired, 1501 resident …
    public var psnType: String
    /// `emp_name`: employer.
    public var employer: String
    /// 个人账户余额 in fen (1/100 yuan).
    public var accountBalanceFen: Int64
    /// 参保状态 `psn_insu_stas`: 1 insured and paying, 2 suspended (暂停), 4 terminated.
    public var insuranceStatus: String
    /// `psn_insu_date`: yyyy-MM-dd.
    public var insuredSince: String
    /// `cvlserv_flag`: civil-servant subsidy 0/1.
    public var civilServant: Bool
    /// ID-3: real-name verification done (实名认证).
    public var realNameVerified: Bool
    /// ID-2: e-voucher activated through an authorised channel.
    public var voucherActivated: Bool
    /// ID-5: Internet+ payment and direct settlement suspended (found defrauding).
    public var internetPaymentSuspended: Bool
    /// 社保卡 card number, for identity medium 03.
    public var socialSecurityCardNo: String?
    /// A test persona forcing a payment outcome, like a payment sandbox's test cards (fixtures/README.md).
    public var testPersona: TestPersona?
    /// SC-5: the designated institutions the person chose (Beijing's 定点医疗机构 choice), where their Internet
    /// follow-ups take place; nil where the place of insurance has no such choice.
    public var designatedInstitutions: [String]?
    /// SC-5: the institutions where the person's outpatient special-disease fees settle (门诊特殊病定点机构); nil: any.
    public var specialDiseaseInstitutions: [String]?

    public init(psnNo: String, certno: String, psnCertType: String = "01", name: String, gender: String, nationality: String = "01",
                birthDate: String, insutype: String, insuplcAdmdvs: String, psnType: String = "11", employer: String = "",
                accountBalanceFen: Int64 = 0, insuranceStatus: String = "1", insuredSince: String = "2015-01-01", civilServant: Bool = false,
                realNameVerified: Bool = true, voucherActivated: Bool = false, internetPaymentSuspended: Bool = false,
                socialSecurityCardNo: String? = nil) {
        self.psnNo = psnNo
        self.certno = certno
        self.psnCertType = psnCertType
        self.name = name
        self.gender = gender
        self.nationality = nationality
        self.birthDate = birthDate
        self.insutype = insutype
        self.insuplcAdmdvs = insuplcAdmdvs
        self.psnType = psnType
        self.employer = employer
        self.accountBalanceFen = accountBalanceFen
        self.insuranceStatus = insuranceStatus
        self.insuredSince = insuredSince
        self.civilServant = civilServant
        self.realNameVerified = realNameVerified
        self.voucherActivated = voucherActivated
        self.internetPaymentSuspended = internetPaymentSuspended
        self.socialSecurityCardNo = socialSecurityCardNo
    }

    /// Age in whole years on `day` (yyyy-MM-dd), nil if either date is malformed.
    public func age(on day: String) -> Int? {
        let birth = birthDate.split(separator: "-").compactMap { Int($0) }
        let today = day.split(separator: "-").compactMap { Int($0) }
        guard birth.count == 3, today.count == 3 else { return nil }
        var years = today[0] - birth[0]
        if (today[1], today[2]) < (birth[1], birth[2]) { years -= 1 }
        return years
    }

    /// ID-3: refuses a person who is not real-name verified, telling them what to do.
    public func requireRealName(pointer: String) throws {
        guard realNameVerified else {
            throw DomainError(.personNotRealNameVerified, .forbidden, rule: .id3, pointer: pointer,
                              "person \(psnNo) (\(Self.masked(certno))) has not passed real-name verification; the insured person must correct their identity information with the insurance agency or in the national medical-insurance app before any online service")
        }
    }

    /// The person's insurance must be in force (psn_insu_stas 1).
    public func requireInsured(pointer: String) throws {
        guard insuranceStatus == "1" else {
            throw DomainError(.personInsuranceNotActive, .forbidden, rule: .id1, pointer: pointer,
                              "the insurance of \(psnNo) is not in force (psn_insu_stas \(insuranceStatus))", expected: "1", actual: insuranceStatus)
        }
    }

    /// ID-5: Internet+ payment and direct settlement must not be suspended.
    public func requireInternetPaymentAllowed(pointer: String) throws {
        guard !internetPaymentSuspended else {
            throw DomainError(.personInternetPaymentSuspended, .forbidden, rule: .id5, pointer: pointer,
                              "Internet+ payment and direct settlement of \(psnNo) are suspended (ID-5); the visit can only be paid in cash and reimbursed manually")
        }
    }

    /// SC-5: an Internet follow-up at `institution` in the person's own province is one of their designated
    /// institutions, when they chose some; elsewhere (away from home) the filing rules apply instead (XR-2, XR-3).
    public func requireOwnDesignatedInstitution(_ institution: String, local: Bool, pointer: String) throws {
        guard local, let chosen = designatedInstitutions, !chosen.contains(institution) else { return }
        throw DomainError(.notOwnDesignatedInstitution, .forbidden, rule: .sc5, pointer: pointer,
                          "\(psnNo) follows up online only at the designated institutions they chose (\(chosen.joined(separator: ", "))), not at \(institution)",
                          expected: chosen.joined(separator: " | "), actual: institution)
    }

    /// SC-5: the person's outpatient special-disease fees (`med_type` 14) settle only at their special-disease institution.
    public func requireSpecialDiseaseInstitution(_ institution: String, medType: String?, local: Bool, pointer: String) throws {
        guard local, medType == "14", let chosen = specialDiseaseInstitutions, !chosen.contains(institution) else { return }
        throw DomainError(.notOwnDesignatedInstitution, .forbidden, rule: .sc5, pointer: pointer,
                          "\(psnNo)'s outpatient special-disease fees (med_type 14) settle only at their special-disease institution (\(chosen.joined(separator: ", "))), not at \(institution)",
                          expected: chosen.joined(separator: " | "), actual: institution)
    }

    /// A resident ID number with the middle masked, for messages (SV-5: no leakage of insured persons' data).
    public static func masked(_ certno: String) -> String { Redaction.maskIDNumber(certno) }
}

/// Test personas: documented insured persons whose payments end in a chosen outcome.
public enum TestPersona: String, Sendable, Codable, CaseIterable {
    /// 6202 is carried out but the answer never arrives: the hospital gets 504 PLATFORM_TIMEOUT and must query (6301) to learn the order is paid.
    case platformTimeout
    /// 6202 fails at the fund: the order ends in ordStas 15 (settlement failed); the person is reimbursed manually (PY-9).
    case settlementFailure
    /// 6203 answers `refStatus` EXP (awaiting confirmation) and leaves the order in `ordStas` 17;
    /// the refund completes — money back, `refStatus` SUCC — when the hospital queries it (6301).
    case refundAwaitingConfirmation
    /// FSI 2207 is carried out and committed, then the answer is lost (the connection closes without
    /// one): the HIS must reverse it (2601) or query it (5203) before settling again.
    case lostAnswer
}

/// 就诊凭证类型 `mdtrt_cert_type` — the accepted identity media (ID-4).
public enum IdentityMedium: String, Sendable, Codable, CaseIterable {
    /// 01 医保电子凭证 — the e-voucher; `mdtrt_cert_no` is an ecToken.
    case eVoucher = "01"
    /// 02 居民身份证 — resident ID number.
    case residentID = "02"
    /// 03 社会保障卡 — social-security card.
    case socialSecurityCard = "03"

    /// Parses `mdtrt_cert_type`, refusing anything but 01/02/03 (ID-4).
    public static func parse(_ text: String?, pointer: String) throws -> IdentityMedium {
        guard let text, !text.isEmpty else { throw DomainError.missing(pointer, "mdtrt_cert_type (01 e-voucher, 02 resident ID, 03 social-security card)") }
        guard let medium = IdentityMedium(rawValue: text) else {
            throw DomainError(.identityMediumNotAccepted, .invalid, rule: .id4, pointer: pointer,
                              "mdtrt_cert_type \"\(text)\" is not an accepted identity medium", expected: "01, 02 or 03", actual: text)
        }
        return medium
    }
}
