import Foundation

/// Loads the shared vector files at test time, as `PayrailSigningTests/SharedVectors.swift` does (test targets
/// cannot share code without a support target): `../shared/vectors` beside the checkout, or `PAYRAIL_SHARED_DIR`.
enum CtlSharedVectors {
    /// One vector file parsed as a JSON object.
    static func object(_ name: String) throws -> [String: Any] {
        let directory: URL
        if let override = ProcessInfo.processInfo.environment["PAYRAIL_SHARED_DIR"], !override.isEmpty {
            directory = URL(fileURLWithPath: override).appendingPathComponent("vectors")
        } else {
            // This file is <checkout>/Tests/PayrailCtlTests/CtlSharedVectors.swift; shared/ sits beside <checkout>.
            directory = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
                .appendingPathComponent("shared/vectors")
        }
        let path = directory.appendingPathComponent(name).path
        guard let data = FileManager.default.contents(atPath: path),
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw CtlVectorError(description: "shared vector file missing or unreadable: \(path)")
        }
        return object
    }
}

/// A vector file or field the CLI tests need is missing.
struct CtlVectorError: Error, CustomStringConvertible {
    let description: String
}

/// A temporary directory for key files, removed when the test is done with it.
final class TemporaryDirectory {
    /// The directory's path.
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("payrailctl-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `text` to a file named `name` and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
