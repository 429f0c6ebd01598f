import Synchronization

/// How many calls each WeChat endpoint has processed since the simulator started, per
/// merchant number (control API `GET /_sim/requests`): a test can show from WeChat's
/// side that the gateway did not call, rather than trusting the gateway's own records.
final class RequestTally: Sendable {
    private let counts = Mutex<[String: [String: Int]]>([:])

    /// One call of `api` naming `mchId` (the endpoint's last path component is the key: `gethbinfo`).
    func count(_ api: SimAPI, mchId: String) {
        let name = String(api.rawValue.split(separator: "/").last ?? "")
        counts.withLock { $0[name, default: [:]][mchId, default: 0] += 1 }
    }

    /// Calls by endpoint, then by mch_id.
    var all: [String: [String: Int]] { counts.withLock { $0 } }
}
