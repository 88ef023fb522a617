import Foundation
import YibaoStore

/// The passive conformance log: one record per FSI/HSE request, accepted or refused, per institution
/// (reported by `GET /admin/conformance/{institution}`). Recording never changes an answer.
extension ConformanceCheckRecord {
    /// Longest text kept of a detail, expected or actual value, or diagnosis line.
    static let textLimit = 2_000
    /// Longest string-to-sign kept (an FSI 2204 with many fee lines can be long).
    static let signStringLimit = 64 * 1024
    /// Most diagnosis lines kept.
    static let diagnosisLimit = 20

    /// An accepted request: it passed every check.
    static func accepted(_ channel: Channel, institution: String, transaction: String, messageId: String?, at: Date) -> ConformanceCheckRecord {
        ConformanceCheckRecord(institutionCode: institution, channel: channel, transaction: transaction, at: at, outcome: .accepted,
                               code: "OK", messageId: messageId.map { capped($0, 64) })
    }

    /// A refused request and what the problem said, long texts cut.
    static func refused(_ channel: Channel, institution: String, transaction: String, messageId: String?, problem: Problem, at: Date) -> ConformanceCheckRecord {
        ConformanceCheckRecord(institutionCode: capped(institution, 64), channel: channel, transaction: capped(transaction, 64), at: at,
                               outcome: .refused, code: problem.code, rule: problem.rule, pointer: capped(problem.pointer, 200),
                               detail: capped(problem.detail), expected: problem.expected.map { capped($0) },
                               actual: problem.actual.map { capped($0) }, signString: problem.signString.map { capped($0, signStringLimit) },
                               diagnosis: problem.diagnosis.prefix(diagnosisLimit).map { capped($0) }, messageId: messageId.map { capped($0, 64) })
    }

    /// `text` cut to `limit` characters, saying how much was left out.
    static func capped(_ text: String, _ limit: Int = textLimit) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(limit)) + "… (\(text.count - limit) more characters)"
    }
}

extension Gateway {
    /// Records a refused request in its own transaction (the request's own writes were rolled back).
    /// Nothing is recorded when the institution cannot be told (`institution` empty).
    func recordRefusal(_ channel: ConformanceCheckRecord.Channel, institution: String, transaction: String, messageId: String?,
                       problem: Problem, at: Date) async {
        guard !institution.isEmpty else { return }
        let record = ConformanceCheckRecord.refused(channel, institution: institution, transaction: transaction, messageId: messageId,
                                                    problem: problem, at: at)
        _ = try? await store.write { store in try store.recordConformanceCheck(record) }
    }
}
