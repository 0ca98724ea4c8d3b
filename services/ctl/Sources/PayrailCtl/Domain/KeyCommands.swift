import ArgumentParser
import Foundation
import PayrailCore
import PayrailStore

/// `payrailctl key`: merchant API keys.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Create, list and revoke merchant API keys.",
        subcommands: [KeyCreateCommand.self, KeyListCommand.self, KeyRevokeCommand.self]
    )
}

/// `payrailctl key create --merchant M`: prints the new key once.
struct KeyCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create an API key for a merchant (the key is shown once).")

    @OptionGroup var options: DatabaseOptions

    @Option(help: "The merchant (mch_…).")
    var merchant: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let merchantID = try DomainSupport.parse(merchant, as: IDKind.Merchant.self, flag: "--merchant")
        let database = try options.openVerified(logger: CommandLogger.make("key"))
        let created = try await DomainSupport.run {
            try await APIKeyRepository(database: database).create(merchant: merchantID)
        }
        if json {
            var object = created.key.jsonObject
            object["key"] = created.revealed
            try DomainSupport.printJSON(object)
        } else {
            print("key \(created.key.id) for merchant \(created.key.merchantID)")
            print("api key: \(created.revealed)")
            print("(the key is shown only now; Payrail stores only its digest)")
        }
    }
}

/// `payrailctl key list --merchant M`: hints and revoked status, never keys.
struct KeyListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List a merchant's API keys.")

    @OptionGroup var options: DatabaseOptions

    @Option(help: "The merchant (mch_…).")
    var merchant: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let merchantID = try DomainSupport.parse(merchant, as: IDKind.Merchant.self, flag: "--merchant")
        let database = try options.openVerified(logger: CommandLogger.make("key"))
        let keys = try await DomainSupport.run {
            try await APIKeyRepository(database: database).list(merchant: merchantID)
        }
        if json {
            try DomainSupport.printJSON(keys.map(\.jsonObject))
        } else if keys.isEmpty {
            print("no keys")
        } else {
            for key in keys {
                let state = key.revokedAtMillis.map { "revoked \(DomainSupport.time($0))" } ?? "active"
                print("\(key.id)  \(key.hint)  created \(DomainSupport.time(key.createdAtMillis))  \(state)")
            }
        }
    }
}

/// `payrailctl key revoke KEY_ID`: the key stops authenticating at once.
struct KeyRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke an API key.")

    @OptionGroup var options: DatabaseOptions

    @Argument(help: "The key's id (key_…), as shown by key list.")
    var keyID: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let id = try DomainSupport.parse(keyID, as: IDKind.APIKey.self, flag: "KEY_ID")
        let database = try options.openVerified(logger: CommandLogger.make("key"))
        let key = try await DomainSupport.run { try await APIKeyRepository(database: database).revoke(id) }
        if json {
            try DomainSupport.printJSON(key.jsonObject)
        } else {
            print("key \(key.id) (\(key.hint)) revoked")
        }
    }
}
