import Foundation

/// A parameter in the binary (or, for strings, text) wire format.
public struct PostgresBinding: Sendable {
    /// Type OID; 0 lets the server infer it from the statement.
    public var oid: UInt32
    /// `nil` is SQL NULL.
    public var bytes: [UInt8]?
    /// true = binary format, false = text format.
    public var binary: Bool

    public static let null = PostgresBinding(oid: 0, bytes: nil, binary: false)
}

/// A Swift value that can be sent as a `$n` parameter.
public protocol PostgresEncodable: Sendable {
    var postgresBinding: PostgresBinding { get }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresBinding: PostgresBinding { self?.postgresBinding ?? .null }
}

extension String: PostgresEncodable {
    /// Sent as text of unknown type, so the server parses it as whatever the
    /// statement needs (text, varchar, numeric, inet …).
    public var postgresBinding: PostgresBinding { PostgresBinding(oid: 0, bytes: Array(utf8), binary: false) }
}

extension Bool: PostgresEncodable {
    public var postgresBinding: PostgresBinding { PostgresBinding(oid: PostgresOID.bool, bytes: [self ? 1 : 0], binary: true) }
}

extension Int16: PostgresEncodable {
    public var postgresBinding: PostgresBinding { PostgresBinding(oid: PostgresOID.int2, bytes: BigEndian.bytes(self), binary: true) }
}

extension Int32: PostgresEncodable {
    public var postgresBinding: PostgresBinding { PostgresBinding(oid: PostgresOID.int4, bytes: BigEndian.bytes(self), binary: true) }
}

extension Int64: PostgresEncodable {
    public var postgresBinding: PostgresBinding { PostgresBinding(oid: PostgresOID.int8, bytes: BigEndian.bytes(self), binary: true) }
}

extension Int: PostgresEncodable {
    public var postgresBinding: PostgresBinding { Int64(self).postgresBinding }
}

extension Double: PostgresEncodable {
    public var postgresBinding: PostgresBinding { PostgresBinding(oid: PostgresOID.float8, bytes: BigEndian.bytes(bitPattern), binary: true) }
}

extension Date: PostgresEncodable {
    /// timestamptz: microseconds since 2000-01-01 00:00:00 UTC.
    public var postgresBinding: PostgresBinding {
        let micros = ((timeIntervalSince1970 - PostgresEpoch.unixSeconds) * 1_000_000).rounded(.toNearestOrEven)
        return PostgresBinding(oid: PostgresOID.timestamptz, bytes: BigEndian.bytes(Int64(micros)), binary: true)
    }
}

extension UUID: PostgresEncodable {
    public var postgresBinding: PostgresBinding {
        let u = uuid
        return PostgresBinding(oid: PostgresOID.uuid, bytes: [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15], binary: true)
    }
}

extension Array: PostgresEncodable where Element == UInt8 {
    /// bytea
    public var postgresBinding: PostgresBinding { PostgresBinding(oid: PostgresOID.bytea, bytes: self, binary: true) }
}

extension Data: PostgresEncodable {
    public var postgresBinding: PostgresBinding { PostgresBinding(oid: PostgresOID.bytea, bytes: [UInt8](self), binary: true) }
}

/// text[]: a one-dimensional array of strings (NULL elements are not supported).
public struct PostgresTextArray: PostgresEncodable, Hashable {
    public var values: [String]
    public init(_ values: [String]) { self.values = values }

    public var postgresBinding: PostgresBinding {
        var out: [UInt8] = []
        out += BigEndian.bytes(Int32(values.isEmpty ? 0 : 1)) // dimensions
        out += BigEndian.bytes(Int32(0))                      // has nulls
        out += BigEndian.bytes(PostgresOID.text)
        if !values.isEmpty {
            out += BigEndian.bytes(Int32(values.count))
            out += BigEndian.bytes(Int32(1))                  // lower bound
            for value in values {
                let utf8 = Array(value.utf8)
                out += BigEndian.bytes(Int32(utf8.count))
                out += utf8
            }
        }
        return PostgresBinding(oid: PostgresOID.textArray, bytes: out, binary: true)
    }
}

/// Type OIDs from pg_type that the wrapper knows.
public enum PostgresOID {
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let name: UInt32 = 19
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let oid: UInt32 = 26
    public static let json: UInt32 = 114
    public static let float4: UInt32 = 700
    public static let float8: UInt32 = 701
    public static let bpchar: UInt32 = 1042
    public static let varchar: UInt32 = 1043
    public static let date: UInt32 = 1082
    public static let timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184
    public static let numeric: UInt32 = 1700
    public static let uuid: UInt32 = 2950
    public static let jsonb: UInt32 = 3802
    public static let textArray: UInt32 = 1009
    public static let varcharArray: UInt32 = 1015

    public static func name(_ oid: UInt32) -> String {
        switch oid {
        case bool: "bool"; case bytea: "bytea"; case name: "name"; case int8: "int8"; case int2: "int2"
        case int4: "int4"; case text: "text"; case oid: "oid"; case json: "json"; case float4: "float4"
        case float8: "float8"; case bpchar: "bpchar"; case varchar: "varchar"; case date: "date"
        case timestamp: "timestamp"; case timestamptz: "timestamptz"; case numeric: "numeric"
        case uuid: "uuid"; case jsonb: "jsonb"; case textArray: "text[]"; case varcharArray: "varchar[]"
        default: "oid \(oid)"
        }
    }
}

/// 2000-01-01, PostgreSQL's epoch for dates and timestamps.
enum PostgresEpoch {
    static let unixSeconds: Double = 946_684_800
    static let unixDays: Int = 10_957
}

enum BigEndian {
    static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func read<T: FixedWidthInteger>(_ type: T.Type, _ buffer: UnsafeRawBufferPointer, at offset: Int = 0) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + MemoryLayout<T>.size])) }
        return T(bigEndian: value)
    }
}
