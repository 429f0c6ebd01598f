/// A refusal about tenants and keys, explained to the operator (the CLI) or the tenant: a
/// stable code (`invalid_name`, `tenant_exists`, `not_found`, `tenant_disabled`, …) and a
/// message. Nothing changed when one is thrown.
public struct TenantError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func notFound(_ what: String) -> TenantError { TenantError("not_found", "\(what) not found") }
}
