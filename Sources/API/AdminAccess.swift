import Crypto
import Foundation
import Hummingbird
import Synchronization
import Transport

/// Who may see /admin: whoever presents the admin token (`Authorization: Bearer …`) or a
/// session cookie it signed. Comparisons are constant-time; the token is never logged,
/// never put in a URL, and never stored in the cookie.
///
/// - Session cookie `hongbao_admin`: `v1.<expiry>.<HMAC-SHA256(expiry)>` under a key
///   derived from the token — stateless, so every gateway instance behind a load balancer
///   accepts it, and changing the token signs everyone out. HttpOnly, SameSite=Strict,
///   Path=/admin; Secure when the request came over HTTPS (X-Forwarded-Proto).
/// - Login links for browsers that cannot send a header (headless Chromium, a bookmark
///   from a script): `POST /admin/login-link` with the bearer token answers a path
///   `/admin/login?code=…`, valid for 60 seconds and once (per instance).
public final class AdminAccess: Sendable {
    public static let cookieName = "hongbao_admin"
    static let linkLifetime: TimeInterval = 60

    private let tokenDigest: [UInt8]
    private let signingKey: [UInt8]
    let sessionSeconds: Int
    /// Redeemed login codes until they expire (so each works once).
    private let redeemed = Mutex<[String: Date]>([:])

    public init(token: Secret, sessionSeconds: Int = 12 * 3600) {
        let bytes = Array(token.reveal().utf8)
        tokenDigest = Array(SHA256.hash(data: bytes))
        signingKey = Array(SHA256.hash(data: Array("hongbao admin session v1\u{0}".utf8) + bytes))
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

    func allows(_ request: Request, now: Date = Date()) -> Bool {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return tokenMatches(String(parts[1])) }
            return false
        }
        if let cookie = request.cookies[Self.cookieName] { return validSession(cookie.value, now: now) }
        return false
    }

    private func mac(_ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: signingKey)))
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    func sessionValue(now: Date) -> String {
        let expiry = Int64(now.timeIntervalSince1970) + Int64(sessionSeconds)
        return "v1.\(expiry).\(Self.hex(mac("session|\(expiry)")))"
    }

    func validSession(_ value: String, now: Date) -> Bool {
        let parts = value.split(separator: ".")
        guard parts.count == 3, parts[0] == "v1", let expiry = Int64(parts[1]), expiry > Int64(now.timeIntervalSince1970) else { return false }
        return Self.constantTimeEqual(Array(Self.hex(mac("session|\(expiry)")).utf8), Array(parts[2].utf8))
    }

    func sessionCookie(now: Date, secure: Bool) -> Cookie {
        Cookie(name: Self.cookieName, value: sessionValue(now: now), maxAge: sessionSeconds, path: "/admin", secure: secure, httpOnly: true, sameSite: .strict)
    }

    static func expiredCookie(secure: Bool) -> Cookie {
        Cookie(name: cookieName, value: "", maxAge: 0, path: "/admin", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// A one-time login code, valid for `linkLifetime` seconds.
    func loginCode(now: Date) -> String {
        let expiry = Int64(now.timeIntervalSince1970 + Self.linkLifetime)
        let nonce = Self.hex((0..<16).map { _ in UInt8.random(in: 0...255) })
        return "\(expiry).\(nonce).\(Self.hex(mac("link|\(expiry)|\(nonce)")))"
    }

    /// True once for a valid, unexpired code.
    func redeem(_ code: String, now: Date) -> Bool {
        let parts = code.split(separator: ".")
        guard parts.count == 3, let expiry = Int64(parts[0]), expiry >= Int64(now.timeIntervalSince1970),
              Self.constantTimeEqual(Array(Self.hex(mac("link|\(expiry)|\(parts[1])")).utf8), Array(parts[2].utf8)) else { return false }
        return redeemed.withLock { used in
            used = used.filter { $0.value > now }
            guard used[code] == nil else { return false }
            used[code] = Date(timeIntervalSince1970: TimeInterval(expiry + 1))
            return true
        }
    }
}
