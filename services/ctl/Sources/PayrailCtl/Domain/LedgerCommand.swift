import ArgumentParser
import Foundation
import PayrailStore

/// `payrailctl ledger`: the double-entry ledger.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Inspect the double-entry ledger.", subcommands: [LedgerCheckCommand.self])
}

/// `payrailctl ledger check`: verifies every money invariant; exit 1 listing the offending rows.
struct LedgerCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify every ledger and balance invariant over the whole database.",
        discussion: """
            Checks that every ledger transaction sums to zero, that order balances match their refunds and \
            settlements and stay within what was paid, and that the ledger agrees with the balances. Exits 1 \
            and prints each offending row (rule, table, id, detail) when any invariant is broken.
            """)

    @OptionGroup var options: DatabaseOptions

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let database = try options.openVerified(logger: CommandLogger.make("ledger"))
        let violations = try await DomainSupport.run { try await LedgerCheck.run(database) }
        if json {
            try DomainSupport.printJSON([
                "ok": violations.isEmpty,
                "violations": violations.map {
                    ["rule": $0.rule, "table": $0.table, "id": $0.rowID, "detail": $0.detail]
                },
            ])
        } else if violations.isEmpty {
            print("ledger check passed: every invariant holds")
        } else {
            for violation in violations {
                print("\(violation.rule)\t\(violation.table)\t\(violation.rowID)\t\(violation.detail)")
            }
        }
        if !violations.isEmpty {
            FileHandle.standardError.write(Data("Error: ledger check found \(violations.count) violation(s)\n".utf8))
            throw ExitCode.failure
        }
    }
}
