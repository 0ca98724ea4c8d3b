import Foundation
import HummingbirdTesting
import PayrailRuntime
import PayrailStore
import Testing

@testable import PayrailReconciler

/// The executable's build function: operational endpoints on a real store.
@Suite("payrail-reconciler service")
struct ServiceTests {
    @Test("/healthz, /readyz and /metrics answer; the schedule can be switched off")
    func operationalRoutes() async throws {
        try await ReconcileHarness.with { h in
            let store = ServiceStore(database: h.database, outbox: h.outbox, secrets: ReconcileHarness.masterKey)
            let configuration = ReconcilerConfiguration(
                service: ServiceSettings(databasePath: h.database.settings.path),
                reconciler: ReconcilerSettings(dataDirectory: h.dataDirectory.path), scheduleEnabled: false)
            let app = try buildReconciler(configuration, store: store, logger: quietLogger, sources: { _ in h.source })
            try await app.test(.router) { client in
                try await client.execute(uri: "/healthz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("payrail-reconciler"))
                }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }
}
