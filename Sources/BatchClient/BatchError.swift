/// Why send-batch cannot go on, in plain words for stderr. The command turns a usage
/// error into exit 2 and any other into exit 1 (its --help lists the codes).
public struct BatchError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The options, the file, the key or the results path: fix the command and run it again.
        case usage
        /// Something failed while the batch ran.
        case failure
    }

    public let kind: Kind
    public let description: String

    public init(_ description: String, kind: Kind = .failure) {
        self.kind = kind
        self.description = description
    }

    static func usage(_ description: String) -> BatchError { BatchError(description, kind: .usage) }
}
