import YibaoCore
import YibaoCrypto
import YibaoStore

/// Every FSI transaction the platform offers, one case each: a transaction added here is a
/// compile error until ``FSITransactions/run(_:store:now:)`` routes it (no `default:` runs anything).
package enum FSITransaction: String, CaseIterable, Sendable {
    case signIn = "9001"
    case signOut = "9002"
    case personInfo = "1101"
    case catalogueQuery = "1312"
    case listMatchQuery = "1316"
    case institutionMatchQuery = "1317"
    case priceLimitQuery = "1318"
    case selfPayRatioQuery = "1319"
    case dictionaryQuery = "1901"
    case benefitCheck = "2001"
    case pharmacyPreSettle = "2101"
    case pharmacySettle = "2102"
    case pharmacyCancel = "2103"
    case register = "2201"
    case cancelRegistration = "2202"
    case visitInfo = "2203"
    case uploadDetails = "2204"
    case cancelDetails = "2205"
    case preSettle = "2206"
    case settle = "2207"
    case cancelSettlement = "2208"
    case fileChronicDisease = "2503"
    case cancelChronicFiling = "2504"
    case reverse = "2601"
    case preEventAudit = "3101"
    case inEventAudit = "3102"
    case reconcile = "3201"
    case detailReconcile = "3202"
    case declare = "3203"
    case uploadMappings = "3301"
    case cancelMapping = "3302"
    case visitQuery = "5201"
    case diagnosisQuery = "5202"
    case settlementQuery = "5203"
    case feeDetailQuery = "5204"
    case chronicMedicationQuery = "5205"
    case cumulativeQuery = "5206"
    case chronicFilingQuery = "5301"
    case outpatientRecord = "4301"
    case medicalRecord = "4701"
    case fileUpload = "9101"
    case fileDownload = "9102"

    /// The transactions a 2601 may reverse: those that commit something undoable.
    package static let reversible: Set<FSITransaction> = [.register, .uploadDetails, .settle]
}

/// What an institution's dialect profile requires before 2206/2207 (docs/DIALECTS.md: `fsi.beforeSettlement`).
package struct SettlementPrerequisites: Sendable, Hashable {
    /// A passed 2001 benefit check of the person at this institution, on the visit's day or later.
    package var benefitCheck: Bool
    /// A 3101 pre-event audit of the visit without refusals.
    package var preEventAudit: Bool
    /// 2204 lines (and 6201's) name an own item code mapped by 3301 (`fsi.requireCatalogueMapping`).
    package var catalogueMapping: Bool

    package init(benefitCheck: Bool = false, preEventAudit: Bool = false, catalogueMapping: Bool = false) {
        self.benefitCheck = benefitCheck
        self.preEventAudit = preEventAudit
        self.catalogueMapping = catalogueMapping
    }
}

/// An FSI transaction as the use cases see it — which one, which message, who asks, the business
/// `input` — once the gateway has authenticated the envelope and unwrapped its dialect.
package struct FSICall: Sendable {
    package let transaction: FSITransaction
    package let msgid: String
    package let institutionCode: String
    package let input: Fields
    /// The `sign_no` the request carried (9002 signs it out).
    package let signNo: String
    package let prerequisites: SettlementPrerequisites
    /// The file part of a multipart 9101 (`jsonStr` + `file`), if the request came that way.
    package let attachment: [UInt8]?

    package init(transaction: FSITransaction, msgid: String, institutionCode: String, input: Fields, signNo: String = "",
                 prerequisites: SettlementPrerequisites = SettlementPrerequisites(), attachment: [UInt8]? = nil) {
        self.attachment = attachment
        self.transaction = transaction
        self.msgid = msgid
        self.institutionCode = institutionCode
        self.input = input
        self.signNo = signNo
        self.prerequisites = prerequisites
    }

    /// The transaction code, e.g. `2207`.
    package var infno: String { transaction.rawValue }

    /// The business members: the `data` node when the client sends one, else `input` itself — vendor
    /// code sends 2001 and 5301 flat (fengzaiqishi11/hsa-his), other clients wrap them in `data`.
    package func dataOrInput() throws -> Fields {
        if request(hasNode: "data") { return try Fields(in: input, "data") }
        return input
    }

    private func request(hasNode name: String) -> Bool {
        if case .object? = input.object[name] { return true }
        return false
    }
}

/// What a transaction produced: its output node, its trace event, and what the gateway must do
/// after the commit (the lost-answer persona closes the connection instead of answering).
package struct FSIOutcome: Sendable {
    package var output: JSONValue
    package var event: TraceEvent
    package var loseAnswer: Bool = false
    /// 9102: the file the answer is (`application/octet-stream`), instead of an FSI answer.
    package var download: StoredFile?

    package init(_ output: JSONValue, _ event: TraceEvent, loseAnswer: Bool = false, download: StoredFile? = nil) {
        self.output = output
        self.event = event
        self.loseAnswer = loseAnswer
        self.download = download
    }
}
