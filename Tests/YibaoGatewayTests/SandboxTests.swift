import AsyncHTTPClient
import NIOHTTP1
import Foundation
import Testing
import YibaoClient
import YibaoCrypto
import YibaoTestSupport

/// Sandboxes (docs/GATEWAY.md §13) through the real binary: three CI runs of the gateway suite share
/// one `yibao serve` (without --test-clock) and all pass, each in its own sandbox, on SQLite and on
/// PostgreSQL; a sandbox's clock and data are its own; reset and delete do what they say.
@Suite("Sandboxes: isolated worlds on one gateway", .serialized)
struct SandboxTests {
    static let admin = (try? DemoCredentials.load(certsDirectory: GatewayHarness.certs).adminToken) ?? ""

    static func date(_ iso: String?) -> Date? { iso.flatMap { ISO8601DateFormatter().date(from: $0) } }

    func temporaryDirectory() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("yibao-sandbox-\(UUID().uuidString)").path }

    func call(_ url: String, _ method: HTTPMethod = .GET, _ body: String? = nil, headers: [(name: String, value: String)] = []) async throws -> (status: Int, json: JSONObject) {
        let answer = try await HTTP.exchange(.shared, url: url, method: method, body: body.map { Array($0.utf8) }, bearer: Self.admin, headers: headers)
        return (answer.status, (try? JSONValue.parse(answer.body))?.objectValue ?? [:])
    }

    /// How many `admin.profile.set` entries the trace at `base` holds.
    func profileChanges(_ base: String) async throws -> Int {
        let answer = try await HTTP.exchange(.shared, url: base + "/admin/trace?limit=1000", method: .GET, body: nil, bearer: Self.admin)
        let entries = try JSONValue.parse(answer.body).arrayValue ?? []
        return entries.filter { $0.objectValue?.string("kind") == "admin.profile.set" }.count
    }

    @Test("three concurrent gateway-suite runs against one gateway all pass, each in a sandbox it creates and removes", arguments: StoreEngine.available)
    func threeConcurrentRuns(engine: StoreEngine) async throws {
        let database = try await TestDatabase.fresh(engine)
        defer { Task { await database.drop() } }
        let dataDirectory = engine == .sqlite ? database.location : temporaryDirectory()
        let server = try ListeningProcess.serve(dataDirectory: dataDirectory, extra: engine == .postgres ? ["--database", database.location] : [])
        defer { server.stop() }
        let runs = try await withThrowingTaskGroup(of: (status: Int32, stdout: String, stderr: String).self) { group in
            for index in 1...3 {
                group.addTask {
                    try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "run", "--target", server.url, "--report-dir", temporaryDirectory(),
                                                                 "--certs", GatewayHarness.certs, "--no-colour", "--seed", String(20_261_200 + index)])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for run in runs {
            #expect(run.status == 0, "\(run.stdout.suffix(2000)) \(run.stderr)")
            #expect(run.stdout.contains(" 0 failed") && run.stdout.contains("conformance: sandbox sb"), "\(run.stdout.suffix(600))")
        }
        let sandboxIds = Set(runs.compactMap { run in run.stdout.range(of: #"sandbox sb[0-9a-f]{12}"#, options: .regularExpression).map { String(run.stdout[$0]) } })
        #expect(sandboxIds.count == 3, "each run in a sandbox of its own: \(sandboxIds)")
        // Each run removed its sandbox: none listed, no sandbox store left.
        let listed = try await call(server.url + "/admin/sandboxes")
        #expect(listed.status == 200 && listed.json["sandboxes"] == JSONValue.array([]), "\(listed.json)")
        if engine == .sqlite {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/sandboxes")) ?? []
            #expect(left.isEmpty, "\(left)")
        }
        server.stop()
        await database.drop()
    }

    @Test("the independent client of every dialect runs unchanged under a sandbox's prefix: five sandboxes of one gateway, the same institution speaking a different dialect in each, at once")
    func everyDialectInItsSandbox() async throws {
        let server = try ListeningProcess.serve(dataDirectory: temporaryDirectory())
        defer { server.stop() }
        let dialects = ["national", "csb", "tif", "oauth", "jilin-encrypted"]
        var bases: [(dialect: String, base: String)] = []
        for dialect in dialects {
            let created = try await call(server.url + "/admin/sandboxes", .POST, "{\"label\":\"\(dialect)\"}")
            let prefix = try #require(created.json.string("prefix"))
            // The institution speaks this dialect in this sandbox only.
            let set = try await call(server.url + prefix + "/admin/institutions/H12010100001/profile", .POST, "{\"profile\":\"\(dialect)\"}")
            #expect(set.status == 200, "\(set.json)")
            bases.append((dialect, server.url + prefix))
        }
        let runs = try await withThrowingTaskGroup(of: (String, (status: Int32, lines: [JSONObject], text: String)).self) { group in
            for (dialect, base) in bases {
                group.addTask { (dialect, try await DialectTests.python(["--gateway", base, "--profile", dialect, "run"])) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for dialect in dialects {
            let run = try #require(runs[dialect])
            #expect(run.status == 0, "\(dialect): \(run.text)")
            #expect(run.lines.map { $0["step"]?.stringValue } == ["9001", "1101", "2201"], "\(dialect): \(run.text)")
        }
        // The gateway's own world saw none of it: its institution still speaks the default dialect, its trace has no sign-in.
        let trace = try await HTTP.exchange(.shared, url: server.url + "/admin/trace?limit=1000", method: .GET, body: nil, bearer: Self.admin)
        let kinds = (try JSONValue.parse(trace.body).arrayValue ?? []).compactMap { $0.objectValue?.string("kind") }
        #expect(!kinds.contains { $0.hasPrefix("fsi.") } && !kinds.contains("admin.profile.set"), "\(kinds)")
    }

    @Test("a sandbox's clock and data are its own; the header and the path prefix reach the same sandbox; reset starts it afresh; delete removes it")
    func isolation() async throws {
        let server = try ListeningProcess.serve(dataDirectory: temporaryDirectory())
        defer { server.stop() }
        let first = try await call(server.url + "/admin/sandboxes", .POST, #"{"label":"first"}"#)
        let second = try await call(server.url + "/admin/sandboxes", .POST, "")
        #expect(first.status == 201 && second.status == 201, "\(first) \(second)")
        let a = try #require(first.json.string("id")), b = try #require(second.json.string("id"))
        #expect(first.json.string("label") == "first" && first.json.string("prefix") == "/sandboxes/" + a && first.json.string("header") == "X-Yibao-Sandbox")

        // The clock: moving A's moves neither B's nor the gateway's (which has no test clock at all).
        let before = try await call(server.url + "/sandboxes/\(b)/__clock")
        let moved = try await call(server.url + "/sandboxes/\(a)/__clock/advance", .POST, #"{"seconds":864000}"#)
        #expect(moved.status == 200)
        let aNow = try #require(SandboxTests.date(moved.json.string("now")))
        let bNow = try #require(SandboxTests.date((try await call(server.url + "/sandboxes/\(b)/__clock")).json.string("now")))
        let bBefore = try #require(SandboxTests.date(before.json.string("now")))
        #expect(aNow.timeIntervalSince(bNow) > 863_000, "A moved ten days, B did not: \(aNow) \(bNow)")
        #expect(bNow.timeIntervalSince(bBefore) < 60)
        #expect((try await call(server.url + "/__clock")).status == 404, "the gateway itself runs without a test clock")

        // The data: a change in A (by the header) is in A's trace (read through its prefix), not in B's nor the gateway's.
        let changed = try await call(server.url + "/admin/institutions/H12010100001/profile", .POST, #"{"profile":"national"}"#, headers: [("X-Yibao-Sandbox", a)])
        #expect(changed.status == 200 && changed.json.string("profile") == "national", "\(changed.json)")
        #expect(try await profileChanges(server.url + "/sandboxes/\(a)") == 1)
        #expect(try await profileChanges(server.url + "/sandboxes/\(b)") == 0)
        #expect(try await profileChanges(server.url) == 0)

        // Reset: the fixture again and the clock back to real time; the id stays.
        let reset = try await call(server.url + "/admin/sandboxes/\(a)/reset", .POST)
        #expect(reset.status == 200 && reset.json.string("id") == a && reset.json["generation"] == JSONValue.number("2"), "\(reset.json)")
        let afterReset = try #require(SandboxTests.date(reset.json.string("clock")))
        #expect(abs(afterReset.timeIntervalSinceNow) < 60, "reset puts the clock back: \(afterReset)")
        #expect(try await profileChanges(server.url + "/sandboxes/\(a)") == 0, "a reset world has no trace of the old one")

        // No sandbox inside a sandbox; an unknown or malformed id is SANDBOX_NOT_FOUND, by prefix and by header.
        #expect((try await call(server.url + "/sandboxes/\(a)/admin/sandboxes", .POST)).status == 404)
        for probe in [server.url + "/sandboxes/sb000000000000/health", server.url + "/sandboxes/..%2f/health"] {
            let missing = try await call(probe)
            #expect(missing.status == 404 && missing.json.string("code") == "SANDBOX_NOT_FOUND", "\(probe): \(missing.json)")
        }
        let byHeader = try await call(server.url + "/health", headers: [("X-Yibao-Sandbox", "nonsense")])
        #expect(byHeader.status == 404 && byHeader.json.string("code") == "SANDBOX_NOT_FOUND")

        // A label that is too long: refused naming the member, and nothing created.
        let long = try await call(server.url + "/admin/sandboxes", .POST, "{\"label\":\"\(String(repeating: "x", count: 101))\"}")
        #expect(long.status == 400 && long.json.string("pointer") == "/label", "\(long.json)")
        #expect((try await call(server.url + "/admin/sandboxes")).json["sandboxes"]?.arrayValue?.count == 2)

        // Delete: gone from the list, its routes answer SANDBOX_NOT_FOUND, B is untouched.
        #expect((try await call(server.url + "/admin/sandboxes/\(a)", .DELETE)).status == 204)
        #expect((try await call(server.url + "/admin/sandboxes/\(a)", .DELETE)).status == 404)
        #expect((try await call(server.url + "/sandboxes/\(a)/__clock")).json.string("code") == "SANDBOX_NOT_FOUND")
        #expect((try await call(server.url + "/sandboxes/\(b)/__clock")).status == 200)
        let remaining = try await call(server.url + "/admin/sandboxes")
        #expect(remaining.json["sandboxes"]?.arrayValue?.compactMap { $0.objectValue?.string("id") } == [b])
        // Without the admin token the sandbox API refuses.
        let anonymous = try await HTTP.exchange(.shared, url: server.url + "/admin/sandboxes", method: .POST, body: Array("{}".utf8))
        #expect(anonymous.status == 401)
    }
}
