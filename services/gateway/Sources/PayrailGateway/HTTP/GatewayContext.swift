import Hummingbird
import PayrailCore
import PayrailRuntime

/// The request context of the merchant API: the request id and, once authenticated, the merchant.
public struct GatewayContext: RequestIDContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's id (`x-request-id`).
    public var requestID = ""
    /// The merchant the bearer key belongs to (set by `AuthMiddleware`).
    public var merchantID: MerchantID?

    public init(source: Source) { coreContext = .init(source: source) }

    /// The authenticated merchant; a route reached without one is a wiring bug, answered as 401.
    func merchant() throws -> MerchantID {
        guard let merchantID else {
            throw APIError(
                .unauthorized, type: "authentication_error", code: "unauthenticated",
                message: "send Authorization: Bearer <api key>")
        }
        return merchantID
    }
}
