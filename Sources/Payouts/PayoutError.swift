/// A refusal about a payout (or a tenant's use of the payout engine) explained to an
/// operator or tenant: a stable code and a message.
/// Nothing changed when one is thrown.
public struct PayoutError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func notFound(_ what: String) -> PayoutError { PayoutError("not_found", "\(what) not found") }
}
