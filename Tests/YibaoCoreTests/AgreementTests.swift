import Foundation
import Testing
@testable import YibaoCore

private let calendar = WorkingCalendar.china
private let policy = AgreementPolicy.standard

/// An entity agreement accepted Mon 2026-03-02 10:00 and passed Thu 2026-04-30 10:00.
/// Evaluation deadline: 2026-03-02 + 2 months → end of 2026-05-02.
/// Negotiation deadline: 60 working days → end of Thu 2026-05-28 (see WorkingCalendarTests).
/// Sign deadline: 1–5 May 劳动节; Wed 6 (1), Thu 7 (2), Fri 8 (3), Sat 9 make-up (4), Mon 11 (5) → end of 2026-05-11.
private func passedEntity() throws -> Agreement {
    var agreement = Agreement.apply(kind: .entity, at: cst("2026-03-02 09:00"))
    try agreement.accept(at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
    try agreement.evaluate(passed: true, at: cst("2026-04-30 10:00"), calendar: calendar, policy: policy)
    return agreement
}

/// A first entity agreement signed Mon 2026-05-11 for 2026-06-01 … 2028-05-31.
private func activeEntity() throws -> Agreement {
    var agreement = try passedEntity()
    try agreement.sign(termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"), at: cst("2026-05-11 15:00"),
                       calendar: calendar, policy: policy)
    return agreement
}

@Suite("Agreement — the state machine (AG-2, AG-3, AG-4, AG-8)")
struct AgreementTests {

    // MARK: AG-2

    @Test("AG-2: an application is accepted at once")
    func appliedAtOnce() {
        let agreement = Agreement.apply(kind: .internetPlus, at: cst("2026-03-02 09:00"))
        #expect(agreement.state == .applied)
        #expect(agreement.appliedAt == cst("2026-03-02 09:00"))
        #expect(agreement.history.map(\.action) == [.applied])
    }

    @Test("AG-2: the notice to supplement may go out on the 5th working day, the make-up Saturday 2026-02-14")
    func noticeOnMakeUpSaturday() throws {
        // Applied Mon 2026-02-09: Tue 10 (1), Wed 11 (2), Thu 12 (3), Fri 13 (4), Sat 14 make-up (5).
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-02-09 09:00"))
        try agreement.requestSupplement(materials: ["fire-safety certificate"], at: cst("2026-02-14 16:00"),
                                        calendar: calendar, policy: policy)
        #expect(agreement.state == .supplementRequested)
        #expect(agreement.missingMaterials == ["fire-safety certificate"])
        // Notice Sat 14 Feb: 15–23 Feb 春节; Tue 24 (1), Wed 25 (2), Thu 26 (3), Fri 27 (4), Sat 28 make-up (5).
        #expect(agreement.supplementDeadline == endOf("2026-02-28"))
    }

    @Test("AG-2: a supplement notice after 5 working days is refused")
    func lateNotice() {
        // Applied Mon 2026-02-09; the 5th working day is Sat 14 Feb; Tue 24 Feb is the 6th.
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-02-09 09:00"))
        let error = refusal(.agreementDeadlinePassed, .ag2) {
            try agreement.requestSupplement(materials: ["licence copy"], at: cst("2026-02-24 09:00"),
                                            calendar: calendar, policy: policy)
        }
        #expect(error?.detail.contains("2026-02-14") == true)
        #expect(agreement.state == .applied)
    }

    @Test("AG-2: the notice window around National Day — applied Thu 2026-09-24, last day Fri 2026-10-09")
    func noticeWindowNationalDay() throws {
        // 25–27 Sep holiday; Mon 28 (1), Tue 29 (2), Wed 30 (3); 1–7 Oct; Thu 8 (4), Fri 9 (5).
        var late = Agreement.apply(kind: .entity, at: cst("2026-09-24 10:00"))
        // Sat 10 Oct is a make-up workday, but it is the 6th.
        refusal(.agreementDeadlinePassed, .ag2, pointer: "/supplementRequestedAt") {
            try late.requestSupplement(materials: ["floor plan"], at: cst("2026-10-10 09:00"), calendar: calendar, policy: policy)
        }
        var onTime = Agreement.apply(kind: .entity, at: cst("2026-09-24 10:00"))
        try onTime.requestSupplement(materials: ["floor plan"], at: cst("2026-10-09 17:00"), calendar: calendar, policy: policy)
        // Notice Fri 9 Oct: Sat 10 make-up (1), Mon 12 (2), Tue 13 (3), Wed 14 (4), Thu 15 (5).
        #expect(onTime.supplementDeadline == endOf("2026-10-15"))
    }

    @Test("AG-2: only one notice to supplement")
    func oneNoticeOnly() throws {
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-03-02 09:00"))
        try agreement.requestSupplement(materials: ["licence copy"], at: cst("2026-03-03 09:00"), calendar: calendar, policy: policy)
        refusal(.agreementSupplementAlreadyRequested, .ag2) {
            try agreement.requestSupplement(materials: ["staff list"], at: cst("2026-03-04 09:00"), calendar: calendar, policy: policy)
        }
        try agreement.supplement(at: cst("2026-03-05 09:00"), calendar: calendar, policy: policy)
        refusal(.agreementSupplementAlreadyRequested, .ag2) {
            try agreement.requestSupplement(materials: ["staff list"], at: cst("2026-03-06 09:00"), calendar: calendar, policy: policy)
        }
    }

    @Test("AG-2: a notice must name the missing materials")
    func noticeNamesMaterials() {
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-03-02 09:00"))
        refusal(.agreementMaterialsRequired, .ag2, pointer: "/materials") {
            try agreement.requestSupplement(materials: ["  "], at: cst("2026-03-03 09:00"), calendar: calendar, policy: policy)
        }
    }

    @Test("AG-2: materials not supplemented within 5 working days ⇒ withdrawn")
    func lateSupplementWithdraws() throws {
        // Applied Mon 2026-02-09, notice Thu 12 Feb: Fri 13 (1), Sat 14 make-up (2), 15–23 春节,
        // Tue 24 (3), Wed 25 (4), Thu 26 (5) → deadline end of 2026-02-26.
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-02-09 09:00"))
        try agreement.requestSupplement(materials: ["licence copy"], at: cst("2026-02-12 11:00"), calendar: calendar, policy: policy)
        #expect(agreement.supplementDeadline == endOf("2026-02-26"))
        // Readers see the lapse without any mutation.
        #expect(agreement.effectiveState(at: endOf("2026-02-26")) == .supplementRequested)
        #expect(agreement.effectiveState(at: cst("2026-02-27 00:00")) == .withdrawn)
        let error = refusal(.agreementDeadlinePassed, .ag2, pointer: "/supplementedAt") {
            try agreement.supplement(at: cst("2026-02-27 09:00"), calendar: calendar, policy: policy)
        }
        #expect(error?.detail.contains("2026-02-26") == true)
        #expect(agreement.state == .withdrawn)
        #expect(agreement.history.last?.action == .withdrawn)
    }

    @Test("AG-2: a lapsed supplement notice is settled as withdrawn")
    func settleWithdrawn() throws {
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-02-09 09:00"))
        try agreement.requestSupplement(materials: ["licence copy"], at: cst("2026-02-12 11:00"), calendar: calendar, policy: policy)
        agreement.settle(at: cst("2026-03-02 09:00"))
        #expect(agreement.state == .withdrawn)
        refusal(.agreementWrongState, .ag3) {
            try agreement.evaluate(passed: true, at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        }
    }

    // MARK: AG-3

    @Test("AG-3: supplement time is excluded — the two months run from the supplement, across 春节")
    func supplementTimeExcluded() throws {
        // Applied Mon 2026-02-09, notice Thu 12 Feb, supplemented Wed 25 Feb (the 4th of 5 working days).
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-02-09 09:00"))
        try agreement.requestSupplement(materials: ["licence copy"], at: cst("2026-02-12 11:00"), calendar: calendar, policy: policy)
        try agreement.supplement(at: cst("2026-02-25 14:00"), calendar: calendar, policy: policy)
        #expect(agreement.state == .evaluating)
        #expect(agreement.acceptedAt == cst("2026-02-25 14:00"))
        // 2 months after 25 Feb → 25 Apr (not 9 Apr, two months after the application).
        #expect(agreement.evaluationDeadline == endOf("2026-04-25"))
        try agreement.evaluate(passed: true, at: cst("2026-04-24 10:00"), calendar: calendar, policy: policy)
        #expect(agreement.state == .passed)
    }

    @Test("AG-3: evaluation within 2 months of acceptance; later is refused")
    func evaluationDeadline() throws {
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-03-02 09:00"))
        try agreement.accept(at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        // 2026-03-02 + 2 months = 2026-05-02 (a 劳动节 Saturday: calendar months, not working days).
        #expect(agreement.evaluationDeadline == endOf("2026-05-02"))
        // Negotiation: 60 working days → Thu 2026-05-28.
        #expect(agreement.negotiationDeadline == endOf("2026-05-28"))
        var late = agreement
        let error = refusal(.agreementDeadlinePassed, .ag3, pointer: "/evaluatedAt") {
            try late.evaluate(passed: true, at: cst("2026-05-03 09:00"), calendar: calendar, policy: policy)
        }
        #expect(error?.detail.contains("2026-05-02") == true)
        try agreement.evaluate(passed: false, reasons: ["no pharmacist on duty"], at: endOf("2026-05-02"), calendar: calendar, policy: policy)
        #expect(agreement.state == .rejected)
    }

    @Test("AG-3: a failing institution gets written reasons")
    func writtenReasons() throws {
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-03-02 09:00"))
        try agreement.accept(at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        refusal(.agreementReasonsRequired, .ag3, pointer: "/reasons") {
            try agreement.evaluate(passed: false, reasons: [], at: cst("2026-04-01 10:00"), calendar: calendar, policy: policy)
        }
        #expect(agreement.state == .evaluating)
        try agreement.evaluate(passed: false, reasons: ["HIS cannot tell Internet services apart", " "],
                               at: cst("2026-04-01 10:00"), calendar: calendar, policy: policy)
        #expect(agreement.state == .rejected)
        #expect(agreement.rejectionReasons == ["HIS cannot tell Internet services apart"])
        #expect(agreement.effectiveState(at: cst("2030-01-01")) == .rejected)
    }

    @Test("AG-3: a passing institution signs within 5 working days (劳动节 and the make-up Saturday 9 May)")
    func signDeadline() throws {
        var agreement = try passedEntity()
        // Passed Thu 30 Apr: 1–5 May holiday; Wed 6 (1), Thu 7 (2), Fri 8 (3), Sat 9 make-up (4), Mon 11 (5).
        #expect(agreement.signDeadline == endOf("2026-05-11"))
        var late = agreement
        let error = refusal(.agreementDeadlinePassed, .ag3, pointer: "/signedAt") {
            try late.sign(termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"), at: cst("2026-05-12 09:00"),
                          calendar: calendar, policy: policy)
        }
        #expect(error?.detail.contains("2026-05-11") == true)
        // YZ: not signed in time by the institution ⇒ deemed to have waived the agreement, with a notice.
        #expect(late.state == .waived)
        #expect(late.lapseNotice?.contains("deemed to have waived") == true)
        #expect(late.history.last?.action == .waived && late.history.last?.at == endOf("2026-05-11"))
        try agreement.sign(termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"), at: cst("2026-05-11 17:30"),
                           calendar: calendar, policy: policy)
        #expect(agreement.state == .active)
        #expect(agreement.signedAt == cst("2026-05-11 17:30"))
    }

    @Test("AG-3: negotiation ends 60 working days after acceptance even inside the signing period")
    func negotiationDeadline() throws {
        // With the standard 2 months the evaluation always ends well inside 60 working days; a
        // profile allowing 3 months lets the negotiation limit bite.
        var generous = policy
        generous.evaluationMonths = 3
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-03-02 09:00"))
        try agreement.accept(at: cst("2026-03-02 10:00"), calendar: calendar, policy: generous)
        #expect(agreement.evaluationDeadline == endOf("2026-06-02"))
        #expect(agreement.negotiationDeadline == endOf("2026-05-28"))
        // Passed Wed 27 May: sign by Wed 3 Jun (Thu 28, Fri 29 May, Mon 1, Tue 2, Wed 3 Jun) …
        try agreement.evaluate(passed: true, at: cst("2026-05-27 10:00"), calendar: calendar, policy: generous)
        #expect(agreement.signDeadline == endOf("2026-06-03"))
        // … but negotiation ended Thu 28 May.
        let error = refusal(.agreementDeadlinePassed, .ag3, pointer: "/signedAt") {
            try agreement.sign(termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"), at: cst("2026-05-29 09:00"),
                               calendar: calendar, policy: generous)
        }
        #expect(error?.detail.contains("negotiation") == true)
        #expect(error?.detail.contains("2026-05-28") == true)
        // The agency's limit ran out first: the application lapsed (not waived) and may be made again at once.
        #expect(agreement.state == .lapsed)
        #expect(agreement.effectiveState(at: cst("2026-05-29 09:00")) == .lapsed)
    }

    @Test("AG-3: transitions from the wrong state are refused with AGREEMENT_WRONG_STATE")
    func wrongState() throws {
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-03-02 09:00"))
        refusal(.agreementWrongState, .ag3, pointer: "/state") {
            try agreement.sign(termStart: cst("2026-06-01"), termEnd: endOf("2027-05-31"), at: cst("2026-03-02 10:00"),
                               calendar: calendar, policy: policy)
        }
        refusal(.agreementWrongState, .ag3) {
            try agreement.evaluate(passed: true, at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        }
        refusal(.agreementWrongState, .ag2) {
            try agreement.supplement(at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        }
        try agreement.accept(at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        let error = refusal(.agreementWrongState, .ag2) {
            try agreement.accept(at: cst("2026-03-02 11:00"), calendar: calendar, policy: policy)
        }
        #expect(error?.actual == "evaluating")
        refusal(.agreementWrongState, .ag9) { try agreement.suspend(reason: "audit", at: cst("2026-03-03 10:00")) }
        refusal(.agreementWrongState, .ag5) { try agreement.resume(at: cst("2026-03-03 10:00")) }
    }

    @Test("Transitions are dated in order")
    func timeOrder() throws {
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-03-02 09:00"))
        refusal(.agreementTimeOrder, .ag2) {
            try agreement.accept(at: cst("2026-03-01 09:00"), calendar: calendar, policy: policy)
        }
    }

    // MARK: AG-8

    @Test("AG-8: a first agreement runs at most 2 years")
    func firstTerm() throws {
        var twoYears = try passedEntity()
        let end = Agreement.termEnd(startingAt: cst("2026-06-01"), years: 2, calendar: calendar)
        #expect(end == endOf("2028-05-31"))
        try twoYears.sign(termStart: cst("2026-06-01"), termEnd: end, at: cst("2026-05-08 10:00"), calendar: calendar, policy: policy)
        #expect(twoYears.state == .active)

        // A local midnight reads as the exclusive end: 2026-06-01 00:00 … 2028-06-01 00:00 is 2 years.
        var midnight = try passedEntity()
        try midnight.sign(termStart: cst("2026-06-01"), termEnd: cst("2028-06-01"), at: cst("2026-05-08 10:00"), calendar: calendar, policy: policy)

        var tooLong = try passedEntity()
        let error = refusal(.agreementTermInvalid, .ag8, pointer: "/termEnd") {
            try tooLong.sign(termStart: cst("2026-06-01"), termEnd: endOf("2028-06-01"), at: cst("2026-05-08 10:00"),
                             calendar: calendar, policy: policy)
        }
        #expect(error?.detail.contains("2028-05-31") == true)
        #expect(tooLong.state == .passed)
    }

    @Test("AG-8: a clean renewal runs 3 to 5 years", arguments: [(2, false), (3, true), (4, true), (5, true), (6, false)])
    func cleanRenewal(years: Int, allowed: Bool) throws {
        var agreement = try passedEntity()
        let end = Agreement.termEnd(startingAt: cst("2026-06-01"), years: years, calendar: calendar)
        let sign = {
            try agreement.sign(termStart: cst("2026-06-01"), termEnd: end, at: cst("2026-05-08 10:00"),
                               isRenewal: true, violationsInPreviousTerm: 0, calendar: calendar, policy: policy)
        }
        if allowed {
            try sign()
            #expect(agreement.isRenewal)
        } else {
            refusal(.agreementTermInvalid, .ag8) { try sign() }
        }
    }

    @Test("AG-8: a renewal after violations runs 1 year", arguments: [(6, false), (12, true), (24, false), (36, false)])
    func renewalAfterViolations(months: Int, allowed: Bool) throws {
        var agreement = try passedEntity()
        let end = calendar.adding(months: months, to: cst("2026-06-01")).addingTimeInterval(-0.001)
        let sign = {
            try agreement.sign(termStart: cst("2026-06-01"), termEnd: end, at: cst("2026-05-08 10:00"),
                               isRenewal: true, violationsInPreviousTerm: 2, calendar: calendar, policy: policy)
        }
        if allowed {
            try sign()
            #expect(agreement.termEnd == endOf("2027-05-31"))
        } else {
            let error = refusal(.agreementTermInvalid, .ag8) { try sign() }
            #expect(error?.detail.contains("2027-05-31") == true)
        }
    }

    @Test("AG-8: a term that ends before it starts is invalid")
    func backwardsTerm() throws {
        var agreement = try passedEntity()
        refusal(.agreementTermInvalid, .ag8, pointer: "/termEnd") {
            try agreement.sign(termStart: cst("2026-06-01"), termEnd: cst("2026-05-01"), at: cst("2026-05-08 10:00"),
                               calendar: calendar, policy: policy)
        }
    }

    @Test("AG-8: an active agreement past its term is expired to readers and settles as expired")
    func expiry() throws {
        var agreement = try activeEntity()
        #expect(agreement.effectiveState(at: endOf("2028-05-31")) == .active)
        #expect(agreement.isInForce(at: endOf("2028-05-31")))
        #expect(agreement.effectiveState(at: cst("2028-06-01")) == .expired)
        #expect(!agreement.isInForce(at: cst("2028-06-01")))
        // Signed 11 May, in force from 1 June.
        #expect(!agreement.isInForce(at: cst("2026-05-20")))
        #expect(agreement.isInForce(at: cst("2026-06-01")))
        agreement.settle(at: cst("2028-06-02"))
        #expect(agreement.state == .expired)
        #expect(agreement.terminationTrigger == .termExpired)
        refusal(.agreementWrongState, .ag9) { try agreement.terminate(trigger: .fundFraud, at: cst("2028-06-03")) }
    }

    // MARK: AG-4

    @Test("AG-4: the Internet+ agreement's term equals the entity agreement's")
    func internetPlusTerm() throws {
        let entity = try activeEntity()
        func passedPlus() throws -> Agreement {
            var plus = Agreement.apply(kind: .internetPlus, at: cst("2026-06-02 09:00"))
            try plus.accept(at: cst("2026-06-02 10:00"), calendar: calendar, policy: policy)
            try plus.evaluate(passed: true, at: cst("2026-06-10 10:00"), calendar: calendar, policy: policy)
            return plus
        }
        var shorter = try passedPlus()
        let error = refusal(.agreementTermInvalid, .ag4, pointer: "/termEnd") {
            try shorter.sign(termStart: cst("2026-06-01"), termEnd: endOf("2027-05-31"), at: cst("2026-06-12 10:00"),
                             entity: entity, calendar: calendar, policy: policy)
        }
        #expect(error?.expected == "2026-06-01 – 2028-05-31")
        var orphan = try passedPlus()
        refusal(.agreementEntityRequired, .ag4, pointer: "/entity") {
            try orphan.sign(termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"), at: cst("2026-06-12 10:00"),
                            calendar: calendar, policy: policy)
        }
        var suspendedEntity = entity
        try suspendedEntity.suspend(reason: "inspection", at: cst("2026-06-11 10:00"))
        var onSuspended = try passedPlus()
        refusal(.agreementEntityRequired, .ag4) {
            try onSuspended.sign(termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"), at: cst("2026-06-12 10:00"),
                                 entity: suspendedEntity, calendar: calendar, policy: policy)
        }
        var plus = try passedPlus()
        try plus.sign(termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"), at: cst("2026-06-12 10:00"),
                      entity: entity, calendar: calendar, policy: policy)
        #expect(plus.state == .active)
        // In force from signing, not retroactively from the entity's term start.
        #expect(!plus.isInForce(at: cst("2026-06-05")))
        #expect(plus.isInForce(at: cst("2026-06-12 10:00")))
    }

    @Test("AG-9: suspend, resume and terminate record their instants and triggers")
    func exitTransitions() throws {
        var agreement = try activeEntity()
        try agreement.suspend(reason: "irregular claims", at: cst("2026-07-01 10:00"))
        #expect(agreement.state == .suspended)
        #expect(agreement.currentSuspension?.reason == "irregular claims")
        try agreement.resume(at: cst("2026-07-10 10:00"))
        #expect(agreement.suspensions.first?.resumedAt == cst("2026-07-10 10:00"))
        try agreement.terminate(trigger: .licenceRevoked, at: cst("2026-08-01 10:00"))
        #expect(agreement.state == .terminated)
        #expect(agreement.terminationTrigger == .licenceRevoked)
        #expect(agreement.terminatedAt == cst("2026-08-01 10:00"))
        refusal(.agreementWrongState, .ag9) { try agreement.terminate(trigger: .fundFraud, at: cst("2026-08-02 10:00")) }
        #expect(TerminationTrigger.entityTerminated.rule == .ag5)
    }

    @Test("An agreement round-trips through JSON")
    func codable() throws {
        let agreement = try activeEntity()
        let data = try JSONEncoder().encode(agreement)
        #expect(try JSONDecoder().decode(Agreement.self, from: data) == agreement)
    }
}

// MARK: - Institution

/// Tianjin Hexi hospital, all AG-6 capabilities.
private func hospital() -> Institution {
    Institution(code: "H12010300001", name: "天津市河西医院", kind: .hospital, admdvs: "120103",
                subjects: ["03", "07"], capabilities: Set(Capability.allCases))
}

/// Runs an application of `kind` through acceptance and a passing evaluation.
private func pass(_ kind: AgreementKind, of institution: inout Institution, appliedOn day: String, passedOn passDay: String) throws {
    try institution.apply(kind, at: cst(day + " 09:00"), policy: policy)
    try institution.accept(kind, at: cst(day + " 10:00"), calendar: calendar, policy: policy)
    try institution.evaluate(kind, passed: true, at: cst(passDay + " 10:00"), calendar: calendar, policy: policy)
}

/// Entity 2026-06-01 … 2028-05-31 (signed 11 May); Internet+ applied 2 Jun, passed Wed 10 Jun,
/// signed Fri 12 Jun (sign deadline: Thu 11, Fri 12, Mon 15, Tue 16, Wed 17 Jun).
private func signedHospital(staff: [Practitioner] = [], _ institution: Institution = hospital()) throws -> Institution {
    var institution = institution
    try pass(.entity, of: &institution, appliedOn: "2026-03-02", passedOn: "2026-04-30")
    try institution.signAgreement(.entity, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                  at: cst("2026-05-11 15:00"), staff: staff, calendar: calendar, policy: policy)
    try pass(.internetPlus, of: &institution, appliedOn: "2026-06-02", passedOn: "2026-06-10")
    #expect(institution.internetPlus?.signDeadline == endOf("2026-06-17"))
    try institution.signAgreement(.internetPlus, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                  at: cst("2026-06-12 10:00"), staff: staff, calendar: calendar, policy: policy)
    return institution
}

@Suite("Institution — agreements across both kinds (AG-1, AG-5, AG-6, AG-7, AG-9, AG-10, PR-2)")
struct InstitutionAgreementTests {

    @Test("AG-1: only an institution with a signed, active Internet+ agreement may settle")
    func authorisation() throws {
        var institution = hospital()
        let none = refusal(.institutionNotAuthorised, .ag1, pointer: "/fixmedins_code") {
            try institution.authoriseInternetPlus(at: cst("2026-03-01"))
        }
        #expect(none?.detail.contains("no Internet+ supplementary agreement") == true)

        try pass(.entity, of: &institution, appliedOn: "2026-03-02", passedOn: "2026-04-30")
        try institution.signAgreement(.entity, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                      at: cst("2026-05-11 15:00"), calendar: calendar, policy: policy)
        try pass(.internetPlus, of: &institution, appliedOn: "2026-06-02", passedOn: "2026-06-10")
        let pending = refusal(.institutionNotAuthorised, .ag1) { try institution.authoriseInternetPlus(at: cst("2026-06-11")) }
        #expect(pending?.detail.contains("passed") == true)

        try institution.signAgreement(.internetPlus, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                      at: cst("2026-06-12 10:00"), calendar: calendar, policy: policy)
        try institution.authoriseInternetPlus(at: cst("2026-06-12 10:00"))
        try institution.authoriseInternetPlus(at: endOf("2028-05-31"))
        let expired = refusal(.institutionNotAuthorised, .ag1) { try institution.authoriseInternetPlus(at: cst("2028-06-01")) }
        #expect(expired?.detail.contains("term ended") == true)
    }

    @Test("AG-1: a retail pharmacy counts as a designated institution")
    func pharmacyAuthorised() throws {
        let staff = [
            Practitioner(code: "Y120103000001", name: "王药师", role: .pharmacist, institutionCode: "P12010300007", licensed: true),
            Practitioner(code: "Y120103000002", name: "李药师", role: .pharmacist, institutionCode: "P12010300007"),
        ]
        var pharmacy = hospital()
        pharmacy.code = "P12010300007"
        pharmacy.kind = .retailPharmacy
        let signed = try signedHospital(staff: staff, pharmacy)
        try signed.authoriseInternetPlus(at: cst("2026-07-01"))
    }

    @Test("PR-2: a retail pharmacy signs either agreement only with 2 pharmacists on duty, 1 licensed, of its own; a name-only pharmacist does not count")
    func pharmacyStaffing() throws {
        var pharmacy = hospital()
        pharmacy.code = "P12010300007"
        pharmacy.kind = .retailPharmacy
        let own = Practitioner(code: "Y120103000001", name: "王药师", role: .pharmacist, institutionCode: "P12010300007", licensed: true)
        let elsewhere = Practitioner(code: "Y120104000009", name: "赵药师", role: .pharmacist, institutionCode: "P12010400002")
        var nameOnly = Practitioner(code: "Y120103000002", name: "钱药师", role: .pharmacist, institutionCode: "P12010300007")
        nameOnly.onDuty = false
        try pass(.entity, of: &pharmacy, appliedOn: "2026-03-02", passedOn: "2026-04-30")
        // Designation (YZ): the entity agreement needs the staffing too; the name-only pharmacist is not counted.
        let designation = refusal(.pharmacyStaffingInsufficient, .pr2, pointer: "/staff") {
            try pharmacy.signAgreement(.entity, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                       at: cst("2026-05-11 15:00"), staff: [own, nameOnly], calendar: calendar, policy: policy)
        }
        #expect(designation?.actual == "1 pharmacists, 1 licensed" && designation?.detail.contains("1 registered but not on duty") == true)
        var second = elsewhere
        second.institutionCode = "P12010300007"
        try pharmacy.signAgreement(.entity, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                   at: cst("2026-05-11 15:00"), staff: [own, second], calendar: calendar, policy: policy)
        try pass(.internetPlus, of: &pharmacy, appliedOn: "2026-06-02", passedOn: "2026-06-10")
        let error = refusal(.pharmacyStaffingInsufficient, .pr2, pointer: "/staff") {
            try pharmacy.signAgreement(.internetPlus, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                       at: cst("2026-06-12 10:00"), staff: [own, elsewhere], calendar: calendar, policy: policy)
        }
        #expect(error?.actual == "1 pharmacists, 1 licensed")
        #expect(pharmacy.internetPlus?.state == .passed)
        try pharmacy.signAgreement(.internetPlus, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                   at: cst("2026-06-12 10:00"), staff: [own, second], calendar: calendar, policy: policy)
        #expect(pharmacy.internetPlus?.state == .active)
    }

    @Test("PR-2: a retail pharmacy selling Chinese herbal pieces is designated only with a Chinese-medicine pharmacist on duty")
    func herbalPharmacy() throws {
        var pharmacy = hospital()
        pharmacy.code = "P12010300008"
        pharmacy.kind = .retailPharmacy
        pharmacy.sellsChineseHerbalPieces = true
        let licensed = Practitioner(code: "Y120103000011", name: "孙药师", role: .pharmacist, institutionCode: "P12010300008", licensed: true)
        var herbalist = Practitioner(code: "Y120103000012", name: "周药师", role: .pharmacist, institutionCode: "P12010300008")
        try pass(.entity, of: &pharmacy, appliedOn: "2026-03-02", passedOn: "2026-04-30")
        let error = refusal(.pharmacyStaffingInsufficient, .pr2, pointer: "/staff") {
            try pharmacy.signAgreement(.entity, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                       at: cst("2026-05-11 15:00"), staff: [licensed, herbalist], calendar: calendar, policy: policy)
        }
        #expect(error?.detail.contains("Chinese herbal pieces") == true)
        // Not on duty, a Chinese-medicine pharmacist does not count either.
        herbalist.chineseMedicine = true
        herbalist.onDuty = false
        refusal(.pharmacyStaffingInsufficient, .pr2, pointer: "/staff") {
            try pharmacy.signAgreement(.entity, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                       at: cst("2026-05-11 15:00"), staff: [licensed, herbalist], calendar: calendar, policy: policy)
        }
        herbalist.onDuty = true
        try pharmacy.signAgreement(.entity, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                   at: cst("2026-05-11 15:00"), staff: [licensed, herbalist], calendar: calendar, policy: policy)
        #expect(pharmacy.entity?.state == .active)
    }

    @Test("AG-1: the Internet+ application needs an entity agreement in force or applied for (AG-11)")
    func needsEntity() throws {
        var institution = hospital()
        let error = refusal(.institutionNoEntityAgreement, .ag1) {
            try institution.apply(.internetPlus, at: cst("2026-03-02 09:00"), policy: policy)
        }
        #expect(error?.detail.contains("AG-11") == true && error?.actual == "absent")
        #expect(institution.internetPlus == nil)
        // A rejected entity application is no ground either.
        try institution.apply(.entity, at: cst("2026-03-02 09:00"), policy: policy)
        try institution.accept(.entity, at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        try institution.evaluate(.entity, passed: false, reasons: ["no licence copy"], at: cst("2026-03-20 10:00"), calendar: calendar, policy: policy)
        refusal(.institutionNoEntityAgreement, .ag1) { try institution.apply(.internetPlus, at: cst("2026-03-23 09:00"), policy: policy) }
    }

    @Test("AG-12: no application for designation within 6 months of an administrative punishment (the setting sets the months)")
    func punishment() throws {
        var institution = hospital()
        institution.lastAdministrativePunishment = cst("2026-01-15 16:00")
        let error = refusal(.institutionRecentlyPunished, .ag12, pointer: "/lastAdministrativePunishment") {
            try institution.apply(.entity, at: cst("2026-07-14 23:59"), policy: policy)
        }
        #expect(error?.detail.contains("2026-07-15") == true)
        #expect(institution.entity == nil)
        var three = institution
        try three.apply(.entity, at: cst("2026-04-15 09:00"), policy: policy, measures: MeasureNumbers(punishmentFreeMonths: 3))
        try institution.apply(.entity, at: cst("2026-07-15 00:00"), policy: policy)
        #expect(institution.entity?.state == .applied)
    }

    @Test("AG-12: with the Yangzhou settings, the entity agreement is signed only after a week's publicity and with a written credit commitment")
    func publicityAndCommitment() throws {
        let yangzhou = MeasureNumbers(designationPublicityDays: 7, creditCommitmentRequired: true)
        var institution = hospital()
        try pass(.entity, of: &institution, appliedOn: "2026-03-02", passedOn: "2026-04-30")
        let early = refusal(.agreementPublicityPending, .ag12) {
            try institution.signAgreement(.entity, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"), at: cst("2026-05-07 09:59"),
                                          calendar: calendar, policy: policy, measures: yangzhou, creditCommitment: true)
        }
        #expect(early?.detail.contains("2026-05-07 10:00") == true)
        refusal(.agreementCreditCommitmentRequired, .ag12, pointer: "/creditCommitment") {
            try institution.signAgreement(.entity, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"), at: cst("2026-05-07 10:00"),
                                          calendar: calendar, policy: policy, measures: yangzhou)
        }
        try institution.signAgreement(.entity, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"), at: cst("2026-05-07 10:00"),
                                      calendar: calendar, policy: policy, measures: yangzhou, creditCommitment: true)
        #expect(institution.entity?.state == .active)
        // The defaults (the Tianjin measures) ask for neither.
        var tianjin = hospital()
        try pass(.entity, of: &tianjin, appliedOn: "2026-03-02", passedOn: "2026-04-30")
        try tianjin.signAgreement(.entity, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"), at: cst("2026-04-30 11:00"), calendar: calendar, policy: policy)
    }

    @Test("AG-14: the negative list binds the legal representative and major investors after false information, the name, address and legal representative after a termination; a dishonest legal representative bars")
    func negativeListLinks() throws {
        var liar = hospital()
        liar.code = "H12010300090"
        liar.legalRepresentative = "Zhou Gang"
        liar.majorInvestors = ["Investor A", "Investor B"]
        liar.address = "1 Binhai Road"
        liar.falseMaterialsFound = true
        liar.negativeListUntil = cst("2029-03-05")
        var terminated = hospital()
        terminated.code = "H12010300091"
        terminated.name = "天津市南开医院"
        terminated.legalRepresentative = "Wu Min"
        terminated.majorInvestors = ["Investor C"]
        terminated.address = "9 Nankai Street"
        terminated.negativeListUntil = cst("2029-03-05")
        let others = [liar, terminated]
        func applicant(_ edit: (inout Institution) -> Void) -> Institution {
            var institution = hospital()
            edit(&institution)
            return institution
        }
        let at = cst("2026-06-01")
        let representative = refusal(.institutionNegativeListLinked, .ag14, pointer: "/legalRepresentative") {
            try applicant { $0.legalRepresentative = "Zhou Gang" }.checkNegativeListLinks(others, at: at)
        }
        #expect(representative?.actual == "H12010300090" && representative?.detail.contains("gave false information") == true)
        refusal(.institutionNegativeListLinked, .ag14, pointer: "/majorInvestors") {
            try applicant { $0.majorInvestors = ["Investor B"] }.checkNegativeListLinks(others, at: at)
        }
        refusal(.institutionNegativeListLinked, .ag14, pointer: "/address") {
            try applicant { $0.address = "9 Nankai Street" }.checkNegativeListLinks(others, at: at)
        }
        refusal(.institutionNegativeListLinked, .ag14, pointer: "/name") {
            try applicant { $0.name = "天津市南开医院" }.checkNegativeListLinks(others, at: at)
        }
        // What the list does not bind: a terminated institution's investors, the liar's address; and nothing once it has run out.
        try applicant { $0.majorInvestors = ["Investor C"]; $0.address = "1 Binhai Road" }.checkNegativeListLinks(others, at: at)
        try applicant { $0.legalRepresentative = "Zhou Gang" }.checkNegativeListLinks(others, at: cst("2029-03-05"))
        var dishonest = applicant { $0.legalRepresentative = "Qian Yi"; $0.legalRepresentativeDishonest = true }
        refusal(.institutionDishonestyList, .ag14, pointer: "/legalRepresentative") { try dishonest.apply(.entity, at: at, policy: policy) }
    }

    @Test("AG-13: a name change reported within 15 days is recorded; later, it is a violation of the term (AG-8); an address change announced 15 days ahead ends both agreements 15 days after it")
    func changes() throws {
        var institution = try signedHospital()
        try institution.reportChange(.name, value: "天津市河西新医院", changedOn: cst("2026-07-01"), reportedOn: cst("2026-07-16 17:00"), days: 15)
        #expect(institution.name == "天津市河西新医院" && institution.violationsInCurrentTerm == 0 && institution.changes?.last?.late == false)
        let late = try institution.reportChange(.licensedPharmacist, value: "Y120103000009", changedOn: cst("2026-07-01"), reportedOn: cst("2026-07-17"), days: 15)
        #expect(late.late && institution.violationsInCurrentTerm == 1)
        #expect(institution.entity?.history.last?.action == .violationRecorded)
        // The address changes on 1 September, announced on 17 August (15 days ahead): both agreements end at the end of 16 September.
        let move = try institution.reportChange(.address, value: "8 Youyi Road", changedOn: cst("2026-09-01"), reportedOn: cst("2026-08-17"), days: 15)
        #expect(!move.late && move.agreementsEnd == endOf("2026-09-16") && institution.address == "8 Youyi Road")
        #expect(institution.entity?.termEnd == endOf("2026-09-16") && institution.internetPlus?.termEnd == endOf("2026-09-16"))
        #expect(institution.internetPlus?.history.last?.action == .termShortened)
        try institution.authoriseInternetPlus(at: cst("2026-09-16 23:00"))
        refusal(.institutionNotAuthorised, .ag1) { try institution.authoriseInternetPlus(at: cst("2026-09-17 00:00")) }
        // Announced too late (fewer than 15 days ahead): a violation too.
        var other = try signedHospital()
        let hurried = try other.reportChange(.legalRepresentative, value: "Li Hua", changedOn: cst("2026-09-01"), reportedOn: cst("2026-08-25"), days: 15)
        #expect(hurried.late && other.violationsInCurrentTerm == 1 && other.legalRepresentative == "Li Hua")
        #expect(throws: DomainError.self) { try other.reportChange(.name, value: " ", changedOn: cst("2026-09-01"), reportedOn: cst("2026-09-02"), days: 15) }
    }

    @Test("AG-11: both agreements applied for together; the Internet+ one signs only once the entity one is signed (AG-4)")
    func concurrentApplication() throws {
        var institution = hospital()
        try institution.apply(.entity, at: cst("2026-03-02 09:00"), policy: policy)
        try institution.apply(.internetPlus, at: cst("2026-03-02 09:30"), policy: policy)
        #expect(institution.internetPlus?.state == .applied)
        #expect(institution.internetPlus?.history.first?.note.contains("AG-11") == true)
        try institution.accept(.entity, at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        try institution.accept(.internetPlus, at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        try institution.evaluate(.internetPlus, passed: true, at: cst("2026-04-27 10:00"), calendar: calendar, policy: policy)
        // Passed first, but the entity agreement is not signed yet: AG-4 refuses the signature.
        refusal(.agreementEntityRequired, .ag4) {
            try institution.signAgreement(.internetPlus, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                          at: cst("2026-04-28 10:00"), calendar: calendar, policy: policy)
        }
        try institution.evaluate(.entity, passed: true, at: cst("2026-04-27 11:00"), calendar: calendar, policy: policy)
        try institution.signAgreement(.entity, termStart: cst("2026-05-01"), termEnd: endOf("2028-04-30"),
                                      at: cst("2026-04-29 10:00"), calendar: calendar, policy: policy)
        try institution.signAgreement(.internetPlus, termStart: cst("2026-05-01"), termEnd: endOf("2028-04-30"),
                                      at: cst("2026-04-30 10:00"), calendar: calendar, policy: policy)
        #expect(institution.internetPlus?.effectiveState(at: cst("2026-05-06")) == .active)
    }

    @Test("AG-11: when the entity application ends unsigned, the Internet+ one made with it is withdrawn at the same instant")
    func concurrentApplicationEnds() throws {
        var rejected = hospital()
        try rejected.apply(.entity, at: cst("2026-03-02 09:00"), policy: policy)
        try rejected.apply(.internetPlus, at: cst("2026-03-02 09:30"), policy: policy)
        try rejected.accept(.entity, at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        try rejected.evaluate(.entity, passed: false, reasons: ["no licence copy"], at: cst("2026-03-20 10:00"), calendar: calendar, policy: policy)
        #expect(rejected.internetPlus?.state == .withdrawn)
        #expect(rejected.internetPlus?.history.last?.at == cst("2026-03-20 10:00"))
        #expect(rejected.internetPlus?.history.last?.note.contains("AG-11") == true)

        var withdrawn = hospital()
        try withdrawn.apply(.entity, at: cst("2026-03-02 09:00"), policy: policy)
        try withdrawn.apply(.internetPlus, at: cst("2026-03-02 09:30"), policy: policy)
        try withdrawn.withdraw(.entity, at: cst("2026-03-03 09:00"), note: "applicant withdrew", calendar: calendar)
        #expect(withdrawn.internetPlus?.state == .withdrawn)
    }

    @Test("AG-6: the Internet+ application needs every capability; the refusal names the missing ones")
    func capabilities() throws {
        var institution = hospital()
        institution.capabilities.remove(.mobilePayment)
        institution.capabilities.remove(.followUpVerification)
        try pass(.entity, of: &institution, appliedOn: "2026-03-02", passedOn: "2026-04-30")
        try institution.signAgreement(.entity, termStart: cst("2026-06-01"), termEnd: endOf("2028-05-31"),
                                      at: cst("2026-05-11 15:00"), calendar: calendar, policy: policy)
        let error = refusal(.institutionCapabilitiesMissing, .ag6, pointer: "/capabilities") {
            try institution.apply(.internetPlus, at: cst("2026-06-02 09:00"), policy: policy)
        }
        #expect(error?.actual == "mobilePayment, followUpVerification")
        #expect(institution.missingCapabilities == [.mobilePayment, .followUpVerification])
        institution.capabilities = Set(Capability.allCases)
        try institution.apply(.internetPlus, at: cst("2026-06-02 09:00"), policy: policy)
        #expect(institution.internetPlus?.state == .applied)
    }

    @Test("AG-2: no second application while one of that kind is pending or active")
    func duplicateApplication() throws {
        var institution = hospital()
        try institution.apply(.entity, at: cst("2026-03-02 09:00"), policy: policy)
        refusal(.institutionAgreementExists, .ag2, pointer: "/kind") {
            try institution.apply(.entity, at: cst("2026-03-03 09:00"), policy: policy)
        }
        refusal(.institutionNoAgreement, .ag2) {
            try institution.accept(.internetPlus, at: cst("2026-03-03 09:00"), calendar: calendar, policy: policy)
        }
    }

    @Test("AG-2: a late supplement through the institution withdraws the application, which may be filed again")
    func institutionLateSupplement() throws {
        var institution = hospital()
        try institution.apply(.entity, at: cst("2026-02-09 09:00"), policy: policy)
        try institution.requestSupplement(.entity, materials: ["licence copy"], at: cst("2026-02-12 11:00"),
                                          calendar: calendar, policy: policy)
        refusal(.agreementDeadlinePassed, .ag2) {
            try institution.supplement(.entity, at: cst("2026-02-27 09:00"), calendar: calendar, policy: policy)
        }
        #expect(institution.entity?.state == .withdrawn)
        try institution.apply(.entity, at: cst("2026-03-02 09:00"), policy: policy)
        #expect(institution.entity?.state == .applied)
        #expect(institution.entity?.isRenewal == false)
    }

    @Test("AG-5: suspending the entity agreement suspends the Internet+ agreement at the same moment")
    func suspensionCascade() throws {
        var institution = try signedHospital()
        let moment = cst("2026-07-01 10:00")
        try institution.suspend(.entity, reason: "irregular inpatient claims", at: moment, policy: policy)
        #expect(institution.entity?.state == .suspended)
        #expect(institution.internetPlus?.state == .suspended)
        #expect(institution.internetPlus?.suspensions.last?.at == moment)
        #expect(institution.internetPlus?.suspensions.last?.cascadedFrom == .entity)
        let error = refusal(.institutionNotAuthorised, .ag5) { try institution.authoriseInternetPlus(at: cst("2026-07-02")) }
        #expect(error?.detail.contains("AG-5") == true)
        #expect(institution.publicListing(at: cst("2026-07-02")) == nil)
    }

    @Test("AG-5: resuming the entity agreement does not resume the Internet+ one (case by case)")
    func resumeIsCaseByCase() throws {
        var institution = try signedHospital()
        try institution.suspend(.entity, reason: "irregular inpatient claims", at: cst("2026-07-01 10:00"), policy: policy)
        // The Internet+ agreement cannot come back before the entity agreement.
        refusal(.institutionNoEntityAgreement, .ag5) { try institution.resume(.internetPlus, at: cst("2026-07-05 10:00")) }
        try institution.resume(.entity, at: cst("2026-07-10 10:00"))
        #expect(institution.entity?.state == .active)
        #expect(institution.internetPlus?.state == .suspended)
        refusal(.institutionNotAuthorised, .ag5) { try institution.authoriseInternetPlus(at: cst("2026-07-11")) }
        try institution.resume(.internetPlus, at: cst("2026-07-15 10:00"))
        try institution.authoriseInternetPlus(at: cst("2026-07-15 10:00"))
    }

    @Test("AG-5: suspending the Internet+ agreement leaves the entity agreement alone")
    func reverseNotAutomatic() throws {
        var institution = try signedHospital()
        try institution.suspend(.internetPlus, reason: "unverified follow-up patients", at: cst("2026-07-01 10:00"), policy: policy)
        #expect(institution.internetPlus?.state == .suspended)
        #expect(institution.entity?.state == .active)
    }

    @Test("AG-5: terminating the entity agreement terminates the Internet+ agreement at the same moment")
    func terminationCascade() throws {
        var institution = try signedHospital()
        let moment = cst("2026-08-03 10:00")
        try institution.terminate(.entity, trigger: .obstructingInspection, at: moment, policy: policy)
        #expect(institution.entity?.state == .terminated)
        #expect(institution.internetPlus?.state == .terminated)
        #expect(institution.internetPlus?.terminatedAt == moment)
        #expect(institution.internetPlus?.terminationTrigger == .entityTerminated)
        let error = refusal(.institutionNotAuthorised, .ag5) { try institution.authoriseInternetPlus(at: moment) }
        #expect(error?.detail.contains("AG-5") == true)
    }

    @Test("AG-7: a terminated agreement bars applications for 3 years")
    func negativeListAfterTermination() throws {
        var institution = try signedHospital()
        try institution.terminate(.entity, trigger: .fundFraud, at: cst("2026-08-03 10:00"), policy: policy)
        #expect(institution.negativeListUntil == cst("2029-08-03 10:00"))
        let error = refusal(.institutionNegativeList, .ag7, pointer: "/fixmedins_code") {
            try institution.apply(.entity, at: cst("2029-08-03 09:59"), policy: policy)
        }
        #expect(error?.detail.contains("2029-08-03") == true)
        try institution.apply(.entity, at: cst("2029-08-03 10:00"), policy: policy)
        #expect(institution.entity?.state == .applied)
        #expect(institution.entity?.isRenewal == false)
    }

    @Test("AG-7: false materials bar applications for 3 years")
    func negativeListAfterFalseMaterials() throws {
        var institution = hospital()
        try institution.apply(.entity, at: cst("2026-03-02 09:00"), policy: policy)
        try institution.terminate(.entity, trigger: .falseInformation, at: cst("2026-03-20 10:00"), policy: policy)
        #expect(institution.falseMaterialsFound)
        #expect(institution.entity?.state == .terminated)
        let error = refusal(.institutionNegativeList, .ag7) {
            try institution.apply(.entity, at: cst("2027-03-20 10:00"), policy: policy)
        }
        #expect(error?.detail.contains("false materials") == true)
    }

    @Test("AG-7: an institution on the dishonesty list is not accepted")
    func dishonestyList() {
        var institution = hospital()
        institution.onDishonestyList = true
        refusal(.institutionDishonestyList, .ag7) {
            try institution.apply(.entity, at: cst("2026-03-02 09:00"), policy: policy)
        }
        #expect(institution.entity == nil)
    }

    @Test("AG-9: 'not rectified in time' ends only a suspended agreement; 'another serious breach' needs the breach named")
    func otherTriggers() throws {
        var institution = try signedHospital()
        let active = refusal(.agreementWrongState, .ag9, pointer: "/trigger") {
            try institution.terminate(.entity, trigger: .notRectified, at: cst("2026-08-03 10:00"), policy: policy)
        }
        #expect(active?.actual == "active" && institution.entity?.state == .active)
        #expect(throws: DomainError.self) { try institution.terminate(.entity, trigger: .seriousBreach, at: cst("2026-08-03 10:00"), policy: policy, note: " ") }
        try institution.suspend(.entity, reason: "rectify the records by 31 August", at: cst("2026-08-03 10:00"), policy: policy)
        try institution.terminate(.entity, trigger: .notRectified, at: cst("2026-09-01 10:00"), policy: policy)
        #expect(institution.entity?.terminationTrigger == .notRectified && institution.internetPlus?.state == .terminated)
        var other = try signedHospital()
        try other.terminate(.entity, trigger: .seriousBreach, at: cst("2026-08-03 10:00"), policy: policy, note: "billed consultations never given")
        #expect(other.entity?.terminationTrigger == .seriousBreach && other.negativeListUntil != nil)
    }

    @Test("AG-9: the third suspension within the term terminates the agreement, with the AG-5 cascade")
    func thirdSuspensionTerminates() throws {
        var institution = try signedHospital()
        try institution.suspend(.entity, reason: "first", at: cst("2026-07-01 10:00"), policy: policy)
        try institution.resume(.entity, at: cst("2026-07-02 10:00"))
        try institution.suspend(.entity, reason: "second", at: cst("2026-08-03 10:00"), policy: policy)
        try institution.resume(.entity, at: cst("2026-08-04 10:00"))
        #expect(institution.entity?.state == .active)
        try institution.suspend(.entity, reason: "third", at: cst("2026-09-01 10:00"), policy: policy)
        #expect(institution.entity?.state == .terminated)
        #expect(institution.entity?.terminationTrigger == .suspendedRepeatedly)
        #expect(institution.internetPlus?.state == .terminated)
        #expect(institution.internetPlus?.terminationTrigger == .entityTerminated)
        #expect(institution.negativeListUntil == cst("2029-09-01 10:00"))
    }

    @Test("AG-9: suspensions carried over from the entity agreement do not count against the Internet+ one")
    func cascadedSuspensionsDoNotCount() throws {
        var institution = try signedHospital()
        for (suspendOn, resumeOn) in [("2026-07-01", "2026-07-02"), ("2026-08-03", "2026-08-04")] {
            try institution.suspend(.entity, reason: "entity audit", at: cst(suspendOn + " 10:00"), policy: policy)
            try institution.resume(.entity, at: cst(resumeOn + " 10:00"))
            try institution.resume(.internetPlus, at: cst(resumeOn + " 11:00"))
        }
        try institution.suspend(.internetPlus, reason: "own audit", at: cst("2026-09-01 10:00"), policy: policy)
        #expect(institution.internetPlus?.suspensions.count == 3)
        #expect(institution.internetPlus?.state == .suspended)
    }

    @Test("AG-8: after a violation, the renewal of the entity agreement runs 1 year")
    func renewalAfterViolation() throws {
        var institution = try signedHospital()
        institution.recordViolation("over-prescription found in audit", at: cst("2027-03-01 10:00"))
        #expect(institution.violationsInCurrentTerm == 1)
        // The term ends 2028-05-31: the renewal is applied for within the 30 days before, from 2 May.
        try institution.apply(.entity, at: cst("2028-05-10 09:00"), policy: policy)
        #expect(institution.entity?.renewalAppliedAt == cst("2028-05-10 09:00"))
        refusal(.agreementTermInvalid, .ag8) {
            try institution.signAgreement(.entity, termStart: cst("2028-06-01"), termEnd: endOf("2031-05-31"),
                                          at: cst("2028-05-20 10:00"), calendar: calendar, policy: policy)
        }
        try institution.signAgreement(.entity, termStart: cst("2028-06-01"), termEnd: endOf("2029-05-31"),
                                      at: cst("2028-05-20 10:00"), calendar: calendar, policy: policy)
        #expect(institution.entity?.isRenewal == true)
        // The violation belongs to the term that is ending; the renewed term counts afresh once it begins.
        #expect(institution.violationsInCurrentTerm == 1)
        institution.settle(at: cst("2028-06-01 08:00"))
        #expect(institution.violationsInCurrentTerm == 0)
    }

    @Test("AG-10: the public listing shows only institutions whose Internet+ agreement is in force")
    func publicListing() throws {
        let institution = try signedHospital()
        #expect(institution.publicListing(at: cst("2026-06-11")) == nil)
        let listing = try #require(institution.publicListing(at: cst("2026-07-01")))
        #expect(listing.code == "H12010300001")
        #expect(listing.admdvs == "120103")
        #expect(listing.subjects == ["03", "07"])
        #expect(listing.termEnd == endOf("2028-05-31"))
        #expect(institution.publicListing(at: cst("2028-06-01")) == nil)
        #expect(hospital().publicListing(at: cst("2026-07-01")) == nil)
    }

    @Test("An institution with a malformed admdvs cannot apply")
    func admdvs() {
        var institution = hospital()
        institution.admdvs = "1201"
        refusal(.fieldInvalid, .protocolFields, pointer: "/admdvs") {
            try institution.apply(.entity, at: cst("2026-03-02 09:00"), policy: policy)
        }
    }

    @Test("An institution round-trips through JSON")
    func codable() throws {
        let institution = try signedHospital()
        let data = try JSONEncoder().encode(institution)
        #expect(try JSONDecoder().decode(Institution.self, from: data) == institution)
    }
}

@Suite("Agreement — deadlines that bind the agency, extensions and renewals (AG-3, AG-8, AG-11)")
struct AgreementLapseTests {

    @Test("AG-3: an evaluation the agency did not conclude in 2 months lapses with a notice; the institution applies again at once")
    func evaluationLapses() throws {
        var institution = hospital()
        try institution.apply(.entity, at: cst("2026-03-02 09:00"), policy: policy)
        try institution.accept(.entity, at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        #expect(institution.entity?.effectiveState(at: cst("2026-05-02 23:59")) == .evaluating)
        #expect(institution.entity?.effectiveState(at: cst("2026-05-03 00:00")) == .lapsed)
        institution.settle(at: cst("2026-05-04 09:00"))
        let entity = try #require(institution.entity)
        #expect(entity.state == .lapsed)
        #expect(entity.history.last?.action == .lapsed && entity.history.last?.at == endOf("2026-05-02"))
        #expect(entity.lapseNotice?.contains("did not conclude the evaluation") == true && entity.lapseNotice?.contains("2026-05-02") == true)
        // Never stranded: a new application is accepted the same day, not held against the institution.
        try institution.apply(.entity, at: cst("2026-05-04 10:00"), policy: policy)
        #expect(institution.entity?.state == .applied)
        #expect(institution.negativeListUntil == nil)
    }

    @Test("AG-3: an approved extension lengthens the evaluation and negotiation limits once, by at most 60 working days")
    func approvedExtension() throws {
        var agreement = Agreement.apply(kind: .entity, at: cst("2026-03-02 09:00"))
        try agreement.accept(at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        let missing = refusal(.fieldMissing, .protocolFields, pointer: "/approval") {
            try agreement.extend(workingDays: 10, approval: " ", at: cst("2026-04-20 09:00"), calendar: calendar, policy: policy)
        }
        #expect(missing != nil)
        refusal(.fieldInvalid, .ag3, pointer: "/workingDays") {
            try agreement.extend(workingDays: 61, approval: "津医保审〔2026〕7号", at: cst("2026-04-20 09:00"), calendar: calendar, policy: policy)
        }
        try agreement.extend(workingDays: 10, approval: "津医保审〔2026〕7号", at: cst("2026-04-20 09:00"), calendar: calendar, policy: policy)
        // Both limits move by 10 working days of the calendar (劳动节 and the make-up Saturday 9 May included).
        #expect(agreement.evaluationDeadline == calendar.deadline(workingDays: 10, after: endOf("2026-05-02")))
        #expect(agreement.negotiationDeadline == calendar.deadline(workingDays: 10, after: endOf("2026-05-28")))
        refusal(.agreementWrongState, .ag3, pointer: "/workingDays") {
            try agreement.extend(workingDays: 5, approval: "again", at: cst("2026-04-21 09:00"), calendar: calendar, policy: policy)
        }
        // Evaluated after the original two months, within the extension.
        try agreement.evaluate(passed: true, at: cst("2026-05-07 10:00"), calendar: calendar, policy: policy)
        #expect(agreement.state == .passed)
        #expect(agreement.history.contains { $0.action == .extended && $0.note.contains("津医保审〔2026〕7号") })
    }

    @Test("AG-11: when the entity application lapses, the Internet+ application made with it is withdrawn")
    func concurrentLapse() throws {
        var institution = hospital()
        try institution.apply(.entity, at: cst("2026-03-02 09:00"), policy: policy)
        try institution.apply(.internetPlus, at: cst("2026-03-02 09:30"), policy: policy)
        try institution.accept(.entity, at: cst("2026-03-02 10:00"), calendar: calendar, policy: policy)
        // Accepted later, the Internet+ application's own limits have not run out when the entity's do.
        try institution.accept(.internetPlus, at: cst("2026-03-20 10:30"), calendar: calendar, policy: policy)
        institution.settle(at: cst("2026-05-03 09:00"))
        #expect(institution.entity?.state == .lapsed)
        #expect(institution.internetPlus?.state == .withdrawn)
        #expect(institution.internetPlus?.history.last?.note.contains("AG-11") == true)
    }

    @Test("AG-8: a renewal is applied for within 30 days before the term ends and continues the term without a gap")
    func renewalWindow() throws {
        var institution = try signedHospital()
        // The term ends Wed 2028-05-31: the window opens 2 May.
        let early = refusal(.agreementRenewalNotDue, .ag8, pointer: "/at") {
            try institution.apply(.entity, at: cst("2028-05-01 23:00"), policy: policy)
        }
        #expect(early?.detail.contains("2028-05-02") == true)
        try institution.apply(.entity, at: cst("2028-05-02 00:00"), policy: policy)
        refusal(.institutionAgreementExists, .ag8) { try institution.apply(.entity, at: cst("2028-05-03 09:00"), policy: policy) }
        // The Internet+ renewal follows the entity's renewed term (AG-4), so the entity is renewed first.
        try institution.apply(.internetPlus, at: cst("2028-05-03 09:00"), policy: policy)
        refusal(.agreementEntityRequired, .ag4) {
            try institution.signAgreement(.internetPlus, termStart: cst("2028-06-01"), termEnd: endOf("2031-05-31"),
                                          at: cst("2028-05-04 09:00"), calendar: calendar, policy: policy)
        }
        refusal(.agreementTermInvalid, .ag8, pointer: "/termStart") {
            try institution.signAgreement(.entity, termStart: cst("2028-06-02"), termEnd: endOf("2031-06-01"),
                                          at: cst("2028-05-05 09:00"), calendar: calendar, policy: policy)
        }
        try institution.signAgreement(.entity, termStart: cst("2028-06-01"), termEnd: endOf("2031-05-31"),
                                      at: cst("2028-05-05 09:00"), calendar: calendar, policy: policy)
        try institution.signAgreement(.internetPlus, termStart: cst("2028-06-01"), termEnd: endOf("2031-05-31"),
                                      at: cst("2028-05-08 09:00"), calendar: calendar, policy: policy)
        // In force throughout: the current term, then the renewed one.
        for day in ["2028-05-31 23:00", "2028-06-01 00:00", "2030-01-01 12:00"] {
            #expect(throws: Never.self) { try institution.authoriseInternetPlus(at: cst(day)) }
        }
        #expect(institution.publicListing(at: cst("2028-07-01"))?.termStart == cst("2028-06-01"))
        #expect(institution.entity?.effectiveState(at: cst("2031-06-01 00:00")) == .expired)
        institution.settle(at: cst("2028-06-02"))
        #expect(institution.entity?.termStart == cst("2028-06-01") && institution.entity?.nextTermEnd == nil)
        #expect(institution.entity?.history.last?.action == .termBegan)
    }

    @Test("AG-13 with AG-8: a term cut short by an address change is not renewed; a renewal already signed goes with it")
    func shortenedNotRenewed() throws {
        var institution = try signedHospital()
        try institution.apply(.entity, at: cst("2028-05-02 09:00"), policy: policy)
        try institution.signAgreement(.entity, termStart: cst("2028-06-01"), termEnd: endOf("2031-05-31"),
                                      at: cst("2028-05-03 09:00"), calendar: calendar, policy: policy)
        // Announced on 4 May for 20 May: the agreements end by 4 June at the latest — here with the current term on 31 May.
        _ = try institution.reportChange(.address, value: "2 New Road", changedOn: cst("2028-05-20"), reportedOn: cst("2028-05-04"), days: 15)
        #expect(institution.entity?.nextTermEnd == nil && institution.entity?.renewalAppliedAt == nil)
        #expect(institution.entity?.effectiveState(at: cst("2028-06-01 00:00")) == .expired)
        // Still active until then, but not renewable: a new application waits for the end.
        refusal(.institutionAgreementExists, .ag2) { try institution.apply(.entity, at: cst("2028-05-05 09:00"), policy: policy) }
        try institution.apply(.entity, at: cst("2028-06-02 09:00"), policy: policy)
        #expect(institution.entity?.state == .applied && institution.entity?.isRenewal == false)
    }

    @Test("AG-8: once the term has ended without a renewal, the institution applies anew and is evaluated as a first agreement")
    func afterExpiry() throws {
        var institution = try signedHospital()
        try institution.apply(.entity, at: cst("2028-06-01 09:00"), policy: policy)
        #expect(institution.entity?.state == .applied)
        #expect(institution.entity?.isRenewal == false)
    }
}
