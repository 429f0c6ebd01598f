/// The options of one run, checked (`BatchOptions.settings()`).
public struct BatchSettings: Sendable {
    public let path: String
    public let format: BatchFormat
    public let defaults: BatchDefaults
    /// The gateway's base URL, without a trailing slash.
    public let gateway: String
    /// Where the results CSV goes.
    public let results: String
}
