import Foundation
import Hummingbird
import YibaoCore
import YibaoCrypto
import YibaoStore
import YibaoServices

extension AdminEndpoint {
    /// The admin routes of the trace, its verification, and the counts of unauthenticated refusals.
    func registerTrace(on admin: RouterGroup<GatewayRequestContext>) {
        admin.get("/trace") { request, _ in
            let from = request.uri.queryParameters.get("from", as: Int64.self) ?? 1
            let limit = max(1, min(request.uri.queryParameters.get("limit", as: Int.self) ?? 100, 1000))
            let entries = try await gateway.store.read { try await $0.traceEntries(from: from, limit: limit) }
            return try JSONResponse.encode(entries)
        }
        // Refusals of unauthenticated requests: counted per kind and code, outside the trace.
        admin.get("/refusals") { _, _ in
            try JSONResponse.encode(try await gateway.store.read { try await $0.unauthenticatedRefusals() })
        }
        admin.get("/trace/verify") { _, _ in
            let report = try await TraceAudit.verify(gateway.store)
            return JSONResponse.make(report.json)
        }
    }
}
