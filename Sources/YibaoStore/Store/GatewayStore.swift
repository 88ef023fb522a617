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

    public init(appId: String, appSecret: String, institutionCode: String, publicKey: String) {
        self.appId = appId
        self.appSecret = appSecret
        self.institutionCode = institutionCode
        self.publicKey = publicKey
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
    /// A setting stored with the data (e.g. whether the demo fixture was loaded).
    func setting(_ key: String) throws -> String?
    /// Trace entries with `seq >= from`, in order, at most `limit`.
    func traceEntries(from: Int64, limit: Int) throws -> [TraceEntry]
    /// The last trace entry, if any.
    func traceHead() throws -> TraceEntry?
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
}
