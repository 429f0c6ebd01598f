import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection. Every method blocks; the owning `ConnectionSlot` makes sure
/// only its own thread ever calls them (that confinement is why it is
/// `@unchecked Sendable`: the value crosses to that thread once, and is used nowhere else).
public final class PostgresConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private let configuration: PostgresConfiguration
    /// Statements prepared on this session: SQL + parameter types → server-side name.
    /// Parsing and planning once per session instead of once per call roughly halves the
    /// server's work for the engine's short statements (measured with pgbench -M prepared).
    private var prepared: [PreparedKey: String] = [:]
    /// Names are never reused within a session (a forgotten statement still exists there).
    private var preparedSerial = 0
    /// Savepoints open now, innermost last: each gets a name of its own (`savepoint`).
    private var savepointDepth = 0
    /// Set by libpq's notice receiver when the server said FATAL outside a query (a
    /// terminated backend says so just before it closes the socket).
    private let idleFatal = IdleFatal()

    /// Reached from libpq's C callback through an unretained pointer: the connection owns it
    /// and outlives every handle it is registered with.
    final class IdleFatal {
        var seen = false
    }

    struct PreparedKey: Hashable {
        let sql: String
        let types: [UInt32]
    }

    /// Most statements kept prepared per session; past it the cache starts over.
    static let preparedLimit = 512

    /// Opens a connection; throws `.connection` with libpq's reason (no password in it).
    public init(configuration: PostgresConfiguration) throws {
        self.configuration = configuration
        self.handle = try Self.open(configuration, idleFatal: idleFatal)
    }

    deinit { if let handle { PQfinish(handle) } }

    private static func open(_ configuration: PostgresConfiguration, idleFatal: IdleFatal) throws -> OpaquePointer {
        let keys = ["dbname", "application_name", "connect_timeout", "client_encoding"]
        let values = [configuration.connectionString, configuration.applicationName, String(configuration.connectTimeoutSeconds), "UTF8"]
        let cKeys = keys.map { strdup($0) }
        let cValues = values.map { strdup($0) }
        defer { (cKeys + cValues).forEach { free($0) } }
        var keyPointers = cKeys.map { UnsafePointer($0) } + [nil]
        var valuePointers = cValues.map { UnsafePointer($0) } + [nil]
        // expand_dbname = 1: "dbname" may hold a full URI or conninfo string; empty means PG* variables.
        let connection = keyPointers.withUnsafeMutableBufferPointer { k in
            valuePointers.withUnsafeMutableBufferPointer { v in
                PQconnectdbParams(k.baseAddress, v.baseAddress, 1)
            }
        }
        guard let connection else { throw PostgresError(.connection, "out of memory opening a connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = String(cString: PQerrorMessage(connection)).trimmed
            PQfinish(connection)
            throw PostgresError(.connection, "cannot connect to \(configuration.redactedTarget): \(reason)")
        }
        // Server notices (e.g. "already exists, skipping") are dropped rather than printed to
        // stderr; a FATAL one marks the connection as closed by the server. libpq hands an
        // error that arrives while no query runs to this receiver.
        idleFatal.seen = false
        PQsetNoticeReceiver(connection, { argument, result in
            guard let argument, let result, let severity = PQresultErrorField(result, Int32(UInt8(ascii: "V"))) else { return }
            let level = String(cString: severity)
            if level == "FATAL" || level == "PANIC" { Unmanaged<IdleFatal>.fromOpaque(argument).takeUnretainedValue().seen = true }
        }, Unmanaged.passUnretained(idleFatal).toOpaque())
        return connection
    }

    /// True when the connection is open and, as far as can be told without a round
    /// trip, the server has not closed it (a restarted server leaves the socket readable at EOF).
    var isHealthy: Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        let fd = PQsocket(handle)
        guard fd >= 0 else { return false }
        // Something may have arrived while idle: a FATAL from a terminated backend, then
        // EOF, or a notice. Let libpq read what is pending: EOF fails the read, and a FATAL
        // (readable before its EOF under load) reaches the notice receiver.
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) > 0 {
            if PQconsumeInput(handle) == 0 { return false }
            while let notify = PQnotifies(handle) { PQfreemem(notify) }
        }
        return !idleFatal.seen && PQstatus(handle) == CONNECTION_OK
    }

    /// Rolls back a transaction a previous borrower left open, so the next one starts clean.
    func abandonOpenTransaction() {
        guard let handle, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        try? simple("ROLLBACK")
    }

    /// Replaces a broken connection with a new one.
    func reconnect() throws {
        if let handle { PQfinish(handle) }
        handle = nil
        prepared = [:] // a new session knows none of them
        handle = try Self.open(configuration, idleFatal: idleFatal)
    }

    /// Runs one statement with `$n` parameters; results come back in binary format.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> PostgresResult {
        guard let handle else { throw PostgresError(.connection, "connection is closed") }
        let bindings = parameters.map(\.postgresBinding)
        if let bad = bindings.firstIndex(where: { !$0.binary && $0.bytes?.contains(0) == true }) {
            throw PostgresError(.server, "parameter $\(bad + 1) contains a NUL character, which PostgreSQL text cannot hold", sqlState: "22021")
        }
        let types = bindings.map { $0.oid }
        let lengths = bindings.map { Int32($0.bytes?.count ?? 0) }
        let formats = bindings.map { Int32($0.binary ? 1 : 0) }
        guard configuration.preparedStatements else {
            let result: OpaquePointer? = withParameterPointers(bindings) { values in
                PQexecParams(handle, sql, Int32(bindings.count), types, values, lengths, formats, 1)
            }
            return try check(result)
        }
        trimPrepared()
        let name = try statement(sql, types: types, handle: handle)
        let result: OpaquePointer? = withParameterPointers(bindings) { values in
            PQexecPrepared(handle, name, Int32(bindings.count), values, lengths, formats, 1)
        }
        do {
            return try check(result)
        } catch let error as PostgresError where error.sqlState == "0A000" {
            // "cached plan must not change result type": the table changed under a prepared
            // statement (a migration while running). Forget it and run the statement afresh.
            prepared[PreparedKey(sql: sql, types: types)] = nil
            _ = try? check(PQexec(handle, "DEALLOCATE \(name)"))
            return try query(sql, parameters)
        }
    }

    /// The server-side name of `sql` prepared with `types`, preparing it on first use.
    private func statement(_ sql: String, types: [UInt32], handle: OpaquePointer) throws -> String {
        let (name, fresh) = preparedName(sql, types: types)
        guard fresh else { return name }
        _ = try check(PQprepare(handle, name, sql, Int32(types.count), types))
        rememberPrepared(key: PreparedKey(sql: sql, types: types), name: name)
        return name
    }

    /// The name `sql` has or will have; `fresh` when it still has to be prepared. Past the
    /// limit the session's statements are dropped first (not inside a pipeline: the limit
    /// is checked before one starts).
    func preparedName(_ sql: String, types: [UInt32]) -> (name: String, fresh: Bool) {
        if let name = prepared[PreparedKey(sql: sql, types: types)] { return (name, false) }
        preparedSerial += 1
        return ("hb\(preparedSerial)", true)
    }

    func rememberPrepared(key: PreparedKey, name: String) {
        prepared[key] = name
    }

    /// Drops every prepared statement when the cache is full (between statements).
    func trimPrepared() {
        guard prepared.count >= Self.preparedLimit, let handle else { return }
        if let result = PQexec(handle, "DEALLOCATE ALL") { PQclear(result) }
        prepared = [:]
    }

    var connectionHandle: OpaquePointer? { handle }
    var usesPreparedStatements: Bool { configuration.preparedStatements }

    /// Closes a connection whose protocol state is unknown; the slot opens a new one.
    func finish() {
        if let handle { PQfinish(handle) }
        handle = nil
        prepared = [:]
    }

    /// Runs SQL text that may hold several statements (migrations). No parameters.
    public func execute(script sql: String) throws {
        guard let handle else { throw PostgresError(.connection, "connection is closed") }
        _ = try check(PQexec(handle, sql))
    }

    /// Sends one statement in the simple protocol (BEGIN/COMMIT/LISTEN …).
    func simple(_ sql: String) throws { try execute(script: sql) }

    /// Runs `body` inside a savepoint of the current transaction: kept when it returns,
    /// undone (and the transaction still usable) when it throws. Nested savepoints each get
    /// a name of their own, and a rolled-back one is released too: `ROLLBACK TO` keeps the
    /// savepoint, so an outer one of the same name would later rewind only to it (keeping
    /// what the outer body did before it).
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "hongbao_sp_\(savepointDepth)"
        try simple("SAVEPOINT \(name)")
        do {
            let value = try body()
            try simple("RELEASE SAVEPOINT \(name)")
            return value
        } catch {
            try simple("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)")
            throw error
        }
    }

    var socket: Int32 { handle.map { PQsocket($0) } ?? -1 }

    /// Reads pending input and returns any notifications that arrived.
    func drainNotifications() throws -> [PostgresNotification] {
        guard let handle else { throw PostgresError(.connection, "connection is closed") }
        guard PQconsumeInput(handle) == 1 else {
            throw PostgresError(.connection, String(cString: PQerrorMessage(handle)).trimmed)
        }
        var out: [PostgresNotification] = []
        while let notify = PQnotifies(handle) {
            out.append(PostgresNotification(channel: String(cString: notify.pointee.relname), payload: String(cString: notify.pointee.extra)))
            PQfreemem(notify)
        }
        return out
    }

    private func check(_ result: OpaquePointer?) throws -> PostgresResult {
        guard let result else { throw PostgresError.from(result: nil, connection: handle) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(taking: result)
        default:
            let error = PostgresError.from(result: result, connection: handle)
            PQclear(result)
            throw error
        }
    }

    func withParameterPointers<R>(_ bindings: [PostgresBinding], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        // Keep every parameter's bytes alive (and contiguous) for the duration of the call.
        // Text-format values must be NUL-terminated for libpq, so every buffer gets one
        // trailing zero (binary values pass an explicit length and ignore it).
        let buffers: [UnsafeMutableRawBufferPointer?] = bindings.map { binding in
            guard let bytes = binding.bytes else { return nil }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count + 1, alignment: 1)
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
            return buffer
        }
        defer { buffers.forEach { $0?.deallocate() } }
        return body(buffers.map { $0.map { UnsafePointer($0.baseAddress!.assumingMemoryBound(to: CChar.self)) } })
    }
}

/// A NOTIFY delivered to a listener.
public struct PostgresNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
}
