import Foundation
import Histogram
import Synchronization

/// N clients in closed loops for a while: completed operations per second and the
/// latency distribution (HdrHistogram, microseconds). Shared by the gateway and upstream
/// benchmarks so both sides are measured the same way.
struct LatencyLoad {
    struct Result: Encodable {
        let clients: Int
        let perSecond: Int
        let p50Micros: Int
        let p99Micros: Int
        /// Answered with a limit's refusal (the limit held, nothing was paid): counted, not timed.
        let refused: Int
        /// Anything else that was not a success: counted, not timed.
        let errors: Int

        enum CodingKeys: String, CodingKey {
            case clients, refused, errors, perSecond = "per_s", p50Micros = "p50_us", p99Micros = "p99_us"
        }
    }

    enum Outcome: Sendable { case succeeded, refused, failed }

    static func run(clients: Int, seconds: Double, warmup: Double = 1, _ operation: @escaping @Sendable (Int, Int) async -> Outcome) async -> Result {
        let recorder = Recorder()
        let start = ContinuousClock.now
        let measureFrom = start + .milliseconds(Int(warmup * 1000))
        let end = measureFrom + .milliseconds(Int(seconds * 1000))
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var n = 0
                    while ContinuousClock.now < end {
                        let began = ContinuousClock.now
                        let outcome = await operation(client, n)
                        n += 1
                        guard began >= measureFrom else { continue }
                        recorder.record(outcome, ContinuousClock.now - began)
                    }
                }
            }
        }
        return recorder.result(clients: clients, seconds: seconds)
    }

    final class Recorder: Sendable {
        private let state = Mutex((histogram: Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three),
                                   refused: 0, errors: 0))

        func record(_ outcome: Outcome, _ latency: Duration) {
            state.withLock { state in
                switch outcome {
                case .failed: state.errors += 1; return
                case .refused: state.refused += 1; return
                case .succeeded: break
                }
                let micros = UInt64(max(0, latency.components.seconds * 1_000_000 + latency.components.attoseconds / 1_000_000_000_000))
                state.histogram.record(min(micros, 60_000_000))
            }
        }

        func result(clients: Int, seconds: Double) -> Result {
            state.withLock { state in
                Result(clients: clients, perSecond: Int(Double(state.histogram.totalCount) / seconds),
                       p50Micros: Int(state.histogram.valueAtPercentile(50)), p99Micros: Int(state.histogram.valueAtPercentile(99)),
                       refused: state.refused, errors: state.errors)
            }
        }
    }
}
