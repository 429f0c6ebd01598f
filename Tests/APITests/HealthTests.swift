import API
import Assembly
import Foundation
import Payouts
import Transport
import WeChatPay
import Hummingbird
import HummingbirdTesting
import Logging
import Merchants
import Postgres
import Testing
import TestSupport

@Suite("/healthz and /readyz")
struct HealthTests {
    let logger: Logger = {
        var logger = Logger(label: "test.health")
        logger.logLevel = .critical
        return logger
    }()

    func registry(_ fixture: MerchantFixture) throws -> MerchantRegistry {
        try fixture.add("acme", mchId: "1900000109")
        return try MerchantRegistry(loader: MerchantLoader(directory: fixture.directory, environment: [:]), logger: logger)
    }

    func migrator() throws -> Migrator { try Migrator(directory: Repository.root.appendingPathComponent("migrations")) }

    func app(_ pool: PostgresPool, _ registry: MerchantRegistry) throws -> some ApplicationProtocol {
        let gateway = Gateway(settings: GatewaySettings(), registry: registry, pool: pool, transport: HTTPSClient(), logger: logger)
        return Application(router: try buildRouter(dependencies: GatewayDependencies(gateway: gateway, migrator: try migrator(), logger: logger)))
    }

    struct Status: Decodable { let status: String; let checks: [String: String] }

    @Test("/healthz answers ok without touching the database")
    func healthz() async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: "postgresql://nobody@127.0.0.1:1/none", maxConnections: 1))
        defer { pool.close() }
        try await app(pool, try registry(MerchantFixture())).test(.router) { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            #expect(try JSONDecoder().decode(Status.self, from: Data(buffer: response.body)).status == "ok")
        }
    }

    @Test("/readyz is 200 with every check ok on a migrated database")
    func ready() async throws {
        let pool = try await TestDatabase.migrated("readyok")
        defer { pool.close() }
        try await app(pool, try registry(MerchantFixture())).test(.router) { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .ok)
            let status = try JSONDecoder().decode(Status.self, from: Data(buffer: response.body))
            #expect(status.checks["database"] == "ok" && status.checks["migrations"] == "ok")
            #expect(status.checks["merchants"] == "ok (generation 1, 1 entities)")
            #expect(status.checks["webhooks"] == "off: HONGBAO_KEK is not set (registering answers 503; events wait)", "not ready-failing: events wait")
        }
    }

    @Test("/readyz is 503 naming pending migrations")
    func pending() async throws {
        let pool = try await TestDatabase.pool("readypending")
        defer { pool.close() }
        try await app(pool, try registry(MerchantFixture())).test(.router) { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .serviceUnavailable)
            let status = try JSONDecoder().decode(Status.self, from: Data(buffer: response.body))
            #expect(status.checks["migrations"]?.contains("0001_init.sql pending") == true)
        }
    }

    @Test("/readyz stays 200 for an older release once the database has a newer migration (a rolling upgrade keeps it in the load balancer), naming it")
    func newerMigrations() async throws {
        let pool = try await TestDatabase.pool("readynewer")
        defer { pool.close() }
        let all = try migrator().migrations
        let next = Migrator.Migration(version: (all.map(\.version).max() ?? 0) + 1, name: "9999_next_release.sql", sql: "CREATE TABLE next_release (id int);")
        try await Migrator(migrations: all + [next]).migrate(pool)
        try await app(pool, try registry(MerchantFixture())).test(.router) { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            let status = try JSONDecoder().decode(Status.self, from: Data(buffer: response.body))
            #expect(response.status == .ok, "\(status.checks)")
            #expect(status.checks["migrations"] == "ok; the database also has newer migrations than this release: 9999_next_release.sql")
        }
    }

    @Test("/readyz with the database unreachable says which check failed and nothing of the error")
    func unreachable() async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: "postgresql://dbuser:s3cr3t@127.0.0.1:1/secretdb",
                                                                     maxConnections: 1, connectTimeoutSeconds: 1))
        defer { pool.close() }
        try await app(pool, try registry(MerchantFixture())).test(.router) { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .serviceUnavailable)
            let body = String(buffer: response.body)
            let status = try JSONDecoder().decode(Status.self, from: Data(buffer: response.body))
            #expect(status.checks["database"] == "unreachable (see the gateway log)")
            for leak in ["s3cr3t", "dbuser", "secretdb", "127.0.0.1", "Connection refused"] { #expect(!body.contains(leak), "\(leak) in \(body)") }
        }
    }

    @Test("a failed merchant reload shows in /readyz while the old snapshot keeps serving")
    func reloadFailure() async throws {
        let pool = try await TestDatabase.migrated("readyreload")
        defer { pool.close() }
        let fixture = try MerchantFixture()
        let registry = try registry(fixture)
        try fixture.add("broken", mchId: "1900000110") { $0["mch_id"] = "\"x\"" }
        registry.reload()
        try await app(pool, registry).test(.router) { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .ok, "the previous snapshot still serves")
            let status = try JSONDecoder().decode(Status.self, from: Data(buffer: response.body))
            let merchants = try #require(status.checks["merchants"])
            #expect(merchants.hasPrefix("last reload failed at") && merchants.hasSuffix("serving generation 1 with 1 entities"), "\(merchants)")
            #expect(!merchants.contains("broken.toml"), "details stay in the log")
        }
    }
}
