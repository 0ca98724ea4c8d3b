import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PayrailCore
import PayrailStore

/// The keys whose first request is still running in this process: a second request with the same key gets 409
/// instead of racing the first (the stored record covers requests in other processes and later retries).
actor InFlightKeys {
    private var running: Set<String> = []

    /// Claims a key; false when a request with it is running.
    func claim(_ key: String) -> Bool { running.insert(key).inserted }

    /// Releases a claimed key.
    func release(_ key: String) { running.remove(key) }
}

/// Stripe-style `Idempotency-Key` handling for POST routes: the first answer (errors included, except opaque
/// 500s, which a retry should be allowed to fix) is stored for 24 h and replayed; the same key with another
/// request is 422; the same key while the first request runs is 409.
struct IdempotencyGate: Sendable {
    /// The stored answers.
    let repository: IdempotencyRepository
    /// Requests running in this process.
    let inFlight = InFlightKeys()
    /// How long an answer is replayed.
    let lifetime: Duration

    /// Runs `handler` under the key, or replays / refuses.
    func run(
        key: String?, merchant: MerchantID, request: Request, body: Data, requestID: String,
        _ handler: () async throws -> APIResponse
    ) async throws -> APIResponse {
        guard let key else {
            let answer = try await handler()
            if let pending = answer.pendingExtras {
                try await repository.database.write { db in try ObjectExtras.insert(pending, in: db) }
            }
            return answer
        }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (32...126).contains($0) }) else {
            throw APIError.invalid("Idempotency-Key", "must be 1-255 printable ASCII characters")
        }
        let fingerprint = Self.fingerprint(method: request.method.rawValue, path: request.uri.path, body: body)
        let slot = merchant.rawValue + "\u{0}" + key
        guard await inFlight.claim(slot) else {
            throw APIError(
                .conflict, type: "idempotency_error", code: "idempotency_request_in_progress",
                message: "a request with this Idempotency-Key is still being processed; retry later")
        }
        let outcome: Result<APIResponse, any Error>
        do {
            outcome = .success(try await runClaimed(key: key, merchant: merchant, fingerprint: fingerprint, handler))
        } catch {
            outcome = .failure(error)
        }
        await inFlight.release(slot)
        return try outcome.get()
    }

    private func runClaimed(
        key: String, merchant: MerchantID, fingerprint: String, _ handler: () async throws -> APIResponse
    ) async throws -> APIResponse {
        switch try await repository.lookup(merchant: merchant, key: key, fingerprint: fingerprint) {
        case .replay(let record):
            return Self.replay(record)
        case .mismatch:
            throw Self.reused
        case .new:
            break
        }
        let answer = try await handler()
        guard answer.status.code < 500 else { return answer }
        let (repository, lifetime, response) = (self.repository, self.lifetime, Self.encode(answer))
        let stored = try await repository.database.write { db in
            if let pending = answer.pendingExtras { try ObjectExtras.insert(pending, in: db) }
            return try repository.save(
                in: db, merchant: merchant, key: key, fingerprint: fingerprint, statusCode: answer.status.code,
                response: response, lifetime: lifetime)
        }
        guard stored.fingerprint == fingerprint else { throw Self.reused }
        if stored.response != Self.encode(answer) { return Self.replay(stored) }
        return answer
    }

    /// The answer to a key reused with a different request.
    static let reused = APIError(
        .unprocessableContent, type: "idempotency_error", code: "idempotency_key_reused",
        message: "this Idempotency-Key was used with a different request", param: "Idempotency-Key")

    /// A digest of what makes two requests the same: method, path and body bytes.
    static func fingerprint(method: String, path: String, body: Data) -> String {
        var hasher = SHA256()
        hasher.update(data: Data("\(method) \(path)\n".utf8))
        hasher.update(data: body)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The stored form: the extra headers and the body.
    private static func encode(_ answer: APIResponse) -> String {
        var headers: [String: String] = [:]
        for field in answer.headers { headers[field.name.rawName] = field.value }
        return JSONText.render(["headers": headers, "body": answer.body])
    }

    private static func replay(_ record: IdempotencyRecord) -> APIResponse {
        let stored = JSONText.parse(record.response) as? [String: Any]
        var fields: HTTPFields = [:]
        for (name, value) in (stored?["headers"] as? [String: String]) ?? [:] {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        fields[.idempotentReplayed] = "true"
        return APIResponse(
            status: HTTPResponse.Status(code: record.statusCode), body: (stored?["body"] as? String) ?? "{}",
            headers: fields)
    }
}
