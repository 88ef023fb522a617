// The registry of refusal codes. Every refusal the platform answers names one of these; docs/ERRORS.md
// is generated from it (`yibao errors --markdown`). Add a code here before raising it.

/// A refusal's stable code, from the registry below, with the HTTP status it is answered with under
/// `nhsa-2.0` (HTTP-200 dialects carry it in the problem document), the rule it usually cites (a refusal
/// names the rule of its own check, which may be a more specific one) and the Chinese wording real
/// platforms put in `err_msg`.
public struct ErrorCode: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public let status: Int
    public let rule: Rule?
    /// The `err_msg` wording (中文) an operator of a real HIS reads.
    public let zh: String

    init(_ rawValue: String, _ status: Int, _ rule: Rule?, _ zh: String) {
        self.rawValue = rawValue
        self.status = status
        self.rule = rule
        self.zh = zh
    }

    /// The registered code named `rawValue`, if any.
    public init?(rawValue: String) {
        guard let code = Self.byName[rawValue] else { return nil }
        self = code
    }

    public var description: String { rawValue }

    private static let byName: [String: ErrorCode] = Dictionary(uniqueKeysWithValues: all.map { ($0.rawValue, $0) })
}

extension ErrorCode: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let code = ErrorCode(rawValue: name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(name) is not a registered error code")
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension ErrorCode {
    // MARK: Envelopes and transport

    public static let bodyInvalid = ErrorCode("BODY_INVALID", 400, nil, "请求体格式错误")
    public static let bodyNotJson = ErrorCode("BODY_NOT_JSON", 400, nil, "请求体不是JSON对象")
    public static let bodyTooLarge = ErrorCode("BODY_TOO_LARGE", 413, nil, "报文过大")
    public static let channelPaymentNotOffered = ErrorCode("CHANNEL_PAYMENT_NOT_OFFERED", 403, .py6, "不支持渠道支付")
    public static let channelUnauthorised = ErrorCode("CHANNEL_UNAUTHORISED", 401, .id2, "渠道未授权")
    public static let csbAccessKeyUnknown = ErrorCode("CSB_ACCESS_KEY_UNKNOWN", 401, .protocolEnvelope, "AccessKey不存在")
    public static let csbApiNameMismatch = ErrorCode("CSB_API_NAME_MISMATCH", 401, .protocolEnvelope, "接口名称与交易编号不一致")
    public static let csbSignatureInvalid = ErrorCode("CSB_SIGNATURE_INVALID", 401, .protocolEnvelope, "CSB签名验证失败")
    public static let csbTimestampInvalid = ErrorCode("CSB_TIMESTAMP_INVALID", 401, .protocolEnvelope, "时间戳格式错误")
    public static let csbTimestampOutOfWindow = ErrorCode("CSB_TIMESTAMP_OUT_OF_WINDOW", 401, .protocolEnvelope, "请求已过期")
    public static let envAppidMismatch = ErrorCode("ENV_APPID_MISMATCH", 400, .protocolEnvelope, "appId与认证信息不一致")
    public static let envBadTimestamp = ErrorCode("ENV_BAD_TIMESTAMP", 401, .protocolEnvelope, "timestamp格式错误")
    public static let envDataNotJson = ErrorCode("ENV_DATA_NOT_JSON", 400, .protocolEnvelope, "解密后业务数据格式错误")
    public static let envDecryptionFailed = ErrorCode("ENV_DECRYPTION_FAILED", 400, .protocolEnvelope, "encData解密失败")
    public static let envEncdataHexCase = ErrorCode("ENV_ENCDATA_HEX_CASE", 400, .protocolEnvelope, "encData大小写不符合要求")
    public static let envEncdataNotHex = ErrorCode("ENV_ENCDATA_NOT_HEX", 400, .protocolEnvelope, "encData不是十六进制字符串")
    public static let envMissingField = ErrorCode("ENV_MISSING_FIELD", 400, .protocolEnvelope, "报文必填字段为空")
    public static let envNotJson = ErrorCode("ENV_NOT_JSON", 400, .protocolEnvelope, "请求报文格式错误")
    public static let envReplayed = ErrorCode("ENV_REPLAYED", 409, .protocolReplay, "请求报文重复提交")
    public static let envSignatureEncoding = ErrorCode("ENV_SIGNATURE_ENCODING", 400, .protocolEnvelope, "signData编码错误")
    public static let envSignatureInvalid = ErrorCode("ENV_SIGNATURE_INVALID", 401, .protocolEnvelope, "signData验签失败")
    public static let envTimestampOutOfWindow = ErrorCode("ENV_TIMESTAMP_OUT_OF_WINDOW", 401, .protocolReplay, "timestamp超出允许范围")
    public static let envTranstypeMismatch = ErrorCode("ENV_TRANSTYPE_MISMATCH", 400, .protocolEnvelope, "transType与请求接口不一致")
    public static let envUnexpectedField = ErrorCode("ENV_UNEXPECTED_FIELD", 400, .protocolEnvelope, "报文不允许包含明文业务数据")
    public static let envUnknownAppid = ErrorCode("ENV_UNKNOWN_APPID", 401, .protocolEnvelope, "appId不存在")
    public static let envUnsupportedEnctype = ErrorCode("ENV_UNSUPPORTED_ENCTYPE", 400, .protocolEnvelope, "加密类型不支持")
    public static let envUnsupportedSigntype = ErrorCode("ENV_UNSUPPORTED_SIGNTYPE", 400, .protocolEnvelope, "签名类型不支持")
    public static let fieldInvalid = ErrorCode("FIELD_INVALID", 400, nil, "字段值不合法")
    public static let fieldMissing = ErrorCode("FIELD_MISSING", 400, .protocolFields, "必填字段为空")
    public static let fsiInputNotDecrypted = ErrorCode("FSI_INPUT_NOT_DECRYPTED", 400, .protocolEnvelope, "报文解密失败")
    public static let fsiNotJson = ErrorCode("FSI_NOT_JSON", 400, .protocolEnvelope, "报文格式错误")
    public static let fsiPathMismatch = ErrorCode("FSI_PATH_MISMATCH", 400, .protocolEnvelope, "请求地址与交易编号不一致")
    public static let fsiSignatureInvalid = ErrorCode("FSI_SIGNATURE_INVALID", 401, .protocolEnvelope, "签名验证失败")
    public static let fsiTimeOutOfWindow = ErrorCode("FSI_TIME_OUT_OF_WINDOW", 401, .protocolReplay, "报文时间超出允许范围")
    public static let httpError = ErrorCode("HTTP_ERROR", 400, nil, "请求无法处理")
    public static let infnoUnsupported = ErrorCode("INFNO_UNSUPPORTED", 404, .protocolEnvelope, "交易编号不存在")
    public static let internalError = ErrorCode("INTERNAL_ERROR", 500, nil, "系统内部错误")
    public static let methodNotAllowed = ErrorCode("METHOD_NOT_ALLOWED", 405, nil, "请求方法不支持")
    public static let msgidReplayed = ErrorCode("MSGID_REPLAYED", 409, .protocolReplay, "报文ID重复")
    public static let notFound = ErrorCode("NOT_FOUND", 404, nil, "请求地址不存在")
    public static let oauthClientMissing = ErrorCode("OAUTH_CLIENT_MISSING", 401, .protocolEnvelope, "客户端认证信息为空")
    public static let oauthClientSecretWrong = ErrorCode("OAUTH_CLIENT_SECRET_WRONG", 401, .protocolEnvelope, "客户端密钥错误")
    public static let oauthClientTaken = ErrorCode("OAUTH_CLIENT_TAKEN", 409, nil, "客户端ID已被其他机构使用")
    public static let oauthClientUnknown = ErrorCode("OAUTH_CLIENT_UNKNOWN", 401, .protocolEnvelope, "客户端ID不存在")
    public static let oauthGrantType = ErrorCode("OAUTH_GRANT_TYPE", 400, .protocolEnvelope, "授权类型不支持")
    public static let oauthScopeInvalid = ErrorCode("OAUTH_SCOPE_INVALID", 400, .protocolEnvelope, "授权范围不合法")
    public static let oauthUserInvalid = ErrorCode("OAUTH_USER_INVALID", 400, .protocolEnvelope, "用户名或密码错误")
    public static let rateLimited = ErrorCode("RATE_LIMITED", 429, nil, "请求过于频繁")
    public static let sandboxLimitReached = ErrorCode("SANDBOX_LIMIT_REACHED", 409, nil, "沙箱数量已达上限")
    public static let sandboxNotFound = ErrorCode("SANDBOX_NOT_FOUND", 404, nil, "沙箱不存在")
    public static let serviceUnknown = ErrorCode("SERVICE_UNKNOWN", 404, .protocolEnvelope, "服务接口不存在")
    public static let signNoExpired = ErrorCode("SIGN_NO_EXPIRED", 401, .protocolSignIn, "签到已过期，请重新签到")
    public static let signNoMissing = ErrorCode("SIGN_NO_MISSING", 401, .protocolSignIn, "签到编号为空，请先签到")
    public static let signNoUnknown = ErrorCode("SIGN_NO_UNKNOWN", 401, .protocolSignIn, "签到编号不存在")
    public static let tifNonceInvalid = ErrorCode("TIF_NONCE_INVALID", 401, .protocolEnvelope, "随机数不合法")
    public static let tifNonceReplayed = ErrorCode("TIF_NONCE_REPLAYED", 409, .protocolReplay, "随机数重复使用")
    public static let tifPaasidUnknown = ErrorCode("TIF_PAASID_UNKNOWN", 401, .protocolEnvelope, "paasid不存在")
    public static let tifSignatureInvalid = ErrorCode("TIF_SIGNATURE_INVALID", 401, .protocolEnvelope, "网关签名验证失败")
    public static let tifTimestampInvalid = ErrorCode("TIF_TIMESTAMP_INVALID", 401, .protocolEnvelope, "时间戳格式错误")
    public static let tifTimestampOutOfWindow = ErrorCode("TIF_TIMESTAMP_OUT_OF_WINDOW", 401, .protocolEnvelope, "请求已过期")
    public static let tokenMissing = ErrorCode("TOKEN_MISSING", 401, .protocolEnvelope, "令牌为空")
    public static let transportHeaderInvalid = ErrorCode("TRANSPORT_HEADER_INVALID", 401, .protocolEnvelope, "网关认证头不合法")
    public static let transportHeaderMissing = ErrorCode("TRANSPORT_HEADER_MISSING", 401, .protocolEnvelope, "网关认证头缺失")
    public static let transportNotConfigured = ErrorCode("TRANSPORT_NOT_CONFIGURED", 401, .protocolEnvelope, "未配置网关认证信息")
    public static let unauthorised = ErrorCode("UNAUTHORISED", 401, nil, "未授权访问")

    // MARK: Institutions, agreements and practitioners

    public static let agreementActionUnknown = ErrorCode("AGREEMENT_ACTION_UNKNOWN", 404, nil, "协议操作类型不存在")
    public static let agreementDeadlinePassed = ErrorCode("AGREEMENT_DEADLINE_PASSED", 403, .ag3, "已超过协议办理时限")
    public static let agreementRenewalNotDue = ErrorCode("AGREEMENT_RENEWAL_NOT_DUE", 409, .ag8, "未到续签申请期")
    public static let agreementEntityRequired = ErrorCode("AGREEMENT_ENTITY_REQUIRED", 403, .ag4, "医保服务协议未生效")
    public static let agreementKindUnknown = ErrorCode("AGREEMENT_KIND_UNKNOWN", 404, nil, "协议类型不存在")
    public static let agreementMaterialsRequired = ErrorCode("AGREEMENT_MATERIALS_REQUIRED", 400, .ag2, "补充材料清单为空")
    public static let agreementReasonsRequired = ErrorCode("AGREEMENT_REASONS_REQUIRED", 400, .ag3, "未说明理由")
    public static let agreementSupplementAlreadyRequested = ErrorCode("AGREEMENT_SUPPLEMENT_ALREADY_REQUESTED", 409, .ag2, "已通知补充材料，不能重复通知")
    public static let agreementTermInvalid = ErrorCode("AGREEMENT_TERM_INVALID", 400, .ag8, "协议期限不合法")
    public static let agreementTimeOrder = ErrorCode("AGREEMENT_TIME_ORDER", 400, nil, "协议变更时间早于上次变更")
    public static let agreementWrongState = ErrorCode("AGREEMENT_WRONG_STATE", 409, .ag8, "协议状态不允许该操作")
    public static let appExists = ErrorCode("APP_EXISTS", 409, nil, "机构应用已存在")
    public static let appKeyInvalid = ErrorCode("APP_KEY_INVALID", 500, nil, "机构公钥不合法")
    public static let appUnknown = ErrorCode("APP_UNKNOWN", 404, nil, "机构应用未注册")
    public static let doctorUnknown = ErrorCode("DOCTOR_UNKNOWN", 404, .pr1, "医师信息不存在")
    public static let institutionAgreementExists = ErrorCode("INSTITUTION_AGREEMENT_EXISTS", 409, .ag2, "机构已有在办或生效协议")
    public static let institutionCapabilitiesMissing = ErrorCode("INSTITUTION_CAPABILITIES_MISSING", 403, .ag6, "机构不具备互联网医疗服务条件")
    public static let institutionDishonestyList = ErrorCode("INSTITUTION_DISHONESTY_LIST", 403, .ag7, "机构已列入失信名单")
    public static let institutionExists = ErrorCode("INSTITUTION_EXISTS", 409, nil, "定点医药机构已存在")
    public static let institutionLevelUnsupported = ErrorCode("INSTITUTION_LEVEL_UNSUPPORTED", 400, nil, "参保地未配置该医院等级报销比例")
    public static let institutionNegativeList = ErrorCode("INSTITUTION_NEGATIVE_LIST", 403, .ag7, "机构在负面清单限制期内")
    public static let institutionNotAuthorised = ErrorCode("INSTITUTION_NOT_AUTHORISED", 403, .ag1, "机构未签订互联网+医疗服务协议")
    public static let institutionNoAgreement = ErrorCode("INSTITUTION_NO_AGREEMENT", 404, nil, "机构无协议申请记录")
    public static let institutionNoEntityAgreement = ErrorCode("INSTITUTION_NO_ENTITY_AGREEMENT", 403, .ag1, "机构医保服务协议未生效")
    public static let institutionUnknown = ErrorCode("INSTITUTION_UNKNOWN", 404, .ag1, "定点医药机构不存在")
    public static let pharmacistUnknown = ErrorCode("PHARMACIST_UNKNOWN", 403, .rx5, "审方药师信息不存在")
    public static let pharmacyStaffingInsufficient = ErrorCode("PHARMACY_STAFFING_INSUFFICIENT", 403, .pr2, "药店药师配备不足")
    public static let policyInvalid = ErrorCode("POLICY_INVALID", 400, .py3, "医保政策参数配置错误")
    public static let practitionerCertificateInvalid = ErrorCode("PRACTITIONER_CERTIFICATE_INVALID", 403, .pr3, "医保医师证书校验失败")
    public static let practitionerNotDoctor = ErrorCode("PRACTITIONER_NOT_DOCTOR", 403, .pr1, "该人员不是医师")
    public static let practitionerNoQualification = ErrorCode("PRACTITIONER_NO_QUALIFICATION", 403, .pr1, "医师无执业资格信息")
    public static let practitionerPracticeTooShort = ErrorCode("PRACTITIONER_PRACTICE_TOO_SHORT", 403, .pr1, "医师独立执业年限不足3年")
    public static let regionPolicyMissing = ErrorCode("REGION_POLICY_MISSING", 403, .xr6, "未配置该统筹区医保政策")
    public static let subjectNotRegistered = ErrorCode("SUBJECT_NOT_REGISTERED", 403, .sc2, "诊疗科目未登记")
    public static let institutionRecentlyPunished = ErrorCode("INSTITUTION_RECENTLY_PUNISHED", 403, .ag12, "申请前6个月内受过行政处罚")
    public static let agreementPublicityPending = ErrorCode("AGREEMENT_PUBLICITY_PENDING", 403, .ag12, "拟签订协议名单公示期未满")
    public static let agreementCreditCommitmentRequired = ErrorCode("AGREEMENT_CREDIT_COMMITMENT_REQUIRED", 400, .ag12, "签订协议须同时签署信用承诺书")
    public static let institutionNegativeListLinked = ErrorCode("INSTITUTION_NEGATIVE_LIST_LINKED", 403, .ag14, "法定代表人、主要投资人或名称地址在负面清单内")
    public static let notOwnDesignatedInstitution = ErrorCode("NOT_OWN_DESIGNATED_INSTITUTION", 403, .sc5, "非本人定点医疗机构")
    public static let subjectNotApprovedForInternet = ErrorCode("SUBJECT_NOT_APPROVED_FOR_INTERNET", 403, .sc6, "该科目未核准互联网诊疗")
    public static let measuresNotInForce = ErrorCode("MEASURES_NOT_IN_FORCE", 403, .gen1, "医保支付管理办法不在有效期内")

    // MARK: Around a settlement: reversal, benefit check, chronic filings, audit, sign-out

    public static let auditRequired = ErrorCode("AUDIT_REQUIRED", 403, .sv3, "结算前须进行事前事中审核")
    public static let benefitCheckRequired = ErrorCode("BENEFIT_CHECK_REQUIRED", 403, .id1, "结算前须进行待遇检查")
    public static let benefitCheckFailed = ErrorCode("BENEFIT_CHECK_FAILED", 403, .id1, "待遇检查未通过")
    public static let chronicDiseaseNotFileable = ErrorCode("CHRONIC_DISEASE_NOT_FILEABLE", 403, .sc1, "该病种不在门诊慢特病备案目录内")
    public static let chronicFilingAlreadyCancelled = ErrorCode("CHRONIC_FILING_ALREADY_CANCELLED", 409, .sc1, "慢特病备案已撤销")
    public static let chronicFilingExists = ErrorCode("CHRONIC_FILING_EXISTS", 409, .sc1, "该病种已有有效备案")
    public static let chronicFilingUnknown = ErrorCode("CHRONIC_FILING_UNKNOWN", 404, .sc1, "慢特病备案信息不存在")
    public static let reversalAlreadyCancelled = ErrorCode("REVERSAL_ALREADY_CANCELLED", 409, .py6, "原交易已撤销，不能冲正")
    public static let reversalInfnoMismatch = ErrorCode("REVERSAL_INFNO_MISMATCH", 400, .py6, "原交易编号与原报文不一致")
    public static let reversalNotReversible = ErrorCode("REVERSAL_NOT_REVERSIBLE", 409, .py6, "该交易不允许冲正")
    public static let reversalOriginalUnknown = ErrorCode("REVERSAL_ORIGINAL_UNKNOWN", 404, .py6, "原交易不存在或未成功")
    public static let signNoSignedOut = ErrorCode("SIGN_NO_SIGNED_OUT", 401, .protocolSignIn, "已签退，请重新签到")
    public static let retailPharmacyOnly = ErrorCode("RETAIL_PHARMACY_ONLY", 403, .py7, "药店结算交易仅限定点零售药店")
    public static let rxNotDispensedHere = ErrorCode("RX_NOT_DISPENSED_HERE", 403, .rx4, "处方未由本药店调剂，不能结算")
    public static let fileUnknown = ErrorCode("FILE_UNKNOWN", 404, .protocolFields, "文件不存在或已过下载期限")
    public static let fileTooLarge = ErrorCode("FILE_TOO_LARGE", 400, .protocolFields, "文件超过大小限制")
    public static let fileUnreadable = ErrorCode("FILE_UNREADABLE", 400, .protocolFields, "文件格式错误")
    public static let detailFileLineInvalid = ErrorCode("DETAIL_FILE_LINE_INVALID", 400, .py8, "对账明细文件格式错误")
    public static let detailFileTotalsMismatch = ErrorCode("DETAIL_FILE_TOTALS_MISMATCH", 400, .py8, "对账明细与汇总金额不一致")
    public static let catalogueItemUnknown = ErrorCode("CATALOGUE_ITEM_UNKNOWN", 404, .py3, "医保目录编码不存在")
    public static let catalogueItemNotMapped = ErrorCode("CATALOGUE_ITEM_NOT_MAPPED", 403, .py3, "医药机构目录未对照医保目录")
    public static let catalogueMappingUnknown = ErrorCode("CATALOGUE_MAPPING_UNKNOWN", 404, .py3, "目录对照信息不存在")
    public static let dictionaryTypeUnknown = ErrorCode("DICTIONARY_TYPE_UNKNOWN", 404, .protocolFields, "字典类型不存在")

    // MARK: Persons and the e-voucher

    public static let authcodeExpired = ErrorCode("AUTHCODE_EXPIRED", 401, .id2, "授权码已过期")
    public static let authcodeReused = ErrorCode("AUTHCODE_REUSED", 409, .id2, "授权码已被使用")
    public static let authcodeUnknown = ErrorCode("AUTHCODE_UNKNOWN", 401, .id2, "授权码无效")
    public static let authcodeWrongInstitution = ErrorCode("AUTHCODE_WRONG_INSTITUTION", 403, .id2, "授权码与定点医药机构不匹配")
    public static let cashierTokenInvalid = ErrorCode("CASHIER_TOKEN_INVALID", 403, .id2, "收银台令牌无效")
    public static let epcTokenInvalid = ErrorCode("EPC_TOKEN_INVALID", 403, .rx4, "处方下载令牌无效")
    public static let identityMediumNotAccepted = ErrorCode("IDENTITY_MEDIUM_NOT_ACCEPTED", 400, .id4, "就诊凭证类型不支持")
    public static let orgMismatch = ErrorCode("ORG_MISMATCH", 403, .id2, "机构编码与应用不匹配")
    public static let payauthnoExpired = ErrorCode("PAYAUTHNO_EXPIRED", 401, .id2, "支付授权码已过期")
    public static let payauthnoOtherPerson = ErrorCode("PAYAUTHNO_OTHER_PERSON", 403, .id2, "支付授权码与人员不匹配")
    public static let payauthnoReused = ErrorCode("PAYAUTHNO_REUSED", 409, .id2, "支付授权码已被使用")
    public static let payauthnoUnknown = ErrorCode("PAYAUTHNO_UNKNOWN", 401, .id2, "支付授权码无效")
    public static let payauthnoWrongInstitution = ErrorCode("PAYAUTHNO_WRONG_INSTITUTION", 403, .id2, "支付授权码与定点医药机构不匹配")
    public static let personCardTaken = ErrorCode("PERSON_CARD_TAKEN", 409, .id4, "社会保障卡已被其他人员使用")
    public static let personCertnoTaken = ErrorCode("PERSON_CERTNO_TAKEN", 409, .id1, "证件号码已被其他人员使用")
    public static let personInsuranceNotActive = ErrorCode("PERSON_INSURANCE_NOT_ACTIVE", 403, .id1, "参保人参保状态异常")
    public static let personInternetPaymentSuspended = ErrorCode("PERSON_INTERNET_PAYMENT_SUSPENDED", 403, .id5, "参保人医保在线支付已暂停")
    public static let personMismatch = ErrorCode("PERSON_MISMATCH", 403, .id1, "就诊凭证与人员编号不一致")
    public static let personNameMismatch = ErrorCode("PERSON_NAME_MISMATCH", 403, .id3, "姓名与参保登记信息不一致")
    public static let personNotRealNameVerified = ErrorCode("PERSON_NOT_REAL_NAME_VERIFIED", 403, .id3, "参保人未通过实名认证")
    public static let personUnknown = ErrorCode("PERSON_UNKNOWN", 404, .id1, "人员信息不存在")
    public static let qrcodeExpired = ErrorCode("QRCODE_EXPIRED", 401, .id2, "电子凭证二维码已失效")
    public static let qrcodeReused = ErrorCode("QRCODE_REUSED", 409, .id2, "电子凭证二维码已被使用")
    public static let qrcodeUnknown = ErrorCode("QRCODE_UNKNOWN", 401, .id2, "电子凭证二维码无效")
    public static let tokenExpired = ErrorCode("TOKEN_EXPIRED", 401, .id2, "令牌已过期")
    public static let tokenReused = ErrorCode("TOKEN_REUSED", 409, .id2, "电子凭证令牌已被使用")
    public static let tokenUnknown = ErrorCode("TOKEN_UNKNOWN", 401, .id2, "令牌无效")
    public static let tokenWrongBusiness = ErrorCode("TOKEN_WRONG_BUSINESS", 403, .id2, "电子凭证令牌与业务类型不符")
    public static let tokenWrongInstitution = ErrorCode("TOKEN_WRONG_INSTITUTION", 403, .id2, "令牌与机构不匹配")
    public static let voucherNotActivated = ErrorCode("VOUCHER_NOT_ACTIVATED", 403, .id2, "电子凭证未激活")

    // MARK: Visits, fees and settlement

    public static let amountOutOfRange = ErrorCode("AMOUNT_OUT_OF_RANGE", 409, nil, "金额超出允许范围")
    public static let auditRefused = ErrorCode("AUDIT_REFUSED", 403, .sv6, "事前审核未通过")
    public static let crossRegionNotFiled = ErrorCode("CROSS_REGION_NOT_FILED", 403, .xr2, "未办理异地就医备案")
    public static let crossRegionInstitutionNotFiled = ErrorCode("CROSS_REGION_INSTITUTION_NOT_FILED", 403, .xr3, "门诊慢特病须在备案的定点医疗机构直接结算")
    public static let declarationExists = ErrorCode("DECLARATION_EXISTS", 409, .py8, "该月已清算申报")
    public static let feedetlSnReused = ErrorCode("FEEDETL_SN_REUSED", 409, .py10, "费用明细流水号重复")
    public static let cardSettlementNotAllowed = ErrorCode("CARD_SETTLEMENT_NOT_ALLOWED", 403, .py6, "该费用须通过医保移动支付结算")
    public static let flagAlreadyReviewed = ErrorCode("FLAG_ALREADY_REVIEWED", 409, .py10, "疑点已复核")
    public static let settlementNotFlagged = ErrorCode("SETTLEMENT_UNKNOWN_FOR_REVIEW", 404, .py10, "无此有效结算")
    public static let feeDetailsNone = ErrorCode("FEE_DETAILS_NONE", 404, .py10, "费用明细为空")
    public static let filingAlreadyCancelled = ErrorCode("FILING_ALREADY_CANCELLED", 409, .xr2, "备案已撤销")
    public static let filingTooLong = ErrorCode("FILING_TOO_LONG", 400, .xr2, "临时备案有效期超过12个月")
    public static let filingTooManyInstitutions = ErrorCode("FILING_TOO_MANY_INSTITUTIONS", 400, .xr3, "门慢门特备案定点机构超限")
    public static let filingUnknown = ErrorCode("FILING_UNKNOWN", 404, .xr2, "备案信息不存在")
    public static let idempotencyKeyReused = ErrorCode("IDEMPOTENCY_KEY_REUSED", 409, .py6, "订单号重复且报文内容不一致")
    public static let identifiersExhausted = ErrorCode("IDENTIFIERS_EXHAUSTED", 409, .protocolEnvelope, "流水号生成失败，请稍后重试")
    public static let insutypeUnsupported = ErrorCode("INSUTYPE_UNSUPPORTED", 400, nil, "参保地不支持该险种")
    public static let orderIdentityMismatch = ErrorCode("ORDER_IDENTITY_MISMATCH", 403, .id1, "订单身份信息与就诊人员不一致")
    public static let orderPaidInChannel = ErrorCode("ORDER_PAID_IN_CHANNEL", 409, .py6, "订单已在渠道完成支付")
    public static let orderUnknown = ErrorCode("ORDER_UNKNOWN", 404, .py6, "支付订单不存在")
    public static let orderWrongState = ErrorCode("ORDER_WRONG_STATE", 409, .py6, "订单状态不允许支付")
    public static let paytokenInvalid = ErrorCode("PAYTOKEN_INVALID", 401, .py6, "支付令牌与订单不匹配")
    public static let payTokenMismatch = ErrorCode("PAY_TOKEN_MISMATCH", 403, .py6, "payToken与订单不匹配")
    public static let platformCertificateMissing = ErrorCode("PLATFORM_CERTIFICATE_MISSING", 403, .rx1, "平台签章证书未配置")
    public static let platformTimeout = ErrorCode("PLATFORM_TIMEOUT", 504, .py6, "平台处理超时，请查询订单状态")
    public static let presettlementStale = ErrorCode("PRESETTLEMENT_STALE", 409, .py6, "预结算结果已失效，请重新预结算")
    public static let refundExceedsPaid = ErrorCode("REFUND_EXCEEDS_PAID", 409, .py6, "退款金额超过可退金额")
    public static let reimbursementDone = ErrorCode("REIMBURSEMENT_DONE", 409, .py9, "订单已手工报销")
    public static let reimbursementNotCrossRegion = ErrorCode("REIMBURSEMENT_NOT_CROSS_REGION", 400, .xr4, "非异地就医不能手工报销")
    public static let reimbursementNotNeeded = ErrorCode("REIMBURSEMENT_NOT_NEEDED", 409, .py9, "订单无需手工报销")
    public static let scopeDiseaseNotChronic = ErrorCode("SCOPE_DISEASE_NOT_CHRONIC", 403, .sc1, "诊断不属于常见病慢性病")
    public static let scopeFirstVisitOnline = ErrorCode("SCOPE_FIRST_VISIT_ONLINE", 403, .sc1, "互联网诊疗仅限复诊")
    public static let scopeNoPriorOfflineVisit = ErrorCode("SCOPE_NO_PRIOR_OFFLINE_VISIT", 403, .sc3, "无（该病种）线下就诊记录")
    public static let settlementAlreadyCancelled = ErrorCode("SETTLEMENT_ALREADY_CANCELLED", 409, .py6, "结算已撤销")
    public static let settlementFailed = ErrorCode("SETTLEMENT_FAILED", 502, .py9, "实时结算失败，请手工报销")
    public static let settlementInvariant = ErrorCode("SETTLEMENT_INVARIANT", 400, .py3, "结算金额不平衡")
    public static let settlementUnknown = ErrorCode("SETTLEMENT_UNKNOWN", 404, .py6, "结算信息不存在")
    public static let visitAlreadyCancelled = ErrorCode("VISIT_ALREADY_CANCELLED", 409, .protocolFields, "挂号已撤销")
    public static let receiptNumberReused = ErrorCode("RECEIPT_NUMBER_REUSED", 409, .sv6, "发票号码已用于其他结算")
    public static let reimbursementSettledDirectly = ErrorCode("REIMBURSEMENT_SETTLED_DIRECTLY", 409, .xr4, "该次就医已直接结算，不能重复报销")
    public static let visitCancelled = ErrorCode("VISIT_CANCELLED", 409, .py6, "挂号已撤销，不能支付")
    public static let visitNotVoucherAuthenticated = ErrorCode("VISIT_NOT_VOUCHER_AUTHENTICATED", 403, .id1, "就诊未经医保电子凭证实名认证，不能结算")
    public static let visitOtherInstitution = ErrorCode("VISIT_OTHER_INSTITUTION", 403, .protocolFields, "就诊信息不属于本机构")
    public static let visitOtherPerson = ErrorCode("VISIT_OTHER_PERSON", 400, .protocolFields, "就诊信息与人员不匹配")
    public static let visitSettled = ErrorCode("VISIT_SETTLED", 409, .py6, "就诊已结算，不能撤销挂号")
    public static let visitUnknown = ErrorCode("VISIT_UNKNOWN", 404, .sc4, "就诊信息不存在")

    // MARK: E-prescriptions

    public static let rxAlreadyDispensed = ErrorCode("RX_ALREADY_DISPENSED", 409, .rx4, "处方已取药")
    public static let rxAuthnoInvalid = ErrorCode("RX_AUTHNO_INVALID", 403, .id1, "身份核验授权编号无效")
    public static let rxBeforeVisit = ErrorCode("RX_BEFORE_VISIT", 400, .rx1, "开方时间早于挂号时间")
    public static let rxBizTypeMismatch = ErrorCode("RX_BIZ_TYPE_MISMATCH", 400, .sc4, "处方业务类型与就诊不符")
    public static let itemServiceModeMismatch = ErrorCode("ITEM_SERVICE_MODE_MISMATCH", 403, .sc4, "项目服务方式与结算渠道不符")
    public static let rxCertificateUnreadable = ErrorCode("RX_CERTIFICATE_UNREADABLE", 401, .rx1, "签名证书格式错误")
    public static let rxContentChanged = ErrorCode("RX_CONTENT_CHANGED", 403, .rx1, "处方内容与预核验时不一致")
    public static let rxDeliveryIncomplete = ErrorCode("RX_DELIVERY_INCOMPLETE", 400, .rx5, "配送信息不完整")
    public static let rxDoctorCertificateInvalid = ErrorCode("RX_DOCTOR_CERTIFICATE_INVALID", 401, .rx1, "医师证书无效")
    public static let rxDoctorCertificateMismatch = ErrorCode("RX_DOCTOR_CERTIFICATE_MISMATCH", 401, .rx1, "医师证书与备案不一致")
    public static let rxDoctorCertificateNotRegistered = ErrorCode("RX_DOCTOR_CERTIFICATE_NOT_REGISTERED", 403, .pr3, "医师签名证书与备案不符")
    public static let rxDoctorSignatureInvalid = ErrorCode("RX_DOCTOR_SIGNATURE_INVALID", 401, .rx1, "医师签名验证失败")
    public static let rxDoctorSignatureMissing = ErrorCode("RX_DOCTOR_SIGNATURE_MISSING", 400, .rx1, "处方医师未签名")
    public static let rxDownloadNotPharmacy = ErrorCode("RX_DOWNLOAD_NOT_PHARMACY", 403, .rx4, "仅定点零售药店可下载处方")
    public static let rxDuplicate = ErrorCode("RX_DUPLICATE", 409, .rx1, "院内处方编号重复")
    public static let rxExpired = ErrorCode("RX_EXPIRED", 403, .rx2, "处方已过期")
    public static let rxFieldNotString = ErrorCode("RX_FIELD_NOT_STRING", 400, .rx1, "处方字段值须为字符串")
    public static let rxNotCirculating = ErrorCode("RX_NOT_CIRCULATING", 409, .rx1, "处方未上传流转")
    public static let rxNotCountersigned = ErrorCode("RX_NOT_COUNTERSIGNED", 409, .rx1, "处方未经平台签章")
    public static let rxNotDownloaded = ErrorCode("RX_NOT_DOWNLOADED", 409, .rx4, "处方未下载，不能配送")
    public static let rxNotYetValid = ErrorCode("RX_NOT_YET_VALID", 403, .rx2, "处方尚未生效")
    public static let rxPharmacistCertificateInvalid = ErrorCode("RX_PHARMACIST_CERTIFICATE_INVALID", 401, .rx1, "药师证书无效")
    public static let rxPharmacistCertificateMismatch = ErrorCode("RX_PHARMACIST_CERTIFICATE_MISMATCH", 401, .rx1, "药师证书与备案不一致")
    public static let rxPharmacistCertificateNotRegistered = ErrorCode("RX_PHARMACIST_CERTIFICATE_NOT_REGISTERED", 403, .pr3, "药师签名证书与备案不符")
    public static let rxPharmacistSignatureInvalid = ErrorCode("RX_PHARMACIST_SIGNATURE_INVALID", 401, .rx1, "药师签名验证失败")
    public static let rxPlatformCertificateMismatch = ErrorCode("RX_PLATFORM_CERTIFICATE_MISMATCH", 401, .rx1, "平台签章证书序列号不一致")
    public static let rxPlatformCertificateUnknown = ErrorCode("RX_PLATFORM_CERTIFICATE_UNKNOWN", 401, .rx1, "未提供平台签章证书")
    public static let rxPlatformSignatureInvalid = ErrorCode("RX_PLATFORM_SIGNATURE_INVALID", 401, .rx1, "平台签章验证失败")
    public static let rxPlatformSignatureMissing = ErrorCode("RX_PLATFORM_SIGNATURE_MISSING", 403, .rx1, "处方无平台签章")
    public static let rxRepeatTooSoon = ErrorCode("RX_REPEAT_TOO_SOON", 409, .rx4, "未到处方再次取药时间")
    public static let rxReviewBeforePrescription = ErrorCode("RX_REVIEW_BEFORE_PRESCRIPTION", 403, .rx1, "审方时间早于开方时间")
    public static let rxReviewMissing = ErrorCode("RX_REVIEW_MISSING", 403, .rx1, "处方未经药师审方")
    public static let rxReviewRejected = ErrorCode("RX_REVIEW_REJECTED", 403, .rx1, "药师审方未通过")
    public static let rxReviewSignatureMissing = ErrorCode("RX_REVIEW_SIGNATURE_MISSING", 401, .rx1, "药师审方未签名")
    public static let rxRevoked = ErrorCode("RX_REVOKED", 409, .rx1, "处方已被撤销")
    public static let rxRouteNotAllowed = ErrorCode("RX_ROUTE_NOT_ALLOWED", 403, .rx3, "本机构不支持该取药方式")
    public static let rxSignatureAlgorithmMismatch = ErrorCode("RX_SIGNATURE_ALGORITHM_MISMATCH", 401, .rx1, "签名算法与证书不匹配")
    public static let rxSignVerifyUnknown = ErrorCode("RX_SIGN_VERIFY_UNKNOWN", 403, .rx1, "处方验签流水号不存在")
    public static let rxTimeInFuture = ErrorCode("RX_TIME_IN_FUTURE", 400, .rx1, "开方时间晚于当前时间")
    public static let rxTraceCodesCount = ErrorCode("RX_TRACE_CODES_COUNT", 400, .rx5, "追溯码数量与药品数量不符")
    public static let rxTraceCodesMissing = ErrorCode("RX_TRACE_CODES_MISSING", 400, .rx5, "药品追溯码为空")
    public static let rxTraceCodeReused = ErrorCode("RX_TRACE_CODE_REUSED", 409, .rx5, "追溯码重复")
    public static let rxTraceCodeUnknown = ErrorCode("RX_TRACE_CODE_UNKNOWN", 404, .rx1, "处方追溯码不存在")
    public static let rxTraceCodeUnknownDrug = ErrorCode("RX_TRACE_CODE_UNKNOWN_DRUG", 400, .rx5, "追溯码对应药品不在处方中")
    public static let rxTraceCodeUsed = ErrorCode("RX_TRACE_CODE_USED", 409, .rx1, "处方追溯码已使用")
    public static let rxUnknown = ErrorCode("RX_UNKNOWN", 404, .rx1, "处方信息不存在")
    public static let rxUploadMismatch = ErrorCode("RX_UPLOAD_MISMATCH", 400, .rx1, "上传处方与签章处方不一致")
    public static let rxValidityInvalid = ErrorCode("RX_VALIDITY_INVALID", 400, .rx2, "处方有效期不合法")
    public static let rxWrongStage = ErrorCode("RX_WRONG_STAGE", 409, .rx1, "处方状态不允许签章")

    /// Every registered code, in the order of the table.
    public static let all: [ErrorCode] = [
        .bodyInvalid, .bodyNotJson, .bodyTooLarge, .channelPaymentNotOffered, .channelUnauthorised, .csbAccessKeyUnknown,
        .csbApiNameMismatch, .csbSignatureInvalid, .csbTimestampInvalid, .csbTimestampOutOfWindow, .envAppidMismatch, .envBadTimestamp,
        .envDataNotJson, .envDecryptionFailed, .envEncdataHexCase, .envEncdataNotHex, .envMissingField, .envNotJson, .envReplayed,
        .envSignatureEncoding, .envSignatureInvalid, .envTimestampOutOfWindow, .envTranstypeMismatch, .envUnexpectedField, .envUnknownAppid,
        .envUnsupportedEnctype, .envUnsupportedSigntype, .fieldInvalid, .fieldMissing, .fsiInputNotDecrypted, .fsiNotJson, .fsiPathMismatch,
        .fsiSignatureInvalid, .fsiTimeOutOfWindow, .httpError, .infnoUnsupported, .internalError, .methodNotAllowed, .msgidReplayed,
        .notFound, .oauthClientMissing, .oauthClientSecretWrong, .oauthClientTaken, .oauthClientUnknown, .oauthGrantType,
        .oauthScopeInvalid, .oauthUserInvalid, .rateLimited, .sandboxLimitReached, .sandboxNotFound, .serviceUnknown, .signNoExpired, .signNoMissing, .signNoUnknown,
        .tifNonceInvalid, .tifNonceReplayed, .tifPaasidUnknown, .tifSignatureInvalid, .tifTimestampInvalid, .tifTimestampOutOfWindow,
        .tokenMissing, .transportHeaderInvalid, .transportHeaderMissing, .transportNotConfigured, .unauthorised, .agreementActionUnknown,
        .agreementDeadlinePassed, .agreementRenewalNotDue, .agreementEntityRequired, .agreementKindUnknown, .agreementMaterialsRequired, .agreementReasonsRequired,
        .agreementSupplementAlreadyRequested, .agreementTermInvalid, .agreementTimeOrder, .agreementWrongState, .appExists, .appKeyInvalid,
        .appUnknown, .doctorUnknown, .institutionAgreementExists, .institutionCapabilitiesMissing, .institutionDishonestyList,
        .institutionExists, .institutionLevelUnsupported, .institutionNegativeList, .institutionNotAuthorised, .institutionNoAgreement,
        .institutionNoEntityAgreement, .institutionUnknown, .pharmacistUnknown, .pharmacyStaffingInsufficient, .policyInvalid,
        .practitionerCertificateInvalid, .practitionerNotDoctor, .practitionerNoQualification, .practitionerPracticeTooShort,
        .regionPolicyMissing, .subjectNotRegistered, .institutionRecentlyPunished, .agreementPublicityPending,
        .agreementCreditCommitmentRequired, .institutionNegativeListLinked, .subjectNotApprovedForInternet, .measuresNotInForce, .notOwnDesignatedInstitution, .authcodeExpired, .authcodeReused, .authcodeUnknown, .authcodeWrongInstitution,
        .cashierTokenInvalid, .epcTokenInvalid, .identityMediumNotAccepted, .orgMismatch, .payauthnoExpired, .payauthnoOtherPerson,
        .payauthnoReused, .payauthnoUnknown, .payauthnoWrongInstitution, .personCardTaken, .personCertnoTaken, .personInsuranceNotActive,
        .personInternetPaymentSuspended, .personMismatch, .personNameMismatch, .personNotRealNameVerified, .personUnknown, .qrcodeExpired,
        .qrcodeReused, .qrcodeUnknown, .tokenExpired, .tokenReused, .tokenUnknown, .tokenWrongBusiness, .tokenWrongInstitution,
        .voucherNotActivated, .amountOutOfRange, .auditRefused, .crossRegionInstitutionNotFiled, .crossRegionNotFiled, .declarationExists, .feedetlSnReused, .feeDetailsNone,
        .filingAlreadyCancelled, .filingTooLong, .filingTooManyInstitutions, .filingUnknown, .idempotencyKeyReused, .identifiersExhausted,
        .insutypeUnsupported, .orderIdentityMismatch, .orderPaidInChannel, .orderUnknown, .orderWrongState, .paytokenInvalid,
        .payTokenMismatch, .platformCertificateMissing, .platformTimeout, .presettlementStale, .refundExceedsPaid, .reimbursementDone,
        .reimbursementNotCrossRegion, .reimbursementNotNeeded, .scopeDiseaseNotChronic, .scopeFirstVisitOnline, .scopeNoPriorOfflineVisit,
        .settlementAlreadyCancelled, .settlementFailed, .settlementInvariant, .settlementUnknown, .visitAlreadyCancelled, .visitCancelled, .visitNotVoucherAuthenticated, .reimbursementSettledDirectly, .receiptNumberReused,
        .visitOtherInstitution, .visitOtherPerson, .visitSettled, .visitUnknown, .rxAlreadyDispensed, .rxAuthnoInvalid, .rxBeforeVisit,
        .rxBizTypeMismatch, .itemServiceModeMismatch, .cardSettlementNotAllowed, .flagAlreadyReviewed, .settlementNotFlagged, .rxCertificateUnreadable, .rxContentChanged, .rxDeliveryIncomplete, .rxDoctorCertificateInvalid,
        .rxDoctorCertificateMismatch, .rxDoctorCertificateNotRegistered, .rxDoctorSignatureInvalid, .rxDoctorSignatureMissing,
        .rxDownloadNotPharmacy, .rxDuplicate, .rxExpired, .rxFieldNotString, .rxNotCirculating, .rxNotCountersigned, .rxNotDownloaded,
        .rxNotYetValid, .rxPharmacistCertificateInvalid, .rxPharmacistCertificateMismatch, .rxPharmacistCertificateNotRegistered,
        .rxPharmacistSignatureInvalid, .rxPlatformCertificateMismatch, .rxPlatformCertificateUnknown, .rxPlatformSignatureInvalid,
        .rxPlatformSignatureMissing, .rxRepeatTooSoon, .rxReviewBeforePrescription, .rxReviewMissing, .rxReviewRejected,
        .rxReviewSignatureMissing, .rxRevoked, .rxRouteNotAllowed, .rxSignatureAlgorithmMismatch, .rxSignVerifyUnknown, .rxTimeInFuture,
        .rxTraceCodesCount, .rxTraceCodesMissing, .rxTraceCodeReused, .rxTraceCodeUnknown, .rxTraceCodeUnknownDrug, .rxTraceCodeUsed,
        .rxUnknown, .rxUploadMismatch, .rxValidityInvalid, .rxWrongStage, .auditRequired, .benefitCheckRequired, .benefitCheckFailed,
        .chronicDiseaseNotFileable, .chronicFilingAlreadyCancelled, .chronicFilingExists, .chronicFilingUnknown, .reversalAlreadyCancelled,
        .reversalInfnoMismatch, .reversalNotReversible, .reversalOriginalUnknown, .signNoSignedOut, .retailPharmacyOnly, .rxNotDispensedHere,
        .fileUnknown, .fileTooLarge, .fileUnreadable, .detailFileLineInvalid, .detailFileTotalsMismatch,
        .catalogueItemUnknown, .catalogueItemNotMapped, .catalogueMappingUnknown, .dictionaryTypeUnknown,
    ]
}

extension ErrorCode {
    /// docs/ERRORS.md: every registered code in one table (`yibao errors --markdown` writes it; a test keeps the file equal).
    public static var markdownTable: String {
        var lines = [
            "# Refusal codes",
            "",
            "Generated from the registry (`Sources/YibaoCore/Support/ErrorCode.swift`) by `yibao errors --markdown`; do not edit by hand.",
            "Every refusal the gateway answers names one of these codes in its problem document (`code`), beside the rule of",
            "its own check (`rule`), an RFC 6901 `pointer` and a sentence (`detail`). **HTTP** is the status under `nhsa-2.0`;",
            "dialects that answer refusals as HTTP 200 carry it in the problem document. **Rule** is the rule the code usually",
            "cites. **err_msg** is the Chinese wording real platforms put in `err_msg`; the dialects that answer refusals as",
            "HTTP 200 append it to their `err_msg` (`nhsa-2.0`'s problem document keeps `[CODE RULE] detail`).",
            "",
            "| Code | HTTP | Rule | err_msg | Title |",
            "|---|---|---|---|---|",
        ]
        for code in all {
            lines.append("| `\(code.rawValue)` | \(code.status) | \(code.rule.map { $0.rawValue } ?? "—") | \(code.zh) | \(ProblemDetails(status: code.status, code: code.rawValue, detail: "").title) |")
        }
        lines.append("")
        lines.append("\(all.count) codes.")
        return lines.joined(separator: "\n") + "\n"
    }
}
