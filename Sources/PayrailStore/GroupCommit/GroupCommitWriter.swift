import Dispatch
import GRDB
import Metrics

/// The process's single writer: concurrent write transactions share one durable commit.
///
/// With `synchronous = FULL` every commit waits for the disk, so one commit per caller caps throughput at the
/// disk's fsync rate. Callers submit a closure; one drain loop takes every closure waiting at that moment, runs
/// each as its own part of one `BEGIN IMMEDIATE` transaction, commits once, then answers every caller.
///
/// - A closure that throws has its own writes undone; its caller gets its error, the others commit. The batch
///   first runs without savepoints, which cost SQLite a copy of every page a write touches: a closure that throws
///   before it changed a row needs no undo. If one throws after it did, the whole batch is rolled back and run
///   again with a savepoint per closure (`payrail_group_commit_reruns_total`), so a closure may run twice and must
///   keep its effects to the database (or make them harmless to repeat, like a notification hook).
/// - Nobody is answered before the commit that holds their write: if the commit fails, every caller of that
///   batch gets the commit error.
/// - A closure must not begin or commit transactions itself (nested savepoints are fine).
/// - A write may ask for `.normal` durability (lease bookkeeping, whose loss to a power cut is harmless): a batch of
///   only such writes commits with `synchronous = NORMAL`, without an fsync of its own. See `write(durability:_:)`.
public final class GroupCommitWriter: Sendable {
    /// A submitted closure and the way to answer its caller.
    private final class Job: @unchecked Sendable {
        let run: (Database) throws -> Void
        let finish: (_ commitError: (any Error)?) -> Void
        let durability: DatabaseOpener.Durability
        var ownError: (any Error)?

        init(
            durability: DatabaseOpener.Durability, run: @escaping (Database) throws -> Void,
            finish: @escaping ((any Error)?) -> Void
        ) {
            self.durability = durability
            self.run = run
            self.finish = finish
        }
    }

    private struct State {
        var waiting: [Job] = []
        var draining = false
    }

    private let pool: DatabasePool
    /// Where the drain loop runs: a plain serial queue of its own, which enters the pool's writer synchronously
    /// (on an idle writer that runs on this queue's thread), so a batch costs no hop to the writer's queue and
    /// back to Swift's pool. It blocks its thread while SQLite commits; it is no Swift cooperative thread.
    private let drainQueue = DispatchQueue(label: "payrail.group-commit")
    private let state = Locked(State())
    private let batchSizes = Locked<(batches: Int, jobs: Int)>((0, 0))
    private let rerunBatches = Locked(0)
    /// `payrail_group_commits_total`: durable commits (batches) of this process's writer.
    private let commits = Counter(label: "payrail_group_commits_total")
    /// `payrail_group_commit_writes_total`: write transactions they carried (divided by the commits: the mean
    /// batch, how many writes share one fsync).
    private let writes = Counter(label: "payrail_group_commit_writes_total")
    /// `payrail_group_commit_reruns_total`: batches run again with a savepoint per write, because a write threw
    /// after it had changed rows (see `SavepointElision`).
    private let reruns = Counter(label: "payrail_group_commit_reruns_total")
    /// `payrail_group_commit_unsynced_total`: batches of `.normal` writes only, committed without an fsync.
    private let unsyncedCommits = Counter(label: "payrail_group_commit_unsynced_total")
    private let unsyncedBatches = Locked(0)
    /// The pool writer's own `synchronous` setting, which every batch leaves it in.
    private let baseline: DatabaseOpener.Durability
    /// The writer connection's `synchronous` as last set here; nil when unknown (a failed setting).
    private let synchronous: Locked<DatabaseOpener.Durability?>

    /// Creates the writer of a pool opened with `durability` (`DatabaseOpener.openPool`). Use one per process (one
    /// per pool).
    public init(pool: DatabasePool, durability: DatabaseOpener.Durability = .full) {
        self.pool = pool
        self.baseline = durability
        self.synchronous = Locked(durability)
    }

    /// Runs `body` as one transaction (a savepoint of a shared one) and returns once it is committed.
    ///
    /// With `.full` (the default) the commit is on disk when this returns. With `.normal` it is visible to every
    /// connection and survives this process being killed, but a power cut or kernel crash before the next synced
    /// commit may lose it: a batch of `.normal` writes only commits with `synchronous = NORMAL` (no fsync). WAL
    /// frames are appended in commit order and any later synced commit, of any process, fsyncs the whole WAL, so
    /// such a write is lost only together with every write committed after it: nothing durable can depend on it.
    /// Use it only for writes whose loss runs idempotent work again (outbox claims, acks and retries, webhook
    /// attempt records, rate-limit reservations), never for state changes, events or money.
    public func write<T: Sendable>(
        durability: DatabaseOpener.Durability = .full, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let result = Locked<T?>(nil)
            let job = Job(
                durability: durability,
                run: { db in
                    let value = try body(db)
                    result.withLock { $0 = value }
                },
                finish: { commitError in
                    if let commitError {
                        continuation.resume(throwing: commitError)
                    } else if let value = result.withLock({ $0 }) {
                        continuation.resume(returning: value)
                    } else {
                        continuation.resume(throwing: StoreError("write_lost", "a write finished without a result"))
                    }
                })
            submit(job)
        }
    }

    /// How many commits ran and how many transactions they carried (for tests and the benchmark).
    public var commitStatistics: (commits: Int, transactions: Int) {
        batchSizes.withLock { ($0.batches, $0.jobs) }
    }

    /// How many batches ran a second time with a savepoint per write (for tests).
    public var rerunCount: Int { rerunBatches.withLock { $0 } }

    /// How many batches committed without an fsync of their own (only `.normal` writes; for tests).
    public var unsyncedCount: Int { unsyncedBatches.withLock { $0 } }

    /// How many writes are queued for the next batch (for tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    private func submit(_ job: Job) {
        let startDrain = state.withLock { state -> Bool in
            state.waiting.append(job)
            if state.draining { return false }
            state.draining = true
            return true
        }
        if startDrain {
            drainQueue.async { self.drain() }
        }
    }

    /// Commits batches until nothing is waiting.
    private func drain() {
        while true {
            let jobs = state.withLock { state -> [Job] in
                let taken = state.waiting
                state.waiting.removeAll(keepingCapacity: true)
                if taken.isEmpty { state.draining = false }
                return taken
            }
            if jobs.isEmpty { return }
            batchSizes.withLock {
                $0.batches += 1
                $0.jobs += jobs.count
            }
            commits.increment()
            writes.increment(by: jobs.count)
            let unsynced = baseline == .full && jobs.allSatisfy { $0.durability == .normal }
            if unsynced {
                unsyncedCommits.increment()
                unsyncedBatches.withLock { $0 += 1 }
            }
            do {
                try pool.writeWithoutTransaction { db in
                    // The writer rests in `baseline`; an unsynced batch lowers it for its own commit only. Whatever
                    // setting is not known for sure is set again before the next batch commits.
                    try ensureSynchronous(unsynced ? .normal : baseline, db)
                    defer { if unsynced { try? ensureSynchronous(baseline, db) } }
                    if try !commitWithoutSavepoints(jobs, db) {
                        reruns.increment()
                        rerunBatches.withLock { $0 += 1 }
                        for job in jobs { job.ownError = nil }
                        try commitWithSavepoints(jobs, db)
                    }
                }
                for job in jobs { job.finish(job.ownError) }
            } catch {
                for job in jobs { job.finish(job.ownError ?? error) }
            }
        }
    }

    /// Runs the batch in one transaction without savepoints (`SavepointElision`) and commits it; returns false,
    /// having rolled it all back, when a write threw after it had changed rows (or a nested savepoint it skipped
    /// had to undo some). A write that throws before it changed a row just gets its error: there is nothing to
    /// undo. When SQLite itself ended the transaction (it does on some I/O errors), the batch fails.
    private func commitWithoutSavepoints(_ jobs: [Job], _ db: Database) throws -> Bool {
        let (_, savepointNeeded) = try SavepointElision.run(db) {
            try db.inTransaction(.immediate) {
                for job in jobs {
                    let before = db.totalChangesCount
                    do {
                        try job.run(db)
                    } catch {
                        job.ownError = error
                        guard db.isInsideTransaction else { throw error }
                        if db.totalChangesCount != before { SavepointElision.markNeeded(db) }
                    }
                    if SavepointElision.isNeeded(db) { return .rollback }
                }
                return .commit
            }
        }
        return !savepointNeeded
    }

    /// Sets the writer connection's `synchronous` unless it is known to be `durability` already (outside a
    /// transaction: it applies to the next commit). Runs only inside the drain loop, on the writer.
    private func ensureSynchronous(_ durability: DatabaseOpener.Durability, _ db: Database) throws {
        if synchronous.withLock({ $0 }) == durability { return }
        synchronous.withLock { $0 = nil }
        try db.cachedStatement(sql: "PRAGMA synchronous = \(durability.rawValue)").execute()
        synchronous.withLock { $0 = durability }
    }

    /// Runs the batch in one transaction, each write in its own savepoint, and commits it.
    private func commitWithSavepoints(_ jobs: [Job], _ db: Database) throws {
        try db.inTransaction(.immediate) {
            // Savepoint statements from the statement cache: preparing them anew for every job was a measurable
            // share of the single writer's time.
            let savepoint = try db.cachedStatement(sql: "SAVEPOINT payrail_job")
            let release = try db.cachedStatement(sql: "RELEASE SAVEPOINT payrail_job")
            let rollback = try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT payrail_job")
            for job in jobs {
                try savepoint.execute()
                do {
                    try job.run(db)
                    try release.execute()
                } catch {
                    job.ownError = error
                    try rollback.execute()
                    try release.execute()
                }
            }
            return .commit
        }
    }
}
