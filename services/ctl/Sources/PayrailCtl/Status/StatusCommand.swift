import ArgumentParser
import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import PayrailStore

/// `payrailctl status`: one screen for an operator — each service's health (from its `/readyz` or `/healthz`),
/// the outbox backlog and oldest pending per consumer, dead letters, webhook deliveries, and open reconciliation
/// differences. Exits 1 when a service is down or not ready, so scripts and probes can use it.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Service health, outbox backlog, dead letters, webhook deliveries, open reconciliation differences.",
        discussion: """
            Services are probed at their defaults on 127.0.0.1 (gateway 8080, ingester 8081, worker 8082,
            reconciler 8083, sandbox 8090); override with --service NAME=URL (repeatable) or skip probing with
            --no-services. Exit status 1 when a probed service is down or not ready.
            """)

    @OptionGroup var options: DatabaseOptions

    @Option(name: .customLong("service"), help: "A service to probe, NAME=BASE_URL (replaces the defaults).")
    var services: [String] = []

    @Flag(name: .customLong("no-services"), help: "Do not probe services; report the database only.")
    var noServices = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let targets = try noServices ? [] : StatusProbe.targets(services)
        let outbox = try AdminOutbox.open(options)
        let stats = try await AdminOutbox.run { try await outbox.stats() }
        let store = try await StatusReport.storeFigures(outbox.database)
        let health = await StatusProbe.probe(targets)
        let report = StatusReport(services: health, consumers: stats, store: store)
        if json {
            print(try CommandOutput.json(report.jsonObject))
        } else {
            print(report.text)
        }
        if health.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }
}

/// Probing services' health endpoints.
enum StatusProbe {
    /// A service's probe result.
    struct Result {
        var name: String
        var url: String
        var ok: Bool
        var detail: String
    }

    /// The default probes: each service's readiness (the sandbox and reconciler answer `/healthz`).
    static let defaults: [(String, String)] = [
        ("gateway", "http://127.0.0.1:8080/readyz"), ("ingester", "http://127.0.0.1:8081/readyz"),
        ("worker", "http://127.0.0.1:8082/readyz"), ("reconciler", "http://127.0.0.1:8083/healthz"),
        ("sandbox", "http://127.0.0.1:8090/healthz"),
    ]

    /// Parses `NAME=URL` overrides; a URL without a path probes `/readyz`.
    static func targets(_ overrides: [String]) throws -> [(String, String)] {
        if overrides.isEmpty { return defaults }
        return try overrides.map { text in
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].hasPrefix("http://") || parts[1].hasPrefix("https://")
            else { throw CommandFailure("--service '\(text)' must be NAME=http(s)://host:port[/path]") }
            let url = parts[1]
            let hasPath = (URL(string: url)?.path ?? "").count > 1
            return (parts[0], hasPath ? url : url + "/readyz")
        }
    }

    /// Probes every target concurrently with a 2 s timeout each.
    static func probe(_ targets: [(String, String)]) async -> [Result] {
        await withTaskGroup(of: (Int, Result).self) { group in
            for (index, (name, url)) in targets.enumerated() {
                group.addTask { (index, await probe(name: name, url: url)) }
            }
            var results: [(Int, Result)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    private static func probe(name: String, url: String) async -> Result {
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(2))
            let body = try await response.body.collect(upTo: 64 * 1024)
            let ok = (200..<300).contains(Int(response.status.code))
            let detail = ok ? "ok" : "\(response.status.code) \(String(buffer: body).prefix(200))"
            return Result(name: name, url: url, ok: ok, detail: detail)
        } catch {
            return Result(name: name, url: url, ok: false, detail: "unreachable")
        }
    }
}

/// What `status` shows.
struct StatusReport {
    /// Figures read from the database beyond the outbox stats.
    struct StoreFigures {
        var webhooksPending = 0
        var webhooksDead = 0
        var openDifferences = 0
    }

    var services: [StatusProbe.Result]
    var consumers: [ConsumerStats]
    var store: StoreFigures

    /// Reads webhook and reconciliation figures (tables that exist in this schema).
    static func storeFigures(_ database: PayrailDatabase) async throws -> StoreFigures {
        try await database.read { db in
            var figures = StoreFigures()
            figures.webhooksPending = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM webhook_delivery WHERE state IN ('pending', 'leased')") ?? 0
            figures.webhooksDead = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM webhook_delivery WHERE state = 'dead'") ?? 0
            figures.openDifferences = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM reconciliation_difference WHERE state = 'open'") ?? 0
            return figures
        }
    }

    var jsonObject: [String: Any] {
        [
            "services": services.map { ["name": $0.name, "url": $0.url, "ok": $0.ok, "detail": $0.detail] },
            "consumers": consumers.map { row -> [String: Any] in
                [
                    "consumer": row.consumer, "backlog": row.backlog, "dead": row.dead,
                    "oldest_pending_age_ms": row.oldestPendingAgeMillis.map { $0 as Any } ?? NSNull(),
                ]
            },
            "webhooks": ["pending": store.webhooksPending, "dead": store.webhooksDead],
            "reconciliation": ["open_differences": store.openDifferences],
        ]
    }

    var text: String {
        var lines = ["services:"]
        if services.isEmpty { lines.append("  (not probed)") }
        for service in services {
            lines.append("  \(service.ok ? "up  " : "DOWN") \(service.name)\t\(service.url)\t\(service.detail)")
        }
        lines.append("outbox (consumer, backlog, dead, oldest pending):")
        if consumers.isEmpty { lines.append("  no deliveries") }
        for row in consumers {
            let oldest = row.oldestPendingAgeMillis.map(EventsFormat.age) ?? "-"
            lines.append("  \(row.consumer)\t\(row.backlog)\t\(row.dead)\t\(oldest)")
        }
        let deadLetters = consumers.reduce(0) { $0 + $1.dead }
        lines.append("dead letters: \(deadLetters)\(deadLetters > 0 ? " (payrailctl events list --state dead)" : "")")
        lines.append("webhook deliveries: \(store.webhooksPending) pending, \(store.webhooksDead) dead")
        lines.append("open reconciliation differences: \(store.openDifferences)")
        return lines.joined(separator: "\n")
    }
}
