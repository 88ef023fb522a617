import Foundation

/// 区域医保政策 — one region's medical-insurance policy, one JSON file per region
/// (`policies/regions/<admdvs>.json`, documented member by member in `policies/README.md`).
///
/// A region plays two parts (XR-1, XR-6): as the **place of treatment** its ``catalogue`` and
/// ``consultation`` decide what is payable and how each fee line is classified
/// (``PolicyEngine/classify(_:scope:index:)``); as the **place of insurance** its ``insurance``
/// parameters — deductible, ratio, annual cap, personal account — decide the split
/// (``PolicyEngine/settle(_:insurance:insutype:institutionLevel:person:useAccount:)``).
/// The numbers shipped in `policies/regions/` are simulator values, labelled as such in ``note``.
public struct RegionPolicy: Sendable, Codable, Hashable {
    /// 医保区划 — the region's administrative division code, e.g. `120000` Tianjin; the file is named after it.
    public var admdvs: String
    /// The region's name, e.g. "天津市 Tianjin".
    public var name: String
    /// The policy year (calendar year) the numbers apply to.
    public var year: Int
    /// Free text: where the numbers come from. The shipped files say they are simulator values.
    public var note: String?
    /// PY-1: the AADG0000 Internet follow-up consultation and its price.
    public var consultation: Consultation
    /// 医保目录 — the payable scope at this place of treatment (PY-3).
    public var catalogue: [CatalogueItem]
    /// Parameters by 险种类型 `insutype` ("310" employee, "390" resident), used when this is the place of insurance.
    public var insurance: [String: InsuranceParameters]
    /// 门诊慢特病目录 — as the place of insurance (XR-1), the ICD-10 categories of outpatient chronic and
    /// special diseases its insured may file (FSI 2503); nil: the policy profile's chronic categories.
    public var chronicDiseases: [String]?

    public init(admdvs: String, name: String, year: Int, note: String? = nil, consultation: Consultation,
                catalogue: [CatalogueItem], insurance: [String: InsuranceParameters]) {
        self.admdvs = admdvs
        self.name = name
        self.year = year
        self.note = note
        self.consultation = consultation
        self.catalogue = catalogue
        self.insurance = insurance
    }

    /// The catalogue item for `med_list_codg`; AADG0000 (PY-1) is synthesised from ``consultation``:
    /// a class-A service whose price cap is the consultation price. nil outside the catalogue.
    public func item(code: String) -> CatalogueItem? {
        if code == consultation.code { return consultation.item }
        return catalogue.first { $0.code == code }
    }

    /// Checks the file's coherence; `source` names it in the error.
    /// Refuses (`POLICY_INVALID`): a malformed admdvs, a consultation code other than AADG0000 or a price ≤ 0,
    /// an empty or duplicate code, AADG0000 inside `catalogue`, class B without `selfPayShare` or A/C with one,
    /// a negative price cap, no insurance parameters, a negative deductible or cap, an empty `ratioByLevel`.
    public func validate(source: String = "") throws {
        func fail(_ pointer: String, _ detail: String, rule: Rule = .py3) -> DomainError {
            DomainError(.policyInvalid, .invalid, rule: rule, pointer: pointer,
                        (source.isEmpty ? "" : "\(source): ") + detail)
        }
        guard admdvs.count == 6, admdvs.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw fail("/admdvs", "admdvs is a 6-digit division code, got \"\(admdvs)\"")
        }
        guard consultation.code == PolicyEngine.consultationCode else {
            throw fail("/consultation/code", "the consultation item is \(PolicyEngine.consultationCode)", rule: .py1)
        }
        for (index, category) in (chronicDiseases ?? []).enumerated() {
            let characters = Array(category)
            guard characters.count == 3, characters[0].isASCII, characters[0].isUppercase, characters[1...].allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw fail("/chronicDiseases/\(index)", "a chronic-disease category is an ICD-10 category of 3 characters (e.g. E11), got \"\(category)\"", rule: .sc1)
            }
        }
        guard consultation.price > .zero, consultation.price.isWholeFen else {
            throw fail("/consultation/price", "the consultation price is more than 0.00 with at most two decimals", rule: .py1)
        }
        var seen = Set<String>()
        for (index, item) in catalogue.enumerated() {
            let at = "/catalogue/\(index)"
            guard !item.code.isEmpty else { throw fail(at + "/code", "a catalogue item has a code") }
            guard item.code != consultation.code else {
                throw fail(at + "/code", "\(consultation.code) comes from `consultation`, not the catalogue", rule: .py1)
            }
            guard seen.insert(item.code).inserted else { throw fail(at + "/code", "code \(item.code) appears twice") }
            switch (item.itemClass, item.selfPayShare) {
            case (.B, nil): throw fail(at + "/selfPayShare", "a class B item has a selfPayShare")
            case (.A, .some), (.C, .some): throw fail(at + "/selfPayShare", "only class B items have a selfPayShare")
            default: break
            }
            if let cap = item.priceCap, cap.isNegative || !cap.isWholeFen {
                throw fail(at + "/priceCap", "a price cap is 0.00 or more with at most two decimals")
            }
        }
        guard !insurance.isEmpty else { throw fail("/insurance", "at least one insutype has parameters") }
        for (insutype, parameters) in insurance.sorted(by: { $0.key < $1.key }) {
            let at = "/insurance/\(insutype)"
            guard !parameters.deductiblePerYear.isNegative, parameters.deductiblePerYear.isWholeFen else {
                throw fail(at + "/deductiblePerYear", "the deductible is 0.00 or more with at most two decimals")
            }
            guard !parameters.annualCap.isNegative, parameters.annualCap.isWholeFen else {
                throw fail(at + "/annualCap", "the annual cap is 0.00 or more with at most two decimals")
            }
            guard !parameters.ratioByLevel.isEmpty else { throw fail(at + "/ratioByLevel", "at least one institution level has a ratio") }
        }
    }

    /// Decodes and validates one policy file.
    public static func decode(_ data: Data, source: String = "") throws -> RegionPolicy {
        let policy: RegionPolicy
        do {
            policy = try JSONDecoder().decode(RegionPolicy.self, from: data)
        } catch {
            throw DomainError(.policyInvalid, .invalid, rule: .py3, pointer: "",
                              (source.isEmpty ? "" : "\(source): ") + "not a region policy: \(error)")
        }
        try policy.validate(source: source)
        return policy
    }

    /// Reads every `*.json` in `directory` (e.g. `policies/regions`), keyed by ``admdvs``.
    /// Each file must be named after its admdvs (`120000.json`); files are read in name order.
    /// Throws the file system's error for an unreadable directory, `POLICY_INVALID` for a bad file.
    public static func load(directory: URL) throws -> [String: RegionPolicy] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }
            .sorted()
        var policies: [String: RegionPolicy] = [:]
        for name in names {
            let url = directory.appendingPathComponent(name)
            let policy = try decode(try Data(contentsOf: url), source: name)
            guard name == policy.admdvs + ".json" else {
                throw DomainError(.policyInvalid, .invalid, rule: .py3, pointer: "/admdvs",
                                  "\(name): the file of region \(policy.admdvs) is named \(policy.admdvs).json")
            }
            policies[policy.admdvs] = policy
        }
        return policies
    }
}

/// PY-1: 互联网复诊 — the Internet follow-up consultation, item AADG0000, priced and paid like a public
/// hospital's general outpatient consultation (普通门诊诊察费) at the place of treatment.
public struct Consultation: Sendable, Codable, Hashable {
    /// Always `AADG0000`.
    public var code: String
    public var name: String
    /// The general outpatient consultation price of a public hospital here: AADG0000's price cap.
    public var price: Amount
    /// Which offline price this follows (text).
    public var basis: String?
    /// 医疗收费项目类别 — `02` 诊察费 (consultation fee) in the national code list.
    public var medChrgitmType: String

    enum CodingKeys: String, CodingKey {
        case code, name, price, basis
        case medChrgitmType = "med_chrgitm_type"
    }

    public init(code: String = PolicyEngine.consultationCode, name: String, price: Amount, basis: String? = nil, medChrgitmType: String = "02") {
        self.code = code
        self.name = name
        self.price = price
        self.basis = basis
        self.medChrgitmType = medChrgitmType
    }

    /// The catalogue item AADG0000 stands for: a class-A service capped at ``price``.
    public var item: CatalogueItem {
        CatalogueItem(code: code, name: name, kind: .service, itemClass: .A, priceCap: price, medChrgitmType: medChrgitmType)
    }
}

/// 医保目录条目 — one item of a region's catalogue (drug, service, consumable, delivery fee).
public struct CatalogueItem: Sendable, Codable, Hashable {
    /// What the item is.
    public enum Kind: String, Sendable, Codable, Hashable, CaseIterable {
        /// 药品
        case drug
        /// 医疗服务项目
        case service
        /// 医用耗材
        case consumable
        /// 配送费 — never paid by the fund (PY-5).
        case delivery
    }

    /// 目录类别 / 收费项目等级 `chrgitm_lv`.
    public enum ItemClass: String, Sendable, Codable, Hashable, CaseIterable {
        /// 甲类 — fully in scope (`chrgitm_lv` 01).
        case A
        /// 乙类 — in scope after the person pays `selfPayShare` first (先行自付, `chrgitm_lv` 02).
        case B
        /// 丙类 — outside the fund, paid in full by the person (`chrgitm_lv` 03).
        case C

        /// `chrgitm_lv`: 01, 02, 03.
        public var chrgitmLv: String {
            switch self {
            case .A: "01"
            case .B: "02"
            case .C: "03"
            }
        }
    }

    /// 医疗目录编码 `med_list_codg`.
    public var code: String
    public var name: String
    public var kind: Kind
    /// JSON member `class`.
    public var itemClass: ItemClass
    /// 先行自付比例 — class B only: the share of the in-cap amount the person pays first.
    public var selfPayShare: Ratio?
    /// 最高限价 — the highest price per unit the fund recognises; above it is over-limit (超限价).
    public var priceCap: Amount?
    /// 医疗收费项目类别 `med_chrgitm_type`: 02 consultation, 04 laboratory, 08 materials, 09 western drug, 14 other …
    public var medChrgitmType: String
    /// SC-4: how the item may be provided — `offline` only (in person, e.g. a blood test) or `internet` only; nil: both.
    public var mode: ServiceMode?

    /// SC-4: offline (线下, in person) or Internet (互联网) services.
    public enum ServiceMode: String, Sendable, Codable, Hashable, CaseIterable {
        case offline, internet
    }

    enum CodingKeys: String, CodingKey {
        case code, name, kind
        case itemClass = "class"
        case selfPayShare, priceCap
        case medChrgitmType = "med_chrgitm_type"
        case mode
    }

    public init(code: String, name: String, kind: Kind, itemClass: ItemClass, selfPayShare: Ratio? = nil, priceCap: Amount? = nil,
                medChrgitmType: String, mode: ServiceMode? = nil) {
        self.mode = mode
        self.code = code
        self.name = name
        self.kind = kind
        self.itemClass = itemClass
        self.selfPayShare = selfPayShare
        self.priceCap = priceCap
        self.medChrgitmType = medChrgitmType
    }
}

/// 待遇参数 — one insurance type's parameters at the place of insurance (XR-1: they follow the insured person).
public struct InsuranceParameters: Sendable, Codable, Hashable {
    /// e.g. "职工基本医疗保险 employee basic medical insurance".
    public var name: String?
    /// 起付标准 — per calendar year; in-scope amounts up to it are paid by the person (`act_pay_dedc`).
    public var deductiblePerYear: Amount
    /// 最高支付限额 — the most the pooled fund pays per calendar year.
    public var annualCap: Amount
    /// 报销比例 by institution level: "1" primary, "2" secondary, "3" tertiary (医院等级).
    public var ratioByLevel: [String: Ratio]
    /// PY-4: the personal account (个人账户) may pay the individual share — employees (310) only.
    public var personalAccountPaysIndividualShare: Bool

    public init(name: String? = nil, deductiblePerYear: Amount, annualCap: Amount, ratioByLevel: [String: Ratio],
                personalAccountPaysIndividualShare: Bool) {
        self.name = name
        self.deductiblePerYear = deductiblePerYear
        self.annualCap = annualCap
        self.ratioByLevel = ratioByLevel
        self.personalAccountPaysIndividualShare = personalAccountPaysIndividualShare
    }
}
