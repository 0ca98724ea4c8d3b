import HTTPTypes

/// Every route of the merchant API as (method, path pattern with `{name}` parameters): the router is built from
/// it, 405 is told from 404 with it, and a test holds `openapi.yaml` to it.
public struct RouteTable: Sendable {
    /// One route.
    public struct Entry: Sendable, Hashable {
        /// The method.
        public var method: HTTPRequest.Method
        /// The path in OpenAPI form, e.g. `/v1/orders/{id}`.
        public var path: String
    }

    /// The routes in registration order.
    public private(set) var entries: [Entry] = []

    /// An empty table.
    public init() {}

    /// Records a route.
    mutating func add(_ method: HTTPRequest.Method, _ path: String) {
        entries.append(Entry(method: method, path: path))
    }

    /// The methods routed for a concrete path (empty when no pattern matches it).
    public func methods(forPath path: String) -> [HTTPRequest.Method] {
        let segments = Self.segments(path)
        return entries.filter { Self.matches(pattern: Self.segments($0.path), segments) }.map(\.method)
    }

    /// The Hummingbird form of a pattern (`{id}` → `:id`).
    static func hummingbirdPath(_ path: String) -> String {
        segments(path).map { $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : $0 }.joined(separator: "/")
    }

    private static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func matches(pattern: [String], _ segments: [String]) -> Bool {
        guard pattern.count == segments.count else { return false }
        return zip(pattern, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }
}
