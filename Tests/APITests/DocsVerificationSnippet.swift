import Crypto
import Foundation

/// docs/webhooks.md's Swift verification code, verbatim (inside this namespace), so the
/// snippet tenants paste is proven against real deliveries.
enum DocsVerificationSnippet {
    static func verify(secret: String, header: String, body: [UInt8], tolerance: Int64 = 300) -> Bool {
        var parts: [Substring: Substring] = [:]
        for item in header.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { parts[pair[0]] = pair[1] }
        }
        guard let t = parts["t"], let timestamp = Int64(t), let v1 = parts["v1"],
              abs(Int64(Date().timeIntervalSince1970) - timestamp) <= tolerance else { return false }
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(t).".utf8) + body, using: key)
        let expected = mac.map { String(format: "%02x", $0) }.joined()
        return expected.utf8.count == v1.utf8.count && zip(expected.utf8, v1.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
