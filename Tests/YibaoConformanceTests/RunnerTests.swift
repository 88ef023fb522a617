import Foundation
import Testing
@testable import YibaoConformance

/// The runner's bookkeeping, with a scripted suite whose cases pass, fail or skip as told.
@Suite("The conformance runner")
struct RunnerTests {
    final class ScriptedSuite: ConformanceSuite, @unchecked Sendable {
        let name = "s"
        let outcomes: [String: String]
        var ran: [String] = []
        init(_ outcomes: [String: String]) { self.outcomes = outcomes }
        func prepare() async throws {}
        var implemented: Set<String> { Set(outcomes.keys) }
        func run(_ caseId: String) async throws -> String {
            ran.append(caseId)
            switch outcomes[caseId] {
            case "fail": throw CaseFailure("told to fail", expected: "x", actual: "y")
            case "skip": throw CaseSkipped("told to skip")
            default: return "passed as told"
            }
        }
    }

    static let catalogue = try! Catalogue.decode(Data("""
    {"version": "t", "profile": "p", "suites": [{"name": "s", "summary": "", "prerequisites": ""}], "cases": [
      {"id": "A-001", "suite": "s", "title": "a", "rules": ["ID-1"], "inputs": "i", "expected": "e", "polarity": "positive"},
      {"id": "B-001", "suite": "s", "title": "b", "rules": ["ID-1"], "inputs": "i", "expected": "e", "polarity": "positive", "requires": ["A-001"]},
      {"id": "C-001", "suite": "s", "title": "c", "rules": ["ID-1"], "inputs": "i", "expected": "e", "polarity": "negative", "requires": ["B-001"]},
      {"id": "D-001", "suite": "s", "title": "d", "rules": ["ID-1"], "inputs": "i", "expected": "e", "polarity": "negative"}
    ]}
    """.utf8))

    func run(_ outcomes: [String: String], baseline: [String: String] = [:], only: Set<String> = []) async throws -> (RunReport, ScriptedSuite) {
        let suite = ScriptedSuite(outcomes)
        var runner = ConformanceRunner(catalogue: Self.catalogue, suite: suite, target: "t", seed: 1, baseline: Baseline(expectedFailures: baseline),
                                       recorder: ExchangeRecorder(), clock: VirtualClock(start: Date()))
        runner.only = only
        return (try await runner.run(), suite)
    }

    func verdicts(_ report: RunReport) -> [String: Verdict] { Dictionary(uniqueKeysWithValues: report.results.map { ($0.definition.id, $0.verdict) }) }

    @Test("a failed prerequisite skips its dependants, transitively, naming it, without running them")
    func blocked() async throws {
        let (report, suite) = try await run(["A-001": "fail", "B-001": "pass", "C-001": "pass", "D-001": "pass"])
        #expect(verdicts(report) == ["A-001": .failed, "B-001": .skipped, "C-001": .skipped, "D-001": .passed])
        #expect(suite.ran == ["A-001", "D-001"])
        #expect(report.results[1].message.contains("A-001"))
        #expect(!report.succeeded)
    }

    @Test("--case runs what a case builds on, in catalogue order")
    func only() async throws {
        let (report, suite) = try await run(["A-001": "pass", "B-001": "pass", "C-001": "pass", "D-001": "pass"], only: ["C-001"])
        #expect(suite.ran == ["A-001", "B-001", "C-001"])
        #expect(report.succeeded)
    }

    @Test("the baseline: a listed failure or skip does not fail the run; a listed pass does")
    func baseline() async throws {
        let (expected, _) = try await run(["A-001": "pass", "B-001": "pass", "C-001": "skip", "D-001": "fail"],
                                          baseline: ["C-001": "no test clock", "D-001": "known gap"])
        #expect(verdicts(expected)["C-001"] == .expectedFailure)
        #expect(verdicts(expected)["D-001"] == .expectedFailure)
        #expect(expected.succeeded)
        let (stale, _) = try await run(["A-001": "pass", "B-001": "pass", "C-001": "pass", "D-001": "pass"], baseline: ["D-001": "known gap"])
        #expect(verdicts(stale)["D-001"] == .unexpectedPass)
        #expect(!stale.succeeded)
    }

    @Test("a baseline file: comments, reasons, CRLF; an unknown id is refused naming the line")
    func baselineFile() throws {
        let known: Set<String> = ["A-001", "D-001"]
        let baseline = try Baseline.parse("# gaps\r\nA-001\r\nD-001   fix planned, HIS-7\r\n\r\n", known: known, path: "b.txt")
        #expect(baseline.expectedFailures == ["A-001": "listed in b.txt", "D-001": "fix planned, HIS-7"])
        #expect { try Baseline.parse("A-001\nA-01 typo\n", known: known, path: "b.txt") } throws: { "\($0)".contains("b.txt:2: A-01") }
    }

    @Test("a requirement must be an earlier case of the same suite")
    func requirementOrder() {
        let text = """
        {"version": "t", "profile": "p", "suites": [{"name": "s", "summary": "", "prerequisites": ""}], "cases": [
          {"id": "A-001", "suite": "s", "title": "a", "rules": ["ID-1"], "inputs": "i", "expected": "e", "polarity": "positive", "requires": ["B-001"]},
          {"id": "B-001", "suite": "s", "title": "b", "rules": ["ID-1"], "inputs": "i", "expected": "e", "polarity": "positive"}
        ]}
        """
        #expect { try Catalogue.decode(Data(text.utf8)) } throws: { "\($0)".contains("A-001 requires B-001") }
    }

    @Test("the virtual clock follows real time and jumps when told")
    func clock() async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let clock = VirtualClock(start: start)
        try await Task.sleep(for: .milliseconds(50))
        let later = clock.now().timeIntervalSince(start)
        #expect(later >= 0.05 && later < 120) // a loaded CI machine may be slow to wake
        clock.advance(by: 3600)
        #expect(clock.now().timeIntervalSince(start) >= 3600.05)
    }

    @Test("authorization headers never reach a report")
    func redaction() {
        #expect(ExchangeRecorder.redacted("Authorization", "Bearer secret") == "Bearer <redacted>")
        #expect(ExchangeRecorder.redacted("Content-Type", "application/json") == "application/json")
    }
}
