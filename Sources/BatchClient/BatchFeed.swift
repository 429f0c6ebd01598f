import Dispatch

/// Reads and parses a batch file a slice of lines at a time on a serial queue of its own,
/// so file I/O stays off the cooperative pool. The reader and parser are touched only on
/// `queue` (hence `@unchecked Sendable`).
final class BatchFeed: @unchecked Sendable {
    private let queue = DispatchQueue(label: "hongbao.send-batch.file")
    private let reader: BatchLineReader
    private var parser: BatchLineParser

    init(reader: BatchLineReader, parser: BatchLineParser) {
        self.reader = reader
        self.parser = parser
    }

    /// Up to `count` lines that are entries or problems (skipped lines are not counted);
    /// empty at the end of the file.
    func next(_ count: Int) async throws -> [BatchLineParser.Parsed] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                continuation.resume(with: Result {
                    var parsed: [BatchLineParser.Parsed] = []
                    parsed.reserveCapacity(count)
                    while parsed.count < count, let raw = try reader.next() {
                        let line = parser.parse(raw)
                        if case .skipped = line { continue }
                        parsed.append(line)
                    }
                    return parsed
                })
            }
        }
    }

    /// The file's SHA-256 and length in bytes, once `next` returned empty.
    func digest() async -> (sha256: [UInt8], bytes: Int64, lines: Int) {
        await withCheckedContinuation { continuation in
            queue.async { [self] in continuation.resume(returning: (reader.digest(), reader.bytesRead, reader.lineNumber)) }
        }
    }
}
