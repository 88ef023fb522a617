import Foundation
import YibaoCrypto
import YibaoCore
import YibaoStore
import YibaoServices

/// The passive conformance log: one record per FSI/HSE request, accepted or refused, per institution
/// (reported by `GET /admin/conformance/{institution}`). Recording never changes an answer.
extension ConformanceCheckRecord {
    /// Longest text kept of a detail, expected or actual value, or diagnosis line.
    static let textLimit = 2_000
    /// Longest string-to-sign kept (an FSI 2204 with many fee lines can be long).
    static let signStringLimit = 16 * 1024
    /// Most diagnosis lines kept.
    static let diagnosisLimit = 20

    /// An accepted request: it passed every check.
    /// `answerLost`: committed, and its answer lost on purpose (the lost-answer test persona), code `ANSWER_LOST`.
    static func accepted(_ channel: Channel, institution: String, transaction: String, messageId: String?, at: Date, evidence: String? = nil,
                         answerLost: Bool = false, payload: HSEPayload? = nil) -> ConformanceCheckRecord {
        ConformanceCheckRecord(institutionCode: institution, channel: channel, transaction: transaction, at: at, outcome: .accepted,
                               code: answerLost ? answerLostCode : "OK", messageId: messageId.map { capped($0, 64) }, evidence: evidence,
                               sealed: payload?.sealed, opened: payload?.opened)
    }

    /// An HSE request's business data as the passive log keeps it: the start of the sealed
    /// `encData` with its length, and the decrypted JSON with personal data masked and secrets as
    /// fingerprints (never the plaintext of a personal member).
    struct HSEPayload: Sendable {
        var sealed: String?
        var opened: String?

        init(encData: String?, data: JSONValue?) {
            sealed = encData.map { $0.count > 96 ? String($0.prefix(96)) + "… (\($0.count) characters)" : $0 }
            opened = data.map { ConformanceCheckRecord.capped(Redaction.maskIDNumbers(in: Redaction.maskPersonal($0).serialized()), ConformanceCheckRecord.openedLimit) }
        }
    }

    /// Longest decrypted payload kept.
    static let openedLimit = 8 * 1024

    /// The code of an accepted request whose answer the gateway lost on purpose.
    static let answerLostCode = "ANSWER_LOST"

    /// A refused request and what the problem said, long texts cut and personal data masked (SV-5):
    /// ID numbers anywhere in the texts, and the expected/actual values of a personal member
    /// (`/idNo`, `/userName`, …). Sign strings arrive already redacted (``HSESignString/display(envelope:appSecret:variant:)``).
    static func refused(_ channel: Channel, institution: String, transaction: String, messageId: String?, problem: ProblemDetails, at: Date,
                        evidence: String? = nil, payload: HSEPayload? = nil) -> ConformanceCheckRecord {
        let personal = Redaction.isPersonal(key: String(problem.pointer.split(separator: "/").last ?? ""))
        func shown(_ text: String) -> String {
            let cut = capped(text)
            return Redaction.maskIDNumbers(in: personal ? Redaction.mask(cut, key: String(problem.pointer.split(separator: "/").last ?? "")) : cut)
        }
        return ConformanceCheckRecord(institutionCode: capped(institution, 64), channel: channel, transaction: capped(transaction, 64), at: at,
                                      outcome: .refused, code: capped(problem.code, 64), rule: problem.rule, pointer: capped(problem.pointer, 200),
                                      detail: Redaction.maskIDNumbers(in: capped(problem.detail)), expected: problem.expected.map(shown),
                                      actual: problem.actual.map(shown), signString: problem.signString.map { Redaction.maskIDNumbers(in: capped($0, signStringLimit)) },
                                      diagnosis: problem.diagnosis.prefix(diagnosisLimit).map { Redaction.maskIDNumbers(in: capped($0)) },
                                      messageId: messageId.map { capped($0, 64) }, evidence: evidence, sealed: payload?.sealed, opened: payload?.opened)
    }

    /// `text` cut to `limit` characters, saying how much was left out.
    static func capped(_ text: String, _ limit: Int = textLimit) -> String { text.cappedUTF8(limit) }
}

extension Gateway {
    /// Records a refused request in its own transaction (the request's own writes were rolled back).
    /// Nothing is recorded when the institution cannot be told (`institution` empty).
    /// Only institutions registered with the platform get records: a stranger's garbage is only counted.
    func recordRefusal(_ channel: ConformanceCheckRecord.Channel, institution: String, transaction: String, messageId: String?,
                       problem: Problem, at: Date, evidence: String? = nil, payload: ConformanceCheckRecord.HSEPayload? = nil) async {
        guard !institution.isEmpty else { return }
        let record = ConformanceCheckRecord.refused(channel, institution: institution, transaction: transaction, messageId: messageId,
                                                    problem: problem.details, at: at, evidence: evidence, payload: payload)
        _ = try? await store.write { store in
            guard try await store.institution(code: record.institutionCode) != nil else { return }
            try await log(record, in: store)
        }
    }

    /// Appends to the passive log and, every 64th record, applies its retention
    /// (`limits.conformanceRecordsPerInstitution`, `limits.conformanceRetentionDays`).
    func log(_ record: ConformanceCheckRecord, in store: any StoreWriting) async throws {
        let stored = try await store.recordConformanceCheck(record)
        guard (stored.id ?? 0) % 64 == 0 else { return }
        let limits = configuration.limits
        try await store.pruneConformanceChecks(institutionCode: record.institutionCode, keepLatest: limits.conformanceRecordsPerInstitution,
                                         olderThan: record.at.addingTimeInterval(-Double(limits.conformanceRetentionDays) * 86_400))
    }
}
