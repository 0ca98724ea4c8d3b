import Hummingbird
import PayrailSigning

/// Builds the sandbox's HTTP answers.
enum HTTPResponses {
    /// A JSON answer with a status.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText)))
    }

    /// A sandbox-endpoint error: `{"error": {"code", "message"}}`.
    static func error(_ error: SandboxError, status: HTTPResponse.Status) -> Response {
        json(
            .members(["error": .members(["code": .string(error.code), "message": .string(error.message)])]),
            status: status)
    }

    /// A plain-text answer (CSV bills, injected 5xx pages).
    static func text(_ text: String, status: HTTPResponse.Status = .ok, contentType: String) -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Reads a request body of at most `limit` bytes (64 KiB by default).
    static func body(_ request: Request, limit: Int = 64 * 1024) async throws -> [UInt8] {
        let buffer = try await request.body.collect(upTo: limit)
        return Array(buffer.readableBytesView)
    }
}
