import Foundation

/// The store's source of "now" in Unix milliseconds (UTC); injected so tests move time instead of sleeping.
public protocol MillisecondClock: Sendable {
    /// The current time in milliseconds since the Unix epoch.
    func nowMillis() -> Int64
}

/// The real wall clock.
public struct SystemMillisecondClock: MillisecondClock {
    /// Creates the wall clock.
    public init() {}

    public func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}

extension Duration {
    /// This duration in whole milliseconds (rounded down), as the store keeps times.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
