/// A pool's state at one moment and its counts since it opened (for /metrics).
public struct PoolStatistics: Sendable, Equatable {
    /// Cumulative counts.
    public struct Counts: Sendable, Equatable {
        /// Connections handed out.
        public var acquisitions: UInt64 = 0
        /// Of those, the ones that had to wait for a free connection (timed out ones included).
        public var waits: UInt64 = 0
        /// Time spent waiting, summed.
        public var waitSeconds: Double = 0
        /// Waits that ended in `poolTimeout`.
        public var timeouts: UInt64 = 0

        public init() {}
    }

    public let size: Int
    public let idle: Int
    /// Callers waiting for a connection now.
    public let waiting: Int
    public let counts: Counts

    public var inUse: Int { size - idle }
}
