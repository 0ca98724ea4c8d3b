import ArgumentParser
import Foundation
import PayrailCore
import PayrailSigning
import PayrailStore

/// Shared pieces of the merchant, key, ledger and dev commands.
enum DomainSupport {
    /// The master key ring from `PAYRAIL_MASTER_KEY`, with a clear error when missing or malformed.
    static func secretBox(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SecretBox {
        guard let text = environment["PAYRAIL_MASTER_KEY"], !text.isEmpty else {
            throw CommandFailure("PAYRAIL_MASTER_KEY is not set (kid:base64-of-32-bytes[,kid:...]); cannot seal secrets")
        }
        do {
            return try SecretBox(parsing: text)
        } catch let error as SigningError {
            throw CommandFailure("PAYRAIL_MASTER_KEY: \(error.message)")
        }
    }

    /// An outbox signing with `PAYRAIL_EVENT_KEYS` and fanning out by Payrail's subscription table.
    static func outbox(_ database: PayrailDatabase, producer: String = "payrailctl") throws -> Outbox {
        guard let text = ProcessInfo.processInfo.environment["PAYRAIL_EVENT_KEYS"], !text.isEmpty else {
            throw CommandFailure("PAYRAIL_EVENT_KEYS is not set (kid:base64secret,...)")
        }
        let ring: EventKeyRing
        do {
            ring = try EventKeyRing(parsing: text)
        } catch let error as SigningError {
            throw CommandFailure("PAYRAIL_EVENT_KEYS: \(error.message)")
        }
        return Outbox(
            database: database, signer: EventSigner(ring: ring), subscriptions: .payrail, producer: producer,
            logger: CommandLogger.make("domain"))
    }

    /// Parses a typed id given on the command line.
    static func parse<Kind: IdentifierKind>(_ text: String, as _: Kind.Type, flag: String) throws -> Identifier<Kind> {
        guard let id = Identifier<Kind>(text) else {
            throw CommandFailure("\(flag) '\(text)' is not a \(Kind.prefix)… id")
        }
        return id
    }

    /// Runs a library call, turning its domain, store and signing errors into one-line command failures.
    static func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DomainError {
            throw CommandFailure("\(error.code): \(error.message)")
        } catch let error as StoreError {
            throw CommandFailure(error.message)
        } catch let error as SigningError {
            throw CommandFailure(error.message)
        }
    }

    /// Prints JSON text of a JSON-compatible value.
    static func printJSON(_ value: Any) throws {
        print(try CommandOutput.json(value))
    }

    /// A Unix-ms time as ISO 8601 (UTC), for people.
    static func time(_ millis: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
