import Foundation

/// One case's outcome.
public enum Verdict: String, Sendable, Codable, CaseIterable {
    /// The target behaved as the case expects.
    case passed
    /// The target did not behave as the case expects.
    case failed
    /// The case could not run against this target (e.g. it has no test clock); named in the report, never silently.
    case skipped
    /// The case failed and the baseline file lists it as an expected failure: does not fail the run.
    case expectedFailure
    /// The case passed but the baseline file lists it as an expected failure: fails the run, so stale baselines are noticed.
    case unexpectedPass

    /// Whether this verdict lets the run succeed.
    public var isSuccess: Bool { self == .passed || self == .expectedFailure }
}

/// One HTTP request and its answer, as exchanged with the target (the HAR file's entries).
public struct HTTPExchange: Sendable, Codable, Hashable {
    public struct Header: Sendable, Codable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) { self.name = name; self.value = value }
    }

    /// The case that sent it.
    public var caseId: String
    /// Wall-clock start (real time, for the HAR timings).
    public var startedAt: Date
    public var durationMilliseconds: Double
    public var method: String
    public var url: String
    public var requestHeaders: [Header]
    public var requestBody: String
    /// 0 when no answer came (connection refused, timeout); `error` then says why.
    public var status: Int
    public var responseHeaders: [Header]
    public var responseBody: String
    public var error: String?
    /// HSE: the request's business data, decrypted from its `encData` with the app's secret (masked like the body).
    public var requestData: String?
    /// HSE: the answer's business data, decrypted likewise.
    public var responseData: String?

    public init(caseId: String, startedAt: Date, durationMilliseconds: Double, method: String, url: String, requestHeaders: [Header],
                requestBody: String, status: Int, responseHeaders: [Header], responseBody: String, error: String? = nil,
                requestData: String? = nil, responseData: String? = nil) {
        self.requestData = requestData
        self.responseData = responseData
        self.caseId = caseId
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.method = method
        self.url = url
        self.requestHeaders = requestHeaders
        self.requestBody = requestBody
        self.status = status
        self.responseHeaders = responseHeaders
        self.responseBody = responseBody
        self.error = error
    }
}

/// The result of one case.
public struct CaseResult: Sendable, Codable, Hashable {
    public var definition: ConformanceCase
    public var verdict: Verdict
    /// One sentence: what happened (for a failure, what was wrong).
    public var message: String
    public var expected: String?
    public var actual: String?
    /// Further lines: the target's problem document, a signature diagnosis, the pointer of a missing field.
    public var diagnosis: [String]
    public var durationMilliseconds: Double
    /// Indices into ``RunReport/exchanges`` of the messages this case exchanged.
    public var exchangeIndices: [Int]
    /// The baseline file's reason, for expectedFailure / unexpectedPass.
    public var baselineReason: String?

    public init(definition: ConformanceCase, verdict: Verdict, message: String, expected: String? = nil, actual: String? = nil,
                diagnosis: [String] = [], durationMilliseconds: Double, exchangeIndices: [Int] = [], baselineReason: String? = nil) {
        self.definition = definition
        self.verdict = verdict
        self.message = message
        self.expected = expected
        self.actual = actual
        self.diagnosis = diagnosis
        self.durationMilliseconds = durationMilliseconds
        self.exchangeIndices = exchangeIndices
        self.baselineReason = baselineReason
    }
}

/// A whole run: what was tested, how, and every case's result and message.
public struct RunReport: Sendable, Codable, Hashable {
    public var tool: String = "yibao-gateway conformance"
    public var catalogueVersion: String
    public var profile: String
    public var suite: String
    public var target: String
    public var seed: UInt64
    /// Real time the run started, and the virtual clock's start (the target's time when it has a test clock).
    public var startedAt: Date
    public var virtualStart: Date
    public var durationMilliseconds: Double
    public var results: [CaseResult]
    public var exchanges: [HTTPExchange]

    public init(catalogueVersion: String, profile: String, suite: String, target: String, seed: UInt64, startedAt: Date, virtualStart: Date,
                durationMilliseconds: Double, results: [CaseResult], exchanges: [HTTPExchange]) {
        self.catalogueVersion = catalogueVersion
        self.profile = profile
        self.suite = suite
        self.target = target
        self.seed = seed
        self.startedAt = startedAt
        self.virtualStart = virtualStart
        self.durationMilliseconds = durationMilliseconds
        self.results = results
        self.exchanges = exchanges
    }

    /// How many results have `verdict`.
    public func count(_ verdict: Verdict) -> Int { results.filter { $0.verdict == verdict }.count }

    /// True when every case passed or failed as the baseline expects: the process exits 0 only then.
    /// Skipped cases fail the run too: a case that could not run proves nothing.
    public var succeeded: Bool { results.allSatisfy { $0.verdict.isSuccess } }
}
