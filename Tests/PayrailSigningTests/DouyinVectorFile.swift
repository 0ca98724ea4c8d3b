import Foundation
import Testing
@testable import PayrailSigning

/// One of the shared Douyin vector files, read at test time with the exact parser (so integers stay integers and
/// every vector in the file is covered, including ones added later).
struct DouyinVectorFile {
    /// `shared/vectors/douyin-sign.json`.
    static let sign = DouyinVectorFile(name: "douyin-sign.json")
    /// `shared/vectors/douyin-callback.json`.
    static let callback = DouyinVectorFile(name: "douyin-callback.json")

    let name: String

    /// Every vector object in the file.
    func vectors() throws -> [JSONObject] {
        let document = try JSONParser.parse(SharedVectors.data(name))
        guard case .array(let vectors)? = document.objectValue?["vectors"] else {
            throw VectorFileMissing(path: "\(name) (no \"vectors\" array)")
        }
        return try vectors.map { vector in
            guard let object = vector.objectValue else {
                throw VectorFileMissing(path: "\(name) (a non-object vector)")
            }
            return object
        }
    }

    /// Every vector's `id`, to parametrise a test (one case per vector).
    func ids() throws -> [String] {
        try vectors().map { try $0.requiredString("id") }
    }

    /// The vector with this `id`.
    func vector(_ id: String) throws -> JSONObject {
        guard let vector = try vectors().first(where: { $0["id"]?.stringValue == id }) else {
            throw VectorFileMissing(path: "\(name) (vector \(id))")
        }
        return vector
    }
}

/// A vector field that is absent or has the wrong type.
struct VectorFieldMissing: Error, CustomStringConvertible {
    let field: String
    var description: String { "vector field '\(field)' is missing or not the expected type" }
}

extension JSONObject {
    /// A string field that the vector must have.
    func requiredString(_ key: String) throws -> String {
        guard let value = self[key]?.stringValue else { throw VectorFieldMissing(field: key) }
        return value
    }

    /// The first of several alternative string fields that is present.
    func firstString(_ keys: String...) throws -> String {
        for key in keys {
            if let value = self[key]?.stringValue { return value }
        }
        throw VectorFieldMissing(field: keys.joined(separator: "|"))
    }

    /// The output of the official ByteDance Go demo recorded for this vector, when there is one.
    var officialGoOutput: String? {
        guard case .object(let outputs)? = self["outputs"] else { return nil }
        return outputs.members.first { $0.key.hasPrefix("bytedance/open-pay-signature-go-demo") }?.value.stringValue
    }
}
