import ArgumentParser
import Foundation
import PayrailCore
import PayrailSigning
import PayrailStore

/// Shared pieces of the merchant, key, ledger and dev commands.
enum DomainSupport {
    /// The master key ring from `PAYRAIL_MASTER_KEY`, with a clear error when missing or malformed.
    static func secretBox(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SecretBox {
        do {
            return try KeyRingEnvironment.secretBox(environment)
        } catch {
            throw CommandFailure("\(error.message); cannot seal or open secrets")
        }
    }

    /// The event key ring from `PAYRAIL_EVENT_KEYS`, with a clear error when missing or malformed.
    static func eventKeyRing() throws -> EventKeyRing {
        do {
            return try KeyRingEnvironment.eventKeyRing()
        } catch {
            throw CommandFailure(error.message)
        }
    }

    /// An outbox signing with `PAYRAIL_EVENT_KEYS` and fanning out by Payrail's subscription table.
    static func outbox(_ database: PayrailDatabase, producer: String = "payrailctl") throws -> Outbox {
        Outbox(
            database: database, signer: EventSigner(ring: try eventKeyRing()), subscriptions: .payrail,
            producer: producer, logger: CommandLogger.make("domain"))
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
