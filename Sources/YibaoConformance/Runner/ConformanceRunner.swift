import Foundation
import YibaoClient

/// Runs one suite's cases in catalogue order and collects a ``RunReport``.
public struct ConformanceRunner: Sendable {
    public let catalogue: Catalogue
    public let suite: any ConformanceSuite
    public let target: String
    public let seed: UInt64
    public let baseline: Baseline
    public let recorder: ExchangeRecorder
    public let clock: VirtualClock
    /// Only these case ids (all of the suite when empty).
    public var only: Set<String> = []

    public init(catalogue: Catalogue, suite: any ConformanceSuite, target: String, seed: UInt64, baseline: Baseline = Baseline(),
                recorder: ExchangeRecorder, clock: VirtualClock) {
        self.catalogue = catalogue
        self.suite = suite
        self.target = target
        self.seed = seed
        self.baseline = baseline
        self.recorder = recorder
        self.clock = clock
    }

    /// Runs the suite; `progress` sees each result as soon as it is known.
    public func run(progress: @Sendable (CaseResult, _ index: Int, _ total: Int) -> Void = { _, _, _ in }) async throws -> RunReport {
        let selected = catalogue.withRequirements(only)
        let definitions = catalogue.cases(of: suite.name).filter { (only.isEmpty || selected.contains($0.id)) && suite.notApplicable[$0.id] == nil }
        let missing = definitions.map(\.id).filter { !suite.implemented.contains($0) }
        guard missing.isEmpty else { throw ConformanceError("the catalogue lists cases this build does not implement: \(missing.joined(separator: ", "))") }
        let started = Date()
        _ = recorder.begin("prepare")
        try await suite.prepare()
        let virtualStart = clock.now()
        var results: [CaseResult] = []
        for (index, definition) in definitions.enumerated() {
            let first = recorder.begin(definition.id)
            let caseStart = Date()
            var result: CaseResult
            let blocking = definition.requires.filter { required in results.first { $0.definition.id == required }?.verdict != .passed }
            do {
                if !blocking.isEmpty {
                    throw CaseSkipped("not run: it builds on \(blocking.joined(separator: ", ")), which did not pass")
                }
                // A shared gateway's refusal budget (429 + Retry-After) paces the run; it does not fail it.
                let message = try await HTTP.$waitsOutRateLimits.withValue(true) { try await suite.run(definition.id) }
                result = CaseResult(definition: definition, verdict: .passed, message: message, durationMilliseconds: 0)
            } catch let failure as CaseFailure {
                result = CaseResult(definition: definition, verdict: .failed, message: failure.message, expected: failure.expected,
                                    actual: failure.actual, diagnosis: failure.diagnosis, durationMilliseconds: 0)
            } catch let skipped as CaseSkipped {
                result = CaseResult(definition: definition, verdict: .skipped, message: skipped.reason, durationMilliseconds: 0)
            } catch {
                result = CaseResult(definition: definition, verdict: .failed, message: "the case could not complete: \(error)", durationMilliseconds: 0)
            }
            result.definition.title = recorder.shown(result.definition.title)
            result.definition.inputs = recorder.shown(result.definition.inputs)
            result.definition.expected = recorder.shown(result.definition.expected)
            result.message = recorder.shown(result.message)
            result.expected = result.expected.map(recorder.shown)
            result.actual = result.actual.map(recorder.shown)
            result.diagnosis = result.diagnosis.map(recorder.shown)
            result.durationMilliseconds = Date().timeIntervalSince(caseStart) * 1000
            result.exchangeIndices = Array(first..<recorder.count)
            if let reason = baseline.expectedFailures[definition.id] {
                result.baselineReason = reason
                if result.verdict == .failed || result.verdict == .skipped { result.verdict = .expectedFailure }
                else if result.verdict == .passed {
                    result.verdict = .unexpectedPass
                    result.message = "listed as an expected failure in the baseline, but it passed: remove it from the baseline. (\(result.message))"
                }
            }
            results.append(result)
            progress(result, index + 1, definitions.count)
        }
        return RunReport(catalogueVersion: catalogue.version, profile: catalogue.profile, suite: suite.name, target: target, seed: seed,
                         startedAt: started, virtualStart: virtualStart, durationMilliseconds: Date().timeIntervalSince(started) * 1000,
                         results: results, exchanges: recorder.all)
    }
}
