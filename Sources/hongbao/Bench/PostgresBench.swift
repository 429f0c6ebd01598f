import ArgumentParser
import Foundation
import Postgres

/// INSERT … RETURNING then a point SELECT of that row, through the Postgres module —
/// the same two statements scripts/bench.sh gives pgbench.
struct PostgresBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "Transactions/s of INSERT … RETURNING + point SELECT through the Postgres module.",
        discussion: "Example:\n  DATABASE_URL=postgresql://hongbao@127.0.0.1:5432/bench hongbao bench postgres --clients 8"
    )

    @Option(help: "Concurrent clients (one pooled connection each).") var clients = 1
    @Option(help: "Seconds to run.") var seconds = 10.0

    static let setupSQL = "CREATE TABLE IF NOT EXISTS bench_items (id bigserial PRIMARY KEY, payload text NOT NULL, amount int8 NOT NULL)"

    func run() async throws {
        let configuration = PostgresConfiguration.fromEnvironment(ProcessInfo.processInfo.environment, maxConnections: clients)
        let pool = PostgresPool(configuration: configuration)
        defer { pool.close() }
        try await pool.query(Self.setupSQL)
        // Both statements in one borrow of a connection, as pgbench runs its script on one
        // connection (and as gateway code groups a unit of work).
        let tps = try await measureThroughput(clients: clients, seconds: seconds) { _ in
            let amount = Int64.random(in: 1...100_000)
            try await pool.withConnection { connection in
                let id = try connection.query("INSERT INTO bench_items (payload, amount) VALUES ($1, $2) RETURNING id", ["x", amount])
                    .first!.decode(column: 0, as: Int64.self)
                let row = try connection.query("SELECT id, payload, amount FROM bench_items WHERE id = $1", [id]).first!
                _ = try row.decode((Int64, String, Int64).self)
            }
        }
        print(#"{"bench":"postgres","clients":\#(clients),"tps":\#(Int(tps))}"#)
    }
}
