/// Group commit for the SQLite writer: write transactions that arrive together run one after the
/// other inside one SQLite transaction, each in its own savepoint, and share one `COMMIT` — one
/// fsync for the group. No member returns before the commit holding its writes is on disk; a member
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
