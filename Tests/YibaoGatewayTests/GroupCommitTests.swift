import Foundation
import Testing
import YibaoCore
import YibaoTestSupport
@testable import YibaoStore

/// Group commit on both stores: write transactions that arrive together share one commit (one
/// fsync, one WAL flush), each is answered only after that commit, and one that fails is undone alone.
@Suite("Group commit")
struct GroupCommitTests {
    /// The store's commit group (the writer's lock), to hold the first transaction open until a
    /// known number of others queue behind it: the groups formed are known, not left to timing.
    func group(of store: any GatewayStore) throws -> CommitGroup {
        if let store = store as? SQLiteStore { return store.commitGroup }
        return try #require(store as? PostgresStore).commitGroup
    }

    func withDatabase(_ engine: StoreEngine, _ body: (TestDatabase, any GatewayStore, CommitGroup) async throws -> Void) async throws {
        let database = try await TestDatabase.fresh(engine)
        do {
            let store = try await database.open()
            try await body(database, store, try group(of: store))
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }

    static func person(_ psnNo: String, certno: String) -> InsuredPerson {
        InsuredPerson(psnNo: psnNo, certno: certno, name: "Zhang San", gender: "1", birthDate: "1980-01-01", insutype: "310",
                      insuplcAdmdvs: "120100", insuranceStatus: "1", realNameVerified: true, internetPaymentSuspended: false)
    }

    func waitUntilHeld(_ group: CommitGroup) async {
        while await !group.isHeld { try? await Task.sleep(for: .milliseconds(1)) }
    }

    func waitUntil(_ group: CommitGroup, waiting count: Int) async {
        while await group.waiting < count { try? await Task.sleep(for: .milliseconds(1)) }
    }

    /// Starts a write that runs `body` and then keeps its group open, holding the writer, until
    /// `release` is called; returns once it holds the writer, so the writes started next queue
    /// behind it and join its group.
    func holdWriter(_ store: any GatewayStore, _ group: CommitGroup, _ body: @escaping @Sendable (any StoreWriting) async throws -> Void)
        async -> (first: Task<Void, any Error>, release: @Sendable () -> Void) {
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let first = Task {
            try await store.write { tx in
                try await body(tx)
                for await _ in gate { break }
            }
        }
        await waitUntilHeld(group)
        return (first, { open.yield() })
    }

    @Test("forty writes queued behind one share two commits (32 + 9 members, the bound), and every one is committed when it returns",
          arguments: StoreEngine.available)
    func groups(engine: StoreEngine) async throws {
        try await withDatabase(engine) { database, store, group in
            let (first, release) = await holdWriter(store, group) { tx in try await tx.setSetting("k0", "v0") }
            let others = (1...40).map { index in
                Task {
                    try await store.write { try await $0.setSetting("k\(index)", "v\(index)") }
                    // Returned: committed, so another connection sees it.
                    return try await store.read { try await $0.setting("k\(index)") }
                }
            }
            await waitUntil(group, waiting: 40)
            release()
            try await first.value
            for (index, task) in others.enumerated() { #expect(try await task.value == "v\(index + 1)") }
            let statistics = await group.statistics
            #expect(statistics.members == 41)
            #expect(statistics.commits == 2)
            // Opened again: every write of both groups is there.
            let reopened = try await database.open()
            for index in 0...40 { #expect(try await reopened.read { try await $0.setting("k\(index)") } == "v\(index)") }
        }
    }

    @Test("a body that throws inside a group is undone alone: the writes before and after it in the same commit stay",
          arguments: StoreEngine.available)
    func failingMember(engine: StoreEngine) async throws {
        try await withDatabase(engine) { _, store, group in
            struct Refused: Error {}
            let (first, release) = await holdWriter(store, group) { tx in try await tx.setSetting("before", "kept") }
            let failing = Task {
                try await store.write { tx in
                    try await tx.setSetting("failing", "half-written")
                    throw Refused()
                }
            }
            await waitUntil(group, waiting: 1)
            // A statement the database refuses (a second person with the same certno) is undone alone too.
            let conflicting = Task {
                try await store.write { tx in
                    try await tx.setSetting("conflicting", "half-written")
                    try await tx.save(Self.person("P1", certno: "120101198001011234"))
                    try await tx.save(Self.person("P2", certno: "120101198001011234"))
                }
            }
            await waitUntil(group, waiting: 2)
            let after = Task { try await store.write { try await $0.setSetting("after", "kept") } }
            await waitUntil(group, waiting: 3)
            release()
            try await first.value
            await #expect(throws: Refused.self) { try await failing.value }
            await #expect(throws: (any Error).self) { try await conflicting.value }
            try await after.value
            #expect(try await store.read { try await $0.setting("before") } == "kept")
            #expect(try await store.read { try await $0.setting("after") } == "kept")
            #expect(try await store.read { try await $0.setting("failing") } == nil)
            #expect(try await store.read { try await $0.setting("conflicting") } == nil)
            #expect(try await store.read { try await $0.person(psnNo: "P1") } == nil)
            let statistics = await group.statistics
            #expect(statistics.commits == 1)
            #expect(statistics.members == 2)
        }
    }

    @Test("trace entries appended by one group chain without a gap, even when a member that appended one is undone",
          arguments: StoreEngine.available)
    func traceInOneGroup(engine: StoreEngine) async throws {
        try await withDatabase(engine) { _, store, group in
            struct Refused: Error {}
            let at = Date(timeIntervalSince1970: 1_795_000_000)
            @Sendable func event(_ subject: String) -> TraceEvent { TraceEvent(at: at, kind: "test.append", actor: "test", subject: subject) }
            let (first, release) = await holdWriter(store, group) { tx in try await tx.appendTrace(event("first")) }
            // Appends, then throws: its entry is undone, and the next member must chain to "first".
            let failing = Task {
                try await store.write { tx in
                    try await tx.appendTrace(event("undone"))
                    throw Refused()
                }
            }
            await waitUntil(group, waiting: 1)
            let second = Task { try await store.write { tx in try await tx.appendTrace(event("second")); try await tx.appendTrace(event("third")) } }
            await waitUntil(group, waiting: 2)
            release()
            try await first.value
            await #expect(throws: Refused.self) { try await failing.value }
            try await second.value
            let entries = try await store.read { try await $0.traceEntries(from: 1, limit: 100) }
            var verifier = TraceVerifier()
            for entry in entries { verifier.check(entry) }
            #expect(verifier.report.isIntact, "\(verifier.report.problems)")
            let subjects = entries.map(\.subject)
            #expect(subjects.suffix(3) == ["first", "second", "third"])
            #expect(!subjects.contains("undone"))
            #expect(await group.statistics.commits == 1)
        }
    }

    @Test("a member that swallows a database error cannot take its group down: PostgreSQL fails it alone, SQLite lets it join",
          arguments: StoreEngine.available)
    func swallowedError(engine: StoreEngine) async throws {
        try await withDatabase(engine) { _, store, group in
            let (first, release) = await holdWriter(store, group) { tx in try await tx.setSetting("before", "kept") }
            // The second save breaks the certno constraint and its error is ignored: PostgreSQL has
            // aborted the transaction meanwhile, SQLite has only refused the one statement.
            let swallowing = Task {
                try await store.write { tx in
                    try await tx.save(Self.person("P1", certno: "120101198001011234"))
                    try? await tx.save(Self.person("P2", certno: "120101198001011234"))
                }
            }
            await waitUntil(group, waiting: 1)
            let after = Task { try await store.write { try await $0.setSetting("after", "kept") } }
            await waitUntil(group, waiting: 2)
            release()
            try await first.value
            let swallowed = await swallowing.result
            try await after.value
            #expect(try await store.read { try await $0.setting("before") } == "kept")
            #expect(try await store.read { try await $0.setting("after") } == "kept")
            let saved = try await store.read { try await $0.person(psnNo: "P1") }
            switch engine {
            case .postgres:
                #expect(throws: (any Error).self) { try swallowed.get() }
                #expect(saved == nil)
            case .sqlite:
                #expect(throws: Never.self) { try swallowed.get() }
                #expect(saved != nil)
            }
            #expect(await group.statistics.commits == 1)
        }
    }

    @Test("a lone write commits at once (no waiting for company) and a failing lone write leaves nothing", arguments: StoreEngine.available)
    func alone(engine: StoreEngine) async throws {
        try await withDatabase(engine) { _, store, group in
            struct Refused: Error {}
            try await store.write { try await $0.setSetting("one", "1") }
            await #expect(throws: Refused.self) { try await store.write { tx in try await tx.setSetting("two", "2"); throw Refused() } }
            try await store.write { try await $0.setSetting("three", "3") }
            #expect(try await store.read { try await $0.setting("two") } == nil)
            #expect(try await store.read { try await $0.setting("three") } == "3")
            let statistics = await group.statistics
            #expect(statistics.commits == 2)
            #expect(statistics.members == 2)
        }
    }
}
