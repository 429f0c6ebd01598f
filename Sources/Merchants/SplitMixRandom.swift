/// SplitMix64: a fast, seedable generator for spreading load and for replayable tests.
/// Not for secrets. `SystemRandomNumberGenerator` costs a system call per number, which
/// would dominate a routing decision that otherwise takes a fraction of a microsecond.
public struct SplitMixRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// Seeded once from the system generator.
    public init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
