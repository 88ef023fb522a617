import Foundation
import YibaoCore

/// The gateway's persistence, behind a protocol so another database can stand in for the
/// embedded SQLite one. Every state change happens inside one ``write(_:)`` call, which is
/// one transaction: if the body throws, nothing it wrote remains.
public protocol GatewayStore: Sendable {
    /// Runs `body` in a read-only snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreReading) async throws -> T) async throws -> T
    /// Runs `body` in one write transaction, rolled back if it throws. Write transactions are
    /// serialised (docs/ARCHITECTURE.md, the isolation contract): a body sees every earlier commit.
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreWriting) async throws -> T) async throws -> T
    /// The engine and its migrations, applied against known (`GET /ready`); throws when the database cannot be reached.
    func readiness() async throws -> StoreReadiness
    /// The store of a sandbox's world (``SandboxRecord/storeName``), created and migrated on first
    /// use: beside this one on the same engine (SQLite: a file under `sandboxes/` next to this
    /// database; PostgreSQL: a schema of this database).
    func sandboxStore(name: String) async throws -> any GatewayStore
    /// Removes a sandbox's store and everything in it (nothing if it does not exist).
    func destroySandboxStore(name: String) async throws
    /// Commits this process made so far and the write transactions they carried (group commit at
    /// work: their ratio is the mean group size), for `/metrics`.
    func commitStatistics() async -> (commits: Int, members: Int)
}

/// What `GET /ready` reports of the store.
public struct StoreReadiness: Sendable, Hashable {
    public var engine: String
    public var applied: [String]
    public var known: [String]
    /// Every known migration is applied (and none unknown).
    public var current: Bool { Set(applied) == Set(known) }
    public init(engine: String, applied: [String], known: [String]) {
        self.engine = engine
        self.applied = applied
        self.known = known
    }
}

/// An HSE/FSI application registered for an institution: its appId, appSecret and the
/// institution's SM2 public key (raw `04‖X‖Y`, base64).
public struct AppCredential: Sendable, Codable, Hashable {
    public var appId: String
    public var appSecret: String
    public var institutionCode: String
    public var publicKey: String
    /// Where settlement callbacks go (结算结果通知地址); none when nil.
    public var callbackURL: String?
    /// Faults switched on for this institution's callback handler.
    public var callbackFaults: CallbackFaults?
    /// The dialect profile this institution speaks (docs/DIALECTS.md); nil: the gateway's default.
    public var profile: String?
    /// Alibaba CSB credentials (profile `csb`).
    public var csb: CSBCredential?
    /// Guangdong gateway credentials (profile `tif`).
    public var tif: TIFCredential?
    /// OAuth2 password-grant credentials (profiles `oauth`, `jilin-encrypted`).
    public var oauth: OAuthCredential?

    public init(appId: String, appSecret: String, institutionCode: String, publicKey: String, callbackURL: String? = nil) {
        self.appId = appId
        self.appSecret = appSecret
        self.institutionCode = institutionCode
        self.publicKey = publicKey
        self.callbackURL = callbackURL
    }
}

/// `_api_access_key` and the HMAC-SHA1 key of the CSB signature.
public struct CSBCredential: Sendable, Codable, Hashable {
    public var accessKey: String
    public var secretKey: String
    public init(accessKey: String, secretKey: String) { self.accessKey = accessKey; self.secretKey = secretKey }
}

/// `x-tif-paasid` and the token hashed into `x-tif-signature`.
public struct TIFCredential: Sendable, Codable, Hashable {
    public var paasid: String
    public var token: String
    public init(paasid: String, token: String) { self.paasid = paasid; self.token = token }
}

/// The OAuth2 client (HTTP Basic) and the HIS user of the password grant. The 16-character
/// `clientId` is also the SM4 key of profile `jilin-encrypted`.
public struct OAuthCredential: Sendable, Codable, Hashable {
    public var clientId: String
    public var clientSecret: String
    public var username: String
    public var password: String
    public var scope: String?
    public init(clientId: String, clientSecret: String, username: String, password: String, scope: String?) {
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.username = username
        self.password = password
        self.scope = scope
    }
}

/// An OAuth2 access token the platform issued (only its SM3 digest is stored).
public struct AccessTokenRecord: Sendable, Hashable {
    public var digest: String
    public var institutionCode: String
    public var issuedAt: Date
    public var expiresAt: Date
    public init(digest: String, institutionCode: String, issuedAt: Date, expiresAt: Date) {
        self.digest = digest
        self.institutionCode = institutionCode
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}

/// A 9001 sign-in: the `sign_no` an institution's operator must send on later FSI requests.
public struct SignIn: Sendable, Codable, Hashable {
    public var signNo: String
    public var institutionCode: String
    public var operatorNo: String
    public var signedInAt: Date
    /// 9002 sign-out: the `sign_no` stops working from this moment.
    public var signedOutAt: Date?

    public init(signNo: String, institutionCode: String, operatorNo: String, signedInAt: Date) {
        self.signNo = signNo
        self.institutionCode = institutionCode
        self.operatorNo = operatorNo
        self.signedInAt = signedInAt
    }
}

/// Reads inside a snapshot or a write transaction.
public protocol StoreReading: Sendable {
    func person(psnNo: String) async throws -> InsuredPerson?
    func person(certno: String) async throws -> InsuredPerson?
    func person(socialSecurityCardNo: String) async throws -> InsuredPerson?
    func persons() async throws -> [InsuredPerson]
    func institution(code: String) async throws -> Institution?
    func institutions() async throws -> [Institution]
    func app(appId: String) async throws -> AppCredential?
    func app(institutionCode: String) async throws -> AppCredential?
    func practitioner(code: String) async throws -> Practitioner?
    func practitioners(institutionCode: String) async throws -> [Practitioner]
    func offlineVisits(psnNo: String) async throws -> [OfflineVisit]
    func qrCode(_ code: String) async throws -> VoucherQRCode?
    func ecToken(_ token: String) async throws -> ECToken?
    func walletAuthorisation(authCode: String) async throws -> WalletAuthorisation?
    func walletAuthorisation(payAuthNo: String) async throws -> WalletAuthorisation?
    func registration(mdtrtId: String) async throws -> Registration?
    func signIn(signNo: String) async throws -> SignIn?
    func prescription(hiRxno: String) async throws -> PrescriptionRecord?
    func prescription(rxTraceCode: String) async throws -> PrescriptionRecord?
    func prescription(institutionCode: String, hospRxno: String) async throws -> PrescriptionRecord?
    func paymentOrder(payOrdId: String) async throws -> PaymentOrder?
    /// The order of `institutionCode` with 医院订单号 `medOrgOrd` or 收费批次号 `chrgBchno` (6201's idempotency keys).
    func paymentOrder(institutionCode: String, medOrgOrd: String) async throws -> PaymentOrder?
    func paymentOrder(institutionCode: String, chrgBchno: String) async throws -> PaymentOrder?
    /// The order holding refund `appRefdSn` of `institutionCode` (6203's idempotency key).
    func paymentOrder(institutionCode: String, appRefdSn: String) async throws -> PaymentOrder?
    /// What a person has used this year: deductible and fund payments, in fen.
    func personYear(psnNo: String, year: Int) async throws -> (deductibleUsedFen: Int64, fundPaidFen: Int64)
    func callback(id: String) async throws -> Callback?
    func filings(psnNo: String) async throws -> [CrossRegionFiling]
    /// Every payment order, or an institution's (reconciliation, statistics).
    func paymentOrders(institutionCode: String?) async throws -> [PaymentOrder]
    /// Every FSI outpatient settlement, or an institution's.
    func outpatientSettlements(institutionCode: String?) async throws -> [OutpatientSettlement]
    /// `institutionCode`'s settlements with a settlement time in [`from`, `to`), oldest first: FSI 2207 not
    /// cancelled, paid mobile orders net of refunds (3201, reconciliation; an indexed range, no scan).
    func settlementEntries(institutionCode: String, from: Date, to: Date) async throws -> [SettlementEntry]
    /// Settled volume and fees (net of refunds) and fees by charge type (SV-4), as SQL aggregates.
    func settlementStatistics() async throws -> SettlementStatistics
    /// A person's payment orders, oldest first (by an index: request paths never scan every order).
    func paymentOrders(psnNo: String) async throws -> [PaymentOrder]
    /// A person's FSI outpatient settlements, oldest first (by an index).
    func outpatientSettlements(psnNo: String) async throws -> [OutpatientSettlement]
    func filing(id: String) async throws -> CrossRegionFiling?
    /// Fee details of a visit (every status), in upload order.
    func feeDetails(mdtrtId: String) async throws -> [FeeDetail]
    func outpatientSettlement(setlId: String) async throws -> OutpatientSettlement?
    /// The settlement of a visit's charge batch, if any (2207's idempotency key).
    func outpatientSettlement(mdtrtId: String, chrgBchno: String) async throws -> OutpatientSettlement?
    /// Callbacks, newest first; `institutionCode` nil for all.
    func callbacks(institutionCode: String?, limit: Int) async throws -> [Callback]
    /// Pending callbacks due at `now`, oldest first.
    func dueCallbacks(at now: Date, limit: Int) async throws -> [Callback]
    /// Pending callbacks due at `now`, oldest first, at most `perInstitution` of each institution and
    /// none of `excluding` (institutions a worker is serving already).
    func dueCallbacks(at now: Date, perInstitution: Int, excluding: Set<String>) async throws -> [Callback]
    /// A setting stored with the data (e.g. whether the demo fixture was loaded).
    func setting(_ key: String) async throws -> String?
    /// Trace entries with `seq >= from`, in order, at most `limit`.
    func traceEntries(from: Int64, limit: Int) async throws -> [TraceEntry]
    /// The last trace entry, if any.
    func traceHead() async throws -> TraceEntry?
    /// The passive conformance log of an institution, oldest first.
    func conformanceChecks(institutionCode: String) async throws -> [ConformanceCheckRecord]
    /// How many records the passive log keeps of an institution.
    func conformanceCheckCount(institutionCode: String) async throws -> Int
    /// Refusals of unauthenticated requests, counted per kind and code (outside the trace).
    func unauthenticatedRefusals() async throws -> [UnauthenticatedRefusalCount]
    /// The answer kept for an idempotent single-use exchange (`scope`, `key`), if any and not expired at `now`.
    func keptAnswer(scope: String, key: String, at now: Date) async throws -> String?
    /// Every registered app credential.
    func apps() async throws -> [AppCredential]
    /// The access token with this SM3 digest, if issued.
    func accessToken(digest: String) async throws -> AccessTokenRecord?
    /// The committed FSI message `msgid` of `institutionCode`, if any.
    func fsiMessage(institutionCode: String, msgid: String) async throws -> FSIMessage?
    /// `institutionCode`'s committed FSI messages of transaction `infno` about `subject`, oldest first (by an index).
    func fsiMessages(institutionCode: String, infno: String, subject: String) async throws -> [FSIMessage]
    /// A person's visits (2201), oldest first (by an index).
    func registrations(psnNo: String) async throws -> [Registration]
    /// A person's e-prescriptions, oldest first (by an index).
    func prescriptions(psnNo: String) async throws -> [PrescriptionRecord]
    /// The e-prescriptions an institution issued, newest first, at most `limit` (the web console).
    func prescriptions(institutionCode: String, limit: Int) async throws -> [PrescriptionRecord]
    /// A person's chronic/special-disease filings (2503), oldest first.
    func chronicFilings(psnNo: String) async throws -> [ChronicFiling]
    func chronicFiling(trtDclaDetlSn: String) async throws -> ChronicFiling?
    /// Callbacks by state — `pending`, `retrying` (pending after a failed attempt), `delivered`, `abandoned` — for the metrics.
    func callbackCounts() async throws -> [String: Int]
    /// A file of 9101/3202 by its `file_qury_no`.
    func file(fileQuryNo: String) async throws -> StoredFile?
    /// An institution's mapping of its own item `fixmedinsHilistId` (3301), if any.
    func catalogueMapping(institutionCode: String, fixmedinsHilistId: String) async throws -> CatalogueMapping?
    /// An institution's mappings, by its own code (1317).
    func catalogueMappings(institutionCode: String) async throws -> [CatalogueMapping]
    /// The sandboxes, oldest first.
    func sandboxes() async throws -> [SandboxRecord]
    func sandbox(id: String) async throws -> SandboxRecord?
}

/// How often requests that never proved who sent them were refused for one reason: counted,
/// with the latest occurrence, instead of one append-only trace entry each.
public struct UnauthenticatedRefusalCount: Sendable, Hashable, Codable {
    /// What was asked, e.g. `fsi.1101`, `hse.ec.query` (`fsi.?` for an unknown transaction).
    public var kind: String
    public var code: String
    public var count: Int64
    public var firstAt: Date
    public var lastAt: Date
    public var lastPointer: String
    /// The address of the latest sender.
    public var lastSource: String

    public init(kind: String, code: String, count: Int64, firstAt: Date, lastAt: Date, lastPointer: String, lastSource: String) {
        self.kind = kind
        self.code = code
        self.count = count
        self.firstAt = firstAt
        self.lastAt = lastAt
        self.lastPointer = lastPointer
        self.lastSource = lastSource
    }
}

/// Writes inside one transaction.
public protocol StoreWriting: StoreReading {
    func save(_ person: InsuredPerson) async throws
    func save(_ institution: Institution) async throws
    func save(_ app: AppCredential) async throws
    func save(_ practitioner: Practitioner) async throws
    func add(_ visit: OfflineVisit) async throws
    func save(_ qrCode: VoucherQRCode) async throws
    func save(_ token: ECToken) async throws
    func save(_ authorisation: WalletAuthorisation) async throws
    func save(_ registration: Registration) async throws
    func save(_ signIn: SignIn) async throws
    func save(_ prescription: PrescriptionRecord) async throws
    func save(_ order: PaymentOrder) async throws
    func savePersonYear(psnNo: String, year: Int, deductibleUsedFen: Int64, fundPaidFen: Int64) async throws
    func save(_ callback: Callback) async throws
    func save(_ filing: CrossRegionFiling) async throws
    func save(_ detail: FeeDetail) async throws
    func save(_ settlement: OutpatientSettlement) async throws
    /// Records drug traceability codes as sold with `hiRxno` (RX-5); returns the first code
    /// already sold (with any prescription) instead, recording nothing.
    func claimTraceCodes(_ codes: [String], hiRxno: String, at: Date) async throws -> (code: String, hiRxno: String)?
    func setSetting(_ key: String, _ value: String) async throws
    /// Claims the callbacks due at `now` (chosen as ``StoreReading/dueCallbacks(at:perInstitution:excluding:)``
    /// chooses) for one delivery attempt: none of them is due again before `leaseUntil`, so another
    /// gateway process on the same database does not deliver them too. Saving the callback after the
    /// attempt sets its real next attempt; a process that dies mid-attempt leaves it to the next after the lease.
    func claimDueCallbacks(at now: Date, perInstitution: Int, excluding: Set<String>, leaseUntil: Date) async throws -> [Callback]
    /// Records a message id (FSI `msgid`, HSE `signData`) in `scope`; false if it was already
    /// recorded, i.e. the message is a replay.
    func recordNonce(scope: String, value: String, at: Date) async throws -> Bool
    /// Appends to the hash-chained trace and returns the entry with its seq and hash.
    @discardableResult
    func appendTrace(_ event: TraceEvent) async throws -> TraceEntry
    /// Appends one check to the passive conformance log (not the trace) and returns it with its id.
    @discardableResult
    func recordConformanceCheck(_ check: ConformanceCheckRecord) async throws -> ConformanceCheckRecord
    /// Retention of the passive log: deletes an institution's records beyond the latest `keepLatest`,
    /// and every institution's records older than `olderThan`; returns how many went.
    @discardableResult
    func pruneConformanceChecks(institutionCode: String, keepLatest: Int, olderThan: Date) async throws -> Int
    /// Counts one refusal of an unauthenticated request (see ``UnauthenticatedRefusalCount``).
    func countUnauthenticatedRefusal(kind: String, code: String, pointer: String, source: String, at: Date) async throws
    /// Records an issued access token (by its digest; expired ones are dropped as new ones are saved).
    func save(_ token: AccessTokenRecord) async throws
    /// Keeps the answer of an idempotent single-use exchange under (`scope`, `key`) until `expiresAt`
    /// (expired answers are dropped as new ones are kept).
    func keepAnswer(scope: String, key: String, answer: String, at: Date, expiresAt: Date) async throws
    /// Records a committed FSI message, or updates it (its reversal).
    func save(_ message: FSIMessage) async throws
    func save(_ filing: ChronicFiling) async throws
    func save(_ file: StoredFile) async throws
    func save(_ mapping: CatalogueMapping) async throws
    func save(_ sandbox: SandboxRecord) async throws
    /// Forgets a sandbox; true if it existed.
    func deleteSandbox(id: String) async throws -> Bool
}
