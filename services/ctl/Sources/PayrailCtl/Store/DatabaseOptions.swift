import ArgumentParser
import Foundation
import Logging
import PayrailStore

/// The `--database` option shared by every command that opens the store.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The shared SQLite file (env PAYRAIL_DATABASE; default ./data/payrail.sqlite).", valueName: "path"))
    var database: String?

    /// The resolved settings: the flag, else `PAYRAIL_DATABASE`, else the default path.
    func settings() throws -> DatabaseSettings {
        do {
            return try DatabaseSettings.resolve(flag: database)
        } catch let error as StoreError {
            throw CommandFailure(error.message)
        }
    }

    /// Opens the database (no schema check).
    func open(logger: Logger) throws -> PayrailDatabase {
        do {
            return try PayrailDatabase(settings: try settings(), logger: logger)
        } catch let error as StoreError {
            throw CommandFailure(error.message)
        }
    }

    /// Opens an existing database and refuses to go on unless its schema is exactly what this binary expects.
    /// A missing file is an error, not a new empty database: only `migrate` creates one.
    func openVerified(logger: Logger) throws -> PayrailDatabase {
        let path = try settings().path
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure("no database at '\(path)': run payrailctl migrate first (or check --database)")
        }
        let database = try open(logger: logger)
        do {
            try database.verifySchema()
        } catch let error as StoreError {
            throw CommandFailure(error.message)
        }
        return database
    }
}

/// The CLI's logger: warnings and errors on stderr; results go to stdout as the command's output.
enum CommandLogger {
    /// A logger for library calls made by a command.
    static func make(_ label: String) -> Logger {
        var logger = Logger(label: "payrailctl.\(label)")
        logger.logLevel = .warning
        return logger
    }
}
