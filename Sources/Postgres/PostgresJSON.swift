import Foundation

/// A JSON document as stored in a `json` or `jsonb` column. Sent as jsonb.
public struct PostgresJSON: Hashable, Sendable, PostgresEncodable, PostgresDecodable {
    /// The document's UTF-8 text.
    public let text: String

    public init(text: String) { self.text = text }

    /// Encodes a value with sorted keys, so equal values give equal text.
    public init<T: Encodable>(encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    public var postgresBinding: PostgresBinding {
        PostgresBinding(oid: PostgresOID.jsonb, bytes: [1] + Array(text.utf8), binary: true)
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> PostgresJSON {
        try expect(oid, in: [PostgresOID.json, PostgresOID.jsonb])
        return PostgresJSON(text: try String.decode(bytes, oid: oid))
    }
}
