import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `snapshot.bin`: the whole state as of a journal position, in the journal's framing.
/// Records: a header (clock, sequence, users' LSN), the users, then per merchant its state
/// (with the LSN it includes) followed by its packets and transfers, and an end marker.
/// Written to a temporary file, fsynced and renamed, so it is either whole or absent.
enum SnapshotFile {
    static let name = "snapshot.bin"
    private static let magic = "hongbao-sim-snapshot-1"

    private enum Tag: UInt8 { case header = 100, user, merchant, packet, transfer, end }

    /// What replay starts from, and how it applies journal records on top.
    struct Restored {
        struct Merchant {
            /// Records of this merchant up to this LSN are already in `state`.
            var lsn: UInt64
            var state: MerchantState
        }
        var merchants: [String: Merchant] = [:]
        var users: [String: SimUser] = [:]
        var usersLSN: UInt64 = 0
        var clockOffset: Double = 0
        var sequence: Int64 = 0
        var maxLSN: UInt64 = 0
        var snapshotBytes = 0
        var texts = PacketTexts.Cache()

        mutating func apply(_ record: JournalRecord, lsn: UInt64) {
            switch record {
            case .clock(let offset): clockOffset = max(clockOffset, offset)
            case .user(let openid, let facts):
                if lsn > usersLSN { users[openid] = facts }
            case .merchant(let mchId, let event):
                if case .packet(let p) = event { sequence = max(sequence, p.sequence) }
                if case .transfer(let t) = event { sequence = max(sequence, t.sequence) }
                if var merchant = merchants[mchId] {
                    guard lsn > merchant.lsn else { return }
                    merchants[mchId] = nil // keep the state uniquely referenced while it changes
                    merchant.state.apply(event)
                    merchants[mchId] = merchant
                } else if case .account(let update) = event {
                    var state = MerchantState(account: SimAccount(spec: update.spec, apiKey: update.apiKey, balanceFen: 0, fundedFen: 0, certificates: []))
                    state.apply(event)
                    merchants[mchId] = Merchant(lsn: 0, state: state)
                }
            }
        }
    }

    static func load(from directory: URL) throws -> Restored {
        var restored = Restored()
        let url = directory.appendingPathComponent(name)
        guard let data = try? Data(contentsOf: url) else { return restored }
        let bytes = [UInt8](data)
        let (frames, validLength) = Journal.frames(in: bytes)
        guard validLength == bytes.count else { throw SimulatorError("snapshot \(url.path) is corrupt at byte \(validLength)") }
        var current: String?
        var ended = false
        do {
            for frame in frames {
                var r = BinaryReader(frame.body)
                guard let tag = Tag(rawValue: try r.u8()) else { throw MalformedRecord(reason: "unknown snapshot tag") }
                switch tag {
                case .header:
                    guard try r.string() == magic else { throw MalformedRecord(reason: "not a simulator snapshot") }
                    restored.clockOffset = try r.f64()
                    restored.sequence = try r.i64()
                    restored.usersLSN = try r.u64()
                    restored.maxLSN = restored.usersLSN
                case .user:
                    restored.users[try r.string()] = try SimUser.decode(&r)
                case .merchant:
                    let mchId = try r.string()
                    let lsn = try r.u64()
                    let update = try MerchantEvent.AccountUpdate.decode(&r)
                    var state = MerchantState(account: SimAccount(spec: update.spec, apiKey: update.apiKey, balanceFen: update.balanceFen,
                                                                  fundedFen: update.fundedFen, certificates: update.certificates))
                    state.totals = MerchantState.LedgerTotals(
                        sentFen: try r.i64(), refundedFen: try r.i64(), transferredFen: try r.i64(),
                        transferRefundedFen: try r.i64(), packetCount: try r.i64(), transferCount: try r.i64())
                    state.day = try DayCounters.decode(&r)
                    var table: [String] = []
                    for _ in 0..<(try r.varint()) { table.append(try r.string()) }
                    state.restoreAppids(table)
                    // Service providers' sub-merchants; absent from snapshots written before them.
                    if !r.isAtEnd {
                        var subs: [String] = []
                        for _ in 0..<(try r.varint()) { subs.append(try r.string()) }
                        state.restoreSubs(subs)
                        for _ in 0..<(try r.varint()) { state.subs[try r.string()] = try SubMerchantLedger.decode(&r) }
                    }
                    restored.merchants[mchId] = Restored.Merchant(lsn: lsn, state: state)
                    restored.maxLSN = max(restored.maxLSN, lsn)
                    current = mchId
                case .packet, .transfer:
                    guard let mchId = current, var merchant = restored.merchants[mchId] else { throw MalformedRecord(reason: "record before its merchant") }
                    restored.merchants[mchId] = nil
                    if tag == .packet {
                        merchant.state.packets.append(try PacketRecord.decode(&r, texts: &restored.texts))
                    } else {
                        merchant.state.transfers.append(try TransferRecord.decode(&r))
                    }
                    restored.merchants[mchId] = merchant
                case .end:
                    ended = true
                }
            }
        } catch {
            throw SimulatorError("snapshot \(url.path): \(error)")
        }
        guard ended else { throw SimulatorError("snapshot \(url.path) has no end marker") }
        restored.snapshotBytes = bytes.count
        return restored
    }
}

extension SimLedger {
    /// Writes a snapshot of everything and drops the journal files it covers. Blocking:
    /// runs on the compactor's thread or at shutdown, never on the cooperative pool.
    /// Returns the snapshot's size, or nil when nothing changed since the last one.
    @discardableResult
    func compact() throws -> Int? {
        try compaction.withLock { (count: inout Int) throws -> Int? in
            let url = directory.appendingPathComponent(SnapshotFile.name)
            guard journal.bytesSinceSnapshot > 0 || !FileManager.default.fileExists(atPath: url.path) else { return nil }
            let (firstKept, covered) = journal.rotate()
            // Each merchant is captured under its own lock with the LSN its state includes;
            // the copy is copy-on-write, so the lock is held for a moment, not for the writing.
            let (users, usersLSN) = usersForSnapshot()
            let merchants = books().map { book in
                book.state.withLock { state in (book.mchId, journal.lastLSN, state) }
            }
            let temporary = directory.appendingPathComponent(SnapshotFile.name + ".tmp")
            let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw SimulatorError("cannot write \(temporary.path): errno \(errno)") }
            var out: [UInt8] = []
            var written = 0
            func emit(_ body: BinaryWriter) throws {
                Journal.frame(lsn: 0, body: body.bytes, into: &out)
                if out.count >= 1 << 20 { try flush() }
            }
            func flush() throws {
                let n = out.withUnsafeBytes { raw -> Int in
                    var offset = 0
                    while offset < raw.count {
                        let k = write(fd, raw.baseAddress! + offset, raw.count - offset)
                        if k < 0 { if errno == EINTR { continue }; return -1 }
                        offset += k
                    }
                    return offset
                }
                guard n == out.count else { throw SimulatorError("cannot write \(temporary.path): errno \(errno)") }
                written += n
                out.removeAll(keepingCapacity: true)
            }
            do {
                var header = BinaryWriter()
                header.u8(100)
                header.string("hongbao-sim-snapshot-1")
                header.f64(clock.offset)
                header.i64(sequence.current)
                header.u64(usersLSN)
                try emit(header)
                for (openid, facts) in users {
                    var w = BinaryWriter()
                    w.u8(101)
                    w.string(openid)
                    facts.encode(&w)
                    try emit(w)
                }
                for (mchId, lsn, state) in merchants {
                    var w = BinaryWriter()
                    w.u8(102)
                    w.string(mchId)
                    w.u64(lsn)
                    let a = state.account
                    MerchantEvent.AccountUpdate(spec: a.spec, apiKey: a.apiKey, balanceFen: a.balanceFen, fundedFen: a.fundedFen,
                                                certificates: a.certificates).encode(&w)
                    let t = state.totals
                    for v in [t.sentFen, t.refundedFen, t.transferredFen, t.transferRefundedFen, t.packetCount, t.transferCount] { w.i64(v) }
                    state.day.encode(&w)
                    w.varint(state.appidTable.count)
                    for appid in state.appidTable { w.string(appid) }
                    w.varint(state.subTable.count)
                    for subMchId in state.subTable { w.string(subMchId) }
                    w.varint(state.subs.count)
                    for (subMchId, ledger) in state.subs {
                        w.string(subMchId)
                        ledger.encode(&w)
                    }
                    try emit(w)
                    for position in state.packets.startPosition..<state.packets.endPosition {
                        var p = BinaryWriter()
                        p.u8(103)
                        state.packets[position].encode(&p)
                        try emit(p)
                    }
                    for position in state.transfers.startPosition..<state.transfers.endPosition {
                        var p = BinaryWriter()
                        p.u8(104)
                        state.transfers[position].encode(&p)
                        try emit(p)
                    }
                }
                var end = BinaryWriter()
                end.u8(105)
                try emit(end)
                try flush()
                guard fsync(fd) == 0 else { throw SimulatorError("fsync \(temporary.path) failed: errno \(errno)") }
                close(fd)
            } catch {
                close(fd)
                throw error
            }
            guard rename(temporary.path, url.path) == 0 else { throw SimulatorError("cannot rename the snapshot: errno \(errno)") }
            Journal.syncDirectory(directory)
            journal.snapshotWritten(bytes: written, firstKept: firstKept, journalBytesCovered: covered)
            count += 1
            return written
        }
    }
}
