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

    public init(
        connectionString: String,
        maxConnections: Int = 8,
        acquireTimeout: Duration = .seconds(5),
        connectTimeoutSeconds: Int = 5,
        applicationName: String = "hongbao"
    ) {
        self.connectionString = connectionString
        self.maxConnections = max(1, maxConnections)
        self.acquireTimeout = acquireTimeout
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.applicationName = applicationName
    }

    /// `DATABASE_URL` if set, else the `PG*` variables (empty connection string).
    public static func fromEnvironment(_ environment: [String: String], maxConnections: Int = 8) -> PostgresConfiguration {
        PostgresConfiguration(connectionString: environment["DATABASE_URL"] ?? "", maxConnections: maxConnections)
    }

    /// The connection string with any password removed, for messages and logs.
    public var redactedTarget: String {
        if connectionString.isEmpty { return "(PG* environment variables)" }
        if let schemeEnd = connectionString.range(of: "://"),
           let at = connectionString[schemeEnd.upperBound...].firstIndex(of: "@") {
            let userInfo = connectionString[schemeEnd.upperBound..<at]
            let user = userInfo.split(separator: ":", maxSplits: 1).first ?? ""
            return String(connectionString[..<schemeEnd.upperBound] + user + connectionString[at...])
        }
        return connectionString.split(separator: " ")
            .map { $0.hasPrefix("password=") ? "password=<redacted>" : String($0) }
            .joined(separator: " ")
    }
}
