import Foundation

/// A Swift value that can be read from a result column (binary format).
public protocol PostgresDecodable: Sendable {
    /// `bytes` is nil for SQL NULL. Throw `DecodeMismatch` when the type does not fit.
    static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> Self
}

/// Why one value could not be decoded; the row adds the column name.
public struct DecodeMismatch: Error, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
}

extension PostgresDecodable {
    static func required(_ bytes: UnsafeRawBufferPointer?) throws(DecodeMismatch) -> UnsafeRawBufferPointer {
        guard let bytes else { throw DecodeMismatch("NULL where \(Self.self) is required (decode as Optional)") }
        return bytes
    }

    static func expect(_ oid: UInt32, in accepted: [UInt32]) throws(DecodeMismatch) {
        guard accepted.contains(oid) else {
            throw DecodeMismatch("cannot decode \(PostgresOID.name(oid)) as \(Self.self)")
        }
    }

    static func size(_ bytes: UnsafeRawBufferPointer, _ count: Int) throws(DecodeMismatch) {
        guard bytes.count == count else { throw DecodeMismatch("\(Self.self) needs \(count) bytes, got \(bytes.count)") }
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> Wrapped? {
        guard let bytes else { return nil }
        return try Wrapped.decode(bytes, oid: oid)
    }
}

extension String: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> String {
        let b = try required(bytes)
        switch oid {
        case PostgresOID.text, PostgresOID.varchar, PostgresOID.bpchar, PostgresOID.name, PostgresOID.json:
            return String(decoding: b, as: UTF8.self)
        case PostgresOID.jsonb:
            guard b.first == 1 else { throw DecodeMismatch("unknown jsonb version") }
            return String(decoding: UnsafeRawBufferPointer(rebasing: b[1...]), as: UTF8.self)
        case PostgresOID.uuid:
            return try UUID.decode(b, oid: oid).uuidString.lowercased()
        default:
            throw DecodeMismatch("cannot decode \(PostgresOID.name(oid)) as String")
        }
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> Bool {
        let b = try required(bytes)
        try expect(oid, in: [PostgresOID.bool])
        try size(b, 1)
        return b[0] != 0
    }
}

extension Int64: PostgresDecodable {
    /// Accepts int2/int4/int8 (widening is always exact).
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> Int64 {
        let b = try required(bytes)
        switch oid {
        case PostgresOID.int8: try size(b, 8); return BigEndian.read(Int64.self, b)
        case PostgresOID.int4, PostgresOID.oid: try size(b, 4); return Int64(BigEndian.read(Int32.self, b))
        case PostgresOID.int2: try size(b, 2); return Int64(BigEndian.read(Int16.self, b))
        default: throw DecodeMismatch("cannot decode \(PostgresOID.name(oid)) as Int64")
        }
    }
}

extension Int32: PostgresDecodable {
    /// Accepts int2/int4; int8 only when the value fits.
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> Int32 {
        let wide = try Int64.decode(bytes, oid: oid)
        guard let value = Int32(exactly: wide) else { throw DecodeMismatch("\(wide) does not fit Int32") }
        return value
    }
}

extension Int16: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> Int16 {
        let wide = try Int64.decode(bytes, oid: oid)
        guard let value = Int16(exactly: wide) else { throw DecodeMismatch("\(wide) does not fit Int16") }
        return value
    }
}

extension Int: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> Int {
        Int(try Int64.decode(bytes, oid: oid))
    }
}

extension Double: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> Double {
        let b = try required(bytes)
        switch oid {
        case PostgresOID.float8: try size(b, 8); return Double(bitPattern: BigEndian.read(UInt64.self, b))
        case PostgresOID.float4: try size(b, 4); return Double(Float(bitPattern: BigEndian.read(UInt32.self, b)))
        default: throw DecodeMismatch("cannot decode \(PostgresOID.name(oid)) as Double")
        }
    }
}

extension Date: PostgresDecodable {
    /// timestamptz (and timestamp, read as UTC).
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> Date {
        let b = try required(bytes)
        try expect(oid, in: [PostgresOID.timestamptz, PostgresOID.timestamp])
        try size(b, 8)
        let micros = BigEndian.read(Int64.self, b)
        return Date(timeIntervalSince1970: PostgresEpoch.unixSeconds + Double(micros) / 1_000_000)
    }
}

extension UUID: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> UUID {
        let b = try required(bytes)
        try expect(oid, in: [PostgresOID.uuid])
        try size(b, 16)
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> [UInt8] {
        let b = try required(bytes)
        try expect(oid, in: [PostgresOID.bytea])
        return Array(b)
    }
}

extension Data: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> Data {
        let b = try required(bytes)
        try expect(oid, in: [PostgresOID.bytea])
        return Data(b)
    }
}

extension PostgresTextArray: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> PostgresTextArray {
        let b = try required(bytes)
        try expect(oid, in: [PostgresOID.textArray, PostgresOID.varcharArray])
        guard b.count >= 12 else { throw DecodeMismatch("array header too short") }
        let dimensions = BigEndian.read(Int32.self, b, at: 0)
        if dimensions == 0 { return PostgresTextArray([]) }
        guard dimensions == 1, b.count >= 20 else { throw DecodeMismatch("only one-dimensional text arrays are supported") }
        let count = Int(BigEndian.read(Int32.self, b, at: 12))
        var offset = 20
        var values: [String] = []
        values.reserveCapacity(count)
        for _ in 0..<count {
            guard offset + 4 <= b.count else { throw DecodeMismatch("array truncated") }
            let length = Int(BigEndian.read(Int32.self, b, at: offset))
            offset += 4
            guard length >= 0 else { throw DecodeMismatch("NULL element in text[]") }
            guard offset + length <= b.count else { throw DecodeMismatch("array truncated") }
            values.append(String(decoding: UnsafeRawBufferPointer(rebasing: b[offset..<offset + length]), as: UTF8.self))
            offset += length
        }
        return PostgresTextArray(values)
    }
}
