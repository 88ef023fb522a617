import Foundation
import YibaoClient

/// Records every exchange with the target, tagged with the running case, for the HAR file and
/// for the failing cases' section of the reports.
public final class ExchangeRecorder: HTTPExchangeObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var exchanges: [HTTPExchange] = []
    private var currentCase = ""

    public init() {}

    public func observe(_ exchange: ObservedExchange) {
        lock.withLock {
            exchanges.append(HTTPExchange(
                caseId: currentCase, startedAt: exchange.startedAt, durationMilliseconds: exchange.duration * 1000,
                method: exchange.method, url: exchange.url,
                requestHeaders: exchange.requestHeaders.map { .init(name: $0.name, value: Self.redacted($0.name, $0.value)) },
                requestBody: String(decoding: exchange.requestBody, as: UTF8.self), status: exchange.status,
                responseHeaders: exchange.responseHeaders.map { .init(name: $0.name, value: $0.value) },
                responseBody: String(decoding: exchange.responseBody, as: UTF8.self), error: exchange.error))
        }
    }

    /// Tags the following exchanges with `caseId`; returns the index the case's exchanges start at.
    func begin(_ caseId: String) -> Int {
        lock.withLock {
            currentCase = caseId
            return exchanges.count
        }
    }

    public var count: Int { lock.withLock { exchanges.count } }
    public var all: [HTTPExchange] { lock.withLock { exchanges } }

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
}
