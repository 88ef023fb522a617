/// The counts of a run by verdict: the `summary` object of `report.json` and the console's last lines.
public struct ReportSummary: Sendable, Codable, Hashable {
    public var passed: Int
    public var failed: Int
    public var skipped: Int
    public var expectedFailure: Int
    public var unexpectedPass: Int
    public var total: Int
    /// Whether the run succeeds (see ``RunReport/succeeded``): the process exits 0 only then.
    public var succeeded: Bool

    /// Counts `report`'s results.
    public init(_ report: RunReport) {
        passed = report.count(.passed)
        failed = report.count(.failed)
        skipped = report.count(.skipped)
        expectedFailure = report.count(.expectedFailure)
        unexpectedPass = report.count(.unexpectedPass)
        total = report.results.count
        succeeded = report.succeeded
    }

    /// How many results have `verdict`.
    public func count(_ verdict: Verdict) -> Int {
        switch verdict {
        case .passed: passed
        case .failed: failed
        case .skipped: skipped
        case .expectedFailure: expectedFailure
        case .unexpectedPass: unexpectedPass
        }
    }

    /// Results that fail a JUnit reader's build: real failures and unexpected passes.
    var failures: Int { failed + unexpectedPass }
}
