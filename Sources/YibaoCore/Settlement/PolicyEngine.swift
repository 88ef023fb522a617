import Foundation

/// 费用明细 — one fee line as a hospital uploads it (2204 `feedetail`, 6201 `feedetailList`).
public struct FeeLine: Sendable, Codable, Hashable {
    /// 费用明细流水号 `feedetl_sn`.
    public var feedetlSn: String
    /// 医疗目录编码 `med_list_codg`.
    public var medListCodg: String
    /// 单价 `pric`.
    public var pric: Amount
    /// 数量 `cnt` (may be fractional, e.g. 0.5 box); JSON string or number.
    public var cnt: Decimal
    /// 明细项目费用总额 `det_item_fee_sumamt` — must be `pric × cnt` rounded half-up to 0.01.
    public var detItemFeeSumamt: Amount
    /// SC-4: an Internet+ (online) fee rather than an offline one; carried into every result.
    public var online: Bool
    /// 外购处方标志 `rx_circ_flag`: the prescription is circulated to a retail pharmacy (PY-7).
    public var rxCircFlag: Bool

    enum CodingKeys: String, CodingKey {
        case feedetlSn = "feedetl_sn", medListCodg = "med_list_codg", pric, cnt, detItemFeeSumamt = "det_item_fee_sumamt"
        case online, rxCircFlag = "rx_circ_flag"
    }

    public init(feedetlSn: String, medListCodg: String, pric: Amount, cnt: Decimal, detItemFeeSumamt: Amount,
                online: Bool = true, rxCircFlag: Bool = false) {
        self.feedetlSn = feedetlSn
        self.medListCodg = medListCodg
        self.pric = pric
        self.cnt = cnt
        self.detItemFeeSumamt = detItemFeeSumamt
        self.online = online
        self.rxCircFlag = rxCircFlag
    }

    /// A line whose `det_item_fee_sumamt` is `pric × cnt` rounded half-up.
    public init(feedetlSn: String, medListCodg: String, pric: Amount, cnt: Decimal, online: Bool = true, rxCircFlag: Bool = false) {
        self.init(feedetlSn: feedetlSn, medListCodg: medListCodg, pric: pric, cnt: cnt, detItemFeeSumamt: (pric * cnt).rounded(),
                  online: online, rxCircFlag: rxCircFlag)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        feedetlSn = try container.decode(String.self, forKey: .feedetlSn)
        medListCodg = try container.decode(String.self, forKey: .medListCodg)
        pric = try container.decode(Amount.self, forKey: .pric)
        cnt = try decodeCount(container, .cnt)
        detItemFeeSumamt = try container.decode(Amount.self, forKey: .detItemFeeSumamt)
        online = try container.decode(Bool.self, forKey: .online)
        rxCircFlag = try container.decodeIfPresent(Bool.self, forKey: .rxCircFlag) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(feedetlSn, forKey: .feedetlSn)
        try container.encode(medListCodg, forKey: .medListCodg)
        try container.encode(pric, forKey: .pric)
        try container.encode(DecimalText.plain(cnt), forKey: .cnt)
        try container.encode(detItemFeeSumamt, forKey: .detItemFeeSumamt)
        try container.encode(online, forKey: .online)
        try container.encode(rxCircFlag, forKey: .rxCircFlag)
    }
}

/// One classified fee line: the members of the 2204 output, per line, plus the SC-4 tag and the
/// rule-citing notes that explain it. Invariant:
/// `det_item_fee_sumamt = fulamt_ownpay_amt + overlmt_amt + preselfpay_amt + inscp_scp_amt`.
public struct LineResult: Sendable, Codable, Hashable {
    /// `feedetl_sn`.
    public var feedetlSn: String
    /// `med_list_codg`.
    public var medListCodg: String
    /// `det_item_fee_sumamt`.
    public var detItemFeeSumamt: Amount
    /// `cnt`.
    public var cnt: Decimal
    /// `pric`.
    public var pric: Amount
    /// 定价上限金额 `pric_uplmt_amt` — the price cap applied; nil when the item has none.
    public var pricUplmtAmt: Amount?
    /// 自付比例 `selfpay_prop` — class B's self-pay share, 0 otherwise.
    public var selfpayProp: Ratio
    /// 全自费金额 `fulamt_ownpay_amt` — paid in full by the person (class C, outside the catalogue, delivery).
    public var fulamtOwnpayAmt: Amount
    /// 超限价金额 `overlmt_amt` — above the price cap.
    public var overlmtAmt: Amount
    /// 先行自付金额 `preselfpay_amt` — class B's share paid first by the person.
    public var preselfpayAmt: Amount
    /// 符合政策范围金额 `inscp_scp_amt` — the in-scope amount the settlement works on.
    public var inscpScpAmt: Amount
    /// 收费项目等级 `chrgitm_lv`: 01 class A, 02 class B, 03 class C or outside the catalogue.
    public var chrgitmLv: String
    /// 医疗收费项目类别 `med_chrgitm_type`; 14 (other) outside the catalogue.
    public var medChrgitmType: String
    /// The catalogue kind; nil outside the catalogue.
    public var kind: CatalogueItem.Kind?
    /// SC-4: an Internet+ (online) fee.
    public var online: Bool
    /// `rx_circ_flag` (PY-7).
    public var rxCircFlag: Bool
    /// XR-6: the region whose scope classified the line — the place of treatment.
    public var scopeAdmdvs: String
    /// Why, rule by rule ("PY-5: delivery fees are never paid by the fund").
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case feedetlSn = "feedetl_sn", medListCodg = "med_list_codg", detItemFeeSumamt = "det_item_fee_sumamt", cnt, pric
        case pricUplmtAmt = "pric_uplmt_amt", selfpayProp = "selfpay_prop", fulamtOwnpayAmt = "fulamt_ownpay_amt"
        case overlmtAmt = "overlmt_amt", preselfpayAmt = "preselfpay_amt", inscpScpAmt = "inscp_scp_amt"
        case chrgitmLv = "chrgitm_lv", medChrgitmType = "med_chrgitm_type", kind, online, rxCircFlag = "rx_circ_flag"
        case scopeAdmdvs, notes
    }

    public init(feedetlSn: String, medListCodg: String, detItemFeeSumamt: Amount, cnt: Decimal, pric: Amount, pricUplmtAmt: Amount?,
                selfpayProp: Ratio, fulamtOwnpayAmt: Amount, overlmtAmt: Amount, preselfpayAmt: Amount, inscpScpAmt: Amount,
                chrgitmLv: String, medChrgitmType: String, kind: CatalogueItem.Kind?, online: Bool, rxCircFlag: Bool,
                scopeAdmdvs: String, notes: [String]) {
        self.feedetlSn = feedetlSn
        self.medListCodg = medListCodg
        self.detItemFeeSumamt = detItemFeeSumamt
        self.cnt = cnt
        self.pric = pric
        self.pricUplmtAmt = pricUplmtAmt
        self.selfpayProp = selfpayProp
        self.fulamtOwnpayAmt = fulamtOwnpayAmt
        self.overlmtAmt = overlmtAmt
        self.preselfpayAmt = preselfpayAmt
        self.inscpScpAmt = inscpScpAmt
        self.chrgitmLv = chrgitmLv
        self.medChrgitmType = medChrgitmType
        self.kind = kind
        self.online = online
        self.rxCircFlag = rxCircFlag
        self.scopeAdmdvs = scopeAdmdvs
        self.notes = notes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        feedetlSn = try container.decode(String.self, forKey: .feedetlSn)
        medListCodg = try container.decode(String.self, forKey: .medListCodg)
        detItemFeeSumamt = try container.decode(Amount.self, forKey: .detItemFeeSumamt)
        cnt = try decodeCount(container, .cnt)
        pric = try container.decode(Amount.self, forKey: .pric)
        pricUplmtAmt = try container.decodeIfPresent(Amount.self, forKey: .pricUplmtAmt)
        selfpayProp = try container.decode(Ratio.self, forKey: .selfpayProp)
        fulamtOwnpayAmt = try container.decode(Amount.self, forKey: .fulamtOwnpayAmt)
        overlmtAmt = try container.decode(Amount.self, forKey: .overlmtAmt)
        preselfpayAmt = try container.decode(Amount.self, forKey: .preselfpayAmt)
        inscpScpAmt = try container.decode(Amount.self, forKey: .inscpScpAmt)
        chrgitmLv = try container.decode(String.self, forKey: .chrgitmLv)
        medChrgitmType = try container.decode(String.self, forKey: .medChrgitmType)
        kind = try container.decodeIfPresent(CatalogueItem.Kind.self, forKey: .kind)
        online = try container.decode(Bool.self, forKey: .online)
        rxCircFlag = try container.decodeIfPresent(Bool.self, forKey: .rxCircFlag) ?? false
        scopeAdmdvs = try container.decode(String.self, forKey: .scopeAdmdvs)
        notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(feedetlSn, forKey: .feedetlSn)
        try container.encode(medListCodg, forKey: .medListCodg)
        try container.encode(detItemFeeSumamt, forKey: .detItemFeeSumamt)
        try container.encode(DecimalText.plain(cnt), forKey: .cnt)
        try container.encode(pric, forKey: .pric)
        try container.encodeIfPresent(pricUplmtAmt, forKey: .pricUplmtAmt)
        try container.encode(selfpayProp, forKey: .selfpayProp)
        try container.encode(fulamtOwnpayAmt, forKey: .fulamtOwnpayAmt)
        try container.encode(overlmtAmt, forKey: .overlmtAmt)
        try container.encode(preselfpayAmt, forKey: .preselfpayAmt)
        try container.encode(inscpScpAmt, forKey: .inscpScpAmt)
        try container.encode(chrgitmLv, forKey: .chrgitmLv)
        try container.encode(medChrgitmType, forKey: .medChrgitmType)
        try container.encodeIfPresent(kind, forKey: .kind)
        try container.encode(online, forKey: .online)
        try container.encode(rxCircFlag, forKey: .rxCircFlag)
        try container.encode(scopeAdmdvs, forKey: .scopeAdmdvs)
        try container.encode(notes, forKey: .notes)
    }
}

/// 人员年度累计 — what an insured person has used this calendar year, before this settlement.
public struct PersonYear: Sendable, Codable, Hashable {
    /// Deductible already paid this year (Σ `act_pay_dedc`).
    public var deductibleUsed: Amount
    /// Pooled fund already paid this year (Σ `hifp_pay`), counted against the annual cap.
    public var fundPaid: Amount
    /// 个人账户余额 — the personal account balance (`balc`).
    public var accountBalance: Amount

    public init(deductibleUsed: Amount = .zero, fundPaid: Amount = .zero, accountBalance: Amount = .zero) {
        self.deductibleUsed = deductibleUsed
        self.fundPaid = fundPaid
        self.accountBalance = accountBalance
    }

    /// The year after `result` is paid: the deductible and fund counters grow, the balance becomes `balc`.
    public func applying(_ result: SettlementResult) -> PersonYear {
        PersonYear(deductibleUsed: deductibleUsed + result.actPayDedc, fundPaid: fundPaid + result.hifpPay, accountBalance: result.balc)
    }
}

/// 结算信息 — a settlement's split (the 2207 `setlinfo` amounts), the parameters it used and the
/// derivation step by step. Invariants (checked before it is returned):
/// `fund_pay_sumamt + acct_pay + psn_cash_pay = medfee_sumamt`;
/// `medfee_sumamt = fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt`;
/// `psn_part_amt = fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + act_pay_dedc + pool_prop_selfpay`.
public struct SettlementResult: Sendable, Codable, Hashable {
    /// 医疗费总额 `medfee_sumamt` — Σ `det_item_fee_sumamt`.
    public var medfeeSumamt: Amount
    /// 全自费金额 `fulamt_ownpay_amt`.
    public var fulamtOwnpayAmt: Amount
    /// 超限价自费费用 `overlmt_selfpay` — Σ `overlmt_amt`.
    public var overlmtSelfpay: Amount
    /// 先行自付金额 `preselfpay_amt`.
    public var preselfpayAmt: Amount
    /// 符合政策范围金额 `inscp_scp_amt`.
    public var inscpScpAmt: Amount
    /// 实际支付起付线 `act_pay_dedc` — the part of the in-scope amount that goes to the deductible.
    public var actPayDedc: Amount
    /// 基本医疗保险统筹基金支出 `hifp_pay`.
    public var hifpPay: Amount
    /// 基本医疗保险统筹基金支付比例内自负 `pool_prop_selfpay` — the person's share of the amount above the deductible
    /// (including any part the annual cap stopped the fund from paying).
    public var poolPropSelfpay: Amount
    /// 基金支付总额 `fund_pay_sumamt` — here equal to `hifp_pay` (no supplementary funds are simulated).
    public var fundPaySumamt: Amount
    /// 个人负担总金额 `psn_part_amt`.
    public var psnPartAmt: Amount
    /// 个人账户支出 `acct_pay` (PY-4).
    public var acctPay: Amount
    /// 个人现金支出 `psn_cash_pay`.
    public var psnCashPay: Amount
    /// 余额 `balc` — the personal account balance afterwards.
    public var balc: Amount

    /// `insutype`.
    public var insutype: String
    /// XR-1: the place of insurance, whose parameters were used.
    public var insuplcAdmdvs: String
    /// XR-1: the place of treatment, whose scope classified the lines.
    public var mdtrtareaAdmdvs: String
    /// True when the two differ (异地就医).
    public var crossRegion: Bool
    /// Institution level "1" / "2" / "3" that picked the ratio.
    public var institutionLevel: String
    /// The policy year of the place of insurance's parameters.
    public var policyYear: Int
    /// 起付标准 per year.
    public var deductible: Amount
    /// Deductible already paid this year before this settlement.
    public var deductibleUsedBefore: Amount
    /// max(0, deductible − used before).
    public var deductibleRemaining: Amount
    /// The reimbursement ratio applied.
    public var ratio: Ratio
    /// 最高支付限额 per year.
    public var annualCap: Amount
    /// Fund already paid this year before this settlement.
    public var fundPaidBefore: Amount
    /// max(0, annual cap − fund paid before).
    public var annualCapRemaining: Amount
    /// True when the annual cap cut `hifp_pay`.
    public var capReached: Bool
    /// `acctUsedFlag` as asked.
    public var useAccount: Bool
    /// PY-4: whether this insutype lets the personal account pay the individual share.
    public var accountAllowed: Bool
    /// The balance before.
    public var accountBalanceBefore: Amount
    /// SC-4: Σ `det_item_fee_sumamt` of online lines, and of offline lines.
    public var onlineFeeSumamt: Amount
    public var offlineFeeSumamt: Amount
    /// The classified lines the settlement worked on.
    public var lines: [LineResult]
    /// The derivation, one sentence per step ("base 30.74 × ratio 0.80 = 24.592 → 24.59 (half-up)").
    public var steps: [String]

    enum CodingKeys: String, CodingKey {
        case medfeeSumamt = "medfee_sumamt", fulamtOwnpayAmt = "fulamt_ownpay_amt", overlmtSelfpay = "overlmt_selfpay"
        case preselfpayAmt = "preselfpay_amt", inscpScpAmt = "inscp_scp_amt", actPayDedc = "act_pay_dedc", hifpPay = "hifp_pay"
        case poolPropSelfpay = "pool_prop_selfpay", fundPaySumamt = "fund_pay_sumamt", psnPartAmt = "psn_part_amt"
        case acctPay = "acct_pay", psnCashPay = "psn_cash_pay", balc
        case insutype, insuplcAdmdvs = "insuplc_admdvs", mdtrtareaAdmdvs = "mdtrtarea_admvs", crossRegion, institutionLevel, policyYear
        case deductible, deductibleUsedBefore, deductibleRemaining, ratio, annualCap, fundPaidBefore, annualCapRemaining, capReached
        case useAccount, accountAllowed, accountBalanceBefore, onlineFeeSumamt, offlineFeeSumamt, lines, steps
    }
}

/// 医保结算引擎 — classifies fee lines against the place of treatment's catalogue and splits a settlement with
/// the place of insurance's parameters. Pure functions over value types; every amount is a decimal
/// ``Amount`` and the only rounding is ``Amount/rounded()`` (half-up to 0.01) at the three places below:
/// a line's `pric × cnt`, a line's over-limit and class-B share, and `hifp_pay`.
public enum PolicyEngine {
    /// PY-1: 互联网复诊 — the Internet follow-up consultation item.
    public static let consultationCode = "AADG0000"
    /// `med_chrgitm_type` given to a line outside the catalogue: 14 other (其他费).
    public static let otherChrgitmType = "14"

    /// Classifies one fee line with the scope of the place of treatment (XR-6), producing the 2204 output.
    ///
    /// - Sum check (SV-3, real-time audit of the details): `det_item_fee_sumamt` must equal `pric × cnt`
    ///   rounded half-up, else `FIELD_INVALID` at `/feedetail/<index>/det_item_fee_sumamt` (at
    ///   `/det_item_fee_sumamt` when `index` is nil). `cnt` must be more than 0 and `pric` not negative.
    /// - PY-1: AADG0000 is a class-A service whose price cap is the region's consultation price; PY-2: it is
    ///   decomposed here, at upload (in scope, over the limit), and settled at once by 2207 / 6202.
    /// - PY-3 outside the catalogue: the whole line is `fulamt_ownpay_amt`, `chrgitm_lv` 03, `med_chrgitm_type` 14.
    /// - PY-5: a `delivery` item is paid in full by the person, whatever its class.
    /// - PY-3 class C: paid in full by the person.
    /// - PY-3 price cap: `pric_uplmt_amt` = cap; when `pric` > cap, `overlmt_amt` = round((pric − cap) × cnt).
    /// - PY-3 class B: `selfpay_prop` = share; `preselfpay_amt` = round((sum − overlmt) × share). Class A: 0.
    /// - `inscp_scp_amt` = sum − fulamt_ownpay − overlmt − preselfpay.
    /// - SC-4: the online / offline tag is carried and noted; an item provided the other way only (`mode`) is refused
    ///   `ITEM_SERVICE_MODE_MISMATCH`. PY-7: a circulated prescription is noted.
    public static func classify(_ line: FeeLine, scope: RegionPolicy, index: Int? = nil) throws -> LineResult {
        let at = index.map { "/feedetail/\($0)" } ?? ""
        guard line.cnt > 0 else {
            throw DomainError.invalidValue(at + "/cnt", "cnt is more than 0", expected: "> 0", actual: DecimalText.plain(line.cnt), rule: .sv3)
        }
        guard !line.pric.isNegative else {
            throw DomainError.invalidValue(at + "/pric", "pric is 0.00 or more", expected: ">= 0.00", actual: line.pric.description, rule: .sv3)
        }
        let product = line.pric * line.cnt
        let expected = product.rounded()
        guard line.detItemFeeSumamt == expected else {
            throw DomainError.invalidValue(at + "/det_item_fee_sumamt",
                                           "det_item_fee_sumamt is pric × cnt rounded half-up to 0.01: \(line.pric) × \(DecimalText.plain(line.cnt)) = \(product) → \(expected)",
                                           expected: expected.description, actual: line.detItemFeeSumamt.description, rule: .sv3)
        }
        let sum = line.detItemFeeSumamt
        var notes: [String] = []
        var fulamt = Amount.zero, overlmt = Amount.zero, preselfpay = Amount.zero
        var share = Ratio.zero
        let item = scope.item(code: line.medListCodg)

        if line.medListCodg == consultationCode {
            notes.append("PY-1: \(consultationCode) 互联网复诊 is priced like a public hospital's general outpatient consultation in \(scope.admdvs): cap \(scope.consultation.price), class A")
        }
        // SC-4: an Internet+ settlement cannot charge an item provided offline only, nor an offline one an Internet-only item.
        let mode: CatalogueItem.ServiceMode? = line.medListCodg == consultationCode ? .internet : item?.mode
        if let mode, mode == .offline ? line.online : !line.online {
            let what = item.map { "\(line.medListCodg) (\($0.name))" } ?? line.medListCodg
            throw DomainError(.itemServiceModeMismatch, .forbidden, rule: .sc4, pointer: at + "/med_list_codg",
                              mode == .offline
                                ? "\(what) is provided offline (in person) only in \(scope.admdvs): an Internet+ settlement cannot charge it"
                                : "\(what) is an Internet service: an offline settlement cannot charge it",
                              expected: line.online ? "an item provided online" : "an item provided offline", actual: mode.rawValue + " only")
        }
        if let item {
            if item.kind == .delivery {
                fulamt = sum
                notes.append("PY-5: delivery fees are never paid by the fund: \(sum) paid in full by the person")
            } else if item.itemClass == .C {
                fulamt = sum
                notes.append("PY-3: class C (丙类) in \(scope.admdvs): \(sum) paid in full by the person")
            } else {
                if let cap = item.priceCap, line.pric > cap {
                    let raw = (line.pric - cap) * line.cnt
                    overlmt = raw.rounded()
                    let rule = line.medListCodg == consultationCode ? "PY-1" : "PY-3"
                    notes.append("\(rule): price \(line.pric) above the cap \(cap): over-limit (\(line.pric) − \(cap)) × \(DecimalText.plain(line.cnt)) = \(raw) → \(overlmt)")
                }
                if item.itemClass == .B, let itemShare = item.selfPayShare {
                    share = itemShare
                    let raw = (sum - overlmt) * itemShare
                    preselfpay = raw.rounded()
                    notes.append("PY-3: class B (乙类): self-pay share \(itemShare) × (\(sum) − \(overlmt)) = \(raw) → \(preselfpay) paid first by the person")
                } else if item.itemClass == .A {
                    notes.append("PY-3: class A (甲类): no self-pay share")
                }
            }
        } else {
            fulamt = sum
            notes.append("PY-3: \(line.medListCodg) is outside the catalogue of \(scope.admdvs): \(sum) paid in full by the person")
        }
        let inscp = sum - fulamt - overlmt - preselfpay
        notes.append(line.online ? "SC-4: Internet+ (online) fee" : "SC-4: offline fee")
        if line.rxCircFlag { notes.append("PY-7: circulated prescription: the fund share is settled with the retail pharmacy") }

        return LineResult(feedetlSn: line.feedetlSn, medListCodg: line.medListCodg, detItemFeeSumamt: sum, cnt: line.cnt, pric: line.pric,
                          pricUplmtAmt: item?.priceCap, selfpayProp: share, fulamtOwnpayAmt: fulamt, overlmtAmt: overlmt,
                          preselfpayAmt: preselfpay, inscpScpAmt: inscp,
                          chrgitmLv: item?.itemClass.chrgitmLv ?? CatalogueItem.ItemClass.C.chrgitmLv,
                          medChrgitmType: item?.medChrgitmType ?? otherChrgitmType, kind: item?.kind,
                          online: line.online, rxCircFlag: line.rxCircFlag, scopeAdmdvs: scope.admdvs, notes: notes)
    }

    /// Classifies every line, pointing errors at `/feedetail/<index>/…`.
    public static func classify(_ lines: [FeeLine], scope: RegionPolicy) throws -> [LineResult] {
        try lines.enumerated().map { try classify($1, scope: scope, index: $0) }
    }

    /// Splits a settlement (2206/2207 `setlinfo`).
    ///
    /// XR-1 / XR-6: `lines` were classified with the place of **treatment**'s scope (their `scopeAdmdvs`, which must
    /// all agree); the deductible, ratio, annual cap and personal-account rule come from `insurance`, the place of
    /// **insurance**'s policy, for `insutype` and `institutionLevel`.
    ///
    /// 1. `medfee_sumamt`, `fulamt_ownpay_amt`, `overlmt_selfpay`, `preselfpay_amt`, `inscp_scp_amt`: sums over the lines.
    /// 2. PY-3 deductible: `act_pay_dedc` = min(Σ inscp, max(0, deductible − used this year)).
    /// 3. base = Σ inscp − act_pay_dedc.
    /// 4. PY-3 ratio and cap: `hifp_pay` = min(round(base × ratio), max(0, annual cap − fund paid this year)).
    /// 5. `pool_prop_selfpay` = base − hifp_pay; `fund_pay_sumamt` = hifp_pay; `psn_part_amt` = medfee − fund.
    /// 6. PY-4: `acct_pay` = min(psn_part_amt, balance) when `useAccount` (acctUsedFlag) and the insutype's
    ///    `personalAccountPaysIndividualShare`, else 0; `psn_cash_pay` = psn_part − acct; `balc` = balance − acct.
    ///
    /// Refusals: no lines (`FIELD_MISSING` /feedetail); lines from several scopes (XR-6); an inconsistent line
    /// (XR-6); a negative or sub-fen person counter (PY-3); an insutype or institution level the place of insurance
    /// has no parameters for (`INSUTYPE_UNSUPPORTED` / `INSTITUTION_LEVEL_UNSUPPORTED`, rule XR-1 when cross-region,
    /// else PY-3); and, should the arithmetic ever not add up, `SETTLEMENT_INVARIANT`.
    public static func settle(_ lines: [LineResult], insurance: RegionPolicy, insutype: String, institutionLevel: String,
                              person: PersonYear, useAccount: Bool) throws -> SettlementResult {
        guard let first = lines.first else { throw DomainError.missing("/feedetail", "at least one fee line") }
        let treatment = first.scopeAdmdvs
        for (index, line) in lines.enumerated() {
            let at = "/feedetail/\(index)"
            guard line.scopeAdmdvs == treatment else {
                throw DomainError.invalidValue(at, "all lines of one settlement are classified with one place of treatment's scope",
                                               expected: treatment, actual: line.scopeAdmdvs, rule: .xr6)
            }
            let parts = [line.fulamtOwnpayAmt, line.overlmtAmt, line.preselfpayAmt, line.inscpScpAmt]
            guard parts.allSatisfy({ !$0.isNegative && $0.isWholeFen }), line.detItemFeeSumamt.isWholeFen,
                  parts.sum() == line.detItemFeeSumamt else {
                throw DomainError.invalidValue(at + "/inscp_scp_amt",
                                               "det_item_fee_sumamt is fulamt_ownpay_amt + overlmt_amt + preselfpay_amt + inscp_scp_amt, none negative",
                                               expected: line.detItemFeeSumamt.description, actual: parts.sum().description, rule: .xr6)
            }
        }
        for (name, value) in [("deductibleUsed", person.deductibleUsed), ("fundPaid", person.fundPaid), ("accountBalance", person.accountBalance)]
        where value.isNegative || !value.isWholeFen {
            throw DomainError.invalidValue("/" + name, "\(name) is 0.00 or more with at most two decimals", actual: value.description, rule: .py3)
        }

        let crossRegion = treatment != insurance.admdvs
        let parameterRule: Rule = crossRegion ? .xr1 : .py3
        guard let parameters = insurance.insurance[insutype] else {
            throw DomainError(.insutypeUnsupported, .invalid, rule: parameterRule, pointer: "/insutype",
                              "the place of insurance \(insurance.admdvs) (\(insurance.name)) has no parameters for insutype \(insutype)",
                              expected: insurance.insurance.keys.sorted().joined(separator: " | "), actual: insutype)
        }
        guard let ratio = parameters.ratioByLevel[institutionLevel] else {
            throw DomainError(.institutionLevelUnsupported, .invalid, rule: parameterRule, pointer: "",
                              "the place of insurance \(insurance.admdvs) has no ratio for institution level \(institutionLevel) (insutype \(insutype))",
                              expected: parameters.ratioByLevel.keys.sorted().joined(separator: " | "), actual: institutionLevel)
        }

        var steps: [String] = []
        steps.append("XR-6: \(lines.count) fee line(s) classified with the scope of \(treatment), the place of treatment")
        steps.append("XR-1: deductible, ratio and cap of \(insurance.admdvs) \(insurance.name), the place of insurance (\(insurance.year)), insutype \(insutype), institution level \(institutionLevel)"
                     + (crossRegion ? " — cross-region (异地就医)" : ""))

        let medfee = lines.map(\.detItemFeeSumamt).sum()
        let fulamt = lines.map(\.fulamtOwnpayAmt).sum()
        let overlmt = lines.map(\.overlmtAmt).sum()
        let preselfpay = lines.map(\.preselfpayAmt).sum()
        let inscp = lines.map(\.inscpScpAmt).sum()
        let online = lines.filter(\.online).map(\.detItemFeeSumamt).sum()
        steps.append("medfee_sumamt = \(lines.map(\.detItemFeeSumamt.description).joined(separator: " + ")) = \(medfee)")
        steps.append("SC-4: online \(online), offline \(medfee - online)")
        steps.append("inscp_scp_amt = medfee \(medfee) − fulamt_ownpay \(fulamt) − overlmt_selfpay \(overlmt) − preselfpay \(preselfpay) = \(inscp)")

        let deductibleRemaining = max(.zero, parameters.deductiblePerYear - person.deductibleUsed)
        let actPayDedc = min(inscp, deductibleRemaining)
        steps.append("PY-3: deductible \(parameters.deductiblePerYear) − used \(person.deductibleUsed) = remaining \(deductibleRemaining); act_pay_dedc = min(\(inscp), \(deductibleRemaining)) = \(actPayDedc)")

        let base = inscp - actPayDedc
        let raw = base * ratio
        let computed = raw.rounded()
        steps.append("PY-3: inscope \(inscp) − deductible \(actPayDedc) = \(base) × ratio \(ratio) = \(raw) → \(computed) (half-up to 0.01)")

        let capRemaining = max(.zero, parameters.annualCap - person.fundPaid)
        let hifp = min(computed, capRemaining)
        let capReached = hifp < computed
        steps.append("PY-3: annual cap \(parameters.annualCap) − fund paid \(person.fundPaid) = remaining \(capRemaining); hifp_pay = min(\(computed), \(capRemaining)) = \(hifp)"
                     + (capReached ? " — the annual cap is reached" : ""))

        let poolPropSelfpay = base - hifp
        let fund = hifp
        let psnPart = medfee - fund
        steps.append("pool_prop_selfpay = \(base) − \(hifp) = \(poolPropSelfpay); fund_pay_sumamt = hifp_pay = \(fund)")
        steps.append("psn_part_amt = \(medfee) − \(fund) = \(psnPart) (= \(fulamt) + \(overlmt) + \(preselfpay) + \(actPayDedc) + \(poolPropSelfpay))")

        let balance = person.accountBalance
        let acct: Amount
        if !useAccount {
            acct = .zero
            steps.append("PY-4: personal account not used (acctUsedFlag 0): acct_pay = 0.00")
        } else if !parameters.personalAccountPaysIndividualShare {
            acct = .zero
            steps.append("PY-4: insutype \(insutype) in \(insurance.admdvs) has no personal account paying the individual share: acct_pay = 0.00")
        } else {
            acct = min(psnPart, balance)
            steps.append("PY-4: acct_pay = min(psn_part_amt \(psnPart), balance \(balance)) = \(acct)")
        }
        let cash = psnPart - acct
        let balc = balance - acct
        steps.append("psn_cash_pay = \(psnPart) − \(acct) = \(cash); balc = \(balance) − \(acct) = \(balc)")
        steps.append("check: fund \(fund) + account \(acct) + cash \(cash) = \(fund + acct + cash) = medfee_sumamt \(medfee)")

        let result = SettlementResult(
            medfeeSumamt: medfee, fulamtOwnpayAmt: fulamt, overlmtSelfpay: overlmt, preselfpayAmt: preselfpay, inscpScpAmt: inscp,
            actPayDedc: actPayDedc, hifpPay: hifp, poolPropSelfpay: poolPropSelfpay, fundPaySumamt: fund, psnPartAmt: psnPart,
            acctPay: acct, psnCashPay: cash, balc: balc, insutype: insutype, insuplcAdmdvs: insurance.admdvs, mdtrtareaAdmdvs: treatment,
            crossRegion: crossRegion, institutionLevel: institutionLevel, policyYear: insurance.year,
            deductible: parameters.deductiblePerYear, deductibleUsedBefore: person.deductibleUsed, deductibleRemaining: deductibleRemaining,
            ratio: ratio, annualCap: parameters.annualCap, fundPaidBefore: person.fundPaid, annualCapRemaining: capRemaining,
            capReached: capReached, useAccount: useAccount, accountAllowed: parameters.personalAccountPaysIndividualShare,
            accountBalanceBefore: balance, onlineFeeSumamt: online, offlineFeeSumamt: medfee - online, lines: lines, steps: steps)
        try result.checkInvariants()
        return result
    }
}

extension SettlementResult {
    /// The three identities of a split, and that no part is negative or finer than a fen; `SETTLEMENT_INVARIANT` otherwise.
    public func checkInvariants() throws {
        func broken(_ what: String) -> DomainError {
            DomainError(.settlementInvariant, .invalid, rule: .py3, pointer: "", "settlement does not add up: \(what)")
        }
        guard fundPaySumamt + acctPay + psnCashPay == medfeeSumamt else {
            throw broken("fund_pay_sumamt \(fundPaySumamt) + acct_pay \(acctPay) + psn_cash_pay \(psnCashPay) ≠ medfee_sumamt \(medfeeSumamt)")
        }
        guard fulamtOwnpayAmt + overlmtSelfpay + preselfpayAmt + inscpScpAmt == medfeeSumamt else {
            throw broken("fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt ≠ medfee_sumamt \(medfeeSumamt)")
        }
        guard fulamtOwnpayAmt + overlmtSelfpay + preselfpayAmt + actPayDedc + poolPropSelfpay == psnPartAmt else {
            throw broken("fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + act_pay_dedc + pool_prop_selfpay ≠ psn_part_amt \(psnPartAmt)")
        }
        let all: [(String, Amount)] = [("medfee_sumamt", medfeeSumamt), ("fulamt_ownpay_amt", fulamtOwnpayAmt), ("overlmt_selfpay", overlmtSelfpay),
                                       ("preselfpay_amt", preselfpayAmt), ("inscp_scp_amt", inscpScpAmt), ("act_pay_dedc", actPayDedc),
                                       ("hifp_pay", hifpPay), ("pool_prop_selfpay", poolPropSelfpay), ("fund_pay_sumamt", fundPaySumamt),
                                       ("psn_part_amt", psnPartAmt), ("acct_pay", acctPay), ("psn_cash_pay", psnCashPay), ("balc", balc)]
        for (name, value) in all where value.isNegative || !value.isWholeFen {
            throw broken("\(name) \(value) is negative or finer than a fen")
        }
    }
}

/// Reads `cnt` as a JSON string ("2", "0.5") or number.
private func decodeCount<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> Decimal {
    if let text = try? container.decode(String.self, forKey: key) {
        guard let value = DecimalText.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "malformed cnt \"\(text)\"")
        }
        return value
    }
    return try container.decode(Decimal.self, forKey: key)
}
