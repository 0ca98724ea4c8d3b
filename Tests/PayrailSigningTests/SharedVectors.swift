import Foundation

/// Locates and loads the third-party signature vectors in `../shared/vectors/` (beside the checkout), read at
/// test time. `PAYRAIL_SHARED_DIR` overrides where `shared/` is.
enum SharedVectors {
    /// The `shared/vectors` folder.
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["PAYRAIL_SHARED_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override).appendingPathComponent("vectors")
        }
        // This file is <checkout>/Tests/PayrailSigningTests/SharedVectors.swift; shared/ sits beside <checkout>.
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("shared/vectors")
    }

    /// The raw bytes of one vector file, e.g. `douyin-sign.json`.
    static func data(_ name: String) throws -> Data {
        let url = directory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw VectorFileMissing(path: url.path)
        }
        return data
    }

    /// One vector file parsed as a JSON object (`JSONSerialization`, so numbers keep their integer form).
    static func object(_ name: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data(name)) as? [String: Any] else {
            throw VectorFileMissing(path: directory.appendingPathComponent(name).path)
        }
        return object
    }
}

/// A vector file that could not be found or read: the tests fail rather than pass vacuously.
struct VectorFileMissing: Error, CustomStringConvertible {
    let path: String
    var description: String { "shared vector file missing or unreadable: \(path)" }
}
