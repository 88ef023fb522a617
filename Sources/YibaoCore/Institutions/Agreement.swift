import Foundation

/// Which of an institution's two agreements with the medical-insurance agency.
public enum AgreementKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// 定点医药机构服务协议 — the entity institution's designated-service agreement.
    case entity
    /// "互联网+" 医保服务补充协议 — the Internet+ supplementary agreement, which rests on the entity one (AG-4, AG-5).
    case internetPlus

    /// A short English name for messages.
    public var title: String {
        switch self {
        case .entity: "entity agreement"
        case .internetPlus: "Internet+ supplementary agreement"
        }
    }
}

/// Where an agreement stands. `rejected`, `withdrawn`, `lapsed`, `waived`, `terminated` and `expired` are final.
public enum AgreementState: String, Sendable, Codable, Hashable, CaseIterable {
    /// 申请 — received; the agency accepts applications at once (AG-2).
    case applied
    /// 补充材料 — the one notice to supplement incomplete materials was sent (AG-2).
    case supplementRequested
    /// 评估 — under evaluation (AG-3).
    case evaluating
    /// Evaluation passed; awaiting signature within the signing period (AG-3).
    case passed
    /// Evaluation failed, with written reasons (AG-3).
    case rejected
    /// 撤回 — withdrawn, e.g. materials not supplemented in time (AG-2).
    case withdrawn
    /// The agency's time limit ran out undecided — the evaluation (`evaluationMonths`) or the negotiation
    /// (`negotiationWorkingDays`, plus an approved extension) — so the application lapsed with a notice to
    /// the applicant, who may apply again at once (AG-3). Never held against the institution.
    case lapsed
    /// 视为自动放弃 — an institution that passed did not sign within `signWorkingDays`, so it is deemed to
    /// have waived the agreement (AG-3, YZ); it applies and is evaluated again.
    case waived
    /// Signed; in force between `termStart` and `termEnd`.
    case active
    /// 中止 — suspended (AG-5, AG-9).
    case suspended
    /// 解除 — terminated (AG-9, AG-5).
    case terminated
    /// The term ended.
    case expired

    /// No transition leaves this state.
    public var isFinal: Bool {
        switch self {
        case .rejected, .withdrawn, .lapsed, .waived, .terminated, .expired: true
        default: false
        }
    }

    /// An application not yet decided or signed.
    public var isPending: Bool {
        switch self {
        case .applied, .supplementRequested, .evaluating, .passed: true
        default: false
        }
    }
}

/// Why an agreement ended early (AG-9), or that it ended by cascade (AG-5) or by its term.
public enum TerminationTrigger: String, Sendable, Codable, Hashable, CaseIterable {
    /// 骗取医保基金 — defrauding the fund (AG-9).
    case fundFraud
    /// 协议期内累计 3 次被中止 — suspended `suspensionsForTermination` times within the term (AG-9).
    case suspendedRepeatedly
    /// 执业许可证 / 营业执照被吊销 — the practising or business licence was revoked (AG-9).
    case licenceRevoked
    /// 拒绝、阻挠或不配合监督检查 — refusing, obstructing or not cooperating with inspection (AG-9).
    case obstructingInspection
    /// 提供虚假信息 — false information or materials (AG-9, AG-7).
    case falseInformation
    /// 中止期间未按要求整改 — not rectified in time while suspended (AG-9): terminates a suspended agreement only.
    case notRectified
    /// 其他严重违反协议约定的情形 — another serious breach of the agreement (AG-9), named in the step's `note`.
    case seriousBreach
    /// The entity agreement was terminated, which terminates the Internet+ agreement at the same moment (AG-5).
    case entityTerminated
    /// The term ran out (AG-8); the agreement is `expired`, not `terminated`.
    case termExpired

    /// The docs/RULES.md rule behind this trigger.
    public var rule: Rule {
        switch self {
        case .entityTerminated: .ag5
        case .termExpired: .ag8
        default: .ag9
        }
    }
}

/// One suspension (中止) of an agreement.
public struct Suspension: Sendable, Codable, Hashable {
    public var at: Date
    public var reason: String
    public var resumedAt: Date?
    /// Set when the suspension was caused by suspending another agreement (AG-5: the entity one).
    public var cascadedFrom: AgreementKind?

    public init(at: Date, reason: String, resumedAt: Date? = nil, cascadedFrom: AgreementKind? = nil) {
        self.at = at
        self.reason = reason
        self.resumedAt = resumedAt
        self.cascadedFrom = cascadedFrom
    }
}

/// What happened to an agreement, for its history log.
public enum AgreementAction: String, Sendable, Codable, Hashable, CaseIterable {
    case applied, accepted, supplementRequested, supplemented, withdrawn
    case evaluationPassed, rejected, signed
    case suspended, resumed, terminated, expired
    case violationRecorded
    /// AG-13: the term ends early, within 15 days of a licence change (address, legal representative).
    case termShortened
    /// AG-3: the agency's time limit ran out (`lapsed`), or the institution did not sign in time (`waived`).
    case lapsed, waived
    /// AG-3: the administrative department approved longer time limits.
    case extended
    /// AG-8: a renewal applied for within the window before the term ends; signed (`renewed`); begun (`termBegan`).
    case renewalApplied, renewed, termBegan
}

/// One entry of an agreement's history.
public struct AgreementEvent: Sendable, Codable, Hashable {
    public var at: Date
    public var action: AgreementAction
    public var note: String

    public init(at: Date, action: AgreementAction, note: String = "") {
        self.at = at
        self.action = action
        self.note = note
    }
}

/// 医保协议 — one agreement between an institution and the agency, from application to its end.
///
/// A value type: each transition is a `mutating` method that checks the state, the deadlines
/// of docs/RULES.md AG-2/AG-3 and the term rules AG-4/AG-8, then records the instant and appends to
/// `history`. Refusals throw `DomainError` naming the rule. Deadlines are the ends of local days
/// of the given `WorkingCalendar`; an instant equal to a deadline is still in time.
///
/// The stored `state` changes only through transitions; lapses that need no decision (a
/// supplement not made in time, a term that ran out) are visible at once through
/// `effectiveState(at:)` and written down by `settle(at:)`.
public struct Agreement: Sendable, Codable, Hashable {
    public var kind: AgreementKind
    public var state: AgreementState

    /// When the application was received (and accepted as received, AG-2).
    public var appliedAt: Date
    /// When evaluation started: on acceptance of complete materials, or when the supplement
    /// arrived (AG-3: supplement time is excluded).
    public var acceptedAt: Date?
    public var supplementRequestedAt: Date?
    /// AG-2: end of the `supplementWorkingDays`-th working day after the notice.
    public var supplementDeadline: Date?
    public var supplementedAt: Date?
    /// AG-3: end of the local day `evaluationMonths` calendar months after `acceptedAt`.
    public var evaluationDeadline: Date?
    public var evaluatedAt: Date?
    /// AG-3: end of the `signWorkingDays`-th working day after a passing evaluation.
    public var signDeadline: Date?
    /// AG-3: end of the `negotiationWorkingDays`-th working day after `acceptedAt`.
    public var negotiationDeadline: Date?
    public var signedAt: Date?
    public var termStart: Date?
    /// The last instant of the term (normally 23:59:59.999 local of the term's last day; a local
    /// midnight is read as the exclusive end of the previous day).
    public var termEnd: Date?
    public var terminatedAt: Date?
    /// AG-3: the working days of an approved extension of the time limits, and the approval's reference.
    public var extensionWorkingDays: Int?
    public var extensionApproval: String?
    /// AG-8: when a renewal was applied for (within `renewalWindowDays` before `termEnd`); cleared when signed.
    public var renewalAppliedAt: Date?
    /// AG-8: the renewed term, signed while the current one runs; it follows `termEnd` without a gap.
    public var nextTermStart: Date?
    public var nextTermEnd: Date?
    /// AG-3: the notice sent when the application lapsed or was deemed waived.
    public var lapseNotice: String?

    /// The materials named in the one supplement notice (AG-2).
    public var missingMaterials: [String]
    /// The written reasons of a failed evaluation (AG-3).
    public var rejectionReasons: [String]
    /// Whether this agreement renews an earlier one of the same kind (AG-8).
    public var isRenewal: Bool
    public var suspensions: [Suspension]
    public var terminationTrigger: TerminationTrigger?
    public var history: [AgreementEvent]

    /// A fresh application; prefer `Agreement.apply(kind:at:)`.
    public init(kind: AgreementKind, appliedAt: Date, isRenewal: Bool = false) {
        self.kind = kind
        self.state = .applied
        self.appliedAt = appliedAt
        self.missingMaterials = []
        self.rejectionReasons = []
        self.isRenewal = isRenewal
        self.suspensions = []
        self.history = [AgreementEvent(at: appliedAt, action: .applied, note: isRenewal ? "renewal application" : "")]
    }

    /// AG-2: an application is accepted (received) at once.
    public static func apply(kind: AgreementKind, at: Date, isRenewal: Bool = false) -> Agreement {
        Agreement(kind: kind, appliedAt: at, isRenewal: isRenewal)
    }

    /// The conventional end of a term of `years` years starting on the local day of `start`:
    /// the last millisecond of the day before the same date `years` later
    /// (2026-01-01 and 2 years ⇒ 2027-12-31 23:59:59.999).
    public static func termEnd(startingAt start: Date, years: Int, calendar: WorkingCalendar) -> Date {
        let anniversary = calendar.adding(years: years, to: calendar.startOfLocalDay(start))
        return anniversary.addingTimeInterval(-0.001)
    }

    // MARK: - Reading

    /// The state a reader sees at `at`, without mutation: a supplement notice past its deadline
    /// means withdrawn (AG-2); an active or suspended agreement past `termEnd` is expired.
    public func effectiveState(at: Date) -> AgreementState {
        switch state {
        case .supplementRequested:
            if let deadline = supplementDeadline, at > deadline { return .withdrawn }
        case .evaluating, .passed:
            if let lapse = lapse(at: at) { return lapse.state }
        case .active, .suspended:
            if let end = nextTermEnd ?? termEnd, at > end { return .expired }
        default:
            break
        }
        return state
    }

    /// AG-3: the time limit an undecided application ran past at `at`, the earliest first — the evaluation's or
    /// the negotiation's (the agency's: `lapsed`), or the signing period (the institution's: `waived`) — with
    /// the notice that goes to the applicant.
    public func lapse(at: Date) -> (state: AgreementState, at: Date, notice: String)? {
        let calendar = WorkingCalendar()
        var limits: [(state: AgreementState, at: Date, notice: String)] = []
        let accepted = calendar.localDay(acceptedAt ?? appliedAt)
        let extended = extensionWorkingDays.map { ", extended by \($0) working days with approval \(extensionApproval ?? "")" } ?? ""
        if state == .evaluating, let deadline = evaluationDeadline {
            limits.append((.lapsed, deadline, "Notice (AG-3): the agency did not conclude the evaluation of the application accepted on \(accepted) by \(calendar.localDay(deadline))\(extended); the application has lapsed and may be made again at once"))
        }
        if state == .passed, let deadline = signDeadline {
            limits.append((.waived, deadline, "Notice (AG-3): the agreement was not signed within the signing period after the evaluation passed, which ended \(calendar.localDay(deadline)); the institution is deemed to have waived it and applies again, to be evaluated again"))
        }
        if let deadline = negotiationDeadline {
            limits.append((.lapsed, deadline, "Notice (AG-3): the negotiation of the application accepted on \(accepted) was not concluded by \(calendar.localDay(deadline))\(extended); the application has lapsed and may be made again at once"))
        }
        return limits.filter { at > $0.at }.min { $0.at < $1.at }
    }

    /// Active (not suspended), signed, and `at` lies within the term or the renewed term that follows it (AG-8).
    public func isInForce(at: Date) -> Bool {
        guard effectiveState(at: at) == .active, let signed = signedAt, at >= signed else { return false }
        if let start = termStart, let end = termEnd, at >= start, at <= end { return true }
        if let start = nextTermStart, let end = nextTermEnd, at >= start, at <= end { return true }
        return false
    }

    /// The term in effect at `at`: the current one, or the renewed one once the current has ended (AG-8).
    public func term(at: Date) -> (start: Date, end: Date)? {
        if let end = termEnd, at > end, let nextStart = nextTermStart, let nextEnd = nextTermEnd { return (nextStart, nextEnd) }
        guard let start = termStart, let end = termEnd else { return nil }
        return (start, end)
    }

    /// The suspension in effect, if the agreement is suspended.
    public var currentSuspension: Suspension? {
        guard state == .suspended else { return nil }
        return suspensions.last(where: { $0.resumedAt == nil })
    }

    // MARK: - Transitions

    /// Applied → evaluating: the materials are complete and evaluation starts (AG-3). The
    /// evaluation deadline is `evaluationMonths` calendar months later; negotiation ends
    /// `negotiationWorkingDays` working days later.
    public mutating func accept(at: Date, calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        try requireOrder(at, rule: .ag2, calendar: calendar)
        try requireState([.applied], for: "accept the application", at: at, rule: .ag2, calendar: calendar)
        startEvaluation(at: at, calendar: calendar, policy: policy)
        log(at, .accepted, "evaluation due by \(calendar.localDay(evaluationDeadline!)); negotiation by \(calendar.localDay(negotiationDeadline!))")
    }

    /// Applied → supplementRequested: the one notice to supplement (AG-2), sent within
    /// `supplementNoticeWorkingDays` working days of the application and naming the materials.
    public mutating func requestSupplement(materials: [String], at: Date, calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        try requireOrder(at, rule: .ag2, calendar: calendar)
        if let earlier = supplementRequestedAt {
            throw DomainError(.agreementSupplementAlreadyRequested, .conflict, rule: .ag2, pointer: "/supplementRequestedAt",
                              "AG-2 allows one notice to supplement materials; one was already sent on \(calendar.localDay(earlier))",
                              expected: "no earlier notice", actual: calendar.localTimestamp(earlier))
        }
        try requireState([.applied], for: "request supplementary materials", at: at, rule: .ag2, calendar: calendar)
        let cleaned = Agreement.cleaned(materials)
        guard !cleaned.isEmpty else {
            throw DomainError(.agreementMaterialsRequired, .invalid, rule: .ag2, pointer: "/materials",
                              "AG-2: a notice to supplement must name the missing materials")
        }
        let noticeDeadline = calendar.deadline(workingDays: policy.supplementNoticeWorkingDays, after: appliedAt)
        guard at <= noticeDeadline else {
            throw DomainError(.agreementDeadlinePassed, .forbidden, rule: .ag2, pointer: "/supplementRequestedAt",
                              "AG-2: the notice to supplement must be sent within \(policy.supplementNoticeWorkingDays) working days of the application on \(calendar.localDay(appliedAt)), i.e. by the end of \(calendar.localDay(noticeDeadline)); it is now \(calendar.localDay(at))",
                              expected: "≤ \(calendar.localTimestamp(noticeDeadline))", actual: calendar.localTimestamp(at))
        }
        supplementRequestedAt = at
        missingMaterials = cleaned
        supplementDeadline = calendar.deadline(workingDays: policy.supplementWorkingDays, after: at)
        state = .supplementRequested
        log(at, .supplementRequested, "missing: \(cleaned.joined(separator: ", ")); supplement by \(calendar.localDay(supplementDeadline!))")
    }

    /// SupplementRequested → evaluating: the materials arrived in time (AG-2); evaluation starts
    /// now, so the supplement time is excluded from the two months (AG-3). Too late, the
    /// application is withdrawn (recorded) and the call throws.
    public mutating func supplement(at: Date, calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        try requireOrder(at, rule: .ag2, calendar: calendar)
        // Past the deadline the application was withdrawn (written down by `settle`, or here).
        let lapsedSupplement = state == .withdrawn && history.last?.action == .withdrawn && supplementDeadline.map { at > $0 } == true
        if !lapsedSupplement {
            try requireState([.supplementRequested], for: "supplement materials", at: at, rule: .ag2, calendar: calendar, stored: true)
        }
        if let deadline = supplementDeadline, at > deadline {
            if state == .supplementRequested {
                state = .withdrawn
                log(deadline, .withdrawn, "materials not supplemented by \(calendar.localDay(deadline)) (AG-2)")
            }
            throw DomainError(.agreementDeadlinePassed, .forbidden, rule: .ag2, pointer: "/supplementedAt",
                              "AG-2: materials had to be supplemented within \(policy.supplementWorkingDays) working days of the notice on \(calendar.localDay(supplementRequestedAt ?? appliedAt)), i.e. by the end of \(calendar.localDay(deadline)); they arrived on \(calendar.localDay(at)), so the application is withdrawn",
                              expected: "≤ \(calendar.localTimestamp(deadline))", actual: calendar.localTimestamp(at))
        }
        supplementedAt = at
        startEvaluation(at: at, calendar: calendar, policy: policy)
        log(at, .supplemented, "evaluation due by \(calendar.localDay(evaluationDeadline!)); negotiation by \(calendar.localDay(negotiationDeadline!))")
    }

    /// Evaluating → passed (sign within `signWorkingDays` working days) or rejected (with
    /// written reasons), no later than the evaluation deadline (AG-3).
    public mutating func evaluate(passed: Bool, reasons: [String] = [], at: Date, calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        try requireOrder(at, rule: .ag3, calendar: calendar)
        settle(at: at)
        if let refusal = lapseRefusal(at: at, pointer: "/evaluatedAt", calendar: calendar) { throw refusal }
        try requireState([.evaluating], for: "record an evaluation", at: at, rule: .ag3, calendar: calendar, stored: true)
        let cleaned = Agreement.cleaned(reasons)
        if passed {
            evaluatedAt = at
            signDeadline = calendar.deadline(workingDays: policy.signWorkingDays, after: at)
            state = .passed
            log(at, .evaluationPassed, "sign by \(calendar.localDay(signDeadline!))" + (cleaned.isEmpty ? "" : "; " + cleaned.joined(separator: "; ")))
        } else {
            guard !cleaned.isEmpty else {
                throw DomainError(.agreementReasonsRequired, .invalid, rule: .ag3, pointer: "/reasons",
                                  "AG-3: an institution that fails the evaluation is given written reasons; none were given")
            }
            evaluatedAt = at
            rejectionReasons = cleaned
            state = .rejected
            log(at, .rejected, cleaned.joined(separator: "; "))
        }
    }

    /// Passed → active. Signing must fall within `signWorkingDays` working days of the passing
    /// evaluation and within `negotiationWorkingDays` working days of acceptance (AG-3).
    ///
    /// The term: for the entity agreement, AG-8 — a first agreement at most `firstTermMaxYears`;
    /// a renewal after a clean term `renewalMinYears`…`renewalMaxYears`; a renewal after a term
    /// with violations exactly `afterViolationTermYears`. For the Internet+ agreement, AG-4 — the
    /// same term (the same first and last local days) as `entity`, which must be active.
    public mutating func sign(termStart: Date, termEnd: Date, at: Date,
                              isRenewal: Bool = false, violationsInPreviousTerm: Int = 0,
                              entity: Agreement? = nil,
                              calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        try requireOrder(at, rule: .ag3, calendar: calendar)
        if state == .active, renewalAppliedAt != nil {
            try renew(termStart: termStart, termEnd: termEnd, at: at, violationsInPreviousTerm: violationsInPreviousTerm, entity: entity,
                      calendar: calendar, policy: policy)
            return
        }
        settle(at: at)
        if let refusal = lapseRefusal(at: at, pointer: "/signedAt", calendar: calendar) { throw refusal }
        try requireState([.passed], for: "sign the agreement", at: at, rule: .ag3, calendar: calendar, stored: true)
        let termRule: Rule = kind == .entity ? .ag8 : .ag4
        let span = "\(calendar.localDay(termStart)) – \(calendar.localDay(termEnd))"
        guard termEnd > termStart else {
            throw DomainError(.agreementTermInvalid, .invalid, rule: termRule, pointer: "/termEnd",
                              "The term must end after it starts; got \(span)",
                              expected: "> \(calendar.localTimestamp(termStart))", actual: calendar.localTimestamp(termEnd))
        }
        guard termEnd > at else {
            throw DomainError(.agreementTermInvalid, .invalid, rule: termRule, pointer: "/termEnd",
                              "The term \(span) is already over on the signing day \(calendar.localDay(at))",
                              expected: "> \(calendar.localTimestamp(at))", actual: calendar.localTimestamp(termEnd))
        }
        let note: String
        switch kind {
        case .entity:
            try Agreement.checkEntityTerm(termStart: termStart, termEnd: termEnd, isRenewal: isRenewal,
                                          violationsInPreviousTerm: violationsInPreviousTerm,
                                          calendar: calendar, policy: policy)
            note = isRenewal ? "renewal (\(violationsInPreviousTerm) violations in the previous term)" : "first agreement"
        case .internetPlus:
            try Agreement.checkInternetPlusTerm(termStart: termStart, termEnd: termEnd, entity: entity, at: at, calendar: calendar)
            note = "term follows the entity agreement (AG-4)"
        }
        self.isRenewal = isRenewal
        self.termStart = termStart
        self.termEnd = termEnd
        signedAt = at
        state = .active
        log(at, .signed, "term \(span); " + note)
    }

    /// Active → suspended (中止). `cascadedFrom: .entity` marks a suspension caused by the entity
    /// agreement's (AG-5).
    public mutating func suspend(reason: String, at: Date, cascadedFrom: AgreementKind? = nil) throws {
        let calendar = WorkingCalendar()
        let rule: Rule = cascadedFrom == nil ? .ag9 : .ag5
        try requireOrder(at, rule: rule, calendar: calendar)
        try requireState([.active], for: "suspend the agreement", at: at, rule: rule, calendar: calendar)
        let text = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else {
            throw DomainError(.agreementReasonsRequired, .invalid, rule: rule, pointer: "/reason",
                              "A suspension states its reason; none was given")
        }
        suspensions.append(Suspension(at: at, reason: text, cascadedFrom: cascadedFrom))
        state = .suspended
        log(at, .suspended, cascadedFrom.map { "with the \($0.title) (AG-5): " + text } ?? text)
    }

    /// Suspended → active. The term does not stop running while suspended.
    public mutating func resume(at: Date) throws {
        let calendar = WorkingCalendar()
        try requireOrder(at, rule: .ag5, calendar: calendar)
        try requireState([.suspended], for: "resume the agreement", at: at, rule: .ag5, calendar: calendar)
        if let index = suspensions.lastIndex(where: { $0.resumedAt == nil }) {
            suspensions[index].resumedAt = at
        }
        state = .active
        log(at, .resumed)
    }

    /// Any non-final state → terminated (解除), recording the trigger (AG-9, or AG-5 when the
    /// entity agreement's termination carries this one with it). `.termExpired` instead closes
    /// an agreement whose term has run out, as `expired`.
    public mutating func terminate(trigger: TerminationTrigger, at: Date, note: String = "") throws {
        let calendar = WorkingCalendar()
        try requireOrder(at, rule: trigger.rule, calendar: calendar)
        if trigger == .termExpired {
            guard state == .active || state == .suspended, let end = nextTermEnd ?? termEnd, at > end else {
                throw DomainError(.agreementWrongState, .conflict, rule: .ag8, pointer: "/termEnd",
                                  "Only a signed agreement whose term has ended can be closed as expired; this one is \(effectiveState(at: at).rawValue)" + (termEnd.map { " with its term ending \(calendar.localTimestamp($0))" } ?? ""),
                                  expected: "at > termEnd", actual: calendar.localTimestamp(at))
            }
            settle(at: at)
            return
        }
        let current = effectiveState(at: at)
        guard !current.isFinal else {
            throw DomainError(.agreementWrongState, .conflict, rule: trigger.rule, pointer: "/state",
                              "Cannot terminate the \(kind.title): it is already \(current.rawValue)",
                              expected: "a non-final state", actual: current.rawValue)
        }
        state = .terminated
        terminatedAt = at
        terminationTrigger = trigger
        log(at, .terminated, "\(trigger.rawValue) (\(trigger.rule))" + (note.isEmpty ? "" : ": " + note))
    }

    /// Any pending state → withdrawn: the applicant withdraws, or the agency closes an
    /// application that can no longer proceed (e.g. its evaluation or signing period lapsed).
    public mutating func withdraw(at: Date, note: String = "", calendar: WorkingCalendar) throws {
        try requireOrder(at, rule: .ag2, calendar: calendar)
        try requireState([.applied, .supplementRequested, .evaluating, .passed], for: "withdraw the application", at: at, rule: .ag2,
                         calendar: calendar)
        state = .withdrawn
        log(at, .withdrawn, note)
    }

    /// AG-3: the administrative department approves longer time limits for an application under way — the
    /// evaluation's and the negotiation's, both counted from acceptance, each by `workingDays` working days (at
    /// most `extensionMaxWorkingDays`), once, before they have run out. `approval` is the approval's reference.
    public mutating func extend(workingDays: Int, approval: String, at: Date, calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        try requireOrder(at, rule: .ag3, calendar: calendar)
        try requireState([.evaluating, .passed], for: "extend the time limits", at: at, rule: .ag3, calendar: calendar)
        if let granted = extensionWorkingDays {
            throw DomainError(.agreementWrongState, .conflict, rule: .ag3, pointer: "/workingDays",
                              "AG-3: the time limits of this application were already extended once, by \(granted) working days (\(extensionApproval ?? ""))",
                              expected: "no earlier extension", actual: "\(granted) working days")
        }
        guard (1...policy.extensionMaxWorkingDays).contains(workingDays) else {
            throw DomainError.invalidValue("/workingDays", "AG-3: an extension runs 1 to \(policy.extensionMaxWorkingDays) working days",
                                           expected: "1…\(policy.extensionMaxWorkingDays)", actual: String(workingDays), rule: .ag3)
        }
        let reference = approval.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reference.isEmpty else {
            throw DomainError.missing("/approval", "\"approval\" (the reference of the administrative department's approval of the extension, AG-3)")
        }
        if let deadline = evaluationDeadline { evaluationDeadline = calendar.deadline(workingDays: workingDays, after: deadline) }
        if let deadline = negotiationDeadline { negotiationDeadline = calendar.deadline(workingDays: workingDays, after: deadline) }
        extensionWorkingDays = workingDays
        extensionApproval = reference
        log(at, .extended, "by \(workingDays) working days (\(reference)): evaluation due by \(evaluationDeadline.map(calendar.localDay) ?? "-"); negotiation by \(negotiationDeadline.map(calendar.localDay) ?? "-")")
    }

    /// AG-8: a renewal is applied for within `renewalWindowDays` days before the term ends, while the agreement is
    /// active; the agreement is then renewed directly by signing the next term (no new evaluation). Earlier, the
    /// application is refused `AGREEMENT_RENEWAL_NOT_DUE`; once the term has ended, the institution applies anew.
    public mutating func applyForRenewal(at: Date, calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        try requireOrder(at, rule: .ag8, calendar: calendar)
        try requireState([.active], for: "apply for its renewal", at: at, rule: .ag8, calendar: calendar)
        guard let end = termEnd else { return }
        if nextTermEnd != nil || renewalAppliedAt != nil {
            throw DomainError(.institutionAgreementExists, .conflict, rule: .ag8, pointer: "/kind",
                              "The \(kind.title) was already " + (nextTermEnd != nil ? "renewed" : "applied for renewal on \(calendar.localDay(renewalAppliedAt!))"),
                              expected: "no renewal under way", actual: nextTermEnd != nil ? "renewed" : "renewal applied")
        }
        let opens = calendar.adding(days: -policy.renewalWindowDays, to: Agreement.exclusiveEnd(end, calendar: calendar))
        guard at >= opens else {
            throw DomainError(.agreementRenewalNotDue, .conflict, rule: .ag8, pointer: "/at",
                              "AG-8: a renewal is applied for within the \(policy.renewalWindowDays) days before the term ends on \(calendar.localDay(end)), i.e. from \(calendar.localDay(opens)); it is now \(calendar.localDay(at))",
                              expected: "≥ \(calendar.localTimestamp(opens))", actual: calendar.localTimestamp(at))
        }
        renewalAppliedAt = at
        log(at, .renewalApplied, "sign the renewed term by the end of the current one, \(calendar.localDay(end))")
    }

    /// AG-8: signs the renewal applied for: the next term starts the day after the current one ends; the entity
    /// agreement's length follows the renewal rules, the Internet+ agreement's equals the entity's next term (AG-4).
    private mutating func renew(termStart: Date, termEnd: Date, at: Date, violationsInPreviousTerm: Int, entity: Agreement?,
                                calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        guard let currentEnd = self.termEnd, at <= currentEnd else {
            throw DomainError(.agreementWrongState, .conflict, rule: .ag8, pointer: "/state",
                              "AG-8: the term has ended; the institution applies anew", expected: "≤ term end", actual: calendar.localTimestamp(at))
        }
        let follows = Agreement.exclusiveEnd(currentEnd, calendar: calendar)
        guard calendar.startOfLocalDay(termStart) == follows else {
            throw DomainError(.agreementTermInvalid, .invalid, rule: .ag8, pointer: "/termStart",
                              "AG-8: a renewed term follows the current one without a gap: it starts on \(calendar.localDay(follows)); got \(calendar.localDay(termStart))",
                              expected: calendar.localDay(follows), actual: calendar.localDay(termStart))
        }
        guard termEnd > termStart else {
            throw DomainError(.agreementTermInvalid, .invalid, rule: .ag8, pointer: "/termEnd", "The term must end after it starts",
                              expected: "> \(calendar.localTimestamp(termStart))", actual: calendar.localTimestamp(termEnd))
        }
        switch kind {
        case .entity:
            try Agreement.checkEntityTerm(termStart: termStart, termEnd: termEnd, isRenewal: true, violationsInPreviousTerm: violationsInPreviousTerm,
                                          calendar: calendar, policy: policy)
        case .internetPlus:
            guard let entity, let start = entity.nextTermStart, let end = entity.nextTermEnd else {
                throw DomainError(.agreementEntityRequired, .forbidden, rule: .ag4, pointer: "/entity",
                                  "AG-4: the Internet+ agreement is renewed for the entity agreement's renewed term; the entity agreement has not been renewed yet")
            }
            try Agreement.checkInternetPlusTerm(termStart: termStart, termEnd: termEnd, entityStart: start, entityEnd: end, calendar: calendar)
        }
        nextTermStart = termStart
        nextTermEnd = termEnd
        renewalAppliedAt = nil
        isRenewal = true
        let span = "\(calendar.localDay(termStart)) – \(calendar.localDay(termEnd))"
        log(at, .renewed, "term \(span)" + (kind == .entity ? " (\(violationsInPreviousTerm) violations in the term ending)" : " follows the entity agreement (AG-4)"))
    }

    /// AG-3: the refusal of a step on an application that lapsed or was deemed waived, quoting its notice.
    private func lapseRefusal(at: Date, pointer: String, calendar: WorkingCalendar) -> DomainError? {
        guard state == .lapsed || state == .waived, let event = history.last(where: { $0.action == .lapsed || $0.action == .waived }) else { return nil }
        return DomainError(.agreementDeadlinePassed, .forbidden, rule: .ag3, pointer: pointer,
                           "AG-3: it is \(calendar.localDay(at)) and the application \(state == .lapsed ? "lapsed" : "was deemed waived") on \(calendar.localDay(event.at)). \(lapseNotice ?? event.note)",
                           expected: "≤ \(calendar.localTimestamp(event.at))", actual: calendar.localTimestamp(at))
    }

    /// Writes the lapses `effectiveState(at:)` shows into `state` and `history`: a supplement
    /// not made in time (withdrawn, AG-2), an undecided application past the agency's time limit
    /// (lapsed) or unsigned past the signing period (waived, AG-3), a renewed term that began and a
    /// term that ran out (expired, AG-8).
    public mutating func settle(at: Date) {
        let calendar = WorkingCalendar()
        // AG-8: the renewed term takes over from the one that ended.
        if state == .active || state == .suspended, let end = termEnd, at > end, let start = nextTermStart, let nextEnd = nextTermEnd {
            termStart = start
            termEnd = nextEnd
            nextTermStart = nil
            nextTermEnd = nil
            log(min(start, at), .termBegan, "renewed term \(calendar.localDay(start)) – \(calendar.localDay(nextEnd)) (AG-8)")
        }
        let current = effectiveState(at: at)
        guard current != state else { return }
        switch current {
        case .lapsed, .waived:
            guard let lapse = lapse(at: at) else { return }
            state = current
            lapseNotice = lapse.notice
            log(lapse.at, current == .lapsed ? .lapsed : .waived, lapse.notice)
        case .withdrawn:
            let when = supplementDeadline ?? at
            state = .withdrawn
            log(when, .withdrawn, "materials not supplemented by \(calendar.localDay(when)) (AG-2)")
        case .expired:
            let when = termEnd ?? at
            state = .expired
            terminationTrigger = .termExpired
            log(when, .expired, "term ended \(calendar.localTimestamp(when))")
        default:
            break
        }
    }

    /// Appends a note to the history (e.g. a violation recorded against this term, AG-8).
    public mutating func record(_ action: AgreementAction, at: Date, note: String = "") {
        log(at, action, note)
    }

    // MARK: - Private

    private mutating func startEvaluation(at: Date, calendar: WorkingCalendar, policy: AgreementPolicy) {
        acceptedAt = at
        evaluationDeadline = calendar.endOfLocalDay(calendar.adding(months: policy.evaluationMonths, to: at))
        negotiationDeadline = calendar.deadline(workingDays: policy.negotiationWorkingDays, after: at)
        state = .evaluating
    }

    private mutating func log(_ at: Date, _ action: AgreementAction, _ note: String = "") {
        history.append(AgreementEvent(at: at, action: action, note: note))
    }

    /// Transitions happen in time order: none before the last recorded event.
    private func requireOrder(_ at: Date, rule: Rule, calendar: WorkingCalendar) throws {
        guard let last = history.last?.at, at < last else { return }
        throw DomainError(.agreementTimeOrder, .invalid, rule: rule, pointer: "/at",
                          "The \(kind.title) was last changed at \(calendar.localTimestamp(last)); a change cannot be dated earlier",
                          expected: "≥ \(calendar.localTimestamp(last))", actual: calendar.localTimestamp(at))
    }

    /// `stored: true` checks the stored state (for a transition that handles the lapse itself).
    private func requireState(_ allowed: [AgreementState], for action: String, at: Date, rule: Rule,
                              calendar: WorkingCalendar, stored: Bool = false) throws {
        let current = stored ? state : effectiveState(at: at)
        guard !allowed.contains(current) else { return }
        let expected = allowed.map(\.rawValue).joined(separator: " or ")
        throw DomainError(.agreementWrongState, .conflict, rule: rule, pointer: "/state",
                          "\(rule): cannot \(action): the \(kind.title) is \(current.rawValue) on \(calendar.localDay(at)); it must be \(expected)",
                          expected: expected, actual: current.rawValue)
    }

    private static func cleaned(_ items: [String]) -> [String] {
        items.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// The exclusive end of a term: the start of the day after its last local day, or `termEnd`
    /// itself when it is a local midnight.
    static func exclusiveEnd(_ termEnd: Date, calendar: WorkingCalendar) -> Date {
        let dayStart = calendar.startOfLocalDay(termEnd)
        return dayStart == termEnd ? termEnd : calendar.adding(days: 1, to: dayStart)
    }

    private static func checkEntityTerm(termStart: Date, termEnd: Date, isRenewal: Bool, violationsInPreviousTerm: Int,
                                        calendar: WorkingCalendar, policy: AgreementPolicy) throws {
        let startDay = calendar.startOfLocalDay(termStart)
        let end = exclusiveEnd(termEnd, calendar: calendar)
        let span = "\(calendar.localDay(termStart)) – \(calendar.localDay(end.addingTimeInterval(-0.001)))"
        func limit(_ years: Int) -> Date { calendar.adding(years: years, to: startDay) }
        func lastDay(_ years: Int) -> String { calendar.localDay(limit(years).addingTimeInterval(-0.001)) }

        func refuse(_ detail: String, expected: String) -> DomainError {
            DomainError(.agreementTermInvalid, .forbidden, rule: .ag8, pointer: "/termEnd", detail,
                        expected: expected, actual: span)
        }
        if !isRenewal {
            guard end <= limit(policy.firstTermMaxYears) else {
                throw refuse("AG-8: a first agreement runs for at most \(policy.firstTermMaxYears) years, so a term starting \(calendar.localDay(termStart)) ends by \(lastDay(policy.firstTermMaxYears)); got \(span)",
                             expected: "last day ≤ \(lastDay(policy.firstTermMaxYears))")
            }
        } else if violationsInPreviousTerm > 0 {
            guard end == limit(policy.afterViolationTermYears) else {
                throw refuse("AG-8: after a term with \(violationsInPreviousTerm) violation(s) that did not end the agreement, the renewal runs for \(policy.afterViolationTermYears) year(s), so a term starting \(calendar.localDay(termStart)) ends on \(lastDay(policy.afterViolationTermYears)); got \(span)",
                             expected: "last day = \(lastDay(policy.afterViolationTermYears))")
            }
        } else {
            guard end >= limit(policy.renewalMinYears), end <= limit(policy.renewalMaxYears) else {
                throw refuse("AG-8: a renewal after a clean term runs \(policy.renewalMinYears)–\(policy.renewalMaxYears) years, so a term starting \(calendar.localDay(termStart)) ends between \(lastDay(policy.renewalMinYears)) and \(lastDay(policy.renewalMaxYears)); got \(span)",
                             expected: "last day in \(lastDay(policy.renewalMinYears)) … \(lastDay(policy.renewalMaxYears))")
            }
        }
    }

    private static func checkInternetPlusTerm(termStart: Date, termEnd: Date, entity: Agreement?, at: Date,
                                              calendar: WorkingCalendar) throws {
        try checkInternetPlusTerm(termStart: termStart, termEnd: termEnd, entity: entity, at: at, calendar: calendar, matching: nil)
    }

    private static func checkInternetPlusTerm(termStart: Date, termEnd: Date, entityStart: Date, entityEnd: Date, calendar: WorkingCalendar) throws {
        try checkInternetPlusTerm(termStart: termStart, termEnd: termEnd, entity: nil, at: termStart, calendar: calendar, matching: (entityStart, entityEnd))
    }

    private static func checkInternetPlusTerm(termStart: Date, termEnd: Date, entity: Agreement?, at: Date,
                                              calendar: WorkingCalendar, matching: (Date, Date)?) throws {
        if let (entityStart, entityEnd) = matching {
            try sameTerm(termStart: termStart, termEnd: termEnd, entityStart: entityStart, entityEnd: entityEnd, calendar: calendar)
            return
        }
        guard let entity, entity.kind == .entity else {
            throw DomainError(.agreementEntityRequired, .forbidden, rule: .ag4, pointer: "/entity",
                              "AG-4: the Internet+ supplementary agreement rests on the institution's entity agreement, which was not given")
        }
        let entityState = entity.effectiveState(at: at)
        guard entityState == .active, let entityStart = entity.termStart, let entityEnd = entity.termEnd else {
            throw DomainError(.agreementEntityRequired, .forbidden, rule: .ag4, pointer: "/entity",
                              "AG-4: the Internet+ supplementary agreement rests on an active entity agreement; the entity agreement is \(entityState.rawValue) on \(calendar.localDay(at))",
                              expected: AgreementState.active.rawValue, actual: entityState.rawValue)
        }
        try sameTerm(termStart: termStart, termEnd: termEnd, entityStart: entityStart, entityEnd: entityEnd, calendar: calendar)
    }

    private static func sameTerm(termStart: Date, termEnd: Date, entityStart: Date, entityEnd: Date, calendar: WorkingCalendar) throws {
        let wanted = "\(calendar.localDay(entityStart)) – \(calendar.localDay(exclusiveEnd(entityEnd, calendar: calendar).addingTimeInterval(-0.001)))"
        let got = "\(calendar.localDay(termStart)) – \(calendar.localDay(exclusiveEnd(termEnd, calendar: calendar).addingTimeInterval(-0.001)))"
        guard wanted == got else {
            throw DomainError(.agreementTermInvalid, .forbidden, rule: .ag4, pointer: "/termEnd",
                              "AG-4: the Internet+ supplementary agreement's term equals the entity agreement's, \(wanted); got \(got)",
                              expected: wanted, actual: got)
        }
    }
}

