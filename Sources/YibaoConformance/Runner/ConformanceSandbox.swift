import AsyncHTTPClient
import Foundation
import YibaoClient
import YibaoCrypto

/// A sandbox the tester runs the gateway suite in (docs/GATEWAY.md §13): its own test clock,
/// fixture copy and trace on a shared gateway, so concurrent CI runs never see each other's
/// orders or move each other's clocks. `yibao conformance run` creates one per run and deletes it
/// afterwards, unless told otherwise (`--sandbox none|ID`, `--keep-sandbox`).
public struct ConformanceSandbox: Sendable {
    /// The sandbox's id.
    public let id: String
    /// The gateway's base URL.
    public let gateway: String
    /// The base URL the suite uses: the gateway's, with the sandbox's path prefix.
    public var target: String { Self.target(gateway: gateway, id: id) }

    public init(id: String, gateway: String) {
        self.id = id
        self.gateway = gateway
    }

    /// The base URL of sandbox `id` on `gateway`.
    public static func target(gateway: String, id: String) -> String {
        (gateway.hasSuffix("/") ? String(gateway.dropLast()) : gateway) + "/sandboxes/" + id
    }

    /// Creates a sandbox on `gateway`; nil when the gateway offers none (`POST /admin/sandboxes`
    /// answered 404 or 405: another platform, or a gateway without sandboxes).
    public static func create(on gateway: String, adminToken: String, label: String, http: HTTPClient = .shared) async throws -> ConformanceSandbox? {
        let base = gateway.hasSuffix("/") ? String(gateway.dropLast()) : gateway
        let body = Array(JSONValue.object(["label": .string(label)]).serialized().utf8)
        let (status, bytes) = try await HTTP.exchange(http, url: base + "/admin/sandboxes", body: body, bearer: adminToken)
        if status == 404 || status == 405 { return nil }
        guard status == 201, case .string(let id)? = (try? JSONValue.parse(bytes))?.objectValue?["id"] else {
            throw ConformanceError("could not create a sandbox on \(base) (POST /admin/sandboxes answered \(status): \(String(decoding: bytes.prefix(300), as: UTF8.self)))")
        }
        return ConformanceSandbox(id: id, gateway: base)
    }

    /// Checks that sandbox `id` exists on `gateway`.
    public static func existing(_ id: String, on gateway: String, adminToken: String, http: HTTPClient = .shared) async throws -> ConformanceSandbox {
        let sandbox = ConformanceSandbox(id: id, gateway: gateway.hasSuffix("/") ? String(gateway.dropLast()) : gateway)
        let (status, _) = try await HTTP.exchange(http, url: sandbox.gateway + "/admin/sandboxes/" + id, method: .GET, body: nil, bearer: adminToken)
        guard status == 200 else { throw ConformanceError("no sandbox \(id) on \(sandbox.gateway) (GET /admin/sandboxes/\(id) answered \(status))") }
        return sandbox
    }

    /// Deletes the sandbox and everything in it.
    public func delete(adminToken: String, http: HTTPClient = .shared) async throws {
        let (status, _) = try await HTTP.exchange(http, url: gateway + "/admin/sandboxes/" + id, method: .DELETE, body: nil, bearer: adminToken)
        guard status == 204 || status == 404 else { throw ConformanceError("could not delete the sandbox \(id) (DELETE answered \(status))") }
    }
}
