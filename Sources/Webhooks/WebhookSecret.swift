import Tenants
/// The key a webhook endpoint's deliveries are signed with: `whsec_` + 32 base62
/// characters from the system CSPRNG (about 190 bits). Shown to the tenant once, when the
/// endpoint is created; its description never shows it.
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public static let prefix = "whsec_"
    static let randomLength = 32

    /// The secret itself: only for signing and for the one answer that creates it.
    public let text: String

    public init(text: String) { self.text = text }

    public static func generate() -> WebhookSecret { WebhookSecret(text: prefix + APIKey.randomBase62(randomLength)) }

    public var description: String { "whsec_<redacted>" }
    public var debugDescription: String { description }
}
