import Foundation
import Synchronization
import YibaoClient
import YibaoCrypto

/// Records every exchange with the target, tagged with the running case, for the HAR file and
/// for the failing cases' section of the reports.
///
/// Reports are CI artefacts, often public: bearer tokens are redacted, and unless
/// `revealPersonalData` is set, ID numbers, names, phone numbers and e-voucher tokens in the bodies
/// are masked (SV-5; ``Redaction``).
public final class ExchangeRecorder: HTTPExchangeObserver, Sendable {
    private struct State {
        var exchanges: [HTTPExchange] = []
        var currentCase = ""
        /// Names of the persons a suite plays with, masked wherever they appear in a report's sentences.
        var names: [String] = []
        /// appId → appSecret of the apps whose HSE envelopes the reports open.
        var appSecrets: [String: String] = [:]
    }
    private let state = Mutex(State())
    /// Keep personal data as sent (`--reveal-personal-data`, local debugging only).
    public let revealPersonalData: Bool

    /// Masks `names` (the suite's personas) in every sentence of the reports, unless personal data is revealed.
    public func maskNames(_ more: [String]) {
        state.withLock { $0.names = Array(Set($0.names + more.filter { !$0.isEmpty })).sorted { $0.count > $1.count } }
    }

    public init(revealPersonalData: Bool = false) {
        self.revealPersonalData = revealPersonalData
    }

    /// Lets the reports show the business data of HSE envelopes sealed for these apps (the tester's
    /// own credentials), decrypted beside the ciphertext and masked like every body.
    public func openEnvelopes(of apps: [(appId: String, appSecret: String)]) {
        state.withLock { state in for app in apps { state.appSecrets[app.appId] = app.appSecret } }
    }

    /// The decrypted business data of an HSE envelope (request or answer) for a known app, as a
    /// report may show it; nil for anything else (not an envelope, another app, not decryptable).
    func opened(_ bytes: [UInt8], appId fallback: String?) -> String? {
        opened((try? JSONValue.parse(bytes))?.objectValue, appId: fallback)
    }

    /// The same, of an envelope already parsed.
    func opened(_ envelope: JSONObject?, appId fallback: String?) -> String? {
        guard let envelope, case .string(let encData)? = envelope["encData"], !encData.isEmpty else { return nil }
        let appId = envelope["appId"]?.stringValue ?? fallback ?? ""
        guard let secret = state.withLock({ $0.appSecrets[appId] }), let cipher = try? HSEEnvelope(appId: appId, appSecret: secret),
              let plain = try? cipher.decrypt(encData), (try? JSONValue.parse(plain)) != nil else { return nil }
        return shown(plain)
    }

    /// A body as a report may show it.
    func shown(_ bytes: [UInt8]) -> String {
        guard !revealPersonalData else {
            // Personal data shown as asked; secrets (an app secret registered by a case, a password) never.
            if let value = try? JSONValue.parse(bytes) { return Redaction.maskSecrets(value).serialized() }
            let text = String(decoding: bytes, as: UTF8.self)
            return Redaction.maskForm(text) ?? text
        }
        return Self.masked(bytes)
    }

    /// `bytes` with personal members masked (when JSON) and any resident ID number in the text masked.
    static func masked(_ bytes: [UInt8]) -> String {
        if let value = try? JSONValue.parse(bytes) { return Redaction.maskIDNumbers(in: Redaction.maskPersonal(value).serialized()) }
        let text = String(decoding: bytes, as: UTF8.self)
        return Redaction.maskIDNumbers(in: Redaction.maskForm(text) ?? text)
    }

    /// A sentence of a case's result (or of a case's definition) as a report may show it.
    func shown(_ text: String) -> String {
        guard !revealPersonalData else { return text }
        var masked = Redaction.maskIDNumbers(in: text)
        for name in state.withLock({ $0.names }) where masked.contains(name) {
            masked = masked.replacingOccurrences(of: name, with: Redaction.maskName(name))
        }
        return masked
    }

    public func observe(_ exchange: ObservedExchange) {
        // Built outside the lock (masking and decrypting read the lock's state themselves); tagged inside.
        let request = (try? JSONValue.parse(exchange.requestBody))?.objectValue
        var recorded = HTTPExchange(
            caseId: "", startedAt: exchange.startedAt, durationMilliseconds: exchange.duration * 1000,
            method: exchange.method, url: revealPersonalData ? exchange.url : Redaction.maskURL(exchange.url),
            requestHeaders: exchange.requestHeaders.map { .init(name: $0.name, value: Self.redacted($0.name, $0.value)) },
            requestBody: shown(exchange.requestBody), status: exchange.status,
            responseHeaders: exchange.responseHeaders.map { .init(name: $0.name, value: $0.value) },
            responseBody: shown(exchange.responseBody), error: exchange.error,
            requestData: opened(request, appId: nil),
            responseData: opened(exchange.responseBody, appId: request?["appId"]?.stringValue))
        state.withLock { state in
            recorded.caseId = state.currentCase
            state.exchanges.append(recorded)
        }
    }

    /// Tags the following exchanges with `caseId`; returns the index the case's exchanges start at.
    func begin(_ caseId: String) -> Int {
        state.withLock {
            $0.currentCase = caseId
            return $0.exchanges.count
        }
    }

    public var count: Int { state.withLock { $0.exchanges.count } }
    public var all: [HTTPExchange] { state.withLock { $0.exchanges } }

    /// Bearer tokens never reach a report file (reports are CI artefacts, often public).
    static func redacted(_ name: String, _ value: String) -> String {
        name.lowercased() == "authorization" ? (value.split(separator: " ").first.map { "\($0) <redacted>" } ?? "<redacted>") : value
    }
}

/// A case's verdict other than "passed", thrown from a case body.
public struct CaseFailure: Error, Sendable {
    public var message: String
    public var expected: String?
    public var actual: String?
    public var diagnosis: [String]

    public init(_ message: String, expected: String? = nil, actual: String? = nil, diagnosis: [String] = []) {
        self.message = message
        self.expected = expected
        self.actual = actual
        self.diagnosis = diagnosis
    }
}

/// Thrown by a case that cannot run against this target; the reason is reported.
public struct CaseSkipped: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// One suite of cases: the implementation behind the catalogue's entries of that suite.
public protocol ConformanceSuite: AnyObject, Sendable {
    /// The catalogue's suite name.
    var name: String { get }
    /// Reads what the run needs from the target (its clock, its sign-in); a failure here fails the whole run.
    func prepare() async throws
    /// Runs one case; returns a sentence saying what passed, throws ``CaseFailure`` or ``CaseSkipped``.
    func run(_ caseId: String) async throws -> String
    /// The case ids this suite implements.
    var implemented: Set<String> { get }
    /// Cases that do not apply to this target (its dialect has no such message), with the reason:
    /// left out of the run and named on the console, neither passed nor failed.
    var notApplicable: [String: String] { get }
}

extension ConformanceSuite {
    public var notApplicable: [String: String] { [:] }
}
