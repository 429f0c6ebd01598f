import CLibPQ

/// An error from the database or from this wrapper. Carries what the server said
/// (SQLSTATE, message, detail, constraint) so callers can branch on it.
public struct PostgresError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Could not connect, or the connection broke.
        case connection
        /// The server rejected a statement.
        case server
        /// No connection became free within the pool's wait timeout.
        case poolTimeout
        /// The pool was shut down.
        case poolClosed
        /// A value in a row did not match the Swift type asked for.
        case decode
        /// A migration file or the migration history is not acceptable.
        case migration
    }

    public let kind: Kind
    public let message: String
    public let sqlState: String?
    public let detail: String?
    public let constraint: String?

    public init(_ kind: Kind, _ message: String, sqlState: String? = nil, detail: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.constraint = constraint
    }

    /// 23505: a unique constraint refused the row.
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// 40001 serialization failure or 40P01 deadlock: the transaction may simply be run again.
    public var isRetryableConflict: Bool { sqlState == "40001" || sqlState == "40P01" }

    public var description: String {
        var text = "postgres \(kind.rawValue) error"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        if let constraint { text += " constraint=\(constraint)" }
        return text
    }

    /// Builds the error from a failed result; libpq's field codes are single characters.
    static func from(result: OpaquePointer?, connection: OpaquePointer?) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result, let raw = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: raw)
        }
        let message = field("M") ?? connection.map { String(cString: PQerrorMessage($0)) }?.trimmed ?? "unknown error"
        let sqlState = field("C")
        let broken = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
        let kind: Kind = (sqlState == nil && broken) ? .connection : .server
        return PostgresError(kind, message, sqlState: sqlState, detail: field("D"), constraint: field("n"))
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s.removeLast() }
        while let first = s.first, first.isWhitespace { s.removeFirst() }
        return String(s)
    }
}
