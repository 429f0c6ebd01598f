import Foundation

/// Where the database is and how the pool behaves.
public struct PostgresConfiguration: Sendable {
    /// A `postgresql://` URI or a `key=value` conninfo string. Empty means libpq's
    /// `PG*` environment variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD …).
    public var connectionString: String
    /// Most connections (and threads) the pool opens.
    public var maxConnections: Int
    /// How long a caller waits for a free connection before `poolTimeout`.
    public var acquireTimeout: Duration
    /// Seconds libpq waits for a connection to be established.
    public var connectTimeoutSeconds: Int
    public var applicationName: String
    /// Prepare each statement once per connection (faster). Off behind a pooler that does
    /// not keep sessions, such as PgBouncer before 1.21 in transaction mode
    /// (`HONGBAO_DB_PREPARED_STATEMENTS=off`, the default's source).
    public var preparedStatements: Bool
    /// Where LISTEN connects when not where the pool does (`HONGBAO_LISTEN_DATABASE_URL`,
    /// the default's source): a transaction-mode pooler cannot keep a session's LISTEN, so
    /// a listener behind PgBouncer reaches PostgreSQL directly. A URI without a database
    /// (`postgresql://db-host:5432`) takes the database, user and options from the pool's
    /// URI, so one setting serves every database. Nil: the pool's own connection string.
    public var listenConnectionString: String?

    /// How long a caller waits for a connection unless told otherwise.
    public static let defaultAcquireTimeout: Duration = .seconds(5)

    public init(
        connectionString: String,
        maxConnections: Int = 8,
        acquireTimeout: Duration = defaultAcquireTimeout,
        connectTimeoutSeconds: Int = 5,
        applicationName: String = "hongbao",
        preparedStatements: Bool = PoolerSettings(PostgresConfiguration.environment).preparedStatements,
        listenConnectionString: String? = PoolerSettings(PostgresConfiguration.environment).listenConnectionString
    ) {
        self.connectionString = connectionString
        self.maxConnections = max(1, maxConnections)
        self.acquireTimeout = acquireTimeout
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.applicationName = applicationName
        self.preparedStatements = preparedStatements
        self.listenConnectionString = listenConnectionString
    }

    /// The process's environment, read for the pooler settings' defaults (like libpq's PG*).
    public static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The two settings a pooler in front of PostgreSQL needs, read from an environment in
    /// one place: `HONGBAO_DB_PREPARED_STATEMENTS=off` and `HONGBAO_LISTEN_DATABASE_URL`
    /// (empty is none).
    public struct PoolerSettings: Sendable {
        public let preparedStatements: Bool
        public let listenConnectionString: String?

        public init(_ environment: [String: String]) {
            preparedStatements = environment["HONGBAO_DB_PREPARED_STATEMENTS"] != "off"
            listenConnectionString = environment["HONGBAO_LISTEN_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    /// This configuration as a LISTEN connection uses it (`listenConnectionString`).
    public var forListening: PostgresConfiguration {
        guard let direct = listenConnectionString else { return self }
        var copy = self
        copy.connectionString = Self.direct(direct, for: connectionString)
        return copy
    }

    /// `direct` with the pool URI's database, user, password and options where it names none.
    static func direct(_ direct: String, for pooled: String) -> String {
        guard var target = URLComponents(string: direct), target.scheme?.hasPrefix("postgres") == true,
              let pool = URLComponents(string: pooled), pool.scheme?.hasPrefix("postgres") == true else { return direct }
        if target.path.isEmpty || target.path == "/" { target.path = pool.path }
        if target.user == nil { target.user = pool.user; target.password = pool.password }
        if target.query == nil { target.query = pool.query }
        return target.string ?? direct
    }

    /// `DATABASE_URL` if set, else the `PG*` variables (empty connection string);
    /// `HONGBAO_DB_PREPARED_STATEMENTS=off` turns prepared statements off and
    /// `HONGBAO_LISTEN_DATABASE_URL` sends LISTEN past a pooler.
    public static func fromEnvironment(_ environment: [String: String], maxConnections: Int = 8) -> PostgresConfiguration {
        let pooler = PoolerSettings(environment)
        return PostgresConfiguration(connectionString: environment["DATABASE_URL"] ?? "", maxConnections: maxConnections,
                                     preparedStatements: pooler.preparedStatements, listenConnectionString: pooler.listenConnectionString)
    }

    /// The connection string with any password removed, for messages and logs: the
    /// userinfo password of a URI (and a `password=` query parameter), or the `password`
    /// value of a conninfo string, quoted or not.
    public var redactedTarget: String {
        if connectionString.isEmpty { return "(PG* environment variables)" }
        if connectionString.hasPrefix("postgresql://") || connectionString.hasPrefix("postgres://") {
            return Self.redactURI(connectionString)
        }
        return Self.redactConninfo(connectionString)
    }

    static func redactURI(_ uri: String) -> String {
        var text = uri
        if let schemeEnd = text.range(of: "://"), let at = text[schemeEnd.upperBound...].firstIndex(of: "@"),
           let colon = text[schemeEnd.upperBound..<at].firstIndex(of: ":") {
            text.replaceSubrange(text.index(after: colon)..<at, with: "<redacted>")
        }
        if let query = text.firstIndex(of: "?") {
            let parameters = text[text.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { pair in
                pair.lowercased().hasPrefix("password=") ? "password=<redacted>" : String(pair)
            }
            text = String(text[...query]) + parameters.joined(separator: "&")
        }
        return text
    }

    /// conninfo is `key = value` pairs; a value may be single-quoted with `\'` and `\\` escapes.
    static func redactConninfo(_ conninfo: String) -> String {
        var out = ""
        var i = conninfo.startIndex
        func skipSpaces() { while i < conninfo.endIndex, conninfo[i].isWhitespace { out.append(conninfo[i]); i = conninfo.index(after: i) } }
        while i < conninfo.endIndex {
            skipSpaces()
            let keyStart = i
            while i < conninfo.endIndex, conninfo[i] != "=", !conninfo[i].isWhitespace { i = conninfo.index(after: i) }
            let key = String(conninfo[keyStart..<i])
            out += key
            skipSpaces()
            guard i < conninfo.endIndex, conninfo[i] == "=" else { continue }
            out.append("="); i = conninfo.index(after: i)
            skipSpaces()
            let valueStart = i
            if i < conninfo.endIndex, conninfo[i] == "'" {
                i = conninfo.index(after: i)
                while i < conninfo.endIndex, conninfo[i] != "'" {
                    if conninfo[i] == "\\" { i = conninfo.index(after: i) }
                    if i < conninfo.endIndex { i = conninfo.index(after: i) }
                }
                if i < conninfo.endIndex { i = conninfo.index(after: i) }
            } else {
                while i < conninfo.endIndex, !conninfo[i].isWhitespace { i = conninfo.index(after: i) }
            }
            out += key.lowercased() == "password" ? "<redacted>" : String(conninfo[valueStart..<i])
        }
        return out
    }
}
