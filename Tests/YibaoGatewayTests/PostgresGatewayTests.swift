import Foundation
import Testing
import YibaoTestSupport
import YibaoCore
import YibaoCrypto
import YibaoClient

/// `yibao serve --database postgres://…` through the real binary: one process passes the whole
/// conformance suite; two processes on one database pass it together, requests spread over both
/// by a round-robin proxy, and the same signed request sent to both at once is accepted exactly once.
@Suite("PostgreSQL: one and two gateway processes on one database", .serialized)
struct PostgresGatewayTests {
    static let root = GatewayHarness.packageRoot.path
    static let clientScript = root + "/tools/testing/platform_client.py"
    static let signIn = #"{"signIn":{"opter_no":"OP0001","mac":"00-16-3E-00-00-01","ip":"127.0.0.1"}}"#

    func temporaryDirectory() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("yibao-pg-\(UUID().uuidString)").path }

    /// `sandbox`: none runs in the gateway's own world; new (the default) in a sandbox the run creates.
    func conformance(_ target: String, sandbox: String = "new") async throws -> (status: Int32, stdout: String, stderr: String) {
        try await EndToEndTests.run(EndToEndTests.binary, ["conformance", "run", "--target", target, "--report-dir", temporaryDirectory(),
                                                     "--certs", GatewayHarness.certs, "--no-colour", "--sandbox", sandbox])
    }

    @Test("one process on PostgreSQL is ready (/ready: every migration applied) and passes the whole conformance suite; the trace verifies from the database",
          .enabled(if: StoreEngine.postgresURL != nil, "needs YIBAO_TEST_POSTGRES_URL"))
    func oneProcess() async throws {
        let database = try await TestDatabase.fresh(.postgres)
        defer { Task { await database.drop() } }
        let server = try ListeningProcess.serve(dataDirectory: temporaryDirectory(), extra: ["--database", database.location, "--test-clock"])
        #expect(server.banner.contains("(PostgreSQL)"))
        #expect(!server.banner.contains(":yibao@"), "the banner must not show the database password")
        // Ready: the database answers and every PostgreSQL migration is applied.
        let ready = try await HTTP.exchange(.shared, url: server.url + "/ready", method: .GET, body: nil)
        let readiness = try JSONValue.parse(ready.body).objectValue ?? [:]
        #expect(ready.status == 200 && readiness.string("database") == "postgresql" && readiness["migrationsApplied"] == readiness["migrationsKnown"],
                "\(readiness)")
        let run = try await conformance(server.url, sandbox: "none")
        server.stop()
        #expect(run.status == 0, "\(run.stdout.suffix(2000)) \(run.stderr)")
        #expect(run.stdout.contains("0 failed"), "\(run.stdout.suffix(600))")
        let verify = try await EndToEndTests.run(EndToEndTests.binary, ["trace", "verify", "--database", database.location])
        #expect(verify.status == 0 && verify.stdout.contains("trace intact"), "\(verify.stdout) \(verify.stderr)")
        await database.drop()
    }

    @Test("two processes on one database: the same signed request sent to both at once is accepted exactly once; the suite passes round-robin across both; one intact trace",
          .enabled(if: StoreEngine.postgresURL != nil, "needs YIBAO_TEST_POSTGRES_URL"))
    func twoProcesses() async throws {
        let database = try await TestDatabase.fresh(.postgres)
        defer { Task { await database.drop() } }
        let options = ["--database", database.location, "--test-clock"]
        let first = try ListeningProcess.serve(dataDirectory: temporaryDirectory(), extra: options)
        defer { first.stop() }
        let second = try ListeningProcess.serve(dataDirectory: temporaryDirectory(), extra: options)
        defer { second.stop() }
        #expect(first.banner.contains("loaded fixture"))
        #expect(second.banner.contains("fixture not reloaded"), "the second process must find the first one's data: \(second.banner)")

        // The race, by an independent client: one signed body, both gateways, one barrier.
        for _ in 0..<5 {
            let race = try await EndToEndTests.run("/usr/bin/env", ["python3", Self.clientScript, "--gateway", first.url, "race", "--also", second.url, "9001", Self.signIn])
            #expect(race.status == 0, "\(race.stdout) \(race.stderr)")
            #expect(race.stdout.contains("accepted 1 of 2") && race.stdout.contains("MSGID_REPLAYED"), "\(race.stdout)")
        }

        let proxy = try ListeningProcess.roundRobin([first.url, second.url])
        defer { proxy.stop() }
        let run = try await conformance(proxy.url)
        #expect(run.status == 0, "\(run.stdout.suffix(2000)) \(run.stderr)")
        #expect(run.stdout.contains("0 failed"), "\(run.stdout.suffix(600))")
        proxy.stop()
        first.stop()
        second.stop()
        let verify = try await EndToEndTests.run(EndToEndTests.binary, ["trace", "verify", "--database", database.location])
        #expect(verify.status == 0 && verify.stdout.contains("trace intact"), "\(verify.stdout) \(verify.stderr)")
        await database.drop()
    }

    @Test("a database URL that cannot be used: one line naming it (never its password) and exit status 2")
    func badDatabaseURL() async throws {
        let unreachable = try await EndToEndTests.run(EndToEndTests.binary, ["serve", "--port", "0", "--certs", GatewayHarness.certs,
                                                                       "--database", "postgres://yibao:s3cret-pw@127.0.0.1:1/nothing"])
        #expect(unreachable.status == 2)
        let lines = unreachable.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(unreachable.stderr)")
        #expect(unreachable.stderr.hasPrefix("error: cannot connect to postgres://yibao@127.0.0.1:1/nothing"), "\(unreachable.stderr)")
        #expect(!unreachable.stderr.contains("s3cret-pw"))
        let scheme = try await EndToEndTests.run(EndToEndTests.binary, ["serve", "--port", "0", "--certs", GatewayHarness.certs, "--database", "mysql://x@y/z"])
        #expect(scheme.status == 2)
        #expect(scheme.stderr.contains("--database must be postgres://"), "\(scheme.stderr)")
        let noDatabase = try await EndToEndTests.run(EndToEndTests.binary, ["serve", "--port", "0", "--certs", GatewayHarness.certs, "--database", "postgres://yibao@127.0.0.1:1/"])
        #expect(noDatabase.status == 2)
        #expect(noDatabase.stderr.contains("no database name"), "\(noDatabase.stderr)")
    }
}
