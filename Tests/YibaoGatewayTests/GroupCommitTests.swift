import Foundation
import Testing
@testable import YibaoStore

/// Group commit on SQLite: write transactions that arrive together share one commit (one fsync),
/// each is answered only after that commit, and one that fails is undone alone.
@Suite("Group commit")
struct GroupCommitTests {
    /// A store on a fresh file and a gate that holds the first transaction open until `waiting`
    /// others queue behind it, so the groups formed are known, not left to timing.
    func store() throws -> (SQLiteStore, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yibao-group-\(UUID().uuidString)")
        return (try SQLiteStore(dataDirectory: directory.path), directory)
    }

    func waitUntilHeld(_ group: CommitGroup) async {
        while await !group.isHeld { await Task.yield() }
    }

    func waitUntil(_ group: CommitGroup, waiting count: Int) async {
        while await group.waiting < count { await Task.yield() }
    }

    @Test("forty writes queued behind one share two commits (32 + 9 members, the bound), and every one is on disk when it returns")
    func groups() async throws {
        let (store, directory) = try store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let first = Task {
            try await store.write { tx in
                try await tx.setSetting("k0", "v0")
                for await _ in gate { break }
            }
        }
        await waitUntilHeld(store.commitGroup)
        let others = (1...40).map { index in
            Task {
                try await store.write { try await $0.setSetting("k\(index)", "v\(index)") }
                // Returned: committed, so a reader connection sees it.
                return try await store.read { try await $0.setting("k\(index)") }
            }
        }
        await waitUntil(store.commitGroup, waiting: 40)
        open.yield()
        try await first.value
        for (index, task) in others.enumerated() { #expect(try await task.value == "v\(index + 1)") }
        let statistics = await store.commitStatistics()
        #expect(statistics.members == 41)
        #expect(statistics.commits == 2)
        // Reopened from the file: every write of both groups is there.
        let reopened = try SQLiteStore(dataDirectory: directory.path)
        for index in 0...40 { #expect(try await reopened.read { try await $0.setting("k\(index)") } == "v\(index)") }
    }

    @Test("a body that throws inside a group is undone alone: the writes before and after it in the same commit stay")
    func failingMember() async throws {
        let (store, directory) = try store()
        defer { try? FileManager.default.removeItem(at: directory) }
        struct Refused: Error {}
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let first = Task {
            try await store.write { tx in
                try await tx.setSetting("before", "kept")
                for await _ in gate { break }
            }
        }
        await waitUntilHeld(store.commitGroup)
        let failing = Task {
            try await store.write { tx in
                try await tx.setSetting("failing", "half-written")
                throw Refused()
            }
        }
        await waitUntil(store.commitGroup, waiting: 1)
        let after = Task { try await store.write { try await $0.setSetting("after", "kept") } }
        await waitUntil(store.commitGroup, waiting: 2)
        open.yield()
        try await first.value
        await #expect(throws: Refused.self) { try await failing.value }
        try await after.value
        #expect(try await store.read { try await $0.setting("before") } == "kept")
        #expect(try await store.read { try await $0.setting("after") } == "kept")
        #expect(try await store.read { try await $0.setting("failing") } == nil)
        let statistics = await store.commitStatistics()
        #expect(statistics.commits == 1)
        #expect(statistics.members == 2)
    }

    @Test("a lone write commits at once (no waiting for company) and a failing lone write leaves nothing")
    func alone() async throws {
        let (store, directory) = try store()
        defer { try? FileManager.default.removeItem(at: directory) }
        struct Refused: Error {}
        try await store.write { try await $0.setSetting("one", "1") }
        await #expect(throws: Refused.self) { try await store.write { tx in try await tx.setSetting("two", "2"); throw Refused() } }
        try await store.write { try await $0.setSetting("three", "3") }
        #expect(try await store.read { try await $0.setting("two") } == nil)
        #expect(try await store.read { try await $0.setting("three") } == "3")
        let statistics = await store.commitStatistics()
        #expect(statistics.commits == 2)
        #expect(statistics.members == 2)
    }
}
