import AsyncHTTPClient
import NIOCore
import PayrailSigning

/// POSTs one callback body and judges the answer: only HTTP 200 with the JSON object
/// `{"err_no":0,"err_tips":"success"}` (exactly those two members; whitespace free) counts as acknowledged.
struct CallbackSender: Sendable {
    /// The HTTP client (owned by the scheduler, shut down with it).
    let client: HTTPClient
    /// How long one attempt may take, in real seconds.
    let timeoutSeconds: Double

    /// Sends the body to the callback's URL; never throws (transport failures are an outcome).
    func send(_ callback: CallbackRecord, sentAt: Int64) async -> DeliveryOutcome {
        var request = HTTPClientRequest(url: callback.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "payrail-sandbox")
        request.body = .bytes(ByteBuffer(string: callback.body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeoutSeconds * 1000)))
            let body = try await response.body.collect(upTo: 64 * 1024)
            let bytes = Array(body.readableBytesView)
            let status = Int(response.status.code)
            return DeliveryOutcome(
                sentAt: sentAt, httpStatus: status, response: String(decoding: bytes.prefix(2048), as: UTF8.self),
                error: "", acknowledged: status == 200 && Self.isAcknowledgement(bytes))
        } catch {
            return DeliveryOutcome(
                sentAt: sentAt, httpStatus: nil, response: "", error: String(describing: error).prefix(500).description,
                acknowledged: false)
        }
    }

    /// Whether a body is exactly the documented acknowledgement.
    static func isAcknowledgement(_ bytes: [UInt8]) -> Bool {
        guard case .object(let object)? = try? JSONParser.parse(bytes), object.members.count == 2,
            case .number(let errNo)? = object["err_no"], errNo.literal == "0",
            case .string("success")? = object["err_tips"]
        else { return false }
        return true
    }
}
