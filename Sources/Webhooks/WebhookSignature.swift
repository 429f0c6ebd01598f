import Crypto
import Foundation

/// The `Hongbao-Signature` header of a delivery: `t=<unix seconds>,v1=<hex>` where hex is
/// HMAC-SHA256 with the endpoint's secret over `"<t>." + body` (the exact bytes sent).
/// The timestamp is signed too, so a receiver that rejects old timestamps (5 minutes is
/// the documented tolerance) also rejects replays.
public enum WebhookSignature {
    public static let headerName = "Hongbao-Signature"

    public static func header(secret: WebhookSecret, timestamp: Int64, body: [UInt8]) -> String {
        "t=\(timestamp),v1=\(hex(secret: secret, timestamp: timestamp, body: body))"
    }

    static func hex(secret: WebhookSecret, timestamp: Int64, body: [UInt8]) -> String {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.text.utf8)))
        hmac.update(data: Array("\(timestamp).".utf8))
        hmac.update(data: body)
        return hmac.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
