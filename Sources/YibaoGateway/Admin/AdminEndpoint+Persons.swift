import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

extension AdminEndpoint {
    /// The admin routes of insured persons and their offline visits.
    func registerPersons(on admin: RouterGroup<GatewayRequestContext>) {
        admin.post("/persons") { request, _ in
            let input = try await decode(PersonInput.self, request)
            let now = await gateway.clock.now()
            try await gateway.store.write { store in
                try await AgencyRegistry.savePerson(input.person, store: store, pointer: "")
                try await store.appendTrace(TraceEvent(at: now, kind: "admin.person.save", actor: "admin", subject: input.psnNo))
            }
            return try JSONResponse.encode(input.person, status: .created)
        }
        admin.get("/persons/:psnNo") { _, context in
            let psnNo = try context.parameters.require("psnNo")
            guard let person = try await gateway.store.read({ try await $0.person(psnNo: psnNo) }) else {
                throw DomainError(.personUnknown, .notFound, rule: nil, pointer: "", "no person \(psnNo)")
            }
            return try JSONResponse.encode(person)
        }
        admin.post("/offline-visits") { request, _ in
            let visit = try await decode(OfflineVisit.self, request)
            let now = await gateway.clock.now()
            try await gateway.store.write { try await AgencyRegistry.add(visit, store: $0, now: now) }
            return try JSONResponse.encode(visit, status: .created)
        }
    }
}
