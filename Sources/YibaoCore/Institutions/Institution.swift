import Foundation

/// What kind of designated institution (定点医药机构).
public enum InstitutionKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// 定点医疗机构 — a designated medical institution.
    case hospital
    /// 定点零售药店 — a designated retail pharmacy; it counts as a designated institution (AG-1).
    case retailPharmacy
}

/// AG-6 — the conditions an institution meets before it may apply for the Internet+ agreement (TJ 5).
public enum Capability: String, Sendable, Codable, Hashable, CaseIterable {
    /// 与国家医保信息业务编码对接 — docking with the national medical-insurance codes.
    case nationalCodeDocking
    /// 与医保信息系统数据交换 — data exchange with the medical-insurance information system.
    case dataExchange
    /// 医保移动支付 — mobile payment.
    case mobilePayment
    /// 医保电子凭证实名认证 — real-name authentication through the e-voucher.
    case eVoucherAuth
    /// 完整保存电子病历、电子处方、购药记录 — full retention of records, traceable end to end.
    case recordRetention
    /// 核验复诊患者 — verifying that the patient is a follow-up patient.
    case followUpVerification
    /// 区分线下、异地、互联网医疗服务 — telling offline, off-site and Internet services apart.
    case serviceTypeDistinction
    /// 及时提供电子票据、电子发票或纸质票据 — giving the patient an e-bill, an e-invoice or a paper receipt in time (PY-11).
    case receipts
}

/// AG-10 — what the public list of signed institutions shows.
public struct PublicListing: Sendable, Codable, Hashable {
    public var code: String
    public var name: String
    public var kind: InstitutionKind
    public var admdvs: String
    public var subjects: [String]
    /// The services it offers online: the subjects approved for Internet diagnosis (SC-6), else its subjects.
    public var internetSubjects: [String]
    /// What the services cost: the Internet follow-up consultation (AADG0000) at the price of its region's
    /// catalogue, set by whoever publishes the list (the institution does not know its region's policy).
    public var prices: [ListedPrice]
    public var termStart: Date
    public var termEnd: Date

    public init(code: String, name: String, kind: InstitutionKind, admdvs: String, subjects: [String],
                internetSubjects: [String]? = nil, prices: [ListedPrice] = [], termStart: Date, termEnd: Date) {
        self.internetSubjects = internetSubjects ?? subjects
        self.prices = prices
        self.code = code
        self.name = name
        self.kind = kind
        self.admdvs = admdvs
        self.subjects = subjects
        self.termStart = termStart
        self.termEnd = termEnd
    }
}

/// AG-10: one priced service of the public list.
public struct ListedPrice: Sendable, Codable, Hashable {
    /// The item code, e.g. AADG0000 (互联网复诊).
    public var code: String
    public var name: String
    /// Yuan, two decimals.
    public var price: String

    public init(code: String, name: String, price: String) {
        self.code = code
        self.name = name
        self.price = price
    }
}

/// 定点医药机构 — a designated institution (hospital or retail pharmacy) and its two agreements.
///
/// Callers act on the institution, not on its agreements: the institution applies the rules
/// that span both (the negative list AG-7, the capabilities AG-6, the cascade AG-5, repeated
/// suspensions AG-9, pharmacy staffing PR-2) and routes each step to the right `Agreement`.
/// One agreement of each kind is held; a new application replaces one that has ended.
public struct Institution: Sendable, Codable, Hashable {
    /// fixmedins_code — the national code of the designated institution.
    public var code: String
    /// fixmedins_name
    public var name: String
    public var kind: InstitutionKind
    /// 医保区划 — six-digit administrative-division code (e.g. "120101").
    public var admdvs: String
    /// 诊疗科目 — the registered clinical subjects (codes) the offline institution may practise (SC-2).
    public var subjects: [String]
    /// 互联网诊疗科目 — the subjects approved for Internet diagnosis, separately from the offline ones
    /// (SC-6, TJ 11); nil when none were approved separately: the offline subjects then serve.
    public var internetSubjects: [String]?
    public var capabilities: Set<Capability>
    /// 失信名单 — on the dishonesty list: no application is accepted (AG-7).
    public var onDishonestyList: Bool
    /// Violations recorded during the current entity term (AG-8: they shorten the renewal to 1 year).
    public var violationsInCurrentTerm: Int
    public var entity: Agreement?
    public var internetPlus: Agreement?
    /// No application is accepted before this instant (AG-7).
    public var negativeListUntil: Date?
    /// False materials or information were found (AG-7).
    public var falseMaterialsFound: Bool
    /// 医院等级 "1", "2" or "3" (primary, secondary, tertiary): picks the reimbursement ratio. nil for pharmacies.
    public var level: String?
    /// PY-11: the institution gives paper receipts; otherwise each settlement yields an e-bill (or its e-invoice).
    public var paperReceipts: Bool?
    /// AG-12: the day of its latest administrative punishment by the market-supervision, health or
    /// human-resources departments, if any.
    public var lastAdministrativePunishment: Date?
    /// AG-14: 法定代表人, 主要投资人 and the registered address the negative list also binds.
    public var legalRepresentative: String?
    public var majorInvestors: [String]?
    public var address: String?
    /// AG-14: the legal representative is on a list of serious dishonesty.
    public var legalRepresentativeDishonest: Bool?
    /// AG-13: the changes reported to the agency, oldest first.
    public var changes: [InstitutionChange]?
    /// PY-12: the year's total budget (总额预算) of the fund for the institution, in fen; settlements beyond it
    /// are flagged for the year-end appraisal (AG-15), not refused. nil: no budget set.
    public var annualBudgetFen: Int64?
    /// PR-2: a retail pharmacy that sells Chinese herbal pieces (中药饮片), so needs a Chinese-medicine pharmacist.
    public var sellsChineseHerbalPieces: Bool?
    /// Agreements that ended (rejected, withdrawn, lapsed, waived, terminated, expired) before a new application
    /// of the same kind replaced them, oldest first, with their histories and notices (AG-3).
    public var endedAgreements: [Agreement]?

    public init(code: String, name: String, kind: InstitutionKind, admdvs: String, subjects: [String] = [],
                capabilities: Set<Capability> = [], onDishonestyList: Bool = false, violationsInCurrentTerm: Int = 0,
                entity: Agreement? = nil, internetPlus: Agreement? = nil, negativeListUntil: Date? = nil,
                falseMaterialsFound: Bool = false) {
        self.code = code
        self.name = name
        self.kind = kind
        self.admdvs = admdvs
        self.subjects = subjects
        self.capabilities = capabilities
        self.onDishonestyList = onDishonestyList
        self.violationsInCurrentTerm = violationsInCurrentTerm
        self.entity = entity
        self.internetPlus = internetPlus
        self.negativeListUntil = negativeListUntil
        self.falseMaterialsFound = falseMaterialsFound
    }

    /// SC-2 and SC-6: an online service in `subject` stays within the offline institution's registered
    /// subjects and within those approved for Internet diagnosis; `pointer` names the subject in the request.
    public func requireOnlineSubject(_ subject: String, pointer: String) throws {
        guard subjects.contains(subject) else {
            throw DomainError(.subjectNotRegistered, .forbidden, rule: .sc2, pointer: pointer,
                              "online services stay within the institution's registered subjects; \(code) is registered for \(subjects.joined(separator: ", "))",
                              expected: subjects.joined(separator: " | "), actual: subject)
        }
        if let approved = internetSubjects, !approved.contains(subject) {
            throw DomainError(.subjectNotApprovedForInternet, .forbidden, rule: .sc6, pointer: pointer,
                              "\(subject) is one of \(code)'s offline subjects but was not approved for Internet diagnosis; online it may serve \(approved.joined(separator: ", "))",
                              expected: approved.joined(separator: " | "), actual: subject)
        }
    }

    /// The agreement of `kind`, if any.
    public func agreement(_ kind: AgreementKind) -> Agreement? {
        switch kind {
        case .entity: entity
        case .internetPlus: internetPlus
        }
    }

    /// The AG-6 capabilities the institution lacks, in `Capability.allCases` order.
    public var missingCapabilities: [Capability] {
        Capability.allCases.filter { !capabilities.contains($0) }
    }

    // MARK: - Application

    /// Applies for an agreement of `kind` (AG-2). Refused while on the negative list or the
    /// dishonesty list (AG-7), while an agreement of that kind is pending or in effect, and —
    /// for the Internet+ agreement — without an entity agreement in force (AG-1) or without all
    /// AG-6 capabilities. While an agreement of that kind is active, the application is its renewal, accepted
    /// within `renewalWindowDays` before the term ends (AG-8); after the term ended the institution applies anew.
    public mutating func apply(_ kind: AgreementKind, at: Date, policy: AgreementPolicy, measures: MeasureNumbers = .standard) throws {
        let calendar = WorkingCalendar()
        try validateRegistration()
        if onDishonestyList {
            throw DomainError(.institutionDishonestyList, .forbidden, rule: .ag7, pointer: "/fixmedins_code",
                              "AG-7: \(code) (\(name)) is on the dishonesty list, so no application is accepted")
        }
        if legalRepresentativeDishonest == true {
            throw DomainError(.institutionDishonestyList, .forbidden, rule: .ag14, pointer: "/legalRepresentative",
                              "AG-14: the legal representative of \(code)\(legalRepresentative.map { " (\($0))" } ?? "") is on a list of serious dishonesty, so no application is accepted")
        }
        // AG-12: a designation condition — no administrative punishment in the months before applying.
        if kind == .entity, let punished = lastAdministrativePunishment {
            let clear = calendar.adding(months: measures.punishmentFreeMonths, to: calendar.startOfLocalDay(punished))
            if at < clear {
                throw DomainError(.institutionRecentlyPunished, .forbidden, rule: .ag12, pointer: "/lastAdministrativePunishment",
                                  "AG-12: \(code) was punished by an administrative department on \(calendar.localDay(punished)); an application for designation is accepted from \(calendar.localDay(clear)), \(measures.punishmentFreeMonths) months later",
                                  expected: "≥ \(calendar.localDay(clear))", actual: calendar.localDay(at))
            }
        }
        if let until = negativeListUntil, at < until {
            let why = falseMaterialsFound ? "false materials or information were found" : "its agreement was terminated"
            throw DomainError(.institutionNegativeList, .forbidden, rule: .ag7, pointer: "/fixmedins_code",
                              "AG-7: \(why), so no application from \(code) is accepted for \(policy.negativeListYears) years, until \(calendar.localTimestamp(until))",
                              expected: "≥ \(calendar.localTimestamp(until))", actual: calendar.localTimestamp(at))
        }
        if falseMaterialsFound && negativeListUntil == nil {
            throw DomainError(.institutionNegativeList, .forbidden, rule: .ag7, pointer: "/fixmedins_code",
                              "AG-7: false materials or information from \(code) were found; no application is accepted for \(policy.negativeListYears) years from the finding, whose date is not on record")
        }
        let previous = agreement(kind)
        // A term cut short by an address or legal-representative change (AG-13) is not renewed.
        let renewing = previous?.effectiveState(at: at) == .active && previous?.termEnd != nil
            && previous?.history.contains(where: { $0.action == .termShortened }) == false
        if let previous, !renewing {
            let current = previous.effectiveState(at: at)
            guard current.isFinal else {
                throw DomainError(.institutionAgreementExists, .conflict, rule: .ag2, pointer: "/kind",
                                  "\(code) already has a \(kind.title) that is \(current.rawValue); a new application waits until it has ended",
                                  expected: "no pending or active \(kind.rawValue) agreement", actual: current.rawValue)
            }
        }
        if kind == .internetPlus {
            // AG-11: an institution applying for the entity (designated) agreement may apply for both at the same time.
            guard let entity, entity.isInForce(at: at) || Self.pendingStates.contains(entity.effectiveState(at: at)) else {
                let state = entity?.effectiveState(at: at).rawValue ?? "absent"
                throw DomainError(.institutionNoEntityAgreement, .forbidden, rule: .ag1, pointer: "/fixmedins_code",
                                  "AG-1: only a designated institution applies for the Internet+ supplementary agreement, or one applying for the designated (entity) agreement at the same time (AG-11); \(code)'s entity agreement is \(state) on \(calendar.localDay(at))",
                                  expected: "entity agreement in force or applied for", actual: state)
            }
            let missing = missingCapabilities
            guard missing.isEmpty else {
                let names = missing.map(\.rawValue).joined(separator: ", ")
                throw DomainError(.institutionCapabilitiesMissing, .forbidden, rule: .ag6, pointer: "/capabilities",
                                  "AG-6: the Internet+ supplementary agreement requires all \(Capability.allCases.count) capability conditions; \(code) lacks \(names)",
                                  expected: Capability.allCases.map(\.rawValue).joined(separator: ", "), actual: names)
            }
        }
        if renewing {
            try withAgreement(kind, rule: .ag8) { try $0.applyForRenewal(at: at, calendar: calendar, policy: policy) }
            return
        }
        // A term that ran out, or was cut short by an address or legal-representative change (AG-13), is not renewed:
        // the institution applies again as a new one and is evaluated again.
        if var ended = previous {
            ended.settle(at: at)
            endedAgreements = (endedAgreements ?? []) + [ended]
        }
        var application = Agreement.apply(kind: kind, at: at)
        if kind == .internetPlus, let entity, !entity.isInForce(at: at) {
            application.history[application.history.count - 1].note = "applied together with the entity agreement (AG-11): signed only once the entity agreement is (AG-4)"
        }
        set(kind, application)
    }

    /// An application still under way: applied, asked to supplement, being evaluated, or passed and awaiting signature.
    static let pendingStates: Set<AgreementState> = [.applied, .supplementRequested, .evaluating, .passed]

    /// AG-14: what the negative list of `others` binds beyond the institution itself — the legal representative and
    /// the major investors of one found giving false information, the name, address and legal representative of
    /// one whose agreement was terminated — checked when this institution applies at `at`.
    public func checkNegativeListLinks(_ others: [Institution], at: Date) throws {
        let calendar = WorkingCalendar()
        func same(_ a: String?, _ b: String?) -> Bool {
            guard let a = a?.trimmingCharacters(in: .whitespaces), let b = b?.trimmingCharacters(in: .whitespaces), !a.isEmpty else { return false }
            return a == b
        }
        for other in others where other.code != code {
            guard let until = other.negativeListUntil, at < until else { continue }
            var links: [(String, String)] = []
            if same(legalRepresentative, other.legalRepresentative) { links.append(("/legalRepresentative", "legal representative \(legalRepresentative ?? "")")) }
            if other.falseMaterialsFound {
                let shared = Set(majorInvestors ?? []).intersection(other.majorInvestors ?? []).sorted()
                if let investor = shared.first { links.append(("/majorInvestors", "major investor \(investor)")) }
            } else {
                if same(name, other.name) { links.append(("/name", "name \(name)")) }
                if same(address, other.address) { links.append(("/address", "address \(address ?? "")")) }
            }
            if let (pointer, what) = links.first {
                let why = other.falseMaterialsFound ? "gave false information" : "had its agreement terminated"
                throw DomainError(.institutionNegativeListLinked, .forbidden, rule: .ag14, pointer: pointer,
                                  "AG-14: \(other.code) \(why) and is on the negative list until \(calendar.localDay(until)); it binds its \(what), which \(code) shares, so no application is accepted",
                                  expected: "no link to an institution on the negative list", actual: other.code)
            }
        }
    }

    /// AG-11: an Internet+ application made together with the entity one ends when the entity application
    /// ends unsigned (rejected or withdrawn): there is no designated institution for it to supplement.
    private mutating func endConcurrentApplication(at: Date, calendar: WorkingCalendar) throws {
        guard let entity, [.rejected, .withdrawn, .lapsed, .waived].contains(entity.effectiveState(at: at)),
              var plus = internetPlus, Self.pendingStates.contains(plus.effectiveState(at: at)) else { return }
        try plus.withdraw(at: at, note: "AG-11: the entity application it was made together with was \(entity.effectiveState(at: at).rawValue)", calendar: calendar)
        internetPlus = plus
    }

    /// Materials complete: evaluation starts (AG-3).
    public mutating func accept(_ kind: AgreementKind, at: Date, calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        try withAgreement(kind, rule: .ag2) { try $0.accept(at: at, calendar: calendar, policy: policy) }
    }

    /// The one notice to supplement (AG-2).
    public mutating func requestSupplement(_ kind: AgreementKind, materials: [String], at: Date,
                                           calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        try withAgreement(kind, rule: .ag2) {
            try $0.requestSupplement(materials: materials, at: at, calendar: calendar, policy: policy)
        }
    }

    /// The supplement arrives; too late, the application is withdrawn and this throws (AG-2).
    public mutating func supplement(_ kind: AgreementKind, at: Date, calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        try withAgreement(kind, rule: .ag2) { try $0.supplement(at: at, calendar: calendar, policy: policy) }
    }

    /// The evaluation's outcome; a failure carries written reasons (AG-3).
    public mutating func evaluate(_ kind: AgreementKind, passed: Bool, reasons: [String] = [], at: Date,
                                  calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        try withAgreement(kind, rule: .ag3) {
            try $0.evaluate(passed: passed, reasons: reasons, at: at, calendar: calendar, policy: policy)
        }
        if kind == .entity { try endConcurrentApplication(at: at, calendar: calendar) }
    }

    /// The application is withdrawn by the applicant or closed by the agency.
    public mutating func withdraw(_ kind: AgreementKind, at: Date, note: String = "", calendar: WorkingCalendar) throws {
        try withAgreement(kind, rule: .ag2) { try $0.withdraw(at: at, note: note, calendar: calendar) }
        if kind == .entity { try endConcurrentApplication(at: at, calendar: calendar) }
    }

    /// Signs the agreement of `kind` (AG-3). The entity agreement's term follows AG-8, using the
    /// violations recorded in the term that just ended; the Internet+ agreement's term equals
    /// the entity agreement's (AG-4). A retail pharmacy signing either agreement must be staffed per
    /// PR-2; only `staff` working for this institution (by `institutionCode`) and on duty count.
    public mutating func signAgreement(_ kind: AgreementKind, termStart: Date, termEnd: Date, at: Date,
                                       staff: [Practitioner] = [], calendar: WorkingCalendar, policy: AgreementPolicy, measures: MeasureNumbers = .standard,
                                       creditCommitment: Bool = false) throws {
        guard let current = agreement(kind) else { throw noAgreement(kind, rule: .ag3) }
        // AG-12: designation follows a public notice of the institutions that passed, and comes with a written credit commitment.
        if kind == .entity, measures.designationPublicityDays > 0, let passed = current.evaluatedAt {
            let ends = calendar.adding(days: measures.designationPublicityDays, to: passed)
            if at < ends {
                throw DomainError(.agreementPublicityPending, .forbidden, rule: .ag12, pointer: "/at",
                                  "AG-12: \(code) passed its evaluation on \(calendar.localTimestamp(passed)); the list is publicised for \(measures.designationPublicityDays) days before the agreement is signed, until \(calendar.localTimestamp(ends))",
                                  expected: "≥ \(calendar.localTimestamp(ends))", actual: calendar.localTimestamp(at))
            }
        }
        if kind == .entity, measures.creditCommitmentRequired, !creditCommitment {
            throw DomainError(.agreementCreditCommitmentRequired, .invalid, rule: .ag12, pointer: "/creditCommitment",
                              "AG-12: the designated-service agreement is signed together with a written credit commitment: send \"creditCommitment\": true with the sign step",
                              expected: "true", actual: "absent")
        }
        // PR-2: a designation condition of a retail pharmacy (YZ), checked again for its Internet+ agreement.
        if self.kind == .retailPharmacy {
            try Practitioner.checkPharmacyStaffing(staff.filter { $0.institutionCode == code }, herbalPieces: sellsChineseHerbalPieces == true, measures: measures)
        }
        let entityAgreement = entity
        let violations = violationsInCurrentTerm
        try withAgreement(kind, rule: .ag3) {
            try $0.sign(termStart: termStart, termEnd: termEnd, at: at,
                        isRenewal: current.isRenewal, violationsInPreviousTerm: kind == .entity ? violations : 0,
                        entity: entityAgreement, calendar: calendar, policy: policy)
        }
        // A first term starts the count afresh; a renewed term does when it begins (`settle`).
        if kind == .entity, agreement(kind)?.nextTermEnd == nil { violationsInCurrentTerm = 0 }
    }

    // MARK: - Exit

    /// Suspends the agreement of `kind`. Suspending the entity agreement suspends an active
    /// Internet+ agreement at the same instant (AG-5). The `suspensionsForTermination`-th own
    /// suspension within the term terminates the agreement (AG-9), with the AG-5 cascade;
    /// suspensions carried over from the entity agreement do not count against the Internet+ one.
    public mutating func suspend(_ kind: AgreementKind, reason: String, at: Date, policy: AgreementPolicy) throws {
        var next = self   // all or nothing: a refusal leaves the institution unchanged
        try next.withAgreement(kind, rule: .ag9) { try $0.suspend(reason: reason, at: at) }
        if kind == .entity, var plus = next.internetPlus, plus.effectiveState(at: at) == .active {
            try plus.suspend(reason: reason, at: at, cascadedFrom: .entity)
            next.internetPlus = plus
        }
        // Within the term: suspensions of a term before a renewal do not count (AG-8, AG-9).
        let termStart = next.agreement(kind)?.term(at: at)?.start ?? .distantPast
        let own = next.agreement(kind)?.suspensions.filter { $0.cascadedFrom == nil && $0.at >= termStart }.count ?? 0
        if own >= policy.suspensionsForTermination {
            try next.terminate(kind, trigger: .suspendedRepeatedly, at: at, policy: policy,
                               note: "suspended \(own) times within the term (limit \(policy.suspensionsForTermination))")
        }
        self = next
    }

    /// Resumes the agreement of `kind`. Resuming the entity agreement does not resume the
    /// Internet+ agreement: that is decided case by case (AG-5) and resumed on its own, which
    /// needs the entity agreement active again.
    public mutating func resume(_ kind: AgreementKind, at: Date) throws {
        if kind == .internetPlus, internetPlus != nil {
            let entityState = entity?.effectiveState(at: at)
            guard entityState == .active else {
                let shown = entityState?.rawValue ?? "absent"
                throw DomainError(.institutionNoEntityAgreement, .conflict, rule: .ag5, pointer: "/fixmedins_code",
                                  "AG-5: the Internet+ supplementary agreement of \(code) rests on its entity agreement, which is \(shown); resume the entity agreement first",
                                  expected: "entity agreement active", actual: shown)
            }
        }
        try withAgreement(kind, rule: .ag5) { try $0.resume(at: at) }
    }

    /// Terminates the agreement of `kind` (AG-9). Terminating the entity agreement terminates
    /// the Internet+ agreement at the same instant (AG-5) and, like false information, puts the
    /// institution on the negative list for `negativeListYears` (AG-7). `.termExpired` closes an
    /// agreement whose term ran out, with no such consequence.
    public mutating func terminate(_ kind: AgreementKind, trigger: TerminationTrigger, at: Date, policy: AgreementPolicy,
                                   note: String = "") throws {
        var next = self   // all or nothing: a refusal leaves the institution unchanged
        if trigger == .notRectified, let state = agreement(kind)?.effectiveState(at: at), state != .suspended {
            throw DomainError(.agreementWrongState, .conflict, rule: .ag9, pointer: "/trigger",
                              "AG-9: notRectified ends an agreement suspended for rectification that was not rectified in time; \(code)'s \(kind.title) is \(state.rawValue)",
                              expected: AgreementState.suspended.rawValue, actual: state.rawValue)
        }
        if trigger == .seriousBreach, note.trimmingCharacters(in: .whitespaces).isEmpty {
            throw DomainError.missing("/note", "\"note\" (the serious breach of the agreement that ends it, AG-9)")
        }
        try next.withAgreement(kind, rule: trigger.rule) { try $0.terminate(trigger: trigger, at: at, note: note) }
        if trigger != .termExpired {
            if kind == .entity, var plus = next.internetPlus, !plus.effectiveState(at: at).isFinal {
                try plus.terminate(trigger: .entityTerminated, at: at, note: "entity agreement terminated: \(trigger.rawValue)")
                next.internetPlus = plus
            }
            if trigger == .falseInformation { next.falseMaterialsFound = true }
            if kind == .entity || trigger == .falseInformation {
                let until = WorkingCalendar().adding(years: policy.negativeListYears, to: at)
                next.negativeListUntil = max(next.negativeListUntil ?? until, until)
            }
        }
        self = next
    }

    /// Records a violation that did not end the agreement; the next renewal then runs one year (AG-8).
    public mutating func recordViolation(_ note: String, at: Date) {
        violationsInCurrentTerm += 1
        entity?.record(.violationRecorded, at: at, note: note)
    }

    /// Writes lapses (supplement not made in time, an application lapsed or waived, a renewed term begun, a term
    /// ended) into both agreements' states; an Internet+ application made together with an entity one that ended
    /// unsigned is withdrawn with it (AG-11).
    public mutating func settle(at: Date) {
        let began = entity?.history.filter { $0.action == .termBegan }.count ?? 0
        entity?.settle(at: at)
        internetPlus?.settle(at: at)
        // AG-8: the violations of the term that ended shortened its renewal; the renewed term counts afresh.
        if (entity?.history.filter { $0.action == .termBegan }.count ?? 0) > began { violationsInCurrentTerm = 0 }
        if let ended = entity?.history.last(where: { [.lapsed, .waived, .withdrawn].contains($0.action) })?.at, ended <= at {
            try? endConcurrentApplication(at: max(ended, internetPlus?.history.last?.at ?? ended), calendar: WorkingCalendar())
        }
    }

    /// AG-3: the administrative department's approved extension of an application's time limits.
    public mutating func extend(_ kind: AgreementKind, workingDays: Int, approval: String, at: Date, calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        try withAgreement(kind, rule: .ag3) { try $0.extend(workingDays: workingDays, approval: approval, at: at, calendar: calendar, policy: policy) }
    }

    // MARK: - Authorisation and listing

    /// AG-1: only an institution whose Internet+ supplementary agreement is signed and in force
    /// may settle Internet+ services. Throws `INSTITUTION_NOT_AUTHORISED` saying why not.
    public func authoriseInternetPlus(at: Date) throws {
        let calendar = WorkingCalendar()
        // Under AG-5 when the reason is the entity agreement the Internet+ one rests on, else AG-1.
        func refuse(_ why: String, actual: String, rule: Rule = .ag1) -> DomainError {
            DomainError(.institutionNotAuthorised, .forbidden, rule: rule, pointer: "/fixmedins_code",
                        "AG-1: \(code) (\(name)) may not settle Internet+ services: \(why)",
                        expected: "Internet+ supplementary agreement in force", actual: actual)
        }
        guard let plus = internetPlus else {
            throw refuse("it has no Internet+ supplementary agreement", actual: "none")
        }
        let state = plus.effectiveState(at: at)
        switch state {
        case .applied, .supplementRequested, .evaluating, .passed:
            throw refuse("its Internet+ supplementary agreement is not signed yet (\(state.rawValue))", actual: state.rawValue)
        case .rejected, .withdrawn, .lapsed, .waived:
            throw refuse("its application for the Internet+ supplementary agreement was \(state.rawValue)", actual: state.rawValue)
        case .suspended:
            let suspension = plus.currentSuspension
            let since = suspension.map { " since \(calendar.localTimestamp($0.at))" } ?? ""
            if suspension?.cascadedFrom == .entity {
                throw refuse("its Internet+ supplementary agreement is suspended\(since) together with its entity agreement (AG-5: \(suspension?.reason ?? "")); resuming the entity agreement does not resume it", actual: state.rawValue, rule: .ag5)
            }
            throw refuse("its Internet+ supplementary agreement is suspended\(since)" + (suspension.map { ": \($0.reason)" } ?? ""), actual: state.rawValue)
        case .terminated:
            let trigger = plus.terminationTrigger
            let cascade = trigger == .entityTerminated ? " with its entity agreement (AG-5)" : ""
            let when = plus.terminatedAt.map { " on \(calendar.localTimestamp($0))" } ?? ""
            throw refuse("its Internet+ supplementary agreement was terminated\(when)\(cascade)" + (trigger.map { " [\($0.rawValue), \($0.rule)]" } ?? ""), actual: state.rawValue,
                         rule: trigger == .entityTerminated ? .ag5 : .ag1)
        case .expired:
            throw refuse("its Internet+ supplementary agreement's term ended" + (plus.termEnd.map { " \(calendar.localTimestamp($0))" } ?? ""), actual: state.rawValue)
        case .active:
            guard plus.isInForce(at: at) else {
                throw refuse("its Internet+ supplementary agreement's term starts" + (plus.termStart.map { " \(calendar.localTimestamp($0))" } ?? " later"), actual: "not yet in force")
            }
            if let entity, !entity.isInForce(at: at) {
                throw refuse("its entity agreement is \(entity.effectiveState(at: at).rawValue), and the Internet+ agreement rests on it (AG-5)", actual: "entity \(entity.effectiveState(at: at).rawValue)", rule: .ag5)
            }
        }
    }

    /// AG-10: the institution's entry on the public list of signed Internet+ institutions, or
    /// nil unless its Internet+ supplementary agreement is in force at `at`.
    public func publicListing(at: Date) -> PublicListing? {
        guard let plus = internetPlus, plus.isInForce(at: at), let (start, end) = plus.term(at: at) else {
            return nil
        }
        return PublicListing(code: code, name: name, kind: kind, admdvs: admdvs, subjects: subjects, internetSubjects: kind == .hospital ? internetSubjects : [],
                             termStart: start, termEnd: end)
    }

    // MARK: - Private

    mutating func set(_ kind: AgreementKind, _ agreement: Agreement) {
        switch kind {
        case .entity: entity = agreement
        case .internetPlus: internetPlus = agreement
        }
    }

    /// Runs `body` on the agreement of `kind` and stores the result even when `body` throws
    /// (a late supplement withdraws the application and throws).
    private mutating func withAgreement(_ kind: AgreementKind, rule: Rule, _ body: (inout Agreement) throws -> Void) throws {
        guard var agreement = agreement(kind) else { throw noAgreement(kind, rule: rule) }
        defer { set(kind, agreement) }
        try body(&agreement)
    }

    private func noAgreement(_ kind: AgreementKind, rule: Rule) -> DomainError {
        DomainError(.institutionNoAgreement, .notFound, rule: rule, pointer: "/kind",
                    "\(code) has no \(kind.title) (no application on record)",
                    expected: "an application for the \(kind.rawValue) agreement", actual: "none")
    }

    private func validateRegistration() throws {
        guard !code.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw DomainError.missing("/fixmedins_code", "The institution code (fixmedins_code)")
        }
        guard admdvs.count == 6, admdvs.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw DomainError.invalidValue("/admdvs", "The administrative-division code (admdvs) has 6 digits",
                                           expected: "6 digits", actual: admdvs)
        }
    }
}

