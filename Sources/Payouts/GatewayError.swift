/// A refusal the gateway explains to an operator or tenant: a stable code and a message.
/// Nothing changed when one is thrown.
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func notFound(_ what: String) -> GatewayError { GatewayError("not_found", "\(what) not found") }
}
