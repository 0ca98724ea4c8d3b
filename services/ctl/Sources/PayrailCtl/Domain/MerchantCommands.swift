import ArgumentParser
import Foundation
import PayrailCore
import PayrailStore

/// `payrailctl merchant`: create and list merchants, add channel accounts.
struct MerchantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merchant",
        abstract: "Create and list merchants; add provider channel accounts.",
        subcommands: [MerchantCreateCommand.self, MerchantListCommand.self, MerchantAddChannelCommand.self]
    )
}

/// `payrailctl merchant create --name N`: prints the new merchant and its webhook secret, once.
struct MerchantCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a merchant with a default webhook signing secret (shown once; needs PAYRAIL_MASTER_KEY).")

    @OptionGroup var options: DatabaseOptions

    @Option(help: "The merchant's display name (1-200 characters).")
    var name: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let secrets = try DomainSupport.secretBox()
        let database = try options.openVerified(logger: CommandLogger.make("merchant"))
        let created = try await DomainSupport.run {
            try await MerchantRepository(database: database).create(name: name, secrets: secrets)
        }
        if json {
            try DomainSupport.printJSON([
                "merchant": created.merchant.jsonObject, "webhook_secret": created.webhookSecret.revealed,
            ])
        } else {
            print("merchant \(created.merchant.id) \"\(created.merchant.name)\"")
            print("webhook secret: \(created.webhookSecret.revealed)")
            print("(the secret is shown only now; store it with the merchant's webhook verifier)")
        }
    }
}

/// `payrailctl merchant list`: every merchant, no secrets.
struct MerchantListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List merchants.")

    @OptionGroup var options: DatabaseOptions

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let database = try options.openVerified(logger: CommandLogger.make("merchant"))
        let merchants = try await DomainSupport.run { try await MerchantRepository(database: database).list() }
        if json {
            try DomainSupport.printJSON(merchants.map(\.jsonObject))
        } else if merchants.isEmpty {
            print("no merchants")
        } else {
            for merchant in merchants {
                print("\(merchant.id)  \(DomainSupport.time(merchant.createdAtMillis))  \(merchant.name)")
            }
        }
    }
}

/// `payrailctl merchant add-channel douyin …`: stores a Douyin account, salt and token sealed, never printed.
struct MerchantAddChannelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-channel",
        abstract: "Add a provider channel account to a merchant (needs PAYRAIL_MASTER_KEY).",
        discussion: "Only douyin is supported today. The salt and token are sealed before storage and never printed.")

    @OptionGroup var options: DatabaseOptions

    @Argument(help: "The provider: douyin.")
    var provider: String

    @Option(help: "The Payrail merchant (mch_…).")
    var merchant: String

    @Option(name: .customLong("app-id"), help: "The Douyin mini program app_id.")
    var appID: String

    @Option(help: "The Douyin signing salt (secret).")
    var salt: String

    @Option(help: "The Douyin callback token (secret).")
    var token: String

    @Option(name: .customLong("merchant-id"), help: "The merchant's Douyin merchant id.")
    var providerMerchantID: String

    @Option(name: .customLong("thirdparty-id"), help: "The service provider id, when one is used.")
    var thirdpartyID: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        guard provider == PaymentProvider.douyin.rawValue else {
            throw CommandFailure("provider '\(provider)' is not supported yet (supported: douyin)")
        }
        let merchantID = try DomainSupport.parse(merchant, as: IDKind.Merchant.self, flag: "--merchant")
        let secrets = try DomainSupport.secretBox()
        let database = try options.openVerified(logger: CommandLogger.make("merchant"))
        let credentials = DouyinCredentials(
            appID: appID, salt: salt, token: token, merchantID: providerMerchantID, thirdpartyID: thirdpartyID)
        let account = try await DomainSupport.run {
            try await ChannelAccountRepository(database: database).addDouyin(
                merchant: merchantID, credentials: credentials, secrets: secrets)
        }
        if json {
            try DomainSupport.printJSON(account.jsonObject)
        } else {
            print("channel account \(account.id): douyin app_id \(account.appID) for merchant \(account.merchantID)")
        }
    }
}
