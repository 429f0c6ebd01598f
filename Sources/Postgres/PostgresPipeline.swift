import CLibPQ

/// One statement of a pipeline: SQL with `$n` parameters, as for `query`.
public struct PipelineStatement: Sendable {
    public let sql: String
    public let parameters: [any PostgresEncodable]

    public init(_ sql: String, _ parameters: [any PostgresEncodable] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

extension PostgresConnection {
    /// Sends every statement at once and reads the results after (libpq pipeline mode), so
    /// N statements cost one round trip instead of N. `transaction`: wrapped in
    /// BEGIN … COMMIT, all or nothing. The first failing statement's error is thrown (the
    /// server skips the rest and, in a transaction, everything is rolled back).
    /// `awaitFlush: false` lets the commit return before its WAL is on disk (a server crash
    /// may then lose the transaction, never half of it): only for what can be re-derived.
    /// `true` waits for the flush whatever the server's or the role's default says.
    public func pipeline(_ statements: [PipelineStatement], transaction: Bool, awaitFlush: Bool = true) throws -> [PostgresResult] {
        trimPrepared()
        guard let handle = connectionHandle else { throw PostgresError(.connection, "connection is closed") }
        guard PQenterPipelineMode(handle) == 1 else { throw PostgresError(.connection, "cannot enter pipeline mode") }
        var expected: [Expected] = []
        var failure: PostgresError? = nil
        var results: [PostgresResult] = []
        do {
            if transaction { try send(handle, "BEGIN", [], as: .control, into: &expected) }
            if transaction { try send(handle, Durability(awaitFlush).setting, [], as: .control, into: &expected) }
            for (index, statement) in statements.enumerated() {
                try send(handle, statement.sql, statement.parameters, as: .statement(index), into: &expected)
            }
            if transaction { try send(handle, "COMMIT", [], as: .control, into: &expected) }
            guard PQpipelineSync(handle) == 1 else { throw PostgresError.from(result: nil, connection: handle) }
            for command in expected {
                guard let result = PQgetResult(handle) else { throw PostgresError(.connection, "pipeline ended early") }
                switch PQresultStatus(result) {
                case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                    switch command {
                    case .statement: results.append(PostgresResult(taking: result))
                    case .prepare(let key, let name):
                        rememberPrepared(key: key, name: name)
                        PQclear(result)
                    case .control: PQclear(result)
                    }
                case PGRES_PIPELINE_ABORTED:
                    PQclear(result)
                default:
                    if failure == nil { failure = PostgresError.from(result: result, connection: handle) }
                    PQclear(result)
                }
                while let extra = PQgetResult(handle) { PQclear(extra) } // the end of this command's results
            }
            guard let sync = PQgetResult(handle) else { throw PostgresError(.connection, "pipeline lost its sync point") }
            PQclear(sync)
        } catch {
            // The connection is in an unknown protocol state: close it; the slot reconnects.
            finish()
            throw error
        }
        PQexitPipelineMode(handle)
        if let failure {
            if transaction, PQtransactionStatus(handle) != PQTRANS_IDLE { try? simple("ROLLBACK") }
            throw failure
        }
        return results
    }

    enum Expected {
        case control
        case statement(Int)
        case prepare(PreparedKey, String)
    }

    private func send(_ handle: OpaquePointer, _ sql: String, _ parameters: [any PostgresEncodable], as kind: Expected,
                      into expected: inout [Expected]) throws {
        let bindings = parameters.map(\.postgresBinding)
        if let bad = bindings.firstIndex(where: { !$0.binary && $0.bytes?.contains(0) == true }) {
            throw PostgresError(.server, "parameter $\(bad + 1) contains a NUL character, which PostgreSQL text cannot hold", sqlState: "22021")
        }
        let types = bindings.map { $0.oid }
        let lengths = bindings.map { Int32($0.bytes?.count ?? 0) }
        let formats = bindings.map { Int32($0.binary ? 1 : 0) }
        let sent: Int32
        if usesPreparedStatements, case .statement = kind {
            let (name, fresh) = preparedName(sql, types: types)
            if fresh {
                guard PQsendPrepare(handle, name, sql, Int32(types.count), types) == 1 else { throw PostgresError.from(result: nil, connection: handle) }
                expected.append(.prepare(PreparedKey(sql: sql, types: types), name))
            }
            sent = withParameterPointers(bindings) { values in
                PQsendQueryPrepared(handle, name, Int32(bindings.count), values, lengths, formats, 1)
            }
        } else {
            sent = withParameterPointers(bindings) { values in
                PQsendQueryParams(handle, sql, Int32(bindings.count), types, values, lengths, formats, 1)
            }
        }
        guard sent == 1 else { throw PostgresError.from(result: nil, connection: handle) }
        expected.append(kind)
    }
}

extension PostgresPool {
    /// A pipeline on one connection (see `PostgresConnection.pipeline`); as a transaction,
    /// run again when it lost a serialization conflict or a deadlock.
    public func pipeline(_ statements: [PipelineStatement], transaction: Bool = true, awaitFlush: Bool = true,
                         retries: Int = 3) async throws -> [PostgresResult] {
        var attempt = 0
        while true {
            do {
                return try await withConnection { try $0.pipeline(statements, transaction: transaction, awaitFlush: awaitFlush) }
            } catch let error as PostgresError where transaction && error.isRetryableConflict && attempt < retries {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 << min(attempt, 4)))))
            }
        }
    }
}
