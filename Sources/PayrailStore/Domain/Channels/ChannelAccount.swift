import GRDB
import PayrailCore

/// A payment provider a channel account belongs to.
public enum PaymentProvider: String, Sendable, CaseIterable, Codable {
    case douyin
    case wechat
    case alipay
}

/// A merchant's account at a provider, without its secrets (they stay sealed in the row).
public struct ChannelAccount: Sendable, Equatable {
    /// The account's id (`cha_…`).
    public let id: ChannelAccountID
    /// The merchant owning it.
    public let merchantID: MerchantID
    /// The provider.
    public let provider: PaymentProvider
    /// The provider's app id (unique per provider).
    public let appID: String
    /// The merchant's id at the provider.
    public let providerMerchantID: String
    /// The service provider id, when the merchant is served through one (Douyin `thirdparty_id`).
    public let thirdpartyID: String?
    /// When it was added (Unix ms, UTC).
    public let createdAtMillis: Int64

    init(row: Row) throws {
        id = try row.identifier("id", table: "channel_account")
        merchantID = try row.identifier("merchant_id", table: "channel_account")
        let providerText: String = row["provider"]
        guard let provider = PaymentProvider(rawValue: providerText) else {
            throw DomainFailures.corrupt("channel_account", id.rawValue, "unknown provider '\(providerText)'")
        }
        self.provider = provider
        appID = row["app_id"]
        providerMerchantID = row["provider_merchant_id"]
        thirdpartyID = row["thirdparty_id"]
        createdAtMillis = row["created_at"]
    }

    /// The JSON description shown by admin commands (never a secret).
    public var jsonObject: [String: Any] {
        [
            "id": id.rawValue, "merchant_id": merchantID.rawValue, "provider": provider.rawValue, "app_id": appID,
            "provider_merchant_id": providerMerchantID, "thirdparty_id": EventJSON.optional(thirdpartyID),
            "created_at": createdAtMillis,
        ]
    }
}

/// Douyin ecpay credentials of one channel account. `salt` and `token` are secrets: never logged or printed.
public struct DouyinCredentials: Sendable, Equatable, CustomStringConvertible {
    /// The mini program's app id.
    public var appID: String
    /// The signing salt (secret).
    public var salt: String
    /// The callback token (secret).
    public var token: String
    /// The merchant's Douyin merchant id.
    public var merchantID: String
    /// The service provider id, when one is used.
    public var thirdpartyID: String?

    /// Creates credentials.
    public init(appID: String, salt: String, token: String, merchantID: String, thirdpartyID: String? = nil) {
        self.appID = appID
        self.salt = salt
        self.token = token
        self.merchantID = merchantID
        self.thirdpartyID = thirdpartyID
    }

    public var description: String {
        "DouyinCredentials(app_id: \(appID), merchant_id: \(merchantID), salt: redacted, token: redacted)"
    }
}
