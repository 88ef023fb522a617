import Foundation
import YibaoCore
import YibaoStore

/// A fixture: institutions, practitioners, agreement histories, insured persons, prior offline
/// visits and app credentials, loaded through the same rules as the admin API (agreements go
/// through their state machine step by step). `fixtures/demo.json` is the demo one.
public struct Fixture: Codable, Sendable {
    public var description: String?
    public var institutions: [InstitutionInput]
    public var practitioners: [PractitionerInput]
    public var agreements: [AgreementScript]
    public var persons: [PersonInput]
    public var offlineVisits: [OfflineVisit]
    /// Cross-region filings on record (XR-2, XR-3), e.g. of a person insured away who is treated here.
    package var filings: [FilingInput]
    public var apps: [AppCredential]
    /// What persons already used this year (deductible, fund), in fen.
    public var personYears: [PersonYearInput]

    public init(description: String? = nil, institutions: [InstitutionInput] = [], practitioners: [PractitionerInput] = [],
                agreements: [AgreementScript] = [], persons: [PersonInput] = [], offlineVisits: [OfflineVisit] = [], apps: [AppCredential] = []) {
        self.description = description
        self.institutions = institutions
        self.practitioners = practitioners
        self.agreements = agreements
        self.persons = persons
        self.offlineVisits = offlineVisits
        self.filings = []
        self.apps = apps
        self.personYears = []
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        institutions = try c.decodeIfPresent([InstitutionInput].self, forKey: .institutions) ?? []
        practitioners = try c.decodeIfPresent([PractitionerInput].self, forKey: .practitioners) ?? []
        agreements = try c.decodeIfPresent([AgreementScript].self, forKey: .agreements) ?? []
        persons = try c.decodeIfPresent([PersonInput].self, forKey: .persons) ?? []
        offlineVisits = try c.decodeIfPresent([OfflineVisit].self, forKey: .offlineVisits) ?? []
        filings = try c.decodeIfPresent([FilingInput].self, forKey: .filings) ?? []
        apps = try c.decodeIfPresent([AppCredential].self, forKey: .apps) ?? []
        personYears = try c.decodeIfPresent([PersonYearInput].self, forKey: .personYears) ?? []
    }

    /// Decodes a fixture (ISO 8601 dates with offsets).
    public static func decode(_ data: Data) throws -> Fixture {
        try AdminCoding.decoder.decode(Fixture.self, from: data)
    }
}

/// A person's usage of a year before the fixture's time.
public struct PersonYearInput: Codable, Sendable {
    public var psnNo: String
    public var year: Int
    public var deductibleUsedFen: Int64
    public var fundPaidFen: Int64
    public var note: String?
}

/// An institution as registered by the agency (no agreements: those come by steps).
public struct InstitutionInput: Codable, Sendable {
    public var code: String
    public var name: String
    public var kind: InstitutionKind
    public var admdvs: String
    public var subjects: [String]?
    /// SC-6: the subjects approved for Internet diagnosis, when approved separately (absent: the offline subjects).
    public var internetSubjects: [String]?
    public var capabilities: [Capability]?
    public var onDishonestyList: Bool?
    /// 医院等级 "1", "2", "3".
    public var level: String?
    /// PY-11: the institution gives paper receipts instead of e-bills.
    public var paperReceipts: Bool?
    /// AG-12: its latest administrative punishment, `yyyy-MM-dd`.
    public var lastAdministrativePunishment: String?
    /// AG-14: what the negative list binds besides the institution.
    public var legalRepresentative: String?
    public var majorInvestors: [String]?
    public var address: String?
    public var legalRepresentativeDishonest: Bool?
    /// PY-12: the year's total fund budget, in fen.
    public var annualBudgetFen: Int64?
    /// PR-2: a retail pharmacy selling Chinese herbal pieces (needs a Chinese-medicine pharmacist).
    public var sellsChineseHerbalPieces: Bool?
    /// The dialect profile the institution's HIS speaks (docs/DIALECTS.md); given to its app
    /// credential when `yibao serve` adds it. Absent: the gateway's default.
    public var profile: String?

    /// The institution, its dates checked (a malformed one is refused naming the member).
    package func validated() throws -> Institution {
        if let budget = annualBudgetFen, !(0...Money.maximumFen).contains(budget) {
            throw DomainError.invalidValue("/annualBudgetFen", "annualBudgetFen must be from 0 to \(Money.maximumFen) fen", expected: "0 … \(Money.maximumFen)",
                                           actual: String(budget), rule: .py12)
        }
        if let day = lastAdministrativePunishment, Timestamps.parseDay(day) == nil {
            throw DomainError.invalidValue("/lastAdministrativePunishment", "lastAdministrativePunishment must be yyyy-MM-dd", expected: "yyyy-MM-dd", actual: day, rule: .ag12)
        }
        return institution
    }

    package var institution: Institution {
        var institution = Institution(code: code, name: name, kind: kind, admdvs: admdvs, subjects: subjects ?? [], capabilities: Set(capabilities ?? []),
                                      onDishonestyList: onDishonestyList ?? false)
        institution.level = level
        institution.internetSubjects = internetSubjects
        institution.paperReceipts = paperReceipts
        institution.lastAdministrativePunishment = lastAdministrativePunishment.flatMap(Timestamps.parseDay)
        institution.legalRepresentative = legalRepresentative
        institution.majorInvestors = majorInvestors
        institution.address = address
        institution.legalRepresentativeDishonest = legalRepresentativeDishonest
        institution.annualBudgetFen = annualBudgetFen
        institution.sellsChineseHerbalPieces = sellsChineseHerbalPieces
        return institution
    }
}

/// A practitioner; `certificatePem` (or `certificate`, a path the CLI resolves under certs/) is
/// verified against the platform's trusted roots before the practitioner is accepted.
public struct PractitionerInput: Codable, Sendable {
    public var code: String
    public var name: String
    public var role: PractitionerRole
    public var institutionCode: String
    public var qualificationNo: String?
    /// yyyy-MM-dd.
    public var independentPracticeSince: String?
    public var licensed: Bool?
    /// `false` for a pharmacist registered but not on duty (挂证): not counted for PR-2.
    public var onDuty: Bool?
    /// PR-2: a Chinese-medicine pharmacist (中药师) or above.
    public var chineseMedicine: Bool?
    public var certificate: String?
    public var certificatePem: String?
}

/// An insured person; omitted members take the defaults of ``InsuredPerson``.
public struct PersonInput: Codable, Sendable {
    public var psnNo: String
    public var certno: String
    public var name: String
    public var gender: String
    public var birthDate: String
    public var insutype: String
    public var insuplcAdmdvs: String
    public var psnType: String?
    public var employer: String?
    public var accountBalanceFen: Int64?
    public var insuranceStatus: String?
    public var insuredSince: String?
    public var civilServant: Bool?
    public var realNameVerified: Bool?
    public var voucherActivated: Bool?
    public var internetPaymentSuspended: Bool?
    public var socialSecurityCardNo: String?
    public var testPersona: TestPersona?
    public var note: String?
    /// SC-5: the designated institutions the person chose, and their special-disease institutions.
    public var designatedInstitutions: [String]?
    public var specialDiseaseInstitutions: [String]?

    package var person: InsuredPerson {
        InsuredPerson(psnNo: psnNo, certno: certno, name: name, gender: gender, birthDate: birthDate, insutype: insutype,
                      insuplcAdmdvs: insuplcAdmdvs, psnType: psnType ?? "11", employer: employer ?? "", accountBalanceFen: accountBalanceFen ?? 0,
                      insuranceStatus: insuranceStatus ?? "1", insuredSince: insuredSince ?? "2015-01-01", civilServant: civilServant ?? false,
                      realNameVerified: realNameVerified ?? true, voucherActivated: voucherActivated ?? false,
                      internetPaymentSuspended: internetPaymentSuspended ?? false, socialSecurityCardNo: socialSecurityCardNo)
            .with(persona: testPersona, designated: designatedInstitutions, specialDisease: specialDiseaseInstitutions)
    }
}

extension InsuredPerson {
    func with(persona: TestPersona?, designated: [String]? = nil, specialDisease: [String]? = nil) -> InsuredPerson {
        var person = self
        person.testPersona = persona
        person.designatedInstitutions = designated
        person.specialDiseaseInstitutions = specialDisease
        return person
    }
}

/// The steps of one agreement's life, in order.
public struct AgreementScript: Codable, Sendable {
    public var institution: String
    public var kind: AgreementKind
    public var steps: [AgreementStep]
}

/// PY-12: `POST /admin/institutions/{code}/budget` — the year's total fund budget in fen; null removes it.
public struct BudgetSetting: Codable, Sendable {
    public var annualBudgetFen: Int64?

    enum CodingKeys: String, CodingKey { case annualBudgetFen }

    /// `annualBudgetFen` must be sent: a number sets the budget, `null` removes it; an empty body changes nothing.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard container.contains(.annualBudgetFen) else {
            throw DecodingError.keyNotFound(CodingKeys.annualBudgetFen, .init(codingPath: [], debugDescription: "annualBudgetFen (fen, or null to remove the budget) is required"))
        }
        annualBudgetFen = try container.decodeIfPresent(Int64.self, forKey: .annualBudgetFen)
    }
}

/// AG-13: a change an institution reports to the agency (`POST /admin/institutions/{code}/changes`).
public struct ChangeReport: Codable, Sendable {
    /// `name`, `personInCharge`, `licensedPharmacist`, `address` or `legalRepresentative`.
    public var item: String
    /// The new value.
    public var value: String
    /// The day the change takes or took effect, `yyyy-MM-dd`.
    public var changedOn: String
    /// The day the agency is told, `yyyy-MM-dd`; the gateway's day when absent.
    public var reportedOn: String?
}

/// One agency action on an agreement (the admin API's body, and a fixture step).
public struct AgreementStep: Codable, Sendable {
    public enum Action: String, Codable, Sendable, CaseIterable {
        case apply, accept, requestSupplement, supplement, evaluate, extend, sign, suspend, resume, terminate, withdraw, recordViolation
    }
    public var action: Action
    /// When it happens; the gateway's clock when omitted.
    public var at: Date?
    public var materials: [String]?
    public var passed: Bool?
    public var reasons: [String]?
    public var termStart: Date?
    public var termEnd: Date?
    public var reason: String?
    public var trigger: TerminationTrigger?
    public var note: String?
    /// AG-12: the written credit commitment signed with the entity agreement (`sign`).
    public var creditCommitment: Bool?
    /// AG-3 (`extend`): the approved extension of the time limits, in working days, and the approval's reference.
    public var workingDays: Int?
    public var approval: String?

    public init(action: Action, at: Date? = nil, materials: [String]? = nil, passed: Bool? = nil, reasons: [String]? = nil,
                termStart: Date? = nil, termEnd: Date? = nil, reason: String? = nil, trigger: TerminationTrigger? = nil, note: String? = nil) {
        self.action = action
        self.at = at
        self.materials = materials
        self.passed = passed
        self.reasons = reasons
        self.termStart = termStart
        self.termEnd = termEnd
        self.reason = reason
        self.trigger = trigger
        self.note = note
    }

    /// Applies this step to `institution` through the core state machine.
    func apply(to institution: inout Institution, kind: AgreementKind, staff: [Practitioner], now: Date, policy: PolicyProfile) throws {
        let at = self.at ?? now
        let calendar = policy.calendar
        let rules = policy.agreements
        switch action {
        case .apply: try institution.apply(kind, at: at, policy: rules, measures: policy.measures)
        case .accept: try institution.accept(kind, at: at, calendar: calendar, policy: rules)
        case .requestSupplement:
            try institution.requestSupplement(kind, materials: materials ?? [], at: at, calendar: calendar, policy: rules)
        case .supplement: try institution.supplement(kind, at: at, calendar: calendar, policy: rules)
        case .evaluate:
            guard let passed else { throw DomainError.missing("/passed", "\"passed\" (true or false)") }
            try institution.evaluate(kind, passed: passed, reasons: reasons ?? [], at: at, calendar: calendar, policy: rules)
        case .extend:
            guard let workingDays else { throw DomainError.missing("/workingDays", "\"workingDays\" (the approved extension, 1 to \(rules.extensionMaxWorkingDays) working days)") }
            try institution.extend(kind, workingDays: workingDays, approval: approval ?? "", at: at, calendar: calendar, policy: rules)
        case .sign:
            guard let termStart else { throw DomainError.missing("/termStart", "\"termStart\" (ISO 8601)") }
            guard let termEnd else { throw DomainError.missing("/termEnd", "\"termEnd\" (ISO 8601)") }
            try institution.signAgreement(kind, termStart: termStart, termEnd: termEnd, at: at, staff: staff, calendar: calendar, policy: rules,
                                          measures: policy.measures, creditCommitment: creditCommitment == true)
        case .suspend:
            guard let reason, !reason.isEmpty else { throw DomainError.missing("/reason", "\"reason\" (why the agreement is suspended)") }
            try institution.suspend(kind, reason: reason, at: at, policy: rules)
        case .resume: try institution.resume(kind, at: at)
        case .terminate:
            guard let trigger else {
                throw DomainError.missing("/trigger", "\"trigger\" (\(TerminationTrigger.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            try institution.terminate(kind, trigger: trigger, at: at, policy: rules, note: note ?? reason ?? "")
        case .withdraw: try institution.withdraw(kind, at: at, note: note ?? "", calendar: calendar)
        case .recordViolation: institution.recordViolation(note ?? reason ?? "", at: at)
        }
    }
}

/// JSON coding of the admin API: ISO 8601 dates with an offset.
package enum AdminCoding {
    package static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            let formatter = ISO8601DateFormatter()
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return date }
            if let day = Timestamps.parseDay(text) { return day }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not an ISO 8601 date-time (e.g. 2026-11-23T09:00:00+08:00)")
        }
        return decoder
    }
}
