import Crypto
import Foundation
import Merchants

/// A tenant API key: `hb_<mode>_<32 base62>_<6 base62 checksum>`.
///
/// The checksum (CRC-32 of everything before it, in base62) lets a malformed or mistyped
/// key be refused before any database lookup. The first 12 random characters, with the
/// prefix, form the `lookup` that finds the row; the row holds only the SHA-256 of the
/// whole key, compared in constant time.
public struct APIKey: Sendable, Equatable {
    public static let randomLength = 32
    public static let checksumLength = 6
    public static let lookupLength = 12
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    public let mode: MerchantMode
    public let random: String
    /// The whole key, as the tenant sends it.
    public let text: String

    /// A fresh key from the system CSPRNG.
    public static func generate(mode: MerchantMode) -> APIKey {
        let random = randomBase62(randomLength)
        let body = "hb_\(mode.rawValue)_\(random)"
        return APIKey(mode: mode, random: random, text: body + "_" + checksum(body))
    }

    /// `count` base62 characters from the system CSPRNG (also webhook secrets).
    public static func randomBase62(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] }, as: UTF8.self)
    }

    private init(mode: MerchantMode, random: String, text: String) {
        self.mode = mode
        self.random = random
        self.text = text
    }

    /// Parses and checks the checksum; nil for anything malformed (no database involved).
    public init?(parsing text: String) {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "hb", let mode = MerchantMode(rawValue: String(parts[1])),
              parts[2].utf8.count == Self.randomLength, parts[3].utf8.count == Self.checksumLength,
              parts[2].utf8.allSatisfy(Self.alphabet.contains), parts[3].utf8.allSatisfy(Self.alphabet.contains),
              Self.checksum("hb_\(mode.rawValue)_\(parts[2])") == parts[3] else { return nil }
        self.init(mode: mode, random: String(parts[2]), text: text)
    }

    /// What finds the key's row; safe to show and log.
    public var lookup: String { "hb_\(mode.rawValue)_" + random.prefix(Self.lookupLength) }

    /// What the database stores.
    public var hash: [UInt8] { Array(SHA256.hash(data: Data(text.utf8))) }

    static func checksum(_ body: String) -> String {
        var value = UInt64(CRC32.checksum(Array(body.utf8)))
        var digits: [UInt8] = []
        for _ in 0..<checksumLength {
            digits.append(alphabet[Int(value % 62)])
            value /= 62
        }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}

/// CRC-32 (IEEE 802.3), for key checksums only.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { crc, byte in table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    }
}
