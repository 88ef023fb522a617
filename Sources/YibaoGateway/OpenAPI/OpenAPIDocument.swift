import Foundation
import Hummingbird
import NIOCore

/// The OpenAPI 3.1 document of every HTTP endpoint (`openapi.json` beside this file, bundled as a
/// resource; docs/openapi.json is the same file, kept equal by a test). Written by hand from the
/// routes; a test fails when a route is missing from it, and CI runs schemathesis against a live
/// gateway with it (no 5xx, no undocumented status).
public enum OpenAPIDocument {
    /// The document's bytes, read once.
    public static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else { return [] }
        return Array(data)
    }()

    /// `GET /openapi.json`.
    static func register(on router: Router<GatewayRequestContext>) {
        router.get("/openapi.json") { _, _ in
            guard !bytes.isEmpty else {
                throw Problem(status: 500, code: .internalError, rule: nil, pointer: "", detail: "this build has no OpenAPI document (its resource bundle is missing)")
            }
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
