import Foundation
import Merchants

/// A webhook URL whose shape is acceptable: absolute http(s), a host, no credentials, no
/// fragment, at most 2048 characters; https only for live-mode endpoints (test-mode ones
/// may use http, for receivers on a developer's machine). Where the host points is checked
/// separately, at registration and before every delivery (`WebhookTargetGuard`).
public struct WebhookTarget: Sendable, Equatable {
    public static let maximumLength = 2048

    public let url: String
    public let host: String
    public let port: Int

    /// The URL checked against `mode`, or `invalid_url` saying what is wrong.
    public init(parsing text: String, mode: MerchantMode) throws {
        func invalid(_ why: String) -> WebhookError { WebhookError("invalid_url", why) }
        guard !text.isEmpty, text.count <= Self.maximumLength else { throw invalid("the URL must be 1–\(Self.maximumLength) characters") }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw invalid("not an absolute URL")
        }
        switch (scheme, mode) {
        case ("https", _), ("http", .test): break
        case ("http", .live): throw invalid("live-mode endpoints must use https")
        default: throw invalid("the URL must be https (or http for a test-mode endpoint)")
        }
        guard components.user == nil, components.password == nil else { throw invalid("the URL must not carry a user name or password") }
        guard components.fragment == nil else { throw invalid("the URL must not have a #fragment") }
        var host = components.host ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw invalid("the URL has no host") }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else { throw invalid("the port must be 1–65535") }
        self.url = text
        self.host = host.lowercased()
        self.port = port
    }
}
