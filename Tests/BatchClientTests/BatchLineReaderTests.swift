@testable import BatchClient
import Foundation
import Testing

/// `BatchLineReader` turns a file's bytes into numbered physical lines: CRLF and LF, a
/// last line without a newline, blank lines kept (the parser skips them, numbers stay).
@Suite("BatchLineReader")
struct BatchLineReaderTests {
    static func lines(of text: [UInt8]) throws -> [(Int, String)] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("batch-reader-\(UInt64.random(in: 0...UInt64.max)).txt").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        // The file owns the descriptor the reader reads: it lives as long as the reading.
        let file = try BatchFile(path: path)
        return try withExtendedLifetime(file) {
            let reader = try file.lines()
            var lines: [(Int, String)] = []
            while let line = try reader.next() { lines.append((line.number, String(decoding: line.bytes, as: UTF8.self))) }
            #expect(reader.bytesRead == Int64(text.count))
            return lines
        }
    }

    @Test("CRLF and LF lines, a blank line, a BOM kept for the parser, a last line without a newline")
    func numbering() throws {
        let lines = try Self.lines(of: Array("\u{FEFF}openid\r\no1\r\n\r\no2\no3".utf8))
        #expect(lines.map(\.0) == [1, 2, 3, 4, 5])
        #expect(lines.map(\.1) == ["\u{FEFF}openid", "o1", "", "o2", "o3"])
    }

    @Test("a final newline ends the last line, it does not start another; an empty file has no lines")
    func endings() throws {
        #expect(try Self.lines(of: Array("a\nb\n".utf8)).map(\.1) == ["a", "b"])
        #expect(try Self.lines(of: Array("\n".utf8)).map(\.1) == [""])
        #expect(try Self.lines(of: []).isEmpty)
    }

    @Test("a line longer than 16384 bytes is cut and marked, and the next line still starts where it should")
    func tooLong() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("batch-reader-long-\(UInt64.random(in: 0...UInt64.max)).txt").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(Array(repeating: UInt8(ascii: "o"), count: 100_000) + Array("\nok\n".utf8))))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try BatchFile(path: path)
        try withExtendedLifetime(file) {
            let reader = try file.lines()
            let long = try #require(try reader.next())
            #expect(long.tooLong && long.bytes.count == 16_384)
            let next = try #require(try reader.next())
            #expect(next.number == 2 && next.bytes == Array("ok".utf8) && !next.tooLong)
        }
    }
}
