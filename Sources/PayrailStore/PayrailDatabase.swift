import GRDB
import Logging

/// The process's handle on the shared SQLite file: one `DatabasePool`, its group-commit writer and the change
/// signal that wakes this process's consumer runners.
public final class PayrailDatabase: Sendable {
    /// Where the file is and how long to wait for locks.
    public let settings: DatabaseSettings
    /// The one pool of this process; read through it, write through `write(_:)`.
    public let pool: DatabasePool
    /// The group-commit writer every write of this process goes through.
    public let writer: GroupCommitWriter
    /// Notified after commits that may have made deliveries claimable (and by the wake watcher).
    public let changes: ChangeSignal
    /// Tells other processes that a commit made deliveries claimable.
    let wakeFile: WakeFile
    /// Read-only connections for `readNow`.
    public let syncReaders: SyncReaders
    /// Whether the writer's current transaction already has its after-commit wake-up hook.
    let wakeRegistered = Locked(false)
    /// The webhook dispatcher of this process that adopts the deliveries this process writes, if one runs.
    let webhookAdopter = Locked<WebhookAdopter?>(nil)
    /// Adopted deliveries written by the current transaction, and those committed and waiting for the dispatcher.
    let adoptedInTransaction = Locked<[AdoptedWebhook]>([])
    let adoptedReady = Locked<[AdoptedWebhook]>([])
    /// This process's one watcher on the outbox bell, shared by its consumer runners, and how many share it.
    private let outboxWatch = Locked<(watcher: WakeWatcher?, shares: Int)>((nil, 0))
    /// Notified after this process committed webhook deliveries (see `notifyWebhooksAfterCommit`), and by the
    /// watcher `watchWebhookBell()` starts when another process did.
    public let webhooksCreated: ChangeSignal
    /// Moved on when the database may hold claimable deliveries that were not handed over in memory: this process
    /// committed deliveries it did not adopt (or made old ones due again), or another process rang the webhook bell.
    /// A dispatcher woken only for adopted deliveries need not claim from the database.
    public let webhooksInDatabase: ChangeSignal
    /// Whether the writer's current transaction wrote deliveries that were not adopted.
    let unadoptedWebhooksInTransaction = Locked(false)
    /// Tells other processes that a commit created webhook deliveries.
    let webhookBell: WakeFile
    /// Whether the writer's current transaction already has its after-commit webhook hook.
    let webhookBellRegistered = Locked(false)

    /// Opens the pool (WAL, busy timeout, `synchronous = FULL`, foreign keys), retrying a transient busy file.
    public init(settings: DatabaseSettings, logger: Logger) throws {
        self.settings = settings
        self.pool = try DatabaseOpener.openPool(settings, logger: logger)
        self.writer = GroupCommitWriter(pool: pool)
        self.syncReaders = SyncReaders(settings: settings)
        self.changes = ChangeSignal()
        self.wakeFile = WakeFile(databasePath: settings.path)
        self.webhooksCreated = ChangeSignal()
        self.webhooksInDatabase = ChangeSignal()
        self.webhookBell = WakeFile(databasePath: settings.path, name: WakeFile.webhooks)
    }

    /// Wakes runners in this process and in others: call after a commit that made deliveries claimable.
    public func notifyCommitted() {
        changes.notify()
        wakeFile.post()
    }

    /// Rings `webhooksCreated` here once the current transaction commits (one hook per transaction, however many
    /// deliveries it creates) and, unless every delivery it wrote was adopted by this process's dispatcher
    /// (`allAdopted`), `webhooksInDatabase` and the webhook bell for other processes: deliveries leased to this
    /// process's dispatcher are no other dispatcher's business.
    public func notifyWebhooksAfterCommit(_ db: Database, allAdopted: Bool = false) {
        if !allAdopted { unadoptedWebhooksInTransaction.withLock { $0 = true } }
        Self.onceAfterTransaction(
            db, registered: webhookBellRegistered,
            onCommit: { [self] in
                let adopted = adoptedInTransaction.withLock { adopted in
                    defer { adopted.removeAll() }
                    return adopted
                }
                if !adopted.isEmpty { adoptedReady.withLock { $0 += adopted } }
                let unadopted = unadoptedWebhooksInTransaction.withLock { flag in
                    defer { flag = false }
                    return flag
                }
                if unadopted {
                    webhooksInDatabase.notify()
                    webhookBell.post()
                }
                webhooksCreated.notify()
            },
            onRollback: { [self] in
                adoptedInTransaction.withLock { $0.removeAll() }
                unadoptedWebhooksInTransaction.withLock { $0 = false }
            })
    }

    /// Registers `onCommit`/`onRollback` for the end of the writer's current transaction unless `registered` says
    /// this transaction has them already (the pool has one writer connection, so one flag per hook is enough).
    static func onceAfterTransaction(
        _ db: Database, registered: Locked<Bool>, onCommit: @escaping @Sendable () -> Void,
        onRollback: @escaping @Sendable () -> Void = {}
    ) {
        let alreadyRegistered = registered.withLock { flag -> Bool in
            defer { flag = true }
            return flag
        }
        if alreadyRegistered { return }
        db.afterNextTransaction(
            onCommit: { _ in
                registered.withLock { $0 = false }
                onCommit()
            },
            onRollback: { _ in
                registered.withLock { $0 = false }
                onRollback()
            })
    }

    /// Makes the calling webhook dispatcher the adopter of this process's new webhook deliveries: from now on they
    /// are written already leased to it (`owner`, for `lease`) and handed over in memory once committed
    /// (`takeAdoptedWebhooks`), which spares it a claim per delivery. Returns false when another dispatcher of this
    /// process adopts already (it then claims as usual). A delivery it never attempts is taken over by any
    /// dispatcher when its lease runs out, like one claimed by a process that crashed.
    public func adoptWebhooks(owner: String, lease: Duration) -> Bool {
        webhookAdopter.withLock { adopter in
            guard adopter == nil else { return false }
            adopter = WebhookAdopter(owner: owner, leaseMillis: lease.wholeMilliseconds)
            return true
        }
    }

    /// Stops adopting; returns the committed adopted deliveries not taken yet (release them).
    public func stopAdoptingWebhooks() -> [AdoptedWebhook] {
        webhookAdopter.withLock { $0 = nil }
        return adoptedReady.withLock { ready in
            defer { ready.removeAll() }
            return ready
        }
    }

    /// Takes committed adopted deliveries in order, at most `max`, as `decide` says for each: `take` it, `keep` it
    /// queued, or `drop` it (removed without being returned).
    public func takeAdoptedWebhooks(
        max: Int, _ decide: (AdoptedWebhook) -> AdoptedWebhook.Decision
    ) -> [AdoptedWebhook] {
        adoptedReady.withLock { ready in
            var taken: [AdoptedWebhook] = []
            var kept: [AdoptedWebhook] = []
            for delivery in ready {
                guard taken.count < max else {
                    kept.append(delivery)
                    continue
                }
                switch decide(delivery) {
                case .take: taken.append(delivery)
                case .keep: kept.append(delivery)
                case .drop: continue
                }
            }
            ready = kept
            return taken
        }
    }

    /// Records a delivery the current transaction wrote leased to the adopter (see `adoptWebhooks`).
    func adoptedInCurrentTransaction(_ delivery: AdoptedWebhook) {
        adoptedInTransaction.withLock { $0.append(delivery) }
    }

    /// A share of the process's watcher on the outbox bell, which notifies `changes` when another process commits
    /// outbox work: the first share starts it, stopping the last one stops it. Runners in one process wait on the
    /// same signal, so one watcher wakes them all.
    public func shareOutboxBellWatcher() -> WakeWatcherShare {
        outboxWatch.withLock { state in
            if state.watcher == nil { state.watcher = WakeWatcher(databasePath: settings.path, signal: changes) }
            state.shares += 1
        }
        return WakeWatcherShare { [outboxWatch] in
            let last = outboxWatch.withLock { state -> WakeWatcher? in
                state.shares -= 1
                guard state.shares == 0 else { return nil }
                defer { state.watcher = nil }
                return state.watcher
            }
            last?.stop()
        }
    }

    /// How many shares of the outbox bell watcher are held, and whether it runs (for tests).
    var outboxWatcherState: (shares: Int, running: Bool) {
        outboxWatch.withLock { ($0.shares, $0.watcher?.isActive ?? false) }
    }

    /// Starts a watcher that notifies `webhooksCreated` when another process rings the webhook bell (the webhook
    /// dispatcher runs one); `stop()` it when done.
    public func watchWebhookBell() -> WakeWatcher {
        WakeWatcher(
            databasePath: settings.path, name: WakeFile.webhooks, signal: webhooksCreated,
            alsoNotify: webhooksInDatabase)
    }

    /// Runs `body` as one durable transaction, committed together with other concurrent writes of this process.
    /// `.normal` is for lease bookkeeping only, whose loss to a power cut runs idempotent work again (see
    /// `GroupCommitWriter.write(durability:_:)`).
    public func write<T: Sendable>(
        durability: DatabaseOpener.Durability = .full, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        // A write that fails has its writes undone while its batch may still commit: the deliveries it adopted are
        // gone with it, so they must not be handed over.
        try await writer.write(durability: durability) { [self] db in try forgettingAdoptionsOnError { try body(db) } }
    }

    /// Runs `body` in a savepoint of a write's transaction (`Database.inCachedSavepoint`) for a caller that goes on
    /// when it throws: its writes are undone, and so are the webhook deliveries it adopted, which would otherwise be
    /// handed to this process's dispatcher when the write commits.
    public func inSavepoint<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try forgettingAdoptionsOnError { try db.inCachedSavepoint(body) }
    }

    /// Runs `body`; when it throws, forgets the webhook deliveries adopted meanwhile.
    private func forgettingAdoptionsOnError<T>(_ body: () throws -> T) rethrows -> T {
        let mark = adoptedInTransaction.withLock { $0.count }
        do {
            return try body()
        } catch {
            adoptedInTransaction.withLock { $0.removeSubrange(min(mark, $0.count)...) }
            throw error
        }
    }

    /// Runs `body` on a read-only snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// Runs `body` on a read-only snapshot now, on the calling thread (`SyncReaders`): for short point reads on hot
    /// paths (an order by id, an account, a webhook's body), where `read`'s hop to a reader's queue and back cost
    /// two thread wake-ups. It blocks its thread while SQLite reads, so never use it for scans or long lists.
    public func readNow<T>(_ body: (Database) throws -> T) throws -> T {
        try syncReaders.snapshot(body)
    }

    /// Applies missing migrations under the migration file lock; returns what it applied.
    public func migrate(logger: Logger, migrations: [Migration] = PayrailMigrations.all) throws -> [String] {
        try SchemaMigrator(migrations: migrations).migrate(pool, lockPath: settings.migrationLockPath, logger: logger)
    }

    /// Throws `schema_behind` / `schema_ahead` unless the schema is exactly what this binary expects.
    public func verifySchema(migrations: [Migration] = PayrailMigrations.all) throws {
        try SchemaCheck(migrations: migrations).verify(pool)
    }
}

/// One holder's share of a shared watcher; `stop()` (or releasing the share) gives it back once.
public final class WakeWatcherShare: Sendable {
    private let release: Locked<(@Sendable () -> Void)?>

    init(release: @escaping @Sendable () -> Void) { self.release = Locked(release) }

    deinit { stop() }

    /// Gives the share back (only the first call counts).
    public func stop() {
        let release = self.release.withLock { release in
            defer { release = nil }
            return release
        }
        release?()
    }
}

/// The dispatcher that adopts a process's new webhook deliveries: its lease owner name and lease length.
struct WebhookAdopter: Sendable {
    let owner: String
    let leaseMillis: Int64
}

/// A webhook delivery written already leased to this process's dispatcher (see `PayrailDatabase.adoptWebhooks`).
public struct AdoptedWebhook: Sendable, Equatable {
    /// What to do with a queued adopted delivery.
    public enum Decision: Sendable { case take, keep, drop }

    /// The `webhook_delivery` row.
    public let id: Int64
    /// The event it carries.
    public let eventID: String
    /// Whose it is.
    public let merchantID: String
    /// The endpoint, nil for the order's `notify_url`.
    public let endpointID: String?
    /// Where it goes.
    public let url: String
    /// The lease it was written with (`lease_owner`).
    public let lease: String
    /// When that lease runs out (Unix ms).
    public let leaseExpiresAt: Int64
}
