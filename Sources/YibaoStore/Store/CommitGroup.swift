/// Group commit for a store's writer: write transactions that arrive together run one after the
/// other inside one database transaction, each in its own savepoint, and share one `COMMIT` — one
/// fsync (one WAL flush) for the group. No member returns before the commit holding its writes is on disk; a member
/// whose body throws is rolled back to its savepoint alone; if the commit fails, every member of
/// the group fails with it (none was answered yet, so none is acknowledged and lost).
///
/// The actor is the writer's lock: one holder at a time runs its body on the writer connection.
/// When the holder's body is done and others wait, it hands the lock to the next waiter with the
/// transaction still open and waits for the commit; the last of a group (nobody waiting, or
/// ``maximumMembers`` reached) commits and wakes the others.
actor CommitGroup {
    /// What the holder must do once its body has run.
    enum Turn: Sendable {
        /// Others are waiting: the lock was handed on; `wait` for the group's commit.
        case handedOff
        /// Nobody is waiting (or the group is full): commit for `members` (the caller's own
        /// writes included when its body succeeded), then ``release()``.
        case commit(members: [CheckedContinuation<Void, any Error>])
    }

    /// Most members one commit carries: bounds the wait of the group's first member.
    let maximumMembers: Int
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Members whose bodies completed in the open transaction and wait for its commit.
    private var members: [CheckedContinuation<Void, any Error>] = []
    /// Whether a transaction (`BEGIN IMMEDIATE`) is open on the writer connection.
    private(set) var transactionOpen = false
    /// Commits made and members they carried, for ``statistics``.
    private var commits = 0
    private var committedMembers = 0

    init(maximumMembers: Int = 32) {
        self.maximumMembers = max(1, maximumMembers)
    }

    /// Waits for the writer connection.
    func acquire() async {
        guard held else { held = true; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Marks the transaction open (after `BEGIN IMMEDIATE`).
    func opened() { transactionOpen = true }

    /// The holder's body has run (`joining`: it succeeded and its writes wait for the commit).
    /// Hands the lock on while the group may grow; otherwise the caller commits.
    func finish(joining: Bool) async throws -> Turn {
        if !waiters.isEmpty && members.count + 1 < maximumMembers {
            if joining {
                try await withCheckedThrowingContinuation { (member: CheckedContinuation<Void, any Error>) in
                    members.append(member)
                    waiters.removeFirst().resume()
                }
                return .handedOff
            }
            waiters.removeFirst().resume()
            return .handedOff
        }
        let group = members
        members = []
        return .commit(members: group)
    }

    /// The transaction ended (committed, rolled back, or lost): fails the waiting members with
    /// `error` if one is given (their writes are gone).
    func closed(failing error: (any Error)?) {
        transactionOpen = false
        if let error {
            let lost = members
            members = []
            for member in lost { member.resume(throwing: error) }
        }
    }

    /// Counts a commit of `size` members.
    func committed(size: Int) {
        commits += 1
        committedMembers += size
    }

    /// Hands the lock to the next waiter, or frees it.
    func release() {
        if waiters.isEmpty { held = false } else { waiters.removeFirst().resume() }
    }

    /// Whether a body holds the writer connection.
    var isHeld: Bool { held }

    /// Bodies waiting for the writer connection.
    var waiting: Int { waiters.count }

    /// Commits made and the members they carried (the mean group size is their ratio).
    var statistics: (commits: Int, members: Int) { (commits, committedMembers) }
}

/// What a store does on its writer connection for ``CommitGroup/member(_:_:)``.
protocol GroupTransaction: Sendable {
    associatedtype Session: Sendable
    /// Opens the group's transaction (taking the store's write lock) and returns the session bodies use.
    func begin() async throws -> Session
    /// The open transaction's session (a later member of the group).
    func current() async throws -> Session
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
    /// Not isolated to the actor: the body runs beside it, and others keep queueing meanwhile.
    nonisolated func member<Transaction: GroupTransaction, T: Sendable>(
        _ transaction: Transaction, _ body: @Sendable (Transaction.Session) async throws -> T
    ) async throws -> T {
        await acquire()
        // The writer connection is this body's until it finishes its turn.
        let session: Transaction.Session
        do {
            if await transactionOpen {
                session = try await transaction.current()
            } else {
                session = try await transaction.begin()
                await opened()
            }
        } catch {
            await release()
            throw error
        }
        var outcome: Result<T, any Error>
        do {
            try await transaction.savepoint(session)
            let value = try await body(session)
            try await transaction.releaseSavepoint(session)
            outcome = .success(value)
        } catch {
            outcome = .failure(error)
            // Only this body's writes are undone; if the database ended the whole transaction (an
            // I/O error, a lost connection), the waiting members' writes went with it: they fail too.
            if !(await transaction.rollbackToSavepoint(session)) { await closed(failing: error) }
        }
        let joining = if case .success = outcome { true } else { false }
        // Throws when this body handed the lock on and the group's commit then failed.
        let turn = try await finish(joining: joining)
        guard case .commit(let members) = turn else { return try outcome.get() }
        var commitError: (any Error)?
        if await transactionOpen {
            if members.isEmpty && !joining {
                await transaction.rollback(session)
            } else {
                do {
                    try await transaction.commit(session)
                    await committed(size: members.count + (joining ? 1 : 0))
                } catch {
                    commitError = error
                    await transaction.rollback(session)
                }
            }
        }
        for member in members {
            if let commitError { member.resume(throwing: commitError) } else { member.resume() }
        }
        await closed(failing: nil)
        await release()
        if let commitError, joining { throw commitError }
        return try outcome.get()
    }
}
