import CLibPQ

/// The rows of one statement. Owns the libpq result (freed on deinit); rows read
/// straight from it without copying. A finished PGresult is immutable, so sharing it
/// across threads for reading is safe — hence `@unchecked Sendable`.
public final class PostgresResult: @unchecked Sendable {
    private let handle: OpaquePointer
    public let rowCount: Int
    public let columnNames: [String]
    let columnTypes: [UInt32]
    /// Rows changed by INSERT/UPDATE/DELETE (0 when not applicable).
    public let affectedRows: Int

    init(taking handle: OpaquePointer) {
        self.handle = handle
        self.rowCount = Int(PQntuples(handle))
        let columns = Int(PQnfields(handle))
        self.columnNames = (0..<columns).map { String(cString: PQfname(handle, Int32($0))) }
        self.columnTypes = (0..<columns).map { UInt32(PQftype(handle, Int32($0))) }
        self.affectedRows = Int(String(cString: PQcmdTuples(handle))) ?? 0
    }

    deinit { PQclear(handle) }

    public var rows: [PostgresRow] { (0..<rowCount).map { PostgresRow(result: self, index: $0) } }
    public var first: PostgresRow? { rowCount > 0 ? PostgresRow(result: self, index: 0) : nil }

    func decode<T: PostgresDecodable>(row: Int, column: Int, as type: T.Type) throws -> T {
        guard column >= 0, column < columnTypes.count else {
            throw PostgresError(.decode, "column \(column) does not exist; the result has \(columnTypes.count)")
        }
        let oid = columnTypes[column]
        do {
            if PQgetisnull(handle, Int32(row), Int32(column)) == 1 {
                return try T.decode(nil, oid: oid)
            }
            let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
            let pointer = UnsafeRawPointer(PQgetvalue(handle, Int32(row), Int32(column))!)
            return try T.decode(UnsafeRawBufferPointer(start: pointer, count: length), oid: oid)
        } catch {
            throw PostgresError(.decode, "column \"\(columnNames[column])\" (\(PostgresOID.name(oid))) as \(T.self): \(error.reason)")
        }
    }
}

/// One row of a `PostgresResult`.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    let index: Int

    /// The value of column `column` (0-based).
    public func decode<T: PostgresDecodable>(column: Int, as type: T.Type = T.self) throws -> T {
        try result.decode(row: index, column: column, as: type)
    }

    /// The value of the column named `name`.
    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let column = result.columnNames.firstIndex(of: name) else {
            throw PostgresError(.decode, "no column \"\(name)\" in result (\(result.columnNames.joined(separator: ", ")))")
        }
        return try result.decode(row: index, column: column, as: type)
    }

    /// All columns in order as a tuple: `try row.decode((UUID, Int64, String).self)`.
    public func decode<each T: PostgresDecodable>(_ types: (repeat each T).Type) throws -> (repeat each T) {
        var column = 0
        func next<V: PostgresDecodable>(_ type: V.Type) throws -> V {
            defer { column += 1 }
            return try result.decode(row: index, column: column, as: type)
        }
        return (repeat try next((each T).self))
    }
}
