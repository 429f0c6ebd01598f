extension PostgresRow {
    /// A text column read as the raw value of a string enum; a value the enum does not know
    /// is a decode error (a row written by a newer gateway, or a bad migration).
    public func decode<T: RawRepresentable>(column: Int, rawValueOf type: T.Type = T.self) throws -> T where T.RawValue == String {
        let raw: String = try decode(column: column)
        guard let value = T(rawValue: raw) else { throw PostgresError(.decode, "unexpected value \(raw) for \(T.self)") }
        return value
    }
}
