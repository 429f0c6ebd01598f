import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A batch file, open once for both passes: reading the same descriptor twice means an
/// editor that replaces the file meanwhile cannot mix two versions into one batch.
final class BatchFile {
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw BatchError("cannot open \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw BatchError("\(path) is not a regular file")
        }
    }

    deinit { close(descriptor) }

    /// Its size now, to notice a file that grows or shrinks between the passes.
    var size: Int64 {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? Int64(info.st_size) : -1
    }

    /// A reader from the first byte.
    func lines() throws -> BatchLineReader {
        guard lseek(descriptor, 0, SEEK_SET) == 0 else { throw BatchError("cannot read \(path) again: \(String(cString: strerror(errno)))") }
        return BatchLineReader(descriptor: descriptor, path: path)
    }
}

/// One physical line (numbered from 1, as editors number them), without its line break.
public struct BatchRawLine: Sendable {
    public let number: Int
    public let bytes: [UInt8]
    /// The line was longer than `BatchLineReader.maximumLineBytes`; `bytes` holds its start.
    public let tooLong: Bool

    public init(number: Int, bytes: [UInt8], tooLong: Bool = false) {
        self.number = number
        self.bytes = bytes
        self.tooLong = tooLong
    }
}

/// Reads a file line by line in fixed-size chunks and hashes every byte on the way, so
/// memory stays bounded by one chunk and one line however long the file is.
final class BatchLineReader {
    static let chunkBytes = 1 << 16
    /// No real line is near this; a longer one is reported, not buffered.
    static let maximumLineBytes = 1 << 14

    private let descriptor: Int32
    private let path: String
    private var chunk = [UInt8](repeating: 0, count: BatchLineReader.chunkBytes)
    private var position = 0
    private var filled = 0
    private var atEnd = false
    private var hasher = SHA256()
    private(set) var bytesRead: Int64 = 0
    private(set) var lineNumber = 0

    fileprivate init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// The next line, or nil at the end of the file.
    func next() throws -> BatchRawLine? {
        var line: [UInt8] = []
        var tooLong = false
        var sawBytes = false
        while true {
            if position == filled {
                if try atEnd || !refill() {
                    guard sawBytes else { return nil }
                    lineNumber += 1 // a last line without a final newline
                    return BatchRawLine(number: lineNumber, bytes: line, tooLong: tooLong)
                }
            }
            sawBytes = true
            let end = chunk.withUnsafeBufferPointer { buffer -> Int in
                var index = position
                while index < filled, buffer[index] != 0x0A { index += 1 }
                return index
            }
            if !tooLong {
                let room = Self.maximumLineBytes - line.count
                line.append(contentsOf: chunk[position..<min(end, position + room)])
                if end - position > room { tooLong = true }
            }
            if end < filled {
                position = end + 1
                lineNumber += 1
                if line.last == 0x0D { line.removeLast() } // CRLF files
                return BatchRawLine(number: lineNumber, bytes: line, tooLong: tooLong)
            }
            position = filled
        }
    }

    /// SHA-256 of every byte read so far: of the whole file once `next()` returned nil.
    func digest() -> [UInt8] { Array(hasher.finalize()) }

    private func refill() throws -> Bool {
        var count: Int
        repeat {
            count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        } while count < 0 && errno == EINTR
        guard count >= 0 else { throw BatchError("cannot read \(path): \(String(cString: strerror(errno)))") }
        if count == 0 {
            atEnd = true
            return false
        }
        chunk.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        bytesRead += Int64(count)
        position = 0
        filled = count
        return true
    }
}
