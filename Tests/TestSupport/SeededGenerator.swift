import Merchants

/// Deterministic randomness for tests, so a failing randomized case can be replayed.
public typealias SeededGenerator = SplitMixRandom
