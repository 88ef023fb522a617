import Foundation
import YibaoCore
import YibaoStore

/// The one institution check of every service (AG-1, AG-4, AG-5): the institution exists and its
/// Internet+ agreement lets it act now. `pointer` names where the request identified it
/// (`/fixmedins_code` on FSI, `/appId` or `/orgCodg` on HSE).
package enum InstitutionAuthorisation {
    @discardableResult
    package static func require(_ code: String, store: any StoreReading, now: Date, pointer: String) async throws -> Institution {
        guard let institution = try await store.institution(code: code) else {
            throw DomainError(.institutionUnknown, .notFound, rule: .ag1, pointer: pointer, "no institution \(code)")
        }
        do { try institution.authoriseInternetPlus(at: now) } catch var error as DomainError {
            error.pointer = pointer
            throw error
        }
        return institution
    }
}
