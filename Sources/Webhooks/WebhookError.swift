/// A refusal about webhooks, for the tenant (the API maps its code to a problem) or the
/// operator: `invalid_url`, `webhook_target_refused`, `too_many_webhooks`,
/// `unresolvable`, a sealing error, … Nothing changed when one is thrown.
public struct WebhookError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func notFound(_ what: String) -> WebhookError { WebhookError("not_found", "\(what) not found") }
}
