import ArgumentParser
import Foundation

/// A command that could not do its job: printed as one line on stderr (`Error: …`), exit status 1.
///
/// Messages never carry secrets.
public struct CommandFailure: Error, CustomStringConvertible {
    /// The one-line reason shown to the user.
    public let message: String

    /// Creates a failure with a one-line, secret-free reason.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Reading the command's input.
enum CommandInput {
    /// Everything on standard input, as bytes (the commands hash raw bytes, so nothing is decoded here).
    static func readStandardInput() -> [UInt8] {
        Array(FileHandle.standardInput.readDataToEndOfFile())
    }

    /// The contents of a file named by a flag, with a clear error when it cannot be read.
    static func readFile(_ path: String, flag: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("cannot read \(flag) file '\(path)'")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CommandFailure("\(flag) file '\(path)' is not UTF-8 text")
        }
        return text
    }

    /// The current time in Unix seconds, or `--at` when given.
    static func now(at: Int64?) -> Int64 {
        at ?? Int64(Date().timeIntervalSince1970)
    }
}

/// Writing JSON results for people and tools.
enum CommandOutput {
    /// Pretty, key-sorted JSON text of a JSON-compatible value.
    static func json(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(
            withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
