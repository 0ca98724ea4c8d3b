import ArgumentParser
import Foundation
import PayrailCore
import PayrailStore

/// `payrailctl dev`: hidden helpers for multi-process tests. Not an admin interface.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Test helpers run as separate processes.",
        shouldDisplay: false,
        subcommands: [DevRaceCommand.self]
    )
}

/// `payrailctl dev race`: `--count` concurrent refund or settlement requests on one order from this process;
/// prints how many were accepted and the accepted ids as JSON.
struct DevRaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "race",
        abstract: "Race refund or settlement requests against one order (needs PAYRAIL_EVENT_KEYS).")

    @OptionGroup var options: DatabaseOptions

    @Option(help: "The order (ord_…).")
    var order: String

    @Option(help: "refund or settlement.")
    var kind = "refund"

    @Option(help: "Each request's amount in fen.")
    var amount: Int64

    @Option(help: "Concurrent requests from this process.")
    var count = 10

    @Option(help: "Wait until this Unix time in milliseconds before starting, so processes start together.")
    var startAt: Int64?

    func run() async throws {
        let orderID = try DomainSupport.parse(order, as: IDKind.Order.self, flag: "--order")
        guard let kind = ApplicationKind(rawValue: kind) else { throw CommandFailure("--kind is refund or settlement") }
        let database = try options.openVerified(logger: CommandLogger.make("dev"))
        let outbox = try DomainSupport.outbox(database, producer: "payrailctl-dev")
        let orders = OrderRepository(database: database, outbox: outbox)
        let stored = try await DomainSupport.run { try await orders.get(orderID) }
        let (merchant, money) = (stored.merchantID, Money(minorUnits: amount, currency: stored.amount.currency))
        let (refunds, settlements) = (
            RefundRepository(database: database, outbox: outbox),
            SettlementRepository(database: database, outbox: outbox)
        )
        if let startAt {
            let wait = startAt - Int64(Date().timeIntervalSince1970 * 1000)
            if wait > 0 { try await Task.sleep(for: .milliseconds(wait)) }
        }
        let tag = "\(getpid())-\(UUID().uuidString.prefix(8))"
        let results = await withTaskGroup(of: Result<String, any Error>.self) { group in
            for index in 0..<max(count, 1) {
                group.addTask {
                    do {
                        let number = "race-\(tag)-\(index)"
                        let created = switch kind {
                        case .refund:
                            try await refunds.request(
                                merchant: merchant, order: orderID, NewRefund(outRefundNo: number, amount: money))
                        case .settlement:
                            try await settlements.request(
                                merchant: merchant, order: orderID, NewSettlement(outSettleNo: number, amount: money))
                        }
                        return .success(created.record.id)
                    } catch {
                        return .failure(error)
                    }
                }
            }
            return await group.reduce(into: [Result<String, any Error>]()) { $0.append($1) }
        }
        var accepted: [String] = []
        var rejected: [String: Int] = [:]
        for result in results {
            switch result {
            case .success(let id): accepted.append(id)
            case .failure(let error as DomainError): rejected[error.code, default: 0] += 1
            case .failure(let error): rejected["error: \(error)", default: 0] += 1
            }
        }
        try DomainSupport.printJSON([
            "accepted": accepted.count, "accepted_ids": accepted.sorted(), "rejected": rejected,
        ])
    }
}
