import Foundation
import YibaoCore

/// The gateway's persistence, behind a protocol so another database can stand in for the
/// embedded SQLite one. Every state change happens inside one ``write(_:)`` call, which is
/// one transaction: if the body throws, nothing it wrote remains.
public protocol GatewayStore: Sendable {
    /// Runs `body` in a read-only snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreReading) throws -> T) async throws -> T
    /// Runs `body` in one write transaction, rolled back if it throws.
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreWriting) throws -> T) async throws -> T
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

    public init(signNo: String, institutionCode: String, operatorNo: String, signedInAt: Date) {
        self.signNo = signNo
        self.institutionCode = institutionCode
        self.operatorNo = operatorNo
        self.signedInAt = signedInAt
    }
}

/// Reads inside a snapshot or a write transaction.
public protocol StoreReading {
    func person(psnNo: String) throws -> InsuredPerson?
    func person(certno: String) throws -> InsuredPerson?
    func person(socialSecurityCardNo: String) throws -> InsuredPerson?
    func persons() throws -> [InsuredPerson]
    func institution(code: String) throws -> Institution?
    func institutions() throws -> [Institution]
    func app(appId: String) throws -> AppCredential?
    func app(institutionCode: String) throws -> AppCredential?
    func practitioner(code: String) throws -> Practitioner?
    func practitioners(institutionCode: String) throws -> [Practitioner]
    func offlineVisits(psnNo: String) throws -> [OfflineVisit]
    func qrCode(_ code: String) throws -> VoucherQRCode?
    func ecToken(_ token: String) throws -> ECToken?
    func walletAuthorisation(authCode: String) throws -> WalletAuthorisation?
    func walletAuthorisation(payAuthNo: String) throws -> WalletAuthorisation?
    func registration(mdtrtId: String) throws -> Registration?
    func signIn(signNo: String) throws -> SignIn?
    func prescription(hiRxno: String) throws -> PrescriptionRecord?
    func prescription(rxTraceCode: String) throws -> PrescriptionRecord?
    func prescription(institutionCode: String, hospRxno: String) throws -> PrescriptionRecord?
    func paymentOrder(payOrdId: String) throws -> PaymentOrder?
    /// The order of `institutionCode` with 医院订单号 `medOrgOrd` or 收费批次号 `chrgBchno` (6201's idempotency keys).
    func paymentOrder(institutionCode: String, medOrgOrd: String) throws -> PaymentOrder?
    func paymentOrder(institutionCode: String, chrgBchno: String) throws -> PaymentOrder?
    /// The order holding refund `appRefdSn` of `institutionCode` (6203's idempotency key).
    func paymentOrder(institutionCode: String, appRefdSn: String) throws -> PaymentOrder?
    /// What a person has used this year: deductible and fund payments, in fen.
    func personYear(psnNo: String, year: Int) throws -> (deductibleUsedFen: Int64, fundPaidFen: Int64)
    func callback(id: String) throws -> Callback?
    func filings(psnNo: String) throws -> [CrossRegionFiling]
    /// Every payment order, or an institution's (reconciliation, statistics).
    func paymentOrders(institutionCode: String?) throws -> [PaymentOrder]
    /// Every FSI outpatient settlement, or an institution's.
    func outpatientSettlements(institutionCode: String?) throws -> [OutpatientSettlement]
    func filing(id: String) throws -> CrossRegionFiling?
    /// Fee details of a visit (every status), in upload order.
    func feeDetails(mdtrtId: String) throws -> [FeeDetail]
    func outpatientSettlement(setlId: String) throws -> OutpatientSettlement?
    /// The settlement of a visit's charge batch, if any (2207's idempotency key).
    func outpatientSettlement(mdtrtId: String, chrgBchno: String) throws -> OutpatientSettlement?
    /// Callbacks, newest first; `institutionCode` nil for all.
    func callbacks(institutionCode: String?, limit: Int) throws -> [Callback]
    /// Pending callbacks due at `now`, oldest first.
    func dueCallbacks(at now: Date, limit: Int) throws -> [Callback]
    /// Pending callbacks due at `now`, oldest first, at most `perInstitution` of each institution and
    /// none of `excluding` (institutions a worker is serving already).
    func dueCallbacks(at now: Date, perInstitution: Int, excluding: Set<String>) throws -> [Callback]
    /// A setting stored with the data (e.g. whether the demo fixture was loaded).
    func setting(_ key: String) throws -> String?
    /// Trace entries with `seq >= from`, in order, at most `limit`.
    func traceEntries(from: Int64, limit: Int) throws -> [TraceEntry]
    /// The last trace entry, if any.
    func traceHead() throws -> TraceEntry?
    /// The passive conformance log of an institution, oldest first.
    func conformanceChecks(institutionCode: String) throws -> [ConformanceCheckRecord]
    /// Refusals of unauthenticated requests, counted per kind and code (outside the trace).
    func unauthenticatedRefusals() throws -> [UnauthenticatedRefusalCount]
    /// The answer kept for an idempotent single-use exchange (`scope`, `key`), if any and not expired at `now`.
    func keptAnswer(scope: String, key: String, at now: Date) throws -> String?
    /// Every registered app credential.
    func apps() throws -> [AppCredential]
    /// The access token with this SM3 digest, if issued.
    func accessToken(digest: String) throws -> AccessTokenRecord?
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
    func save(_ person: InsuredPerson) throws
    func save(_ institution: Institution) throws
    func save(_ app: AppCredential) throws
    func save(_ practitioner: Practitioner) throws
    func add(_ visit: OfflineVisit) throws
    func save(_ qrCode: VoucherQRCode) throws
    func save(_ token: ECToken) throws
    func save(_ authorisation: WalletAuthorisation) throws
    func save(_ registration: Registration) throws
    func save(_ signIn: SignIn) throws
    func save(_ prescription: PrescriptionRecord) throws
    func save(_ order: PaymentOrder) throws
    func savePersonYear(psnNo: String, year: Int, deductibleUsedFen: Int64, fundPaidFen: Int64) throws
    func save(_ callback: Callback) throws
    func save(_ filing: CrossRegionFiling) throws
    func save(_ detail: FeeDetail) throws
    func save(_ settlement: OutpatientSettlement) throws
    /// Records drug traceability codes as sold with `hiRxno` (RX-5); returns the first code
    /// already sold (with any prescription) instead, recording nothing.
    func claimTraceCodes(_ codes: [String], hiRxno: String, at: Date) throws -> (code: String, hiRxno: String)?
    func setSetting(_ key: String, _ value: String) throws
    /// Records a message id (FSI `msgid`, HSE `signData`) in `scope`; false if it was already
    /// recorded, i.e. the message is a replay.
    func recordNonce(scope: String, value: String, at: Date) throws -> Bool
    /// Appends to the hash-chained trace and returns the entry with its seq and hash.
    @discardableResult
    func appendTrace(_ event: TraceEvent) throws -> TraceEntry
    /// Appends one check to the passive conformance log (not the trace) and returns it with its id.
    @discardableResult
    func recordConformanceCheck(_ check: ConformanceCheckRecord) throws -> ConformanceCheckRecord
    /// Retention of the passive log: deletes an institution's records beyond the latest `keepLatest`,
    /// and every institution's records older than `olderThan`; returns how many went.
    @discardableResult
    func pruneConformanceChecks(institutionCode: String, keepLatest: Int, olderThan: Date) throws -> Int
    /// Counts one refusal of an unauthenticated request (see ``UnauthenticatedRefusalCount``).
    func countUnauthenticatedRefusal(kind: String, code: String, pointer: String, source: String, at: Date) throws
    /// Records an issued access token (by its digest; expired ones are dropped as new ones are saved).
    func save(_ token: AccessTokenRecord) throws
    /// Keeps the answer of an idempotent single-use exchange under (`scope`, `key`) until `expiresAt`
    /// (expired answers are dropped as new ones are kept).
    func keepAnswer(scope: String, key: String, answer: String, at: Date, expiresAt: Date) throws
}
