import Foundation

/// Runs the built `payrailctl` binary as a child process (for multi-process tests).
///
/// The binary is found beside the test bundle (`.build/<triple>/debug/payrailctl`, which `swift test` builds),
/// or at `PAYRAIL_CTL_BINARY` when set.
enum CtlProcess {
    /// The path of the `payrailctl` binary.
    static var binaryPath: String {
        if let override = ProcessInfo.processInfo.environment["PAYRAIL_CTL_BINARY"] { return override }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        // On Linux the test bundle is an executable in the build folder; on macOS it is inside a bundle.
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("payrailctl").path),
            folder.path != "/"
        {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("payrailctl").path
    }

    /// What a finished child printed and how it ended.
    struct Outcome: Sendable {
        /// The exit status (or the signal number when killed).
        var status: Int32
        /// Everything it wrote to stdout.
        var stdout: String
        /// Everything it wrote to stderr.
        var stderr: String
    }

    /// Starts the binary with arguments and extra environment; the caller waits or kills it.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningChild {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaryPath)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return RunningChild(process: process, out: out, err: err)
    }

    /// Runs the binary to completion.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Outcome {
        try await start(arguments, environment: environment).finish()
    }
}

/// A started child process whose output is collected on background threads (so a full pipe never blocks it).
final class RunningChild: @unchecked Sendable {
    let process: Process
    private let lock = NSLock()
    private var outData = Data()
    private var errData = Data()
    private let readers = DispatchGroup()

    init(process: Process, out: Pipe, err: Pipe) {
        self.process = process
        collect(out.fileHandleForReading) { chunk in self.lock.lock(); self.outData.append(chunk); self.lock.unlock() }
        collect(err.fileHandleForReading) { chunk in self.lock.lock(); self.errData.append(chunk); self.lock.unlock() }
    }

    private func collect(_ handle: FileHandle, into append: @escaping @Sendable (Data) -> Void) {
        readers.enter()
        DispatchQueue.global().async {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                append(chunk)
            }
            self.readers.leave()
        }
    }

    /// Waits until stdout has `count` lines starting with `prefix`, or `timeout` passes; returns whether it did.
    func waitForLines(prefix: String, count: Int, timeout: TimeInterval) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stdoutSoFar.split(separator: "\n").filter({ $0.hasPrefix(prefix) }).count >= count { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// The stdout collected so far.
    var stdoutSoFar: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: outData, as: UTF8.self)
    }

    /// Sends a signal (for example SIGKILL or SIGTERM).
    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the exit (on a plain thread, never blocking Swift's cooperative pool) and returns the outcome;
    /// a child still running after `timeout` is killed (SIGKILL).
    func finish(timeout: TimeInterval = 60) async -> CtlProcess.Outcome {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: self.finishBlocking(timeout: timeout))
            }
        }
    }

    private func finishBlocking(timeout: TimeInterval) -> CtlProcess.Outcome {
        let process = self.process
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        readers.wait()
        lock.lock()
        defer { lock.unlock() }
        return CtlProcess.Outcome(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}
