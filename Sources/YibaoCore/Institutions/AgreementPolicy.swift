import Foundation

/// The periods and counts of agreement management (协议管理), one section of a named policy
/// profile. Defaults follow the Tianjin "Internet+" measures and the Yangzhou agreement notice
/// (docs/RULES.md AG-2, AG-3, AG-7, AG-8, AG-9); an overall planning area (统筹区) that decides
/// otherwise changes the numbers here, never in code.
public struct AgreementPolicy: Sendable, Codable, Hashable {
    /// AG-2: the agency may send its one notice to supplement incomplete materials within this
    /// many working days of the application.
    public var supplementNoticeWorkingDays: Int
    /// AG-2: the applicant supplements within this many working days of the notice, or the
    /// application is withdrawn.
    public var supplementWorkingDays: Int
    /// AG-3: the evaluation is concluded within this many calendar months of acceptance; time
    /// spent supplementing materials is excluded (the clock starts when the supplement arrives).
    public var evaluationMonths: Int
    /// AG-3: an institution that passed the evaluation signs within this many working days.
    public var signWorkingDays: Int
    /// AG-3: negotiation (and so signing) is concluded within this many working days of acceptance.
    public var negotiationWorkingDays: Int
    /// AG-8: a first agreement runs for at most this many years.
    public var firstTermMaxYears: Int
    /// AG-8: a renewal after a clean term runs for at least this many years …
    public var renewalMinYears: Int
    /// AG-8: … and at most this many (the area chooses within, consistently for all institutions).
    public var renewalMaxYears: Int
    /// AG-8: a renewal after a term with violations that did not end the agreement runs for
    /// exactly this many years.
    public var afterViolationTermYears: Int
    /// AG-7: after a terminated agreement or false materials no application is accepted for
    /// this many years.
    public var negativeListYears: Int
    /// AG-9: this many suspensions within one term terminate the agreement.
    public var suspensionsForTermination: Int
    /// AG-8: a renewal is applied for within this many days before the term ends (YZ: 30); the
    /// agreement is then renewed directly once both sides agree, without a new evaluation.
    public var renewalWindowDays: Int
    /// AG-3: the most working days by which the administrative department may extend the time
    /// limits counted from acceptance (the evaluation and the negotiation), once, by approval.
    public var extensionMaxWorkingDays: Int

    public init(
        supplementNoticeWorkingDays: Int = 5,
        supplementWorkingDays: Int = 5,
        evaluationMonths: Int = 2,
        signWorkingDays: Int = 5,
        negotiationWorkingDays: Int = 60,
        firstTermMaxYears: Int = 2,
        renewalMinYears: Int = 3,
        renewalMaxYears: Int = 5,
        afterViolationTermYears: Int = 1,
        negativeListYears: Int = 3,
        suspensionsForTermination: Int = 3,
        renewalWindowDays: Int = 30,
        extensionMaxWorkingDays: Int = 60
    ) {
        self.supplementNoticeWorkingDays = supplementNoticeWorkingDays
        self.supplementWorkingDays = supplementWorkingDays
        self.evaluationMonths = evaluationMonths
        self.signWorkingDays = signWorkingDays
        self.negotiationWorkingDays = negotiationWorkingDays
        self.firstTermMaxYears = firstTermMaxYears
        self.renewalMinYears = renewalMinYears
        self.renewalMaxYears = renewalMaxYears
        self.afterViolationTermYears = afterViolationTermYears
        self.negativeListYears = negativeListYears
        self.suspensionsForTermination = suspensionsForTermination
        self.renewalWindowDays = renewalWindowDays
        self.extensionMaxWorkingDays = extensionMaxWorkingDays
    }

    /// Every member may be left out of a policy file: it then keeps the published value above.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let standard = AgreementPolicy()
        func value(_ key: CodingKeys, _ fallback: Int) throws -> Int { try container.decodeIfPresent(Int.self, forKey: key) ?? fallback }
        self.init(supplementNoticeWorkingDays: try value(.supplementNoticeWorkingDays, standard.supplementNoticeWorkingDays),
                  supplementWorkingDays: try value(.supplementWorkingDays, standard.supplementWorkingDays),
                  evaluationMonths: try value(.evaluationMonths, standard.evaluationMonths),
                  signWorkingDays: try value(.signWorkingDays, standard.signWorkingDays),
                  negotiationWorkingDays: try value(.negotiationWorkingDays, standard.negotiationWorkingDays),
                  firstTermMaxYears: try value(.firstTermMaxYears, standard.firstTermMaxYears),
                  renewalMinYears: try value(.renewalMinYears, standard.renewalMinYears),
                  renewalMaxYears: try value(.renewalMaxYears, standard.renewalMaxYears),
                  afterViolationTermYears: try value(.afterViolationTermYears, standard.afterViolationTermYears),
                  negativeListYears: try value(.negativeListYears, standard.negativeListYears),
                  suspensionsForTermination: try value(.suspensionsForTermination, standard.suspensionsForTermination),
                  renewalWindowDays: try value(.renewalWindowDays, standard.renewalWindowDays),
                  extensionMaxWorkingDays: try value(.extensionMaxWorkingDays, standard.extensionMaxWorkingDays))
    }

    /// The defaults above: TJ 7–9 and the Yangzhou notice as published.
    public static let standard = AgreementPolicy()
}
