import Synchronization

/// One merchant's state and its own lock: requests for different merchants never wait
/// for each other, and a request holds the lock only for checks that need the state and
/// the commit (never for parsing, signatures or file I/O).
final class MerchantBook: Sendable {
    let mchId: String
    let state: Mutex<MerchantState>

    init(mchId: String, state: MerchantState) {
        self.mchId = mchId
        self.state = Mutex(state)
    }

    /// The account as it is now (a copy: the caller checks signatures and rules without the lock).
    var account: SimAccount { state.withLock { $0.account } }
}
