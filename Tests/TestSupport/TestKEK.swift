import Foundation
import Payouts
import Webhooks

/// The key-encryption key (HONGBAO_KEK) of this test run: random, made when first used,
/// never written anywhere but the environment of the gateways and CLI runs the tests start.
public enum TestKEK {
    public static let base64 = random()

    /// Another key, made now (for tests of keys that do not match, and of replacing a key).
    public static func random() -> String { Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString() }

    public static var sealer: SecretSealer {
        // 32 bytes in base64 always make a key; a failure here is a broken test setup.
        try! SecretSealer(base64: base64)
    }
}
