import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import YibaoClient
import YibaoCore
import YibaoServices
import YibaoCrypto
@testable import YibaoGateway
import YibaoStore

@Suite("Admin API, public list, trace")
struct AdminAndTraceTests {
    func adminHeaders(_ harness: GatewayHarness) -> HTTPFields { [.authorization: "Bearer \(harness.credentials.adminToken)"] }

    @Test("the admin API needs the bearer token")
    func adminAuth() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let (status, body) = try await client.postJSON("/admin/institutions", ["code": "H1"])
            #expect(status == 401)
            #expect(body.string("code") == "UNAUTHORISED")
        }
    }

    @Test("AG-1/AG-2/AG-3/AG-4/AG-5 through the admin API: register, apply, accept, evaluate, sign; suspension cascades")
    func agreementLifecycle() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let headers = adminHeaders(harness)
            let created = try await client.postJSON("/admin/institutions", [
                "code": "H12010100099", "name": "Test Hospital", "kind": "hospital", "admdvs": "120101",
                "subjects": .array(["A03"]), "capabilities": .array(Capability.allCases.map { .string($0.rawValue) }),
            ], headers: headers)
            #expect(created.status == 201)
            func step(_ kind: String, _ action: String, _ body: JSONObject) async throws -> (status: Int, body: JSONObject) {
                try await client.postJSON("/admin/institutions/H12010100099/agreements/\(kind)/\(action)", body, headers: headers)
            }
            #expect(try await step("entity", "apply", ["at": "2026-03-02T09:00:00+08:00"]).status == 200)
            #expect(try await step("entity", "accept", ["at": "2026-03-03T09:00:00+08:00"]).status == 200)
            // AG-3: a failing evaluation needs written reasons.
            let noReasons = try await step("entity", "evaluate", ["at": "2026-04-01T09:00:00+08:00", "passed": false])
            #expect(noReasons.status == 400 || noReasons.status == 422 || noReasons.status == 403)
            #expect(noReasons.body.string("rule") == "AG-3")
            #expect(try await step("entity", "evaluate", ["at": "2026-04-01T09:00:00+08:00", "passed": true]).status == 200)
            let signed = try await step("entity", "sign", ["at": "2026-04-03T09:00:00+08:00", "termStart": "2026-04-03T00:00:00+08:00", "termEnd": "2028-04-02T23:59:59+08:00"])
            #expect(signed.status == 200)
            // Internet+: apply, accept, evaluate, then AG-4: the term must equal the entity agreement's.
            #expect(try await step("internetPlus", "apply", ["at": "2026-05-06T09:00:00+08:00"]).status == 200)
            #expect(try await step("internetPlus", "accept", ["at": "2026-05-07T09:00:00+08:00"]).status == 200)
            #expect(try await step("internetPlus", "evaluate", ["at": "2026-06-01T09:00:00+08:00", "passed": true]).status == 200)
            let wrongTerm = try await step("internetPlus", "sign", ["at": "2026-06-02T09:00:00+08:00", "termStart": "2026-06-02T00:00:00+08:00", "termEnd": "2028-04-02T23:59:59+08:00"])
            #expect(wrongTerm.body.string("rule") == "AG-4")
            let rightTerm = try await step("internetPlus", "sign", ["at": "2026-06-02T09:00:00+08:00", "termStart": "2026-04-03T00:00:00+08:00", "termEnd": "2028-04-02T23:59:59+08:00"])
            #expect(rightTerm.status == 200)
            let listed = try await client.getJSON("/public/institutions")
            guard case .array(let list) = listed.body else { Issue.record("no list"); return }
            #expect(list.contains { $0.objectValue?.string("code") == "H12010100099" })
            // AG-5: suspending the entity agreement suspends the Internet+ one at the same moment.
            let suspended = try await step("entity", "suspend", ["reason": "inspection"])
            #expect(suspended.body["internetPlus"]?.objectValue?.string("state") == "suspended")
            let unlisted = try await client.getJSON("/public/institutions")
            guard case .array(let after) = unlisted.body else { Issue.record("no list"); return }
            #expect(!after.contains { $0.objectValue?.string("code") == "H12010100099" })
        }
    }

    @Test("AG-10: the public list shows exactly the institutions with an Internet+ agreement in force")
    func publicList() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let (status, body) = try await client.getJSON("/public/institutions")
            #expect(status == 200)
            guard case .array(let list) = body else { Issue.record("not a list"); return }
            #expect(Set(list.compactMap { $0.objectValue?.string("code") }) == [Demo.hospital, Demo.pharmacy])
        }
    }

    @Test("a fixture with one bad step is refused with its pointer and leaves nothing behind")
    func fixtureAllOrNothing() async throws {
        let harness = try await GatewayHarness.make(fixture: false)
        let fixture = try GatewayFixtureSamples.brokenFixture()
        try await harness.app().test(.router) { client in
            let (status, body) = try await client.postRaw("/admin/fixtures", fixture, headers: adminHeaders(harness))
            #expect(status == 400)
            #expect(body.string("pointer") == "/agreements/0/steps/3/termEnd")
            let institutions = try await harness.gateway.store.read { try await $0.institutions() }
            #expect(institutions.isEmpty)
            let persons = try await harness.gateway.store.read { try await $0.persons() }
            #expect(persons.isEmpty)
        }
    }

    @Test("a person's resident ID number cannot be taken over by another person record")
    func certnoTaken() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app().test(.router) { client in
            let (status, body) = try await client.postJSON("/admin/persons", [
                "psnNo": "12000000000000000099", "certno": .string(Demo.zhangSan.certno), "name": "Impostor", "gender": "1",
                "birthDate": "1980-01-01", "insutype": "310", "insuplcAdmdvs": "120100"], headers: adminHeaders(harness))
            #expect(status == 409)
            #expect(body.string("pointer") == "/certno")
            let kept = try await harness.gateway.store.read { try await $0.person(psnNo: Demo.zhangSan.psnNo) }
            #expect(kept?.name == "Zhang San")
        }
    }

    @Test("the test clock exists only when the gateway was started with it")
    func testClockFlag() async throws {
        let without = try await GatewayHarness.make(testClock: false, fixture: false)
        try await without.app().test(.router) { client in
            let refused = try await client.postJSON("/__clock/advance", ["seconds": .number("60")])
            #expect(refused.status == 404)
        }
        let with = try await GatewayHarness.make(fixture: false)
        try await with.app().test(.router) { client in
            let before = await with.gateway.clock.now()
            // The clock moves every party's deadlines: only the admin may move it.
            let anonymous = try await client.postJSON("/__clock/advance", ["seconds": .number("3600")])
            #expect(anonymous.status == 401)
            #expect(await with.gateway.clock.now().timeIntervalSince(before) < 3600)
            let advanced = try await client.postJSON("/__clock/advance", ["seconds": .number("3600")], headers: adminHeaders(with))
            #expect(advanced.status == 200)
            #expect(await with.gateway.clock.now().timeIntervalSince(before) >= 3600)
        }
    }

    @Test("SV-2: trace verify finds an entry changed behind the gateway's back, with the append-only triggers dropped")
    func traceTampering() async throws {
        let harness = try await GatewayHarness.make()
        let database = (harness.dataDirectory as NSString).appendingPathComponent("yibao.sqlite")
        #expect(try await TraceAudit.verify(harness.gateway.store).isIntact)
        // The database itself refuses an update of the trace.
        let blocked = try PythonSQLite.run(database, "UPDATE trace SET subject = 'x' WHERE seq = 3")
        #expect(blocked.status != 0)
        #expect(blocked.stderr.contains("append-only"))
        let replaced = try PythonSQLite.run(database, "INSERT OR REPLACE INTO trace SELECT seq, at, kind, actor, 'x', outcome, payload, prev_hash, hash FROM trace WHERE seq = 3")
        #expect(replaced.status != 0)
        #expect(replaced.stderr.contains("append-only"))
        // Someone with file access drops the trigger and edits an entry: the chain shows it.
        let edited = try PythonSQLite.run(database, "DROP TRIGGER trace_no_update; UPDATE trace SET subject = 'someone-else' WHERE seq = 3")
        #expect(edited.status == 0, "\(edited.stderr)")
        let reopened = try SQLiteStore(path: database, readOnly: true)
        let report = try await TraceAudit.verify(reopened)
        #expect(!report.isIntact)
        #expect(report.problems.first?.seq == 3)
        #expect(report.problems.first?.reason.contains("altered") == true)
    }
}

/// Runs SQL on a database file with Python's sqlite3 module (an independent writer).
enum PythonSQLite {
    static func run(_ database: String, _ sql: String) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()", database, sql]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

enum GatewayFixtureSamples {
    /// One institution, one practitioner-free entity agreement whose sign step lacks termEnd, one person.
    static func brokenFixture() throws -> [UInt8] {
        Array("""
        {"institutions":[{"code":"H12010100077","name":"Broken","kind":"hospital","admdvs":"120101"}],
         "agreements":[{"institution":"H12010100077","kind":"entity","steps":[
           {"action":"apply","at":"2026-03-02T09:00:00+08:00"},{"action":"accept","at":"2026-03-03T09:00:00+08:00"},
           {"action":"evaluate","at":"2026-04-01T09:00:00+08:00","passed":true},
           {"action":"sign","at":"2026-04-03T09:00:00+08:00","termStart":"2026-04-03T00:00:00+08:00"}]}],
         "persons":[{"psnNo":"1","certno":"2","name":"N","gender":"1","birthDate":"1990-01-01","insutype":"310","insuplcAdmdvs":"120100"}]}
        """.utf8)
    }
}

/// PR-2 re-checked whenever a retail pharmacy acts: staff changes through the agency API take effect at once.
@Suite("PR-2: a pharmacy's staffing, re-checked when its staff change")
struct PharmacyStaffingTests {
    @Test("a pharmacist re-registered as not on duty (name-only) takes the pharmacy below PR-2: its next request is refused naming the rule; back on duty, it is accepted")
    func staffChange() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.app(callbacks: false).test(.live) { live in
            let port = try #require(live.port)
            let pharmacy = try await harness.client(port: port, institution: Demo.pharmacy)
            let query: JSONObject = ["data": .object(["mdtrt_cert_type": "02", "mdtrt_cert_no": .string(Demo.zhangSan.certno)])]
            _ = try await pharmacy.call(infno: "1101", input: query)
            func register(onDuty: Bool) async throws {
                let body = #"{"code":"Y12010100102","name":"Sun Yue","role":"pharmacist","institutionCode":"P12010100001","licensed":false,"onDuty":\#(onDuty)}"#
                let answer = try await HTTP.post(.shared, url: "http://127.0.0.1:\(port)/admin/practitioners", body: Array(body.utf8), bearer: harness.credentials.adminToken)
                #expect(answer.objectValue?["onDuty"] == .bool(onDuty), "\(answer)")
            }
            try await register(onDuty: false)
            await expectRefusal("PHARMACY_STAFFING_INSUFFICIENT", rule: "PR-2") { _ = try await pharmacy.call(infno: "1101", input: query) }
            try await register(onDuty: true)
            _ = try await pharmacy.call(infno: "1101", input: query)
        }
    }
}
