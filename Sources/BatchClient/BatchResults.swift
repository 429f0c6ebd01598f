import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The results CSV: one row per line sent, written as lines complete (completion order,
/// not file order: `sort -t, -k1,1n` orders it), through a small buffer, so it holds
/// nothing per line. Created 0600: it lists users' openids. Writes happen on a serial
/// queue of its own, off the cooperative pool; the descriptor and buffer are touched only
/// there (hence `@unchecked Sendable`).
final class BatchResultsWriter: @unchecked Sendable {
    static let header = ["line", "openid", "idempotency_key", "payout_id", "status", "error_code", "error_message"]

    let path: String
    private let descriptor: Int32
    private let queue = DispatchQueue(label: "hongbao.send-batch.results")
    private var buffer: [UInt8] = []
    private var lastFlush = ContinuousClock.now
    /// The first write that failed: the batch stops, as it could no longer say what it did.
    private let failure = Mutex<String?>(nil)

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw BatchError("cannot write the results to \(path): \(String(cString: strerror(errno)))") }
        append(Self.header)
    }

    deinit { close(descriptor) }

    var failed: String? { failure.withLock { $0 } }

    func write(_ outcome: BatchOutcome) {
        queue.async { [self] in
            append([String(outcome.line), outcome.openID, outcome.idempotencyKey, outcome.payoutID ?? "", outcome.status, outcome.code ?? "",
                    outcome.message ?? ""])
            if buffer.count >= 1 << 16 || ContinuousClock.now - lastFlush > .seconds(1) { flushOnQueue() }
        }
    }

    /// Writes what is buffered; throws if any write failed.
    func flush() async throws {
        await withCheckedContinuation { continuation in
            queue.async { [self] in
                flushOnQueue()
                continuation.resume()
            }
        }
        if let failed { throw BatchError(failed) }
    }

    private func flushOnQueue() {
        var offset = 0
        while offset < buffer.count, failed == nil {
            let written = buffer.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0, errno == EINTR { continue }
            if written <= 0 {
                let reason = "cannot write the results to \(path): \(String(cString: strerror(errno)))"
                failure.withLock { $0 = $0 ?? reason }
                break
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
        lastFlush = ContinuousClock.now
    }

    private func append(_ fields: [String]) {
        buffer.append(contentsOf: fields.map(Self.quoted).joined(separator: ",").utf8)
        buffer.append(0x0A)
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line break.
    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The batch a results file from an earlier run belongs to (its first row's key,
    /// without the line number), or nil when there is no such file or no row yet.
    static func batchID(ofExisting path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let start = (try? handle.read(upToCount: 4096)) ?? Data()
        let rows = String(decoding: start, as: UTF8.self).split(separator: "\n")
        guard rows.count >= 2, rows[0] == header.joined(separator: ",") else { return nil }
        let fields = rows[1].split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count > 2, let dash = fields[2].lastIndex(of: "-"), fields[2].hasPrefix("batch-") else { return nil }
        return String(fields[2][..<dash])
    }
}
