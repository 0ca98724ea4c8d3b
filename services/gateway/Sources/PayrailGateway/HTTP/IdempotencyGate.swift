import Crypto
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import PayrailCore
import PayrailSigning
import PayrailStore

/// The keys whose first request is still running in this process: a second request with the same key gets 409
/// instead of racing the first (the stored record covers requests in other processes and later retries).
final class InFlightKeys: @unchecked Sendable {
    private let lock = NSLock()
    private var running: Set<String> = []

    /// Claims a key; false when a request with it is running.
    func claim(_ key: String) -> Bool { lock.withLock { running.insert(key).inserted } }

    /// Releases a claimed key.
    func release(_ key: String) { lock.withLock { _ = running.remove(key) } }
}

/// A write route's work once its input is validated: `body` runs inside one write transaction (through the
/// process's group-commit writer) together with the Idempotency-Key lookup and the stored answer.
struct TransactionalWrite: Sendable {
    /// The database work and the answer; everything it wrote rolls back when it throws.
    var body: @Sendable (Database) throws -> WriteOutcome
}

/// What a transactional write answered.
struct WriteOutcome: Sendable {
    /// The answer.
    var answer: APIResponse
    /// Work to do once the transaction committed (waiting for pay parameters, `Prefer: wait`); its answer replaces
    /// `answer`, and with an Idempotency-Key it is stored in a second transaction (the wait cannot run inside one).
    var afterCommit: (@Sendable () async throws -> APIResponse)?
    /// The answer's stored form (`IdempotencyGate.storedForm(of:)`) when the route rendered it before the
    /// transaction, so the single writer does not.
    var storedForm: String?

    /// An outcome that is just an answer.
    init(answer: APIResponse, afterCommit: (@Sendable () async throws -> APIResponse)? = nil) {
        self.answer = answer
        self.afterCommit = afterCommit
    }

    /// An answer with its stored form rendered in advance.
    init(answer: APIResponse, storedForm: String?) {
        self.answer = answer
        self.storedForm = storedForm
    }
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

    /// Runs a transactional write under the key, or replays / refuses: one write transaction holds the key's
    /// lookup, the route's rows and the stored answer. `prepare` validates the input (no database); its
    /// `APIError`s and domain rule violations become stored error answers, like those of the body.
    func runTransaction(
        key: String?, merchant: MerchantID, request: Request, body: Data, requestID: String,
        _ prepare: () throws -> TransactionalWrite
    ) async throws -> APIResponse {
        let database = repository.database
        guard let key else {
            let write: TransactionalWrite
            do {
                write = try prepare()
            } catch {
                return try Self.answer(for: error, requestID: requestID)
            }
            let outcome: WriteOutcome
            do {
                outcome = try await database.write { db in try write.body(db) }
            } catch {
                return try Self.answer(for: error, requestID: requestID)
            }
            return try await outcome.afterCommit?() ?? outcome.answer
        }
        let fingerprint = try claimedFingerprint(key: key, merchant: merchant, request: request, body: body)
        defer { inFlight.release(Self.slot(merchant, key)) }

        let prepared: Result<TransactionalWrite, APIErrorAnswer>
        do {
            prepared = .success(try prepare())
        } catch {
            prepared = .failure(APIErrorAnswer(answer: try Self.answer(for: error, requestID: requestID)))
        }
        let (repository, lifetime) = (self.repository, self.lifetime)
        let result: TransactionResult = try await database.write { db in
            switch try repository.lookup(in: db, merchant: merchant, key: key, fingerprint: fingerprint) {
            case .replay(let record): return .replay(record)
            case .mismatch: return .reused
            case .new: break
            }
            var outcome = WriteOutcome(answer: APIResponse(status: .internalServerError, body: "{}"))
            switch prepared {
            case .failure(let error):
                outcome = WriteOutcome(answer: error.answer)
            case .success(let write):
                do {
                    outcome = try database.inSavepoint(db) { try write.body(db) }
                } catch {
                    outcome = WriteOutcome(answer: try Self.answer(for: error, requestID: requestID))
                }
            }
            if outcome.afterCommit != nil || outcome.answer.status.code >= 500 { return .unsaved(outcome) }
            let storedForm = outcome.storedForm ?? Self.storedForm(of: outcome.answer)
            let stored = try repository.save(
                in: db, merchant: merchant, key: key, fingerprint: fingerprint,
                statusCode: outcome.answer.status.code, response: storedForm, lifetime: lifetime)
            return .saved(outcome.answer, stored, storedForm)
        }
        switch result {
        case .replay(let record):
            return Self.replay(record)
        case .reused:
            throw Self.reused
        case .saved(let answer, let stored, let storedForm):
            return try Self.settle(answer, storedForm: storedForm, stored: stored, fingerprint: fingerprint)
        case .unsaved(let outcome):
            guard let afterCommit = outcome.afterCommit else { return outcome.answer }
            return try await save(try await afterCommit(), merchant: merchant, key: key, fingerprint: fingerprint)
        }
    }

    /// Checks the key, claims it in this process (409 when taken) and returns the request's fingerprint.
    private func claimedFingerprint(key: String, merchant: MerchantID, request: Request, body: Data) throws -> String {
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (32...126).contains($0) }) else {
            throw APIError.invalid("Idempotency-Key", "must be 1-255 printable ASCII characters")
        }
        guard inFlight.claim(Self.slot(merchant, key)) else {
            throw APIError(
                .conflict, type: "idempotency_error", code: "idempotency_request_in_progress",
                message: "a request with this Idempotency-Key is still being processed; retry later")
        }
        return Self.fingerprint(method: request.method.rawValue, path: request.uri.path, body: body)
    }

    /// Stores an answer in a transaction of its own; the first stored answer wins.
    private func save(
        _ answer: APIResponse, merchant: MerchantID, key: String, fingerprint: String
    ) async throws -> APIResponse {
        guard answer.status.code < 500 else { return answer }
        let (repository, lifetime, response) = (self.repository, self.lifetime, Self.storedForm(of: answer))
        let stored = try await repository.database.write { db in
            try repository.save(
                in: db, merchant: merchant, key: key, fingerprint: fingerprint, statusCode: answer.status.code,
                response: response, lifetime: lifetime)
        }
        return try Self.settle(answer, storedForm: response, stored: stored, fingerprint: fingerprint)
    }

    /// The answer to send once a record is stored: ours, or the one another process stored first.
    private static func settle(
        _ answer: APIResponse, storedForm: String, stored: IdempotencyRecord, fingerprint: String
    ) throws -> APIResponse {
        guard stored.fingerprint == fingerprint else { throw reused }
        if stored.response != storedForm { return replay(stored) }
        return answer
    }

    /// The answer an error of a write is: API errors and domain rule violations as error answers; anything else
    /// is rethrown (an opaque 500, not stored).
    static func answer(for error: any Error, requestID: String) throws -> APIResponse {
        switch error {
        case let error as APIError:
            return .error(error, requestID: requestID)
        case let error as DomainError:
            guard let mapped = APIError.from(error) else { throw error }
            return .error(mapped, requestID: requestID)
        default:
            throw error
        }
    }

    private static func slot(_ merchant: MerchantID, _ key: String) -> String { merchant.rawValue + "\u{0}" + key }

    /// The answer to a key reused with a different request.
    static let reused = APIError(
        .unprocessableContent, type: "idempotency_error", code: "idempotency_key_reused",
        message: "this Idempotency-Key was used with a different request", param: "Idempotency-Key")

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A digest of what makes two requests the same: method, path and body bytes (lowercase hex SHA-256).
    static func fingerprint(method: String, path: String, body: Data) -> String {
        var hasher = SHA256()
        hasher.update(data: Data("\(method) \(path)\n".utf8))
        hasher.update(data: body)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in hasher.finalize() {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The stored form of an answer: the extra headers and the body.
    static func storedForm(of answer: APIResponse) -> String {
        // `{"body": …, "headers": {…}}`, keys sorted as `JSONText.render` sorts them (a later field of the same
        // name wins), written straight out: the generic renderer's dictionaries were ~6 % of a create's CPU.
        var headers: [(name: String, value: String)] = []
        for field in answer.headers {
            if let index = headers.firstIndex(where: { $0.name == field.name.rawName }) {
                headers[index].value = field.value
            } else {
                headers.append((field.name.rawName, field.value))
            }
        }
        headers.sort { PayrailCore.JSONText.utf8Less($0.name, $1.name) }
        var output: [UInt8] = []
        output.reserveCapacity(answer.body.utf8.count + 64)
        output.append(contentsOf: #"{"body":"#.utf8)
        PayrailCore.JSONText.writeString(answer.body, to: &output)
        output.append(contentsOf: #","headers":{"#.utf8)
        for (index, header) in headers.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            PayrailCore.JSONText.writeString(header.name, to: &output)
            output.append(UInt8(ascii: ":"))
            PayrailCore.JSONText.writeString(header.value, to: &output)
        }
        output.append(contentsOf: "}}".utf8)
        return String(decoding: output, as: UTF8.self)
    }

    private static func replay(_ record: IdempotencyRecord) -> APIResponse {
        let stored = JSONText.parseObject(record.response)
        var fields: HTTPFields = [:]
        if case .object(let headers)? = stored?["headers"] {
            for member in headers.members {
                if let name = HTTPField.Name(member.key), let value = member.value.stringValue { fields[name] = value }
            }
        }
        fields[.idempotentReplayed] = "true"
        return APIResponse(
            status: HTTPResponse.Status(code: record.statusCode), body: stored?["body"]?.stringValue ?? "{}",
            headers: fields)
    }
}

/// An error answer computed before the transaction (a validation failure), carried into it to be stored.
private struct APIErrorAnswer: Error {
    var answer: APIResponse
}

/// What the key's transaction did.
private enum TransactionResult: Sendable {
    /// The key answered this request before.
    case replay(IdempotencyRecord)
    /// The key belongs to another request.
    case reused
    /// The answer, the record stored with it and the answer's stored form.
    case saved(APIResponse, IdempotencyRecord, String)
    /// An answer not stored yet (work after the commit follows) or not to be stored (a 500).
    case unsaved(WriteOutcome)
}
