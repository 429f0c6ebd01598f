/// One reason a merchants.d file was refused.
public struct MerchantLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    /// The TOML key (dotted path), when one field is at fault.
    public let field: String?
    public let reason: String

    public init(file: String, field: String?, reason: String) {
        self.file = file
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(file)\(field.map { ": \($0)" } ?? ""): \(reason)" }
}

/// A load that failed: every problem found, nothing half-loaded.
public struct MerchantLoadFailure: Error, Sendable, CustomStringConvertible {
    public let errors: [MerchantLoadError]
    public var description: String { "merchants could not be loaded:\n" + errors.map { "  - \($0)" }.joined(separator: "\n") }
}
