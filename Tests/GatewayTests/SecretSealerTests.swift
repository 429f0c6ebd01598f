import Foundation
@testable import Gateway
import Testing

/// Sealing what the database holds under HONGBAO_KEK (AES-256-GCM, bound to its record).
@Suite("Secret sealer")
struct SecretSealerTests {
    static func randomKey() -> String { Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }).base64EncodedString() }

    @Test("a sealed secret opens under its key for its record, and nowhere holds the plaintext")
    func roundTrip() throws {
        let sealer = try SecretSealer(base64: Self.randomKey())
        let secret = "whsec_" + String(repeating: "Ab3", count: 10) + "xy"
        let sealed = try sealer.seal(secret, context: "webhook:1")
        #expect(try sealer.open(sealed, context: "webhook:1") == secret)
        #expect(sealed.count == 1 + 4 + 12 + secret.utf8.count + 16)
        #expect(sealed.firstRange(of: Array(secret.utf8)) == nil)
        #expect(try sealer.seal(secret, context: "webhook:1") != sealed, "a fresh nonce each time")
    }

    @Test("another key is named as such; another record, a changed byte or a cut value do not open")
    func refusals() throws {
        let sealer = try SecretSealer(base64: Self.randomKey())
        let other = try SecretSealer(base64: Self.randomKey())
        let sealed = try sealer.seal("whsec_secret", context: "webhook:1")
        let wrongKey = #expect(throws: GatewayError.self) { try other.open(sealed, context: "webhook:1") }
        #expect(wrongKey?.code == "sealed_secret_other_key" && wrongKey?.message.contains(sealer.keyID) == true && wrongKey?.message.contains(other.keyID) == true)
        let moved = #expect(throws: GatewayError.self) { try sealer.open(sealed, context: "webhook:2") }
        #expect(moved?.code == "sealed_secret_unreadable")
        for index in [5, 17, sealed.count - 1] {
            var altered = sealed
            altered[index] ^= 0x01
            #expect(throws: GatewayError.self, "byte \(index) altered") { try sealer.open(altered, context: "webhook:1") }
        }
        #expect(throws: GatewayError.self) { try sealer.open(Array(sealed.prefix(20)), context: "webhook:1") }
        var otherVersion = sealed
        otherVersion[0] = 2
        #expect(throws: GatewayError.self) { try sealer.open(otherVersion, context: "webhook:1") }
    }

    @Test("HONGBAO_KEK must be 32 bytes in base64; unset is nil, not a default key")
    func environment() throws {
        #expect(try SecretSealer.fromEnvironment([:]) == nil)
        #expect(try SecretSealer.fromEnvironment(["HONGBAO_KEK": ""]) == nil)
        for bad in ["not base64!", Data(count: 16).base64EncodedString(), Data(count: 33).base64EncodedString()] {
            let error = #expect(throws: GatewayError.self) { try SecretSealer.fromEnvironment(["HONGBAO_KEK": bad]) }
            #expect(error?.message.contains("32 random bytes in base64") == true)
            #expect(error?.message.contains(bad) == false, "the value is not echoed")
        }
        let key = Self.randomKey()
        let sealer = try #require(try SecretSealer.fromEnvironment(["HONGBAO_KEK": key + "\n"]))
        #expect(sealer.keyID.count == 8)
        #expect(try sealer.open(try SecretSealer(base64: key).seal("x", context: "c"), context: "c") == "x")
    }
}
