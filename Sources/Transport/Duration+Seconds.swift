extension Duration {
    /// Seconds, with the fraction (for SQL intervals and timestamps).
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
