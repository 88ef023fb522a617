import Foundation
import Hummingbird
import HTTPTypes
import Logging
import YibaoCore
import YibaoCrypto
import YibaoStore

/// `POST /admin/sandboxes` and friends: create, list, show, reset and delete sandboxes (admin token).
struct SandboxEndpoint: Sendable {
    let gateway: Gateway
    let directory: SandboxDirectory
    let logger: Logger

    /// `POST /admin/sandboxes`: all members optional.
    struct Creation: Codable, Sendable {
        var label: String?
    }

    func register(on admin: RouterGroup<GatewayRequestContext>) {
        admin.post("/sandboxes") { request, _ in
            let creation = try await AdminEndpoint(gateway: gateway).decode(Creation.self, request)
            if let label = creation.label, label.count > 100 {
                throw Problem(status: 400, code: .fieldInvalid, rule: nil, pointer: "/label", detail: "a label is at most 100 characters",
                              actual: "\(label.count) characters")
            }
            let record = try await directory.create(label: creation.label, logger: logger)
            return JSONResponse.make(record.json(clock: try await directory.now(of: record, logger: logger)), status: .created)
        }
        admin.get("/sandboxes") { _, _ in
            let records = try await directory.records()
            return JSONResponse.make(.object(["sandboxes": .array(records.map { record in record.json(clock: Optional<Date>.none) })]))
        }
        admin.get("/sandboxes/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let record = try await directory.record(id: id) else { throw Self.notFound(id) }
            return JSONResponse.make(record.json(clock: try await directory.now(of: record, logger: logger)))
        }
        admin.post("/sandboxes/:id/reset") { _, context in
            let id = try context.parameters.require("id")
            guard let record = try await directory.reset(id: id, logger: logger) else { throw Self.notFound(id) }
            return JSONResponse.make(record.json(clock: try await directory.now(of: record, logger: logger)))
        }
        admin.delete("/sandboxes/:id") { _, context in
            let id = try context.parameters.require("id")
            guard try await directory.delete(id: id) else { throw Self.notFound(id) }
            return Response(status: .noContent)
        }
    }

    static func notFound(_ id: String) -> Problem {
        Problem(status: 404, code: .sandboxNotFound, rule: nil, pointer: "",
                detail: "no sandbox \(String(id.prefix(40))) on this gateway (POST /admin/sandboxes creates one; GET /admin/sandboxes lists them)")
    }
}

/// The gateway's HTTP responder: a request addressed to a sandbox (path prefix `/sandboxes/{id}`
/// or header `X-Yibao-Sandbox`) goes to that sandbox's routes, with the prefix taken off;
/// every other request to the gateway's own.
struct SandboxingResponder: HTTPResponder {
    typealias Context = GatewayRequestContext
    let main: RouterResponder<GatewayRequestContext>
    let directory: SandboxDirectory?
    let logger: Logger
    static let headerName = HTTPField.Name(SandboxDirectory.header)!

    func respond(to request: Request, context: Context) async throws -> Response {
        guard let directory, let (id, routed) = Self.addressed(request) else {
            // Only the sandbox router says which prefix a request came under.
            var request = request
            if request.headers[ConsoleEndpoint.prefixHeader] != nil {
                var head = request.head
                head.headerFields[ConsoleEndpoint.prefixHeader] = nil
                request = Request(head: head, body: request.body)
            }
            return try await main.respond(to: request, context: context)
        }
        let responder: RouterResponder<GatewayRequestContext>?
        do {
            responder = try await directory.responder(id: id, logger: logger)
        } catch let problem as Problem {
            return problem.response
        } catch {
            return Problem(status: 503, code: .internalError, rule: nil, pointer: "",
                           detail: "the sandbox \(id) could not be opened (\(type(of: error))); try again, or reset it").response
        }
        guard let responder else { return SandboxEndpoint.notFound(id).response }
        return try await responder.respond(to: routed, context: context)
    }

    /// The sandbox a request addresses and the request as that sandbox's routes see it.
    static func addressed(_ request: Request) -> (String, Request)? {
        let path = request.head.path ?? "/"
        if path.hasPrefix(SandboxDirectory.pathPrefix) {
            let rest = path.dropFirst(SandboxDirectory.pathPrefix.count)
            let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            let id = String(rest[..<end])
            var remainder = String(rest[end...])
            if !remainder.hasPrefix("/") { remainder = "/" + remainder }
            var head = request.head
            head.path = remainder
            // The console writes its links under the prefix the request came by.
            head.headerFields[ConsoleEndpoint.prefixHeader] = SandboxDirectory.pathPrefix + id
            return (id, Request(head: head, body: request.body))
        }
        if let id = request.headers[headerName], !id.isEmpty {
            var head = request.head
            head.headerFields[ConsoleEndpoint.prefixHeader] = nil
            return (id, Request(head: head, body: request.body))
        }
        return nil
    }
}
