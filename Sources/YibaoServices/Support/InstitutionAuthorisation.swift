import Foundation
import YibaoCore
import YibaoStore

/// The one institution check of every service (GEN-1, AG-1, AG-4, AG-5, PR-2): the measures are in force,
/// the institution exists, its Internet+ agreement lets it act now, and a retail pharmacy is still staffed. `pointer` names where the
/// request identified it (`/fixmedins_code` on FSI, `/appId` or `/orgCodg` on HSE).
package enum InstitutionAuthorisation {
    @discardableResult
    package static func require(_ code: String, store: any StoreReading, now: Date, pointer: String, measures: MeasureNumbers) async throws -> Institution {
        guard measures.inForce.contains(now) else {
            let window = measures.inForce
            throw DomainError(.measuresNotInForce, .forbidden, rule: .gen1, pointer: "",
                              "the payment measures of this policy profile are in force from \(window.from.isEmpty ? "any day" : window.from) to \(window.until.isEmpty ? "any day" : window.until); no Internet+ business is settled under them on \(Timestamps.day(now)): set measures.inForce in the policy profile to the measures in force",
                              expected: "\(window.from)…\(window.until)", actual: Timestamps.day(now))
        }
        guard let institution = try await store.institution(code: code) else {
            throw DomainError(.institutionUnknown, .notFound, rule: .ag1, pointer: pointer, "no institution \(code)")
        }
        do { try institution.authoriseInternetPlus(at: now) } catch var error as DomainError {
            error.pointer = pointer
            throw error
        }
        // PR-2 again whenever the pharmacy acts: a pharmacist who left or is not on duty takes it below the condition.
        if institution.kind == .retailPharmacy {
            do {
                try Practitioner.checkPharmacyStaffing(try await store.practitioners(institutionCode: code), herbalPieces: institution.sellsChineseHerbalPieces == true,
                                                       measures: measures)
            } catch var error as DomainError {
                error.pointer = pointer
                error.detail = "\(code)'s staff no longer meet its designation: " + error.detail + "; register the pharmacists on duty (POST /admin/practitioners) before it settles again"
                throw error
            }
        }
        return institution
    }
}
