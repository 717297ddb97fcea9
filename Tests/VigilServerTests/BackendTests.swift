import Logging
import Testing
import VigilStorage

@Suite("Database backends")
struct BackendTests {
    @Test("each configured backend opens, migrates to the latest schema and answers", arguments: Backend.all)
    func backendIsLive(backend: Backend) async throws {
        print("[vigil-tests] database backend under test: \(backend.rawValue)\(backend == .postgres ? " (VIGIL_TEST_POSTGRES_URL)" : "")")
        try await TestApp.run(backend) { app in
            try await app.store.ping()
            let versions = try await Migrator(driver: app.store.driver).appliedVersions()
            #expect(versions.last == Migrator.latestVersion)
            // Migrating again is a no-op.
            #expect(try await app.store.migrate().isEmpty)
        }
    }
}
