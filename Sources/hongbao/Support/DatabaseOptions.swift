import ArgumentParser
import Foundation
import Postgres
import Schema

/// Options shared by every command that talks to the database. Which database: the
/// environment (see `configuration`), never a flag, so no password lands in shell history.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Most database connections this process opens.")
    var dbPoolSize: Int = Environment.int("HONGBAO_DB_POOL_SIZE") ?? 16

    func validate() throws {
        guard (1...512).contains(dbPoolSize) else { throw ValidationError("--db-pool-size must be between 1 and 512") }
    }

    /// DATABASE_URL, else the PG* variables — or, when neither is set, the development
    /// cluster `make run` started for this folder (announced on stderr). `migrate` works as
    /// the database owner: MIGRATE_DATABASE_URL first.
    func configuration(migrating: Bool = false) -> PostgresConfiguration {
        var environment = ProcessInfo.processInfo.environment
        if migrating, let owner = environment["MIGRATE_DATABASE_URL"], !owner.isEmpty { environment["DATABASE_URL"] = owner }
        if let url = DevelopmentCluster.url(environment: environment, migrating: migrating) {
            let shown = PostgresConfiguration(connectionString: url).redactedTarget
            FileHandle.standardError.write(Data("using this folder's development cluster (\(DevelopmentCluster.file(migrating: migrating))): \(shown)\n".utf8))
            return PostgresConfiguration(connectionString: url, maxConnections: dbPoolSize)
        }
        return PostgresConfiguration.fromEnvironment(environment, maxConnections: dbPoolSize)
    }

    /// A pool whose first connection has been proven, so "cannot connect" is said up front.
    func connect(migrating: Bool = false) async throws -> PostgresPool {
        let pool = PostgresPool(configuration: configuration(migrating: migrating))
        do {
            try await pool.ping()
        } catch {
            pool.close()
            throw CLIError("cannot reach the database: \(error). Set DATABASE_URL or the PG* variables.")
        }
        return pool
    }
}

/// Where the migrations are (`migrate`, and `serve` for /readyz): the ones compiled into
/// this binary, unless a folder is named — so an installed release needs no migrations/.
struct MigrationsOption: ParsableArguments {
    @Option(name: .customLong("migrations"), help: ArgumentHelp(
        "Read NNNN_name.sql migrations from this directory instead of the ones built in (development; or HONGBAO_MIGRATIONS_DIR).",
        valueName: "dir"))
    var directory: String?

    func migrator() throws -> Migrator {
        let fromEnvironment = ProcessInfo.processInfo.environment["HONGBAO_MIGRATIONS_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        guard let folder = directory ?? fromEnvironment else { return Schema.migrator }
        return try Migrator(directory: URL(fileURLWithPath: folder))
    }
}
