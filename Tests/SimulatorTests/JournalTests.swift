import Foundation
@testable import Simulator
import Testing
import TestSupport
import WeChatPay

/// The journal and snapshot, driven through the ledger's own commit path in-process.
@Suite("Simulator journal: replay, torn records, compaction")
struct JournalTests {
    static let mchId = "1900000109"

    static func ledger(_ directory: URL) throws -> SimLedger {
        try SimLedger(directory: directory, settings: JournalSettings(batchMilliseconds: 0))
    }

    static func register(_ ledger: SimLedger) throws -> MerchantBook {
        let issued = try SimulatorCA.generate().issueClient(merchantID: mchId)
        _ = ledger.upsert(SimulatorHarness.qualifiedSpec(mchId: mchId, balanceFen: 1_000_000), certificate: issued,
                          der: try SimulatorCA.der(of: issued.certificatePEM))
        return try #require(ledger.book(mchId))
    }

    static func fields(_ n: Int) -> [String: String] {
        ["nonce_str": "n\(n)", "sign": "S", "mch_billno": billno(n), "mch_id": mchId, "wxappid": "wx8888888888888888",
         "send_name": "ACME", "re_openid": "o\(n % 7)", "total_amount": String(100 + n), "total_num": "1", "wishing": "w",
         "client_ip": "10.0.0.1", "act_name": "a", "remark": "r"]
    }

    static func send(_ ledger: SimLedger, _ n: Int) throws -> [String: String] {
        let book = try #require(ledger.book(mchId))
        return ledger.send(.sendRedPack, fields(n), book, book.account)
    }

    @Test("a restart replays the journal to the same totals and answers resends identically; a torn last record is ignored")
    func replay() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-journal-\(UUID())")
        let first = try Self.ledger(directory)
        _ = try Self.register(first)
        var answers: [Int: String] = [:]
        for n in 1...40 {
            let listid: String = try #require(try Self.send(first, n)["send_listid"])
            answers[n] = listid
        }
        _ = first.transfer(["mch_appid": "wx8888888888888888", "mchid": Self.mchId, "partner_trade_no": "T1", "openid": "oT",
                            "check_name": "NO_CHECK", "amount": "1000", "desc": "d", "spbill_create_ip": "10.0.0.1", "nonce_str": "n", "sign": "S"],
                           try #require(first.book(Self.mchId)), try #require(first.book(Self.mchId)).account)
        let before = first.summary()
        first.journal.close() // as a crash would leave it: no snapshot
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(SnapshotFile.name).path))

        // A write cut short by the crash: a frame header promising more bytes than follow.
        let last = try #require(Journal.files(in: directory).last)
        let handle = try FileHandle(forWritingTo: last.url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([200, 0, 0, 0, 1, 2, 3, 4, 9, 9]))
        try handle.close()

        let second = try Self.ledger(directory)
        #expect(second.summary() == before)
        for n in 1...40 { #expect(try Self.send(second, n)["send_listid"] == answers[n], "resend \(n)") }
        #expect(second.summary() == before, "resends moved no money")
        second.journal.close()
    }

    @Test("compaction writes a snapshot, drops the journal files it covers, and a restart from it plus newer records is exact")
    func compaction() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-compact-\(UUID())")
        let first = try Self.ledger(directory)
        _ = try Self.register(first)
        for n in 1...30 { _ = try Self.send(first, n) }
        #expect(Journal.files(in: directory).count == 1)
        let size = try #require(try first.compact())
        #expect(size > 0)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(SnapshotFile.name).path))
        #expect(Journal.files(in: directory).count == 1, "the covered file is gone; the next one takes new records")
        for n in 31...35 { _ = try Self.send(first, n) } // after the snapshot: only in the journal
        #expect(try first.compact() != nil, "records since the last snapshot make another one")
        #expect(try first.compact() == nil, "nothing new: no snapshot")
        for n in 36...37 { _ = try Self.send(first, n) }
        let before = first.summary()
        let answer = try Self.send(first, 33)["send_listid"]
        first.journal.close()

        let second = try Self.ledger(directory)
        #expect(second.summary() == before)
        #expect(try Self.send(second, 33)["send_listid"] == answer)
        #expect(try #require(second.book(Self.mchId)).state.withLock { $0.packets.count } == 37)
        second.journal.close()
    }

    @Test("strict mode: a waiter is released once its record is fsynced, and at once after the journal closed")
    func strictWaiters() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-strict-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let journal = Journal(directory: directory, settings: JournalSettings(batchMilliseconds: 10_000, strict: true),
                              lastLSN: 0, nextFileIndex: 1, snapshotBytes: 0)
        let lsn = journal.append(JournalRecord.clock(offset: 1).encode())
        await journal.waitDurable(lsn) // strict: not held back by the 10-second batch window
        let bytes = try Data(contentsOf: directory.appendingPathComponent(Journal.fileName(1)))
        #expect(Journal.frames(in: [UInt8](bytes)).frames.map(\.lsn) == [lsn])
        journal.close()
        let late = journal.append(JournalRecord.clock(offset: 2).encode())
        await journal.waitDurable(late) // a shutting-down server must not hang on it
        #expect(late == lsn + 1)
    }

    @Test("a snapshot and journal written before service providers (records without their trailing sub-merchant fields) load as direct, to the same totals and answers")
    func filesFromBeforeServiceProviders() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-oldformat-\(UUID())")
        let first = try Self.ledger(directory)
        _ = try Self.register(first)
        for n in 1...20 { _ = try Self.send(first, n) }
        _ = try #require(try first.compact())
        for n in 21...25 { _ = try Self.send(first, n) } // only in the journal
        let before = first.summary()
        let answer = try Self.send(first, 22)["send_listid"]
        first.journal.close()

        // The bytes the simulator wrote before service providers: the same records less what
        // that change appended (a direct merchant's sub-merchant table — only the direct
        // entry "" — and empty sub-merchant ledgers, a packet's two
        // u32 sub-merchant and fund-source indices, an account update's empty funding list).
        var stripped = (snapshotMerchants: 0, snapshotPackets: 0, journalAccounts: 0, journalPackets: 0)
        try Self.rewrite(directory.appendingPathComponent(SnapshotFile.name)) { body in
            switch body.first {
            case 102: stripped.snapshotMerchants += 1; return Self.dropping([1, 0, 0], from: body)
            case 103: stripped.snapshotPackets += 1; return Self.dropping([0, 0, 0, 0, 0, 0, 0, 0], from: body)
            default: return body
            }
        }
        for file in Journal.files(in: directory) {
            try Self.rewrite(file.url) { body in
                switch body.first {
                case 1: stripped.journalAccounts += 1; return Self.dropping([0], from: body)
                case 2: stripped.journalPackets += 1; return Self.dropping([0, 0, 0, 0, 0, 0, 0, 0], from: body)
                default: return body
                }
            }
        }
        #expect(stripped.snapshotMerchants == 1 && stripped.snapshotPackets == 20 && stripped.journalPackets >= 5, "\(stripped)")

        let second = try Self.ledger(directory)
        #expect(second.summary() == before)
        #expect(try Self.send(second, 22)["send_listid"] == answer, "a resend is answered from the old record")
        let packets = try #require(second.page(kind: .packets, limit: 100, cursor: nil, mchId: nil, number: nil)).packets
        #expect(packets.count == 25 && packets.allSatisfy { $0.subMchId == nil && $0.fundMchId == Self.mchId }, "every old packet is direct")
        second.journal.close()
    }

    /// `body` without its last bytes, which must be `tail`.
    static func dropping(_ tail: [UInt8], from body: [UInt8]) -> [UInt8] {
        precondition(Array(body.suffix(tail.count)) == tail, "the record does not end with the fields being removed")
        return Array(body.dropLast(tail.count))
    }

    /// Re-frames every record of a journal or snapshot file through `change`, keeping its LSN.
    static func rewrite(_ url: URL, _ change: ([UInt8]) -> [UInt8]) throws {
        let (frames, valid) = Journal.frames(in: [UInt8](try Data(contentsOf: url)))
        var out: [UInt8] = []
        for frame in frames { Journal.frame(lsn: frame.lsn, body: change(Array(frame.body)), into: &out) }
        #expect(valid > 0)
        try Data(out).write(to: url)
    }
}
