import Synchronization

/// Group commit for a store's writer: write transactions that arrive together run one after the
/// other inside one database transaction, each in its own savepoint, and share one `COMMIT` — one
/// fsync (one WAL flush) for the group. No member returns before the commit holding its writes is
/// on disk; a member whose body throws is rolled back to its savepoint alone; if the commit fails,
/// every member of the group fails with it (none was answered yet, so none is acknowledged and lost).
///
/// The writes are combined, not handed from task to task: a write queues its body; if no task is
/// combining, its own task becomes the combiner and runs the queued bodies back to back on the
/// writer connection — its own first, then those that queued meanwhile, up to ``maximumMembers``
/// — commits, and wakes their tasks with their results. So the writer connection is held only
/// while bodies run and the commit is made, never while a woken task waits for a free thread
/// (under load the cooperative threads are busy with signatures: a hand-off per member made the
/// writer wait behind them). After its group, the combiner passes the role to the first write
/// still queued, whose task runs the next group: a combiner answers its own request after one group.
///
/// The actor keeps the queue; the bodies run beside it, so others keep queueing meanwhile.
actor CommitGroup {
    /// Most bodies one group runs (failed ones included), so most members one commit carries: bounds the wait of the group's first member.
    let maximumMembers: Int
    private var queue: [Job] = []
    private var combining = false
    /// Commits made and members they carried, for ``statistics``.
    private var commits = 0
    private var committedMembers = 0

    init(maximumMembers: Int = 32) {
        self.maximumMembers = max(1, maximumMembers)
    }

    /// A write waiting for the writer, its session type erased (one store's writes all share one
    /// ``GroupTransaction`` type).
    struct Job: Sendable {
        /// Opens a transaction for a group; commits it; ends it without keeping anything.
        let begin: @Sendable () async throws -> any Sendable
        let commit: @Sendable (any Sendable) async throws -> Void
        let rollback: @Sendable (any Sendable) async -> Void
        /// Runs the body in its savepoint on the open transaction.
        let run: @Sendable (any Sendable) async -> Outcome
        /// Answers a joined member once its group's commit is made (nil) or failed (the error).
        let finish: @Sendable ((any Error)?) -> Void
        /// Tells the job's task to combine the next group.
        let wake: @Sendable () -> Void
    }

    /// What running a body did to the group's transaction.
    enum Outcome: Sendable {
        /// Succeeded: its writes wait for the group's commit.
        case joined
        /// Threw: its writes were undone and it was answered with its error.
        case failed
        /// Threw, and the database ended the whole transaction: the group's writes are gone.
        case transactionLost(any Error)
    }

    /// Queues `job`; true when its task must combine (nobody else is).
    func enqueue(_ job: Job) -> Bool {
        queue.append(job)
        if combining { return false }
        combining = true
        return true
    }

    /// The next queued write, if any.
    func next() -> Job? { queue.isEmpty ? nil : queue.removeFirst() }

    /// The combiner's group is done: the first write still queued combines next, or nobody does.
    func handOff() {
        if let first = queue.first { first.wake() } else { combining = false }
    }

    /// Counts a commit of `size` members.
    func committed(size: Int) {
        commits += 1
        committedMembers += size
    }

    /// Whether a task is combining (holds the writer connection, or is about to).
    var isHeld: Bool { combining }

    /// Writes queued and not yet started.
    var waiting: Int { queue.count }

    /// Commits made and the members they carried (the mean group size is their ratio).
    var statistics: (commits: Int, members: Int) { (commits, committedMembers) }
}

/// What a store does on its writer connection for ``CommitGroup/member(_:_:)``.
protocol GroupTransaction: Sendable {
    associatedtype Session: Sendable
    /// Opens the group's transaction (taking the store's write lock) and returns the session bodies use.
    func begin() async throws -> Session
    /// `SAVEPOINT member` / `RELEASE SAVEPOINT member`.
    func savepoint(_ session: Session) async throws
    func releaseSavepoint(_ session: Session) async throws
    /// Undoes the member's writes; false when the whole transaction is gone (the group's writes with it).
    func rollbackToSavepoint(_ session: Session) async -> Bool
    func commit(_ session: Session) async throws
    /// Ends the transaction without keeping anything (best effort).
    func rollback(_ session: Session) async
}

extension CommitGroup {
    /// Runs `body` as one member of a group on `transaction`'s writer: returns once the commit
    /// carrying its writes is durable, or throws (its own error, or the group's commit failure).
    nonisolated func member<Transaction: GroupTransaction, T: Sendable>(
        _ transaction: Transaction, _ body: @escaping @Sendable (Transaction.Session) async throws -> T
    ) async throws -> T {
        let slot = JobSlot<T>()
        let value = Mutex<Result<T, any Error>?>(nil)
        let job = Job(
            begin: { try await transaction.begin() },
            commit: { try await transaction.commit($0 as! Transaction.Session) },
            rollback: { await transaction.rollback($0 as! Transaction.Session) },
            run: { erased in
                let session = erased as! Transaction.Session
                do {
                    try await transaction.savepoint(session)
                    let result = try await body(session)
                    try await transaction.releaseSavepoint(session)
                    value.withLock { $0 = .success(result) }
                    return .joined
                } catch {
                    // Only this body's writes are undone; if the database ended the whole transaction
                    // (an I/O error, a lost connection), the joined members' writes went with it.
                    let kept = await transaction.rollbackToSavepoint(session)
                    slot.signal(.done(.failure(error)))
                    return kept ? .failed : .transactionLost(error)
                }
            },
            finish: { error in
                // A joined member always has its value; were it missing, the member must not wait for ever.
                let result = value.withLock { $0 } ?? .failure(CancellationError())
                slot.signal(.done(error.map { .failure($0) } ?? result))
            },
            wake: { slot.signal(.combine) })
        if await enqueue(job) { await combineOneGroup() }
        while true {
            switch await slot.wait() {
            case .combine: await combineOneGroup()
            case .done(let result): return try result.get()
            }
        }
    }

    /// Runs one group, then passes the combiner's role on.
    private nonisolated func combineOneGroup() async {
        await runGroup()
        await handOff()
    }

    /// Opens a transaction, runs queued bodies until none is left or the group is full, commits
    /// (or rolls back when nobody joined) and answers the members.
    private nonisolated func runGroup() async {
        guard let first = await next() else { return }
        let session: any Sendable
        do {
            session = try await first.begin()
        } catch {
            first.finish(error)
            return
        }
        var joined: [Job] = []
        var bodies = 0
        var current: Job? = first
        while let job = current {
            bodies += 1
            switch await job.run(session) {
            case .joined: joined.append(job)
            case .failed: break
            case .transactionLost(let error):
                // Whatever is left of the transaction is ended, so the writer is free for the next group.
                await first.rollback(session)
                for member in joined { member.finish(error) }
                return
            }
            // Every body run counts towards the bound, failed ones too: a group's first member waits for at most that many.
            current = bodies < maximumMembers ? await next() : nil
        }
        guard !joined.isEmpty else {
            await first.rollback(session)
            return
        }
        do {
            try await first.commit(session)
            await committed(size: joined.count)
            for member in joined { member.finish(nil) }
        } catch {
            await first.rollback(session)
            for member in joined { member.finish(error) }
        }
    }
}

/// Where a queued write learns what happened: told to combine the next group, or its result.
/// Signals sent before the task waits are kept in order.
final class JobSlot<T: Sendable>: Sendable {
    enum Signal: Sendable {
        case combine
        case done(Result<T, any Error>)
    }

    private let state = Mutex<(pending: [Signal], waiter: CheckedContinuation<Signal, Never>?)>(([], nil))

    func signal(_ signal: Signal) {
        let waiter: CheckedContinuation<Signal, Never>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending.append(signal)
            return nil
        }
        waiter?.resume(returning: signal)
    }

    func wait() async -> Signal {
        await withCheckedContinuation { continuation in
            let ready: Signal? = state.withLock { state in
                if !state.pending.isEmpty { return state.pending.removeFirst() }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
