import Crypto
import Foundation
import Hummingbird
import Transport

/// Who may see /admin: whoever presents the admin token (`Authorization: Bearer …`) or a
/// session cookie signed under it in the current session generation. Comparisons are
/// constant-time; the token is never logged, never put in a URL, and never stored in the
/// cookie.
///
/// - Session cookie `hongbao_admin`: `v2.<generation>.<expiry>.<HMAC-SHA256(generation,
///   expiry)>` under a key derived from the token. Valid only while `generation` is the one
///   in PostgreSQL (`AdminSessionStore`): signing out moves it on and ends every session on
///   every instance; changing the token ends them too. Always `Secure` (browsers keep
///   Secure cookies for http://localhost and 127.0.0.1, so development still works),
///   HttpOnly, SameSite=Strict, Path=/admin.
/// - Sign-in links for browsers that cannot send a header (headless Chromium, a bookmark
///   from a script): `POST /admin/login-link` with the bearer token — never with a session
///   cookie, so a stolen cookie cannot renew itself — answers a path `/admin/login?code=…`,
///   valid for 60 seconds and once across instances. The code is redacted from spans and
///   request logs (`QueryRedaction`).
public final class AdminAccess: Sendable {
    public static let cookieName = "hongbao_admin"
    static let linkLifetime: TimeInterval = 60

    private let tokenDigest: [UInt8]
    private let signingKey: [UInt8]
    let sessionSeconds: Int

    public init(token: Secret, sessionSeconds: Int = 12 * 3600) {
        let bytes = Array(token.reveal().utf8)
        tokenDigest = Array(SHA256.hash(data: bytes))
        signingKey = Array(SHA256.hash(data: Array("hongbao admin session v2\u{0}".utf8) + bytes))
        self.sessionSeconds = sessionSeconds
    }

    /// Equal length, no early exit: the time taken does not depend on where they differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// The token compared as SHA-256 digests, so its length does not show either.
    func tokenMatches(_ candidate: String) -> Bool {
        Self.constantTimeEqual(Array(SHA256.hash(data: Array(candidate.utf8))), tokenDigest)
    }

    /// What the request presents: a bearer token (right or wrong), a session cookie, or nothing.
    enum Credential {
        case bearer(valid: Bool)
        /// The generation a validly signed, unexpired cookie names; nil when it is forged or expired.
        case session(generation: Int64?)
        case none
    }

    func credential(_ request: Request, now: Date = Date()) -> Credential {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            return .bearer(valid: parts.count == 2 && parts[0].lowercased() == "bearer" && tokenMatches(String(parts[1])))
        }
        if let cookie = request.cookies[Self.cookieName] { return .session(generation: sessionGeneration(cookie.value, now: now)) }
        return .none
    }

    private func mac(_ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: signingKey)))
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    func sessionValue(generation: Int64, now: Date) -> String {
        let expiry = Int64(now.timeIntervalSince1970) + Int64(sessionSeconds)
        return "v2.\(generation).\(expiry).\(Self.hex(mac("session|\(generation)|\(expiry)")))"
    }

    /// The generation a cookie was signed in, when its signature holds and it has not expired.
    func sessionGeneration(_ value: String, now: Date) -> Int64? {
        let parts = value.split(separator: ".")
        guard parts.count == 4, parts[0] == "v2", let generation = Int64(parts[1]), let expiry = Int64(parts[2]),
              expiry > Int64(now.timeIntervalSince1970),
              Self.constantTimeEqual(Array(Self.hex(mac("session|\(generation)|\(expiry)")).utf8), Array(parts[3].utf8)) else { return nil }
        return generation
    }

    func sessionCookie(generation: Int64, now: Date) -> Cookie {
        Cookie(name: Self.cookieName, value: sessionValue(generation: generation, now: now), maxAge: sessionSeconds, path: "/admin", secure: true,
               httpOnly: true, sameSite: .strict)
    }

    static let expiredCookie = Cookie(name: cookieName, value: "", maxAge: 0, path: "/admin", secure: true, httpOnly: true, sameSite: .strict)

    /// A one-time sign-in code, valid for `linkLifetime` seconds.
    func loginCode(now: Date) -> String {
        let expiry = Int64(now.timeIntervalSince1970 + Self.linkLifetime)
        let nonce = Self.hex((0..<16).map { _ in UInt8.random(in: 0...255) })
        return "\(expiry).\(nonce).\(Self.hex(mac("link|\(expiry)|\(nonce)")))"
    }

    /// The nonce and expiry of a code this token signed that has not expired; whether it
    /// was used already is `AdminSessionStore.redeemOnce`'s to say.
    func verifiedCode(_ code: String, now: Date) -> (nonce: String, expiresAt: Date)? {
        let parts = code.split(separator: ".")
        guard parts.count == 3, let expiry = Int64(parts[0]), expiry >= Int64(now.timeIntervalSince1970), parts[1].count == 32,
              Self.constantTimeEqual(Array(Self.hex(mac("link|\(expiry)|\(parts[1])")).utf8), Array(parts[2].utf8)) else { return nil }
        return (String(parts[1]), Date(timeIntervalSince1970: TimeInterval(expiry + 1)))
    }
}
