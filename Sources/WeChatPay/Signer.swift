import Crypto
import Foundation

/// WeChat Pay v2 signatures (reference §2.1): drop `sign` and empty values, sort names
/// by byte order, join `name=value` with `&`, append `&key=KEY`, hash, uppercase hex.
public enum Signer {
    public enum Algorithm: String, Sendable {
        case md5 = "MD5"
        case hmacSHA256 = "HMAC-SHA256"
    }

    /// The string that is hashed, without the key suffix (exposed for tests and debugging).
    public static func canonicalString(_ parameters: [String: String]) -> String {
        parameters
            .filter { $0.key != "sign" && !$0.value.isEmpty }
            .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: "&")
    }

    public static func sign(_ parameters: [String: String], key: String, algorithm: Algorithm = .md5) -> String {
        let message = Data((canonicalString(parameters) + "&key=" + key).utf8)
        switch algorithm {
        case .md5:
            return hex(Insecure.MD5.hash(data: message))
        case .hmacSHA256:
            return hex(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(key.utf8))))
        }
    }

    /// Constant-time comparison of a received signature with the expected one.
    public static func verify(_ parameters: [String: String], key: String, algorithm: Algorithm = .md5) -> Bool {
        guard let received = parameters["sign"] else { return false }
        let expected = sign(parameters, key: key, algorithm: algorithm)
        let a = Array(received.uppercased().utf8), b = Array(expected.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// 32 characters from [A-Za-z0-9], from the system CSPRNG.
    public static func nonce(length: Int = 32) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
