import Foundation
import PayrailGateway
import Testing

/// `openapi.yaml` at the repository root describes exactly the routes the router has.
@Suite("Gateway OpenAPI")
struct OpenAPITests {
    @Test func theSpecListsEveryRouteAndNoOther() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        #expect(text.hasPrefix("openapi: 3.1"))
        var documented: Set<String> = []
        var path: String?
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(String(method)) {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
        }
        var routed = Set(Gateway.routeTable.entries.map { "\($0.method.rawValue) \($0.path)" })
        for operational in ["/healthz", "/readyz", "/metrics"] { routed.insert("GET \(operational)") }
        #expect(routed.subtracting(documented).isEmpty, "routes missing from openapi.yaml")
        #expect(documented.subtracting(routed).isEmpty, "openapi.yaml documents routes the router lacks")
        #expect(routed.count > 20)
    }
}
