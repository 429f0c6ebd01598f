import Foundation
import Synchronization
import WeChatPay

/// WeChat's books: one `MerchantBook` per merchant (each with its own lock), the users that
/// transfers check, the sim clock, and the journal every change is written to. Built by
/// replaying the snapshot and the journal (`init` blocks: call it off the cooperative pool).
public final class SimLedger: Sendable {
    let directory: URL
    let clock = SimClock()
    let sequence = SimSequence()
    let journal: Journal
    let lateCommits = LateCommits()
    private let registry = Mutex(Registry())
    private let users = Mutex<[String: SimUser]>([:])
    /// One compaction at a time (the background one and the one at shutdown).
    let compaction = Mutex<Int>(0)

    struct Registry: Sendable {
        var books: [String: MerchantBook] = [:]
        /// Client certificate (DER) → mch_id.
        var byCertificate: [[UInt8]: String] = [:]
    }

    /// Replays `directory`'s snapshot and journal, then opens a new journal file.
    init(directory: URL, settings: JournalSettings) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var restored = try SnapshotFile.load(from: directory)
        var maxLSN = restored.maxLSN
        let files = Journal.files(in: directory)
        for (position, file) in files.enumerated() {
            let bytes = try [UInt8](Data(contentsOf: file.url))
            let (frames, validLength) = Journal.frames(in: bytes)
            if validLength < bytes.count {
                guard position == files.count - 1 else {
                    throw SimulatorError("journal \(file.url.path) is corrupt at byte \(validLength) (not its last record)")
                }
                // A torn last record: the crash came mid-write; it was never answered in strict mode.
                truncate(file.url.path, off_t(validLength))
            }
            for frame in frames {
                maxLSN = max(maxLSN, frame.lsn)
                let record: JournalRecord
                do { record = try JournalRecord.decode(frame.body, texts: &restored.texts) } catch {
                    throw SimulatorError("journal \(file.url.path): \(error)")
                }
                restored.apply(record, lsn: frame.lsn)
            }
        }
        clock.raise(to: restored.clockOffset)
        sequence.raise(to: restored.sequence)
        var registry = Registry()
        for (mchId, entry) in restored.merchants {
            registry.books[mchId] = MerchantBook(mchId: mchId, state: entry.state)
            for pem in entry.state.account.certificates {
                if let der = try? SimulatorCA.der(of: pem) { registry.byCertificate[der] = mchId }
            }
        }
        self.registry.withLock { $0 = registry }
        self.users.withLock { $0 = restored.users }
        self.journal = Journal(directory: directory, settings: settings, lastLSN: maxLSN,
                               nextFileIndex: (files.last?.index ?? 0) + 1, snapshotBytes: restored.snapshotBytes)
    }

    var now: Double { clock.now }
    var today: Int { SimTime.day(clock.now) }

    func book(_ mchId: String) -> MerchantBook? { registry.withLock { $0.books[mchId] } }

    func book(forCertificate der: [UInt8]) -> MerchantBook? {
        registry.withLock { r in r.byCertificate[der].flatMap { r.books[$0] } }
    }

    /// Every merchant, by mch_id.
    func books() -> [MerchantBook] { registry.withLock { $0.books.values.sorted { $0.mchId < $1.mchId } } }

    func user(_ openid: String) -> SimUser? { users.withLock { $0[openid] } }

    /// Journals one merchant event (called with that merchant's lock held, so its records stay in order).
    func record(_ mchId: String, _ event: MerchantEvent) {
        journal.append(JournalRecord.merchant(mchId, event).encode())
    }

    // MARK: control

    /// Creates or updates an account and adds a client certificate to it.
    func upsert(_ spec: SimAccountSpec, certificate: SimulatorCA.Issued, der: [UInt8]) -> (apiKey: String, created: Bool) {
        let (book, created) = registry.withLock { r -> (MerchantBook, Bool) in
            if let book = r.books[spec.mchId] { return (book, false) }
            let account = SimAccount(spec: spec, apiKey: spec.apiKey ?? Signer.nonce(), balanceFen: 0, fundedFen: 0, certificates: [])
            let book = MerchantBook(mchId: spec.mchId, state: MerchantState(account: account))
            r.books[spec.mchId] = book
            return (book, true)
        }
        let apiKey = book.state.withLock { state -> String in
            let existing = state.account
            let apiKey = spec.apiKey ?? existing.apiKey
            // Re-registering sets the balance to what the spec says; the difference is a top-up or withdrawal.
            let funded = created ? spec.balanceFen : existing.fundedFen + (spec.balanceFen - existing.balanceFen)
            // Each sub-merchant's balance likewise; one new to this provider is funded with it.
            let subFunding = (spec.subMerchants ?? []).map { sub in
                let known = state.subs[sub.subMchId]
                return MerchantEvent.SubFunding(subMchId: sub.subMchId, balanceFen: sub.balanceFen,
                                                fundedFen: known.map { $0.fundedFen + (sub.balanceFen - $0.balanceFen) } ?? sub.balanceFen)
            }
            let event = MerchantEvent.account(.init(spec: spec, apiKey: apiKey, balanceFen: spec.balanceFen, fundedFen: funded,
                                                    certificates: existing.certificates + [certificate.certificatePEM], subFunding: subFunding))
            state.apply(event)
            record(spec.mchId, event)
            return apiKey
        }
        registry.withLock { $0.byCertificate[der] = spec.mchId }
        return (apiKey, created)
    }

    /// Holds the sim clock still (tests), or lets it run again.
    func freezeClock(_ frozen: Bool) {
        clock.freeze(frozen)
        settleAll()
    }

    var clockFrozen: Bool { clock.isFrozen }

    /// Moves the sim clock forward and applies every transition that became due.
    func advanceClock(by seconds: Double) -> Double {
        let offset = clock.advance(by: seconds)
        journal.append(JournalRecord.clock(offset: offset).encode())
        settleAll()
        return clock.now
    }

    /// Applies due refunds and drops aged-out records for every merchant: O(merchants) plus
    /// the records that actually became due.
    func settleAll() {
        let now = clock.now
        for book in books() {
            book.state.withLock { state in state.settleDue(now: now) { record(book.mchId, $0) } }
        }
    }

    func setUser(_ openid: String, _ facts: SimUser) {
        users.withLock { users in
            users[openid] = facts
            journal.append(JournalRecord.user(openid, facts).encode())
        }
    }

    /// Captures the users and the LSN they include (for a snapshot).
    func usersForSnapshot() -> ([String: SimUser], UInt64) {
        users.withLock { ($0, journal.lastLSN) }
    }
}

public struct SimulatorError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension SimLedger {
    /// In strict mode, waits until every record appended so far is fsynced; otherwise returns at once.
    func durable() async {
        guard journal.settings.strict else { return }
        await journal.waitDurable(journal.lastLSN)
    }
}
