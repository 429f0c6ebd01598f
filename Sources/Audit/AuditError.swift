/// Why an audit checkpoint or key could not be used: a stable code (`audit_key_unreadable`,
/// `audit_checkpoint_unreadable`, `audit_checkpoint_signature`) and a message for the
/// operator. Nothing was written when one is thrown.
public struct AuditError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
