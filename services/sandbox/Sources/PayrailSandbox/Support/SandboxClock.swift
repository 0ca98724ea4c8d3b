import Foundation

/// The sandbox's source of "now" in Unix milliseconds; injected so tests can place events on chosen dates.
public protocol SandboxClock: Sendable {
    /// The current time in milliseconds since the Unix epoch.
    func nowMillis() -> Int64
}

/// The wall clock, optionally shifted by a fixed offset (to simulate another day).
public struct SystemSandboxClock: SandboxClock {
    /// Added to the wall clock, in milliseconds.
    public var offsetMillis: Int64

    /// Creates the wall clock with an optional offset.
    public init(offsetMillis: Int64 = 0) {
        self.offsetMillis = offsetMillis
    }

    /// Wall-clock time plus the offset.
    public func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) + offsetMillis
    }
}

extension Int64 {
    /// This Unix-millisecond instant as a `Date`.
    var millisDate: Date { Date(timeIntervalSince1970: Double(self) / 1000) }
    /// This Unix-millisecond instant in whole Unix seconds.
    var unixSeconds: Int64 { self / 1000 }
}
