/// Whether a transaction's commit waits for its WAL on disk. Said explicitly in every
/// transaction, so a server, database or role default of `synchronous_commit = off` never
/// makes an intent that money depends on vanish with a crash after the money left.
struct Durability {
    let awaitFlush: Bool

    init(_ awaitFlush: Bool) { self.awaitFlush = awaitFlush }

    /// The statement that sets it for the current transaction only.
    var setting: String { awaitFlush ? "SET LOCAL synchronous_commit TO on" : "SET LOCAL synchronous_commit TO off" }
}
