import Dispatch

/// Where a store's write transactions run: a serial dispatch queue of the store's own, used as the
/// task executor of every write (`Task(executorPreference:)`). The group's bodies, its `BEGIN` and
/// `COMMIT` (SQLite's fsync blocks this queue's thread, never a cooperative one), and every resumption
/// after a database round trip (PostgreSQL) run here at once — not queued behind the signatures and
/// JSON the cooperative threads are busy with, which is where a write used to wait most of its time
/// under load (docs/PERFORMANCE.md). The queue's thread is dispatch's, taken while work is queued.
final class WriterExecutor: TaskExecutor {
    private let queue: DispatchQueue
    private static let marker = DispatchSpecificKey<ObjectIdentifier>()

    init(label: String) {
        queue = DispatchQueue(label: label)
        queue.setSpecific(key: Self.marker, value: ObjectIdentifier(self))
    }

    /// Whether the caller runs on this executor's queue.
    var isCurrent: Bool { DispatchQueue.getSpecific(key: Self.marker) == ObjectIdentifier(self) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }
}
