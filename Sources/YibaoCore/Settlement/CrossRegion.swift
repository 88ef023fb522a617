import Foundation

/// 异地就医备案 — a cross-region filing: the insured person declares where they are treated
/// away from their place of insurance (XR-2).
public struct CrossRegionFiling: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// 异地长期居住 — long-term residence: open-ended, changeable, cancellable.
        case longTerm
        /// 临时外出就医 — temporary: at most 12 months, any number of visits.
        case temporary
    }
    public enum Status: String, Sendable, Codable { case active, cancelled }

    public var filingId: String
    public var psnNo: String
    public var kind: Kind
    /// The place of insurance and the filed place of treatment (province-level admdvs, e.g. 110000).
    public var insuredAdmdvs: String
    public var filedAdmdvs: String
    public var start: Date
    public var end: Date?
    /// XR-3: up to 2 extra designated institutions for outpatient chronic/special diseases in the filed place.
    public var extraInstitutions: [String]
    public var status: Status
    public var cancelledAt: Date?

    /// Checks XR-2 (temporary ≤ 12 months, long-term open-ended) and XR-3 (≤ 2 extra institutions);
    /// `measures` sets both numbers (the measures' values by default).
    public init(filingId: String, psnNo: String, kind: Kind, insuredAdmdvs: String, filedAdmdvs: String, start: Date, end: Date?,
                extraInstitutions: [String] = [], measures: MeasureNumbers = .standard) throws {
        let months = measures.temporaryFilingMaxMonths, extra = measures.extraChronicInstitutions
        switch kind {
        case .temporary:
            guard let end else { throw DomainError.missing("/end", "\"end\" (a temporary filing ends within \(months) months, XR-2)") }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
            let limit = calendar.date(byAdding: .month, value: months, to: start)!
            guard end > start, end <= limit else {
                throw DomainError(.filingTooLong, .invalid, rule: .xr2, pointer: "/end",
                                  "a temporary filing lasts at most \(months) months: from \(Timestamps.day(start)) it ends by \(Timestamps.day(limit))",
                                  expected: "after \(Timestamps.day(start)), at most \(Timestamps.day(limit))", actual: Timestamps.day(end))
            }
        case .longTerm:
            if let end, end <= start { throw DomainError.invalidValue("/end", "end must be after start", rule: .xr2) }
        }
        guard extraInstitutions.count <= extra else {
            throw DomainError(.filingTooManyInstitutions, .invalid, rule: .xr3, pointer: "/extraInstitutions",
                              "at most \(extra) extra designated institutions may be filed for outpatient chronic and special diseases", expected: "≤ \(extra)",
                              actual: String(extraInstitutions.count))
        }
        guard insuredAdmdvs != filedAdmdvs else {
            throw DomainError.invalidValue("/filedAdmdvs", "a cross-region filing names a place other than the place of insurance", rule: .xr2)
        }
        self.filingId = filingId
        self.psnNo = psnNo
        self.kind = kind
        self.insuredAdmdvs = insuredAdmdvs
        self.filedAdmdvs = filedAdmdvs
        self.start = start
        self.end = end
        self.extraInstitutions = extraInstitutions
        self.status = .active
    }

    /// In force at `now` for treatment in `admdvs` (province level).
    public func covers(_ admdvs: String, at now: Date) -> Bool {
        status == .active && filedAdmdvs == admdvs && start <= now && (end.map { now <= $0 } ?? true)
    }
}

/// Where a person may settle across regions directly.
public enum CrossRegionRules {
    /// `med_type` of an outpatient chronic or special disease (门诊慢特病).
    public static let chronicDiseaseMedType = "14"

    /// XR-1 / XR-2 / XR-5: a person insured in `insured` may settle directly in `treated` at `now` when it is the
    /// same region, the filing-free pilot covers it (`pilot`, general outpatient; `insuredAdmdvs` / `treatedAdmdvs`
    /// are the full division codes when a caller has them, for a pilot of districts), or an active filing covers it; otherwise the
    /// refusal says to file first or pay and claim manual reimbursement (XR-4, PY-9). XR-3: a chronic or special
    /// disease (`medType` 14) away from home is settled directly only at the institutions the filing names
    /// (`extraInstitutions`); elsewhere the person pays and claims.
    public static func requireDirectSettlement(insured: String, treated: String, filings: [CrossRegionFiling], at now: Date, pointer: String,
                                               medType: String? = nil, institution: String? = nil, pilot: FilingFreePilot,
                                               insuredAdmdvs: String? = nil, treatedAdmdvs: String? = nil) throws -> String {
        if insured == treated { return "local" }
        let chronic = medType == chronicDiseaseMedType
        if !chronic, pilot.covers(insured: insuredAdmdvs ?? insured, treated: treatedAdmdvs ?? treated, medType: medType, at: now) { return "filing-free (XR-5)" }
        let inForce = filings.filter { $0.covers(treated, at: now) }
        // Of several filings in force, one naming the institution settles a chronic disease (XR-3).
        let naming = chronic ? institution.flatMap { code in inForce.first { $0.extraInstitutions.contains(code) } } : nil
        if let filing = naming ?? inForce.first {
            if chronic, let institution, !filing.extraInstitutions.contains(institution) {
                throw DomainError(.crossRegionInstitutionNotFiled, .forbidden, rule: .xr3, pointer: pointer,
                                  "an outpatient chronic or special disease away from home (med_type 14) is settled directly only at the designated institutions the filing \(filing.filingId) names; \(institution) is not one of them: add it to the filing (at most the policy's number), or pay and claim manual reimbursement (XR-4, PY-9)",
                                  expected: filing.extraInstitutions.isEmpty ? "an institution named by the filing (none named)" : filing.extraInstitutions.joined(separator: " | "),
                                  actual: institution)
            }
            return "filed \(filing.kind.rawValue) \(filing.filingId) (XR-2\(chronic ? ", XR-3" : ""))"
        }
        throw DomainError(.crossRegionNotFiled, .forbidden, rule: .xr2, pointer: pointer,
                          "the person is insured in \(insured) and treated in \(treated) without a cross-region filing in force: file first (XR-2), or pay now and claim manual reimbursement (XR-4, PY-9)")
    }
}
