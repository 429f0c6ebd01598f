import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How the journal trades durability for latency (`hongbao simulator --journal-batch-ms`,
/// `--strict-durability`).
public struct JournalSettings: Sendable {
    /// The writer collects records this long, then writes and fsyncs them as one batch. A
    /// crash loses at most the batch in flight. Ignored in strict mode.
    public var batchMilliseconds: Int
    /// Answer no request before the records it produced or read are fsynced (group commit).
    public var strict: Bool
    /// Compact into a snapshot once the journal outgrows both this and the last snapshot,
    /// so compaction stays O(1) amortised per record.
    public var compactionMinimumBytes: Int

    public init(batchMilliseconds: Int = 10, strict: Bool = false, compactionMinimumBytes: Int = 64 << 20) {
        self.batchMilliseconds = batchMilliseconds
        self.strict = strict
        self.compactionMinimumBytes = compactionMinimumBytes
    }
}

/// The append-only journal: `journal-NNNNNN.log` files of frames
/// `[u32 length][u32 crc32(body)][u64 lsn][body]` (length counts lsn + body). Appends only
/// copy bytes into a buffer; one writer thread of its own writes and fsyncs batches, so no
/// file I/O runs on the cooperative pool or an event loop.
final class Journal: Sendable {
    let directory: URL
    let settings: JournalSettings
    private let pending: Mutex<Pending>
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    /// Signalled when the journal has outgrown the last snapshot.
    let compactionDue = DispatchSemaphore(value: 0)

    private struct Pending: Sendable {
        var buffer: [UInt8] = []
        var lastLSN: UInt64
        var durableLSN: UInt64
        var waiters: [(lsn: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var writerIdle = true
        var closing = false
        /// The writer has stopped: nothing more becomes durable, so nobody may wait for it.
        var closed = false
        var rotation: DispatchSemaphore?
        var fileIndex: Int
        var bytesSinceSnapshot = 0
        var snapshotBytes = 0
        var compactionSignalled = false
        /// Bytes in the files closed by the last rotation, since the last snapshot.
        var rotatedBytes = 0
        var failure: String?
    }

    /// Opens a new file after the existing ones; `lastLSN` continues the replayed sequence.
    init(directory: URL, settings: JournalSettings, lastLSN: UInt64, nextFileIndex: Int, snapshotBytes: Int) {
        self.directory = directory
        self.settings = settings
        var state = Pending(lastLSN: lastLSN, durableLSN: lastLSN, fileIndex: nextFileIndex)
        state.snapshotBytes = snapshotBytes
        self.pending = Mutex(state)
        // The first file exists before init returns (not when the writer thread gets to
        // run), so what is on disk never lags behind what callers were told.
        let fd = Self.open(directory.appendingPathComponent(Self.fileName(nextFileIndex)))
        Self.syncDirectory(directory)
        let thread = Thread { [self] in writerLoop(firstFile: fd) }
        thread.name = "hongbao-sim-journal"
        thread.start()
    }

    static func fileName(_ index: Int) -> String {
        let digits = String(index)
        return "journal-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".log"
    }

    /// Journal files present, oldest first.
    static func files(in directory: URL) -> [(index: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("journal-"), name.hasSuffix(".log"), let index = Int(name.dropFirst(8).dropLast(4)) else { return nil }
            return (index, directory.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    // MARK: appending

    /// Adds one record; returns its LSN. Cheap: a copy into the batch buffer.
    @discardableResult
    func append(_ body: [UInt8]) -> UInt64 {
        let crc = CRC32.checksum(body)
        let (lsn, signal) = pending.withLock { s -> (UInt64, Bool) in
            s.lastLSN += 1
            var frame = BinaryWriter(capacity: 0)
            swap(&frame.bytes, &s.buffer)
            frame.u32(UInt32(body.count + 8))
            frame.u32(crc)
            frame.u64(s.lastLSN)
            frame.bytes.append(contentsOf: body)
            swap(&frame.bytes, &s.buffer)
            let signal = s.writerIdle
            s.writerIdle = false
            return (s.lastLSN, signal)
        }
        if signal { wake.signal() }
        return lsn
    }

    /// The LSN of the last record appended.
    var lastLSN: UInt64 { pending.withLock { $0.lastLSN } }

    /// Returns once every record up to `lsn` is on disk (fsynced).
    func waitDurable(_ lsn: UInt64) async {
        if pending.withLock({ $0.durableLSN >= lsn }) { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (ready, signal) = pending.withLock { s -> (Bool, Bool) in
                if s.durableLSN >= lsn || s.closed { return (true, false) }
                s.waiters.append((lsn, continuation))
                let signal = s.writerIdle
                s.writerIdle = false
                return (false, signal)
            }
            if ready { continuation.resume() }
            if signal { wake.signal() }
        }
    }

    // MARK: the writer thread

    private func writerLoop(firstFile: Int32) {
        var fileIndex = pending.withLock { $0.fileIndex }
        var fd = firstFile
        while true {
            wake.wait()
            var closing = false
            while true {
                let hurry = pending.withLock { !$0.waiters.isEmpty || $0.closing || $0.rotation != nil }
                if !settings.strict, settings.batchMilliseconds > 0, !hurry { usleep(UInt32(settings.batchMilliseconds) * 1000) }
                let (chunk, lsn, rotation) = pending.withLock { s -> ([UInt8], UInt64, DispatchSemaphore?) in
                    var chunk: [UInt8] = []
                    chunk.reserveCapacity(s.buffer.count)
                    swap(&chunk, &s.buffer)
                    return (chunk, s.lastLSN, s.rotation)
                }
                var failure: String?
                if !chunk.isEmpty {
                    failure = Self.writeAll(fd, chunk)
                    if fsync(fd) != 0 { failure = failure ?? "fsync failed: errno \(errno)" }
                }
                if rotation != nil {
                    _ = Glibc.close(fd)
                    fileIndex += 1
                    fd = Self.open(directory.appendingPathComponent(Self.fileName(fileIndex)))
                    Self.syncDirectory(directory)
                }
                let (ready, idle, compact, isClosing) = pending.withLock { s -> ([CheckedContinuation<Void, Never>], Bool, Bool, Bool) in
                    s.durableLSN = lsn
                    if let failure { s.failure = failure }
                    s.bytesSinceSnapshot += chunk.count
                    if rotation != nil {
                        s.fileIndex = fileIndex
                        s.rotatedBytes = s.bytesSinceSnapshot
                        s.rotation = nil
                    }
                    var ready: [CheckedContinuation<Void, Never>] = []
                    s.waiters.removeAll { waiter in
                        guard waiter.lsn <= lsn else { return false }
                        ready.append(waiter.continuation)
                        return true
                    }
                    var compact = false
                    if !s.compactionSignalled, s.bytesSinceSnapshot >= max(settings.compactionMinimumBytes, s.snapshotBytes) {
                        s.compactionSignalled = true
                        compact = true
                    }
                    let idle = s.buffer.isEmpty && s.rotation == nil && s.waiters.isEmpty
                    if idle { s.writerIdle = true }
                    return (ready, idle, compact, s.closing)
                }
                rotation?.signal()
                for continuation in ready { continuation.resume() }
                if compact { compactionDue.signal() }
                if idle {
                    closing = isClosing
                    break
                }
            }
            if closing { break }
        }
        _ = Glibc.close(fd)
        stopped.signal()
    }

    private static func open(_ url: URL) -> Int32 {
        Glibc.open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return "journal write failed: errno \(errno)"
                }
                offset += n
            }
            return nil
        }
    }

    /// Makes a created or renamed file's directory entry durable too.
    static func syncDirectory(_ directory: URL) {
        let fd = Glibc.open(directory.path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        _ = Glibc.close(fd)
    }

    // MARK: compaction support (called from the compactor's thread)

    /// Flushes the current file and starts the next; returns the new file's index. Records
    /// in the older files are all covered by a snapshot taken after this returns.
    func rotate() -> (firstKept: Int, coveredBytes: Int) {
        let done = DispatchSemaphore(value: 0)
        let (signal, closed) = pending.withLock { s -> (Bool, Bool) in
            if s.closing || s.closed { return (false, true) }
            s.rotation = done
            let signal = s.writerIdle
            s.writerIdle = false
            return (signal, false)
        }
        // A closed journal takes no more records: the files it has are all there is.
        if closed { return pending.withLock { ($0.fileIndex + 1, $0.bytesSinceSnapshot) } }
        if signal { wake.signal() }
        done.wait()
        return pending.withLock { ($0.fileIndex, $0.rotatedBytes) }
    }

    /// Bytes appended since the last snapshot (nothing new: no need for another).
    var bytesSinceSnapshot: Int { pending.withLock { $0.bytesSinceSnapshot + $0.buffer.count } }

    /// A snapshot covering every file before `firstKept` is on disk: drop those files.
    func snapshotWritten(bytes: Int, firstKept: Int, journalBytesCovered: Int) {
        for file in Self.files(in: directory) where file.index < firstKept { try? FileManager.default.removeItem(at: file.url) }
        pending.withLock { s in
            s.snapshotBytes = bytes
            s.bytesSinceSnapshot = max(0, s.bytesSinceSnapshot - journalBytesCovered)
            s.compactionSignalled = false
        }
    }

    /// The last write error, if any (reported by the ledger's logger).
    var failure: String? { pending.withLock { $0.failure } }

    /// Writes what is buffered, stops the writer thread and resumes every waiter. Blocking.
    func close() {
        pending.withLock { s in
            s.closing = true
            s.writerIdle = false
        }
        wake.signal()
        stopped.wait()
        let waiters = pending.withLock { s in
            s.closed = true
            defer { s.waiters = [] }
            return s.waiters.map(\.continuation)
        }
        for continuation in waiters { continuation.resume() }
    }
}

extension Journal {
    struct Frame {
        let lsn: UInt64
        let body: ArraySlice<UInt8>
    }

    /// The complete frames of a journal or snapshot file, and the length they cover; a
    /// shorter length than the file means a torn (or corrupt) record there.
    static func frames(in bytes: [UInt8]) -> (frames: [Frame], validLength: Int) {
        var frames: [Frame] = []
        var at = 0
        while at + 16 <= bytes.count {
            var header = BinaryReader(bytes[at..<(at + 16)])
            guard let length = try? header.u32(), let crc = try? header.u32(), let lsn = try? header.u64(),
                  length >= 8, at + 8 + Int(length) <= bytes.count else { break }
            let body = bytes[(at + 16)..<(at + 8 + Int(length))]
            guard CRC32.checksum(body) == crc else { break }
            frames.append(Frame(lsn: lsn, body: body))
            at += 8 + Int(length)
        }
        return (frames, at)
    }

    /// One frame's bytes (the snapshot uses the journal's framing).
    static func frame(lsn: UInt64, body: [UInt8], into out: inout [UInt8]) {
        var w = BinaryWriter(capacity: 0)
        swap(&w.bytes, &out)
        w.u32(UInt32(body.count + 8))
        w.u32(CRC32.checksum(body))
        w.u64(lsn)
        w.bytes.append(contentsOf: body)
        swap(&w.bytes, &out)
    }
}
