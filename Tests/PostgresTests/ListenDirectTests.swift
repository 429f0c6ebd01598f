import Foundation
import Postgres
import Testing
import TestSupport

/// Behind a transaction-mode pooler (PgBouncer) LISTEN must reach PostgreSQL directly:
/// `HONGBAO_LISTEN_DATABASE_URL` names the server, the pool's URI the database and user.
@Suite("LISTEN past a pooler")
struct ListenDirectTests {
    @Test("a direct URI without a database takes the pool's database, user and options; a full one is used as it is")
    func directURI() {
        let pooled = "postgresql://app:pw@pgbouncer.internal:6432/hongbao?sslmode=require"
        let bare = PostgresConfiguration(connectionString: pooled, listenConnectionString: "postgresql://db.internal:5432")
        #expect(bare.forListening.connectionString == "postgresql://app:pw@db.internal:5432/hongbao?sslmode=require")
        let full = PostgresConfiguration(connectionString: pooled, listenConnectionString: "postgresql://listener@db.internal:5432/other")
        #expect(full.forListening.connectionString == "postgresql://listener@db.internal:5432/other?sslmode=require")
        let none = PostgresConfiguration(connectionString: pooled, listenConnectionString: nil)
        #expect(none.forListening.connectionString == pooled)
    }

    @Test("a listener whose pool points nowhere still hears NOTIFY through the direct URI")
    func listensDirectly() async throws {
        let url = try await TestDatabase.create("listendirect")
        guard var components = URLComponents(string: url) else { throw TestSetupError("not a URI: \(url)") }
        // PostgreSQL itself: where a run behind PgBouncer says it is, else the test cluster.
        let server = ProcessInfo.processInfo.environment["HONGBAO_LISTEN_DATABASE_URL"]
            ?? "postgresql://\(components.host ?? "127.0.0.1"):\(components.port ?? 5432)"
        components.port = 1 // nothing listens there: only the direct URI can work
        let listener = PostgresListener(configuration: PostgresConfiguration(connectionString: components.string!, listenConnectionString: server),
                                        channels: ["hb_direct"])
        defer { listener.stop() }
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 1))
        defer { pool.close() }
        // Bounded: a listener that never hears must fail the test, not hang the run.
        let heard = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                var events = listener.events.makeAsyncIterator()
                guard case .listening = await events.next() else { return nil }
                try await pool.query("NOTIFY hb_direct, 'hello'")
                guard case .notification(let notification) = await events.next() else { return nil }
                return notification.payload
            }
            group.addTask { try await Task.sleep(for: .seconds(15)); return nil }
            let first = try await group.next() ?? nil
            group.cancelAll()
            listener.stop()
            return first
        }
        #expect(heard == "hello")
    }
}
