import Postgres
import Testing

/// The two pooler settings come from one reader, for the initializer's defaults and for
/// `fromEnvironment` alike.
@Suite("Pooler settings")
struct PoolerSettingsTests {
    @Test("HONGBAO_DB_PREPARED_STATEMENTS=off turns prepared statements off; anything else leaves them on")
    func preparedStatements() {
        #expect(!PostgresConfiguration.PoolerSettings(["HONGBAO_DB_PREPARED_STATEMENTS": "off"]).preparedStatements)
        #expect(PostgresConfiguration.PoolerSettings(["HONGBAO_DB_PREPARED_STATEMENTS": "on"]).preparedStatements)
        #expect(PostgresConfiguration.PoolerSettings([:]).preparedStatements)
    }

    @Test("an empty HONGBAO_LISTEN_DATABASE_URL is none, a set one is used as given")
    func listenURL() {
        #expect(PostgresConfiguration.PoolerSettings(["HONGBAO_LISTEN_DATABASE_URL": ""]).listenConnectionString == nil)
        #expect(PostgresConfiguration.PoolerSettings(["HONGBAO_LISTEN_DATABASE_URL": "postgresql://db:5432"]).listenConnectionString
            == "postgresql://db:5432")
    }

    @Test("fromEnvironment takes both from the environment it is given")
    func fromEnvironment() {
        let configuration = PostgresConfiguration.fromEnvironment([
            "DATABASE_URL": "postgresql://pool:6432/hongbao", "HONGBAO_DB_PREPARED_STATEMENTS": "off",
            "HONGBAO_LISTEN_DATABASE_URL": "postgresql://db:5432",
        ])
        #expect(configuration.connectionString == "postgresql://pool:6432/hongbao")
        #expect(!configuration.preparedStatements)
        #expect(configuration.listenConnectionString == "postgresql://db:5432")
    }
}
