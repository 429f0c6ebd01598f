import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Postgres typed binding")
struct TypeRoundTripTests {
    let pool: PostgresPool

    init() async throws {
        pool = try await TestDatabase.pool("types")
    }

    func roundTrip<T: PostgresEncodable & PostgresDecodable & Equatable>(_ value: T, as sqlType: String) async throws -> T {
        let result = try await pool.query("SELECT $1::\(sqlType) AS v", [value])
        return try result.first!.decode("v", as: T.self)
    }

    @Test("integers round trip, including Int64 extremes")
    func integers() async throws {
        for value in [Int64.min, -1, 0, 1, Int64.max] {
            #expect(try await roundTrip(value, as: "int8") == value)
        }
        #expect(try await roundTrip(Int32.min, as: "int4") == Int32.min)
        #expect(try await roundTrip(Int16.max, as: "int2") == Int16.max)
        #expect(try await roundTrip(42, as: "int8") == 42)
    }

    @Test("bool, double, unicode text")
    func scalars() async throws {
        #expect(try await roundTrip(true, as: "bool") == true)
        #expect(try await roundTrip(false, as: "bool") == false)
        #expect(try await roundTrip(-1.5e300, as: "float8") == -1.5e300)
        let text = "红包 🧧 \u{00e9}\u{0301} 'quoted' \"double\" \\ back"
        #expect(try await roundTrip(text, as: "text") == text)
        #expect(try await roundTrip("", as: "text") == "")
    }

    @Test("timestamptz keeps microseconds; date keeps the calendar day")
    func times() async throws {
        let date = Date(timeIntervalSince1970: 1_764_000_000.123456)
        let back = try await roundTrip(date, as: "timestamptz")
        #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_001)
        let before2000 = Date(timeIntervalSince1970: -86_400 * 365.25 * 40)
        #expect(abs(try await roundTrip(before2000, as: "timestamptz").timeIntervalSince1970 - before2000.timeIntervalSince1970) < 0.000_001)
        for day in [PostgresDate(year: 2026, month: 2, day: 28)!, PostgresDate(year: 1999, month: 12, day: 31)!, PostgresDate(year: 2024, month: 2, day: 29)!] {
            #expect(try await roundTrip(day, as: "date") == day)
        }
        let text = try await pool.query("SELECT $1::date::text", [PostgresDate(iso: "2025-03-01")!]).first!.decode(column: 0, as: String.self)
        #expect(text == "2025-03-01")
    }

    @Test("uuid, bytea of 1 MiB, json, jsonb, text[]")
    func structured() async throws {
        let id = UUID()
        #expect(try await roundTrip(id, as: "uuid") == id)
        let blob = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(try await roundTrip(blob, as: "bytea") == blob)
        #expect(try await roundTrip(Data([0, 1, 255]), as: "bytea") == Data([0, 1, 255]))
        let json = PostgresJSON(text: #"{"a":[1,2,"红"]}"#)
        let back = try await roundTrip(json, as: "jsonb")
        #expect(try back.decode([String: [JSONValue]].self) == ["a": [.number(1), .number(2), .string("红")]])
        let plain = try await pool.query(#"SELECT '{"b": 2}'::json AS v"#).first!.decode("v", as: PostgresJSON.self)
        #expect(plain.text == #"{"b": 2}"#)
        let array = PostgresTextArray(["a", "", "红包", "with,comma", "quote\""])
        #expect(try await roundTrip(array, as: "text[]") == array)
        #expect(try await roundTrip(PostgresTextArray([]), as: "text[]") == PostgresTextArray([]))
    }

    @Test("NULL decodes as nil for every type and is refused for non-optionals")
    func nulls() async throws {
        let row = try await pool.query(
            "SELECT NULL::int8 a, NULL::text b, NULL::bool c, NULL::timestamptz d, NULL::uuid e, NULL::bytea f, NULL::jsonb g, NULL::text[] h, NULL::date i, NULL::float8 j"
        ).first!
        #expect(try row.decode("a", as: Int64?.self) == nil)
        #expect(try row.decode("b", as: String?.self) == nil)
        #expect(try row.decode("c", as: Bool?.self) == nil)
        #expect(try row.decode("d", as: Date?.self) == nil)
        #expect(try row.decode("e", as: UUID?.self) == nil)
        #expect(try row.decode("f", as: [UInt8]?.self) == nil)
        #expect(try row.decode("g", as: PostgresJSON?.self) == nil)
        #expect(try row.decode("h", as: PostgresTextArray?.self) == nil)
        #expect(try row.decode("i", as: PostgresDate?.self) == nil)
        #expect(try row.decode("j", as: Double?.self) == nil)
        #expect(throws: PostgresError.self) { try row.decode("a", as: Int64.self) }
        let optional: Int64? = nil
        #expect(try await pool.query("SELECT $1::int8 IS NULL", [optional]).first!.decode(column: 0, as: Bool.self))
    }

    @Test("a decode error names the column and both types")
    func decodeError() async throws {
        let row = try await pool.query("SELECT 'x'::text AS label").first!
        let error = #expect(throws: PostgresError.self) { try row.decode("label", as: Int64.self) }
        #expect(error?.kind == .decode)
        #expect(error?.message.contains("\"label\"") == true)
        #expect(error?.message.contains("text") == true)
        #expect(error?.message.contains("Int64") == true)
    }

    @Test("tuple decoding reads columns in order")
    func tuples() async throws {
        let row = try await pool.query("SELECT 7::int8, 'seven'::text, true").first!
        let (n, s, b) = try row.decode((Int64, String, Bool).self)
        #expect(n == 7 && s == "seven" && b)
    }

    @Test("a parameter with SQL in it is stored literally")
    func injection() async throws {
        try await pool.query("CREATE TABLE x (v text)")
        let hostile = "'; DROP TABLE x; --"
        try await pool.query("INSERT INTO x (v) VALUES ($1)", [hostile])
        let stored = try await pool.query("SELECT v FROM x").first!.decode(column: 0, as: String.self)
        #expect(stored == hostile)
    }

    @Test("server errors carry SQLSTATE, detail and constraint")
    func serverErrors() async throws {
        try await pool.query("CREATE TABLE u (k text CONSTRAINT u_k UNIQUE)")
        try await pool.query("INSERT INTO u VALUES ($1)", ["a"])
        let error = await #expect(throws: PostgresError.self) { try await pool.query("INSERT INTO u VALUES ($1)", ["a"]) }
        #expect(error?.isUniqueViolation == true)
        #expect(error?.constraint == "u_k")
        #expect(error?.detail?.contains("already exists") == true)
    }
}

/// Enough JSON to compare documents in tests.
enum JSONValue: Codable, Equatable {
    case number(Double), string(String)
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .string(try c.decode(String.self)) }
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self { case .number(let d): try c.encode(d); case .string(let s): try c.encode(s) }
    }
}

@Suite("Connection strings never show a password")
struct RedactionTests {
    @Test("URI and conninfo forms, quoted or not, in the target and in connection errors",
          arguments: [
            "postgresql://hb:s3cr3t-pw@127.0.0.1:1/db",
            "postgres://hb:s3cr3t-pw@127.0.0.1:1/db?sslmode=disable&password=s3cr3t-pw",
            "host=127.0.0.1 port=1 user=hb password=s3cr3t-pw dbname=db",
            "host=127.0.0.1 port=1 user=hb password = 's3cr3t-pw with spaces' dbname=db",
            "host=127.0.0.1 port=1 password='s3cr3t-pw \\' quoted' user=hb",
          ])
    func redaction(_ target: String) throws {
        let configuration = PostgresConfiguration(connectionString: target, connectTimeoutSeconds: 1)
        #expect(!configuration.redactedTarget.contains("s3cr3t"), "\(configuration.redactedTarget)")
        #expect(configuration.redactedTarget.contains("<redacted>"))
        let error = #expect(throws: PostgresError.self) { try PostgresConnection(configuration: configuration) }
        #expect(error?.kind == .connection)
        #expect(error.map { !"\($0)".contains("s3cr3t") } == true, "\(String(describing: error))")
    }
}

@Suite("JSON written without JSONEncoder")
struct FlatJSONTests {
    @Test("a flat object of strings is valid JSON that decodes to itself, whatever the characters")
    func roundTrip() throws {
        let object = ["b": "quote \" backslash \\ newline \n tab \t bell \u{07}", "a": "红包 😀", "": "empty key"]
        let json = PostgresJSON(object: object)
        #expect(try JSONDecoder().decode([String: String].self, from: Data(json.text.utf8)) == object)
        #expect(json.text.hasPrefix("{\"\":"), "keys sorted")
    }
}
