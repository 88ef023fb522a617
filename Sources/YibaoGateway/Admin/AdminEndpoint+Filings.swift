import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

extension AdminEndpoint {
    /// The admin routes of cross-region filings (XR-2, XR-3).
    func registerFilings(on admin: RouterGroup<GatewayRequestContext>) {
        admin.post("/filings") { request, _ in
            let input = try await decode(FilingInput.self, request)
            let now = await gateway.clock.now()
            let regions = gateway.configuration.regions
            let filing = try await gateway.store.write { try await AgencyServices.file(input, regions: regions, measures: gateway.configuration.policy.measures, store: $0, now: now) }
            return try JSONResponse.encode(filing, status: .created)
        }
        admin.post("/filings/:id/cancel") { _, context in
            let id = try context.parameters.require("id")
            let now = await gateway.clock.now()
            let filing = try await gateway.store.write { try await AgencyServices.cancelFiling(id, store: $0, now: now) }
            return try JSONResponse.encode(filing)
        }
    }
}
