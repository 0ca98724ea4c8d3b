import Foundation
import PayrailCore
import PayrailProviders
import PayrailSigning
import PayrailStore

/// Resolves a callback's app id to its channel account and a verifier holding that account's token. Results
/// (including "no such app") are cached briefly so a burst of callbacks does not open the sealed token each time.
actor AccountDirectory {
    /// A resolved account with its verifier.
    struct Entry: Sendable {
        let account: ChannelAccount
        let parser: DouyinCallbackParser
    }

    private let channels: ChannelAccountRepository
    private let secrets: SecretBox
    private let ttl: Duration
    private var cache: [String: (entry: Entry?, expires: ContinuousClock.Instant)] = [:]

    init(channels: ChannelAccountRepository, secrets: SecretBox, ttl: Duration) {
        self.channels = channels
        self.secrets = secrets
        self.ttl = ttl
    }

    /// The Douyin account for an app id, or nil when none is registered.
    func douyin(appID: String) async throws -> Entry? {
        let now = ContinuousClock.now
        if let cached = cache[appID], cached.expires > now { return cached.entry }
        var entry: Entry?
        if let account = try await channels.douyinAccount(appID: appID) {
            let credentials = try await channels.douyinCredentials(account.id, secrets: secrets)
            entry = Entry(
                account: account, parser: DouyinCallbackParser(tokens: [credentials.token], appID: credentials.appID))
        }
        if cache.count > 10_000 { cache.removeAll() }
        // Unknown apps are remembered for a shorter time, so a newly added account is found quickly.
        cache[appID] = (entry, now + (entry == nil ? min(ttl, .seconds(2)) : ttl))
        return entry
    }
}
