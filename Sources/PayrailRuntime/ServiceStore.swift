import ArgumentParser
import Foundation
import Logging
import PayrailSigning
import PayrailStore

/// What every service that touches the shared database opens at start: the pool (busy timeout set), a schema
/// check (a service never migrates, DESIGN.md §3), the outbox signing with `PAYRAIL_EVENT_KEYS`, and — when the
/// service needs provider or webhook secrets — the master key box from `PAYRAIL_MASTER_KEY`.
public struct ServiceStore: Sendable {
    /// The shared database.
    public let database: PayrailDatabase
    /// The outbox, signing as this service.
    public let outbox: Outbox
    /// The master-key box (nil when the service did not ask for it).
    public let secrets: SecretBox?

    /// Opens the store for a service; throws a `ValidationError` naming the missing or bad setting, or the
    /// store's `schema_behind` / `schema_ahead` error (run `payrailctl migrate`).
    public static func open(
        databasePath: String, producer: String, needsSecrets: Bool, logger: Logger,
        environment: RuntimeEnvironment = RuntimeEnvironment()
    ) throws -> ServiceStore {
        let ring = try eventKeyRing(environment)
        let secrets = needsSecrets ? try secretBox(environment) : nil
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw ValidationError("no database at \(databasePath): run `payrailctl migrate --database \(databasePath)`")
        }
        let database = try PayrailDatabase(settings: DatabaseSettings(path: databasePath), logger: logger)
        try database.verifySchema()
        let outbox = Outbox(
            database: database, signer: EventSigner(ring: ring), subscriptions: .payrail, producer: producer,
            logger: logger)
        return ServiceStore(database: database, outbox: outbox, secrets: secrets)
    }

    /// Wraps already-open pieces (tests).
    public init(database: PayrailDatabase, outbox: Outbox, secrets: SecretBox?) {
        self.database = database
        self.outbox = outbox
        self.secrets = secrets
    }

    /// The internal event key ring from `PAYRAIL_EVENT_KEYS` (`kid:base64secret,…`, the first signs).
    public static func eventKeyRing(_ environment: RuntimeEnvironment) throws -> EventKeyRing {
        do {
            return try KeyRingEnvironment.eventKeyRing(environment.values)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The master key box from `PAYRAIL_MASTER_KEY` (`kid:base64-of-32-bytes,…`, the first seals).
    public static func secretBox(_ environment: RuntimeEnvironment) throws -> SecretBox {
        do {
            return try KeyRingEnvironment.secretBox(environment.values)
        } catch {
            throw ValidationError(error.message)
        }
    }
}
