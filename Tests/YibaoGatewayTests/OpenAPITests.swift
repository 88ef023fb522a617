import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import YibaoCore
import YibaoCrypto
@testable import YibaoGateway
import YibaoTestSupport

/// The OpenAPI 3.1 document (Sources/YibaoGateway/OpenAPI/openapi.json): valid by an independent
/// validator, the same file in docs/ and at GET /openapi.json, and describing exactly the routes the
/// gateway has. (CI also runs schemathesis against a live gateway with it: scripts/schemathesis.sh.)
@Suite("OpenAPI document")
struct OpenAPITests {
    static let source = GatewayHarness.packageRoot.appendingPathComponent("Sources/YibaoGateway/OpenAPI/openapi.json").path
    static let docs = GatewayHarness.packageRoot.appendingPathComponent("docs/openapi.json").path

    /// Whether Python can import the validator (a short child process, before the test runs).
    static var validatorInstalled: Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import openapi_spec_validator"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test("openapi-spec-validator (PyPI, independent of this code) accepts the document as OpenAPI 3.1",
          .enabled(if: validatorInstalled || ProcessInfo.processInfo.environment["CI"] != nil, "needs openapi-spec-validator (scripts/ensure-deps.sh installs it)"))
    func validates() async throws {
        let run = try await Processes.run("/usr/bin/env", ["python3", "-m", "openapi_spec_validator", Self.source])
        #expect(run.status == 0 && run.stdout.contains("OK"), "\(run.stdout) \(run.stderr.suffix(2000))")
        let document = try JSONValue.parse(Array(try #require(FileManager.default.contents(atPath: Self.source))))
        #expect(document.objectValue?["openapi"]?.stringValue?.hasPrefix("3.1") == true)
    }

    @Test("the ErrorCode schema lists every code of the registry, and no other")
    func errorCodes() throws {
        let document = try JSONValue.parse(Array(try #require(FileManager.default.contents(atPath: Self.source))))
        let schema = try #require(document.objectValue?["components"]?.objectValue?["schemas"]?.objectValue?["ErrorCode"]?.objectValue)
        let listed = Set((schema["enum"]?.arrayValue ?? []).compactMap(\.stringValue))
        let registry = Set(ErrorCode.all.map(\.rawValue))
        #expect(registry.subtracting(listed).isEmpty, "not in the OpenAPI ErrorCode enum: \(registry.subtracting(listed).sorted())")
        #expect(listed.subtracting(registry).isEmpty, "in the enum but not the registry: \(listed.subtracting(registry).sorted())")
    }

    @Test("docs/openapi.json is the same file, and GET /openapi.json serves it")
    func servedAndKept() async throws {
        let source = try #require(FileManager.default.contents(atPath: Self.source))
        #expect(FileManager.default.contents(atPath: Self.docs) == source, "copy Sources/YibaoGateway/OpenAPI/openapi.json to docs/openapi.json")
        let harness = try await GatewayHarness.make()
        try await Application(router: harness.gateway.router()).test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(Data(buffer: response.body) == source)
            }
        }
    }

    @Test("every route of the gateway (test clock, sandboxes and console included) is documented with its method, and every documented operation is a route")
    func everyRouteDocumented() async throws {
        let harness = try await GatewayHarness.make()
        let gateway = harness.gateway.enablingSandboxes(fixture: .init())
        let routes = Set(gateway.router().routes.map { route -> String in
            // Hummingbird writes captures as {name} or :name; OpenAPI as {name}.
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method.rawValue.lowercased()) /\(path)"
        })
        let document = try JSONValue.parse(Array(try #require(FileManager.default.contents(atPath: Self.source))))
        var documented: Set<String> = []
        for member in document.objectValue?["paths"]?.objectValue?.members ?? [] {
            for operation in member.value.objectValue?.members ?? [] where ["get", "post", "put", "delete", "patch"].contains(operation.key) {
                documented.insert("\(operation.key) \(member.key)")
            }
        }
        func normalised(_ entry: String) -> String { entry.replacingOccurrences(of: #"\{[^}]+\}"#, with: "{}", options: .regularExpression) }
        let routeShapes = Set(routes.map(normalised)), documentedShapes = Set(documented.map(normalised))
        #expect(routes.count > 50)
        #expect(routeShapes.subtracting(documentedShapes).isEmpty, "routes missing from openapi.json: \(routeShapes.subtracting(documentedShapes).sorted())")
        #expect(documentedShapes.subtracting(routeShapes).isEmpty, "documented but not routes: \(documentedShapes.subtracting(routeShapes).sorted())")
    }
}
