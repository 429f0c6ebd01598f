/// The journal's and snapshot's record encoding: little-endian integers, doubles as bit
/// patterns, strings as a varint length and UTF-8 bytes. Hand-written because it runs once
/// per committed request and must cost far less than the request itself.
struct BinaryWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 192) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    mutating func u32(_ v: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    mutating func u64(_ v: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }

    mutating func varint(_ v: Int) {
        var n = UInt64(v)
        while n >= 0x80 {
            bytes.append(UInt8(n & 0x7F) | 0x80)
            n >>= 7
        }
        bytes.append(UInt8(n))
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func key(_ k: OrderKey) {
        u64(k.words.0)
        u64(k.words.1)
        u64(k.words.2)
        u64(k.words.3)
    }
}

/// A record that ends early or does not add up: at the end of the journal this is a torn
/// write from a crash and is ignored; anywhere else it is corruption.
struct MalformedRecord: Error, CustomStringConvertible {
    let reason: String
    var description: String { "malformed record: \(reason)" }
}

struct BinaryReader {
    let bytes: ArraySlice<UInt8>
    var at: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.at = bytes.startIndex
    }

    var isAtEnd: Bool { at >= bytes.endIndex }

    private mutating func take(_ n: Int) throws(MalformedRecord) -> ArraySlice<UInt8> {
        guard n >= 0, at + n <= bytes.endIndex else { throw MalformedRecord(reason: "ends early") }
        defer { at += n }
        return bytes[at..<(at + n)]
    }

    mutating func u8() throws(MalformedRecord) -> UInt8 { try take(1).first! }
    mutating func bool() throws(MalformedRecord) -> Bool { try u8() != 0 }

    mutating func u32() throws(MalformedRecord) -> UInt32 {
        var v: UInt32 = 0
        for (i, b) in try take(4).enumerated() { v |= UInt32(b) << UInt32(8 * i) }
        return v
    }

    mutating func u64() throws(MalformedRecord) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(8).enumerated() { v |= UInt64(b) << UInt64(8 * i) }
        return v
    }

    mutating func i64() throws(MalformedRecord) -> Int64 { Int64(bitPattern: try u64()) }
    mutating func f64() throws(MalformedRecord) -> Double { Double(bitPattern: try u64()) }

    mutating func varint() throws(MalformedRecord) -> Int {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try u8()
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
            guard shift < 64 else { throw MalformedRecord(reason: "varint too long") }
        }
        guard v <= UInt64(Int32.max) else { throw MalformedRecord(reason: "length out of range") }
        return Int(v)
    }

    mutating func string() throws(MalformedRecord) -> String {
        let n = try varint()
        return String(decoding: try take(n), as: UTF8.self)
    }

    mutating func key() throws(MalformedRecord) -> OrderKey {
        OrderKey(words: (try u64(), try u64(), try u64(), try u64()))
    }
}

/// CRC-32 (IEEE), to tell a complete record from a torn one.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
