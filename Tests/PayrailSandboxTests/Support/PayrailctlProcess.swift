import Foundation

/// Runs the built `payrailctl` binary (beside the test bundle in `.build/<triple>/debug`) with input on stdin.
enum PayrailctlProcess {
    /// What it printed and how it ended.
    struct Outcome: Sendable {
        /// The exit status.
        var status: Int32
        /// Everything on stdout.
        var stdout: String
        /// Everything on stderr.
        var stderr: String
    }

    /// The binary: `PAYRAIL_CTL_BINARY`, or the nearest `payrailctl` up from this test executable.
    static var binaryPath: String {
        if let override = ProcessInfo.processInfo.environment["PAYRAIL_CTL_BINARY"] { return override }
        var folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("payrailctl").path),
            folder.path != "/"
        {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("payrailctl").path
    }

    /// Runs it to completion off the cooperative pool.
    static func run(_ arguments: [String], input: String) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: binaryPath)
                    process.arguments = arguments
                    let stdin = Pipe()
                    let stdout = Pipe()
                    let stderr = Pipe()
                    process.standardInput = stdin
                    process.standardOutput = stdout
                    process.standardError = stderr
                    try process.run()
                    stdin.fileHandleForWriting.write(Data(input.utf8))
                    try stdin.fileHandleForWriting.close()
                    let out = stdout.fileHandleForReading.readDataToEndOfFile()
                    let err = stderr.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(
                        returning: Outcome(
                            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                            stderr: String(decoding: err, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
