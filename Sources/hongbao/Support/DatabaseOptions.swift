import ArgumentParser
import Foundation
import Postgres

/// Options shared by every command that talks to the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("migrations"), help: ArgumentHelp("Directory of NNNN_name.sql migrations.", valueName: "dir"))
    var migrationsDirectory: String = ProcessInfo.processInfo.environment["HONGBAO_MIGRATIONS_DIR"] ?? "migrations"

    @Option(help: "Most database connections this process opens.")
    var dbPoolSize: Int = Int(ProcessInfo.processInfo.environment["HONGBAO_DB_POOL_SIZE"] ?? "") ?? 16

    func validate() throws {
        guard (1...512).contains(dbPoolSize) else { throw ValidationError("--db-pool-size must be between 1 and 512") }
    }

    /// DATABASE_URL, else the PG* variables — or, when neither is set, the development
    /// cluster `make run` started for this folder (announced on stderr).
    var configuration: PostgresConfiguration {
        let environment = ProcessInfo.processInfo.environment
        if let url = DevelopmentCluster.url(environment: environment) {
            let shown = PostgresConfiguration(connectionString: url).redactedTarget
            FileHandle.standardError.write(Data("using this folder's development cluster (\(DevelopmentCluster.file)): \(shown)\n".utf8))
            return PostgresConfiguration(connectionString: url, maxConnections: dbPoolSize)
        }
        return PostgresConfiguration.fromEnvironment(environment, maxConnections: dbPoolSize)
    }

    func migrator() throws -> Migrator {
        try Migrator(directory: URL(fileURLWithPath: migrationsDirectory))
    }

    /// A pool whose first connection has been proven, so "cannot connect" is said up front.
    func connect() async throws -> PostgresPool {
        let pool = PostgresPool(configuration: configuration)
        do {
            try await pool.query("SELECT 1")
        } catch {
            pool.close()
            throw CLIError("cannot reach the database: \(error). Set DATABASE_URL or the PG* variables.")
        }
        return pool
    }
}
