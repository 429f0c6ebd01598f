import Foundation
@testable import Payouts
import Testing
import TestSupport
@testable import Webhooks

/// Sealing what the database holds under HONGBAO_KEK (AES-256-GCM, bound to its record).
@Suite("Secret sealer")
struct SecretSealerTests {
    @Test("a sealed secret opens under its key for its record, and nowhere holds the plaintext")
    func roundTrip() throws {
        let sealer = try SecretSealer(base64: TestKEK.random())
        let secret = "whsec_" + String(repeating: "Ab3", count: 10) + "xy"
        let sealed = try sealer.seal(secret, context: "webhook:1")
        #expect(try sealer.open(sealed, context: "webhook:1") == secret)
        #expect(sealed.count == 1 + 4 + 12 + secret.utf8.count + 16)
        #expect(sealed.firstRange(of: Array(secret.utf8)) == nil)
        #expect(try sealer.seal(secret, context: "webhook:1") != sealed, "a fresh nonce each time")
    }

    @Test("another key is named as such; another record, a changed byte or a cut value do not open")
    func refusals() throws {
        let sealer = try SecretSealer(base64: TestKEK.random())
        let other = try SecretSealer(base64: TestKEK.random())
        let sealed = try sealer.seal("whsec_secret", context: "webhook:1")
        let wrongKey = #expect(throws: WebhookError.self) { try other.open(sealed, context: "webhook:1") }
        #expect(wrongKey?.code == "sealed_secret_other_key" && wrongKey?.message.contains(sealer.keyID) == true && wrongKey?.message.contains(other.keyID) == true)
        let moved = #expect(throws: WebhookError.self) { try sealer.open(sealed, context: "webhook:2") }
        #expect(moved?.code == "sealed_secret_unreadable")
        for index in [5, 17, sealed.count - 1] {
            var altered = sealed
            altered[index] ^= 0x01
            #expect(throws: WebhookError.self, "byte \(index) altered") { try sealer.open(altered, context: "webhook:1") }
        }
        #expect(throws: WebhookError.self) { try sealer.open(Array(sealed.prefix(20)), context: "webhook:1") }
        var otherVersion = sealed
        otherVersion[0] = 2
        #expect(throws: WebhookError.self) { try sealer.open(otherVersion, context: "webhook:1") }
    }

    @Test("HONGBAO_KEK must be 32 bytes in base64; unset is nil, not a default key")
    func environment() throws {
        #expect(try SecretSealer.fromEnvironment([:]) == nil)
        #expect(try SecretSealer.fromEnvironment(["HONGBAO_KEK": ""]) == nil)
        for bad in ["not base64!", Data(count: 16).base64EncodedString(), Data(count: 33).base64EncodedString()] {
            let error = #expect(throws: WebhookError.self) { try SecretSealer.fromEnvironment(["HONGBAO_KEK": bad]) }
            #expect(error?.message.contains("32 random bytes in base64") == true)
            #expect(error?.message.contains(bad) == false, "the value is not echoed")
        }
        let key = TestKEK.random()
        let sealer = try #require(try SecretSealer.fromEnvironment(["HONGBAO_KEK": key + "\n"]))
        #expect(sealer.keyID.count == 8)
        #expect(try sealer.open(try SecretSealer(base64: key).seal("x", context: "c"), context: "c") == "x")
    }

    @Test("known answer: a value sealed by an independent AES-256-GCM (Python's cryptography) under a fixed test key opens; the key id is SHA-256's first 4 bytes")
    func knownAnswer() throws {
        // A key made for this test only (bytes 0…31), never one of a real deployment.
        let sealer = try SecretSealer(base64: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        #expect(sealer.keyID == "630dcd29")
        let hex = "01630dcd296465666768696a6b6c6d6e6f3f73ad031ab63df0511531b7bb0b198a27b018db2890c4d6f1a95a46db7fdeadb5c4"
        let sealed = stride(from: 0, to: hex.count, by: 2).map { i in
            UInt8(hex[hex.index(hex.startIndex, offsetBy: i)..<hex.index(hex.startIndex, offsetBy: i + 2)], radix: 16)!
        }
        #expect(try sealer.open(sealed, context: "webhook_endpoints.secret_sealed:00000000-0000-0000-0000-000000000001") == "whsec_known_answer")
        #expect(sealer.isCurrent(sealed))
    }

    @Test("HONGBAO_KEK_PREVIOUS opens what earlier keys sealed; new values are sealed under HONGBAO_KEK only; a changed header does not open")
    func previousKeys() throws {
        let (old, new) = (TestKEK.random(), TestKEK.random())
        let before = try SecretSealer(base64: old)
        let sealed = try before.seal("whsec_rotated", context: "webhook:9")
        let after = try #require(try SecretSealer.fromEnvironment(["HONGBAO_KEK": new, "HONGBAO_KEK_PREVIOUS": TestKEK.random() + "," + old]))
        #expect(try after.open(sealed, context: "webhook:9") == "whsec_rotated")
        #expect(!after.isCurrent(sealed) && before.isCurrent(sealed))
        let resealed = try after.seal("whsec_rotated", context: "webhook:9")
        #expect(after.isCurrent(resealed))
        #expect(throws: WebhookError.self, "the old key alone cannot open what the new one sealed") { try before.open(resealed, context: "webhook:9") }
        let onlyPrevious = #expect(throws: WebhookError.self) { try SecretSealer.fromEnvironment(["HONGBAO_KEK_PREVIOUS": old]) }
        #expect(onlyPrevious?.message == "HONGBAO_KEK_PREVIOUS is set without HONGBAO_KEK")
        // The key id is covered by the tag: pointing it at another key the sealer has fails to open.
        let other = try SecretSealer(base64: new, previous: [old])
        var relabelled = try SecretSealer(base64: new).seal("x", context: "c")
        let oldID = try SecretSealer(base64: old).seal("x", context: "c")[1..<5]
        relabelled.replaceSubrange(1..<5, with: oldID)
        let refused = #expect(throws: WebhookError.self) { try other.open(relabelled, context: "c") }
        #expect(refused?.code == "sealed_secret_unreadable")
    }
}
