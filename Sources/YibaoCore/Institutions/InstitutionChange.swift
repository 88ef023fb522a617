import Foundation

/// AG-13: a change an institution reports to the agency (YZ). Its name, person in charge or licensed
/// pharmacist are reported within `changeReportDays` (15) after the change; its business address or legal
/// representative are announced at least that many days before, and the agreements then end within that
/// many days of the licence change, after which the institution applies again as a new one.
public struct InstitutionChange: Sendable, Codable, Hashable {
    public enum Item: String, Sendable, Codable, CaseIterable {
        case name, personInCharge, licensedPharmacist, address, legalRepresentative

        /// A change that ends the agreements (the licence itself changes) rather than one reported afterwards.
        public var endsAgreements: Bool { self == .address || self == .legalRepresentative }
    }

    public var item: Item
    /// The new value (a name, a person, an address).
    public var value: String
    /// The day the change takes (or took) effect.
    public var changedOn: Date
    /// The day the agency was told.
    public var reportedOn: Date
    /// The report came late (after 15 days, or fewer than 15 days ahead): recorded as a violation (AG-8).
    public var late: Bool
    /// For an address or legal-representative change: the end of the last day the agreements run.
    public var agreementsEnd: Date?

    public init(item: Item, value: String, changedOn: Date, reportedOn: Date, late: Bool, agreementsEnd: Date?) {
        self.item = item
        self.value = value
        self.changedOn = changedOn
        self.reportedOn = reportedOn
        self.late = late
        self.agreementsEnd = agreementsEnd
    }
}

extension Institution {
    /// AG-13: records a reported change. A late report is recorded as a violation of the current term (AG-8); an
    /// address or legal-representative change ends the agreements in force within `days` of the change (the
    /// Internet+ agreement's term stays the entity agreement's, AG-4). Returns the change as recorded.
    @discardableResult
    public mutating func reportChange(_ item: InstitutionChange.Item, value: String, changedOn: Date, reportedOn: Date, days: Int) throws -> InstitutionChange {
        let calendar = WorkingCalendar()
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw DomainError.missing("/value", "\"value\" (the new \(item.rawValue))") }
        let changeDay = calendar.startOfLocalDay(changedOn), reportDay = calendar.startOfLocalDay(reportedOn)
        let late: Bool
        var agreementsEnd: Date?
        if item.endsAgreements {
            // Announced at least `days` days ahead; the agreements end within `days` days of the licence change.
            late = reportDay > calendar.adding(days: -days, to: changeDay)
            agreementsEnd = calendar.adding(days: days + 1, to: changeDay).addingTimeInterval(-0.001)
            for kind in [AgreementKind.entity, .internetPlus] {
                guard var agreement = agreement(kind) else { continue }
                agreement.settle(at: reportedOn)   // a renewed term that has begun is the current one
                guard agreement.isInForce(at: reportedOn) || agreement.effectiveState(at: reportedOn) == .suspended,
                      let end = agreement.nextTermEnd ?? agreement.termEnd, let newEnd = agreementsEnd, newEnd < end else { continue }
                // The renewal (applied for or signed) goes with the term: the institution applies again as a new one.
                agreement.nextTermStart = nil
                agreement.nextTermEnd = nil
                agreement.renewalAppliedAt = nil
                agreement.termEnd = min(agreement.termEnd ?? newEnd, newEnd)
                agreement.record(.termShortened, at: reportedOn,
                                 note: "AG-13: \(item.rawValue) changes on \(calendar.localDay(changedOn)); the agreement ends on \(calendar.localDay(newEnd)) and \(code) applies again as a new institution")
                set(kind, agreement)
            }
        } else {
            late = reportDay > calendar.adding(days: days, to: changeDay)
        }
        switch item {
        case .name: name = trimmed
        case .legalRepresentative: legalRepresentative = trimmed
        case .address: address = trimmed
        case .personInCharge, .licensedPharmacist: break
        }
        if late {
            recordViolation("AG-13: the \(item.rawValue) change of \(calendar.localDay(changedOn)) was reported on \(calendar.localDay(reportedOn)), " +
                            (item.endsAgreements ? "less than \(days) days ahead" : "more than \(days) days after it"), at: reportedOn)
        }
        let change = InstitutionChange(item: item, value: trimmed, changedOn: changedOn, reportedOn: reportedOn, late: late, agreementsEnd: agreementsEnd)
        changes = (changes ?? []) + [change]
        return change
    }
}
