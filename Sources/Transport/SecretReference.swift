import Foundation

/// Where a secret lives: `{ file = "/path" }` or `{ env = "NAME" }`. Never inline.
public enum SecretReference: Sendable, Equatable, Decodable {
    case file(String)
    case environment(String)

    private enum Keys: String, CodingKey { case file, env }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let file = try container.decodeIfPresent(String.self, forKey: .file)
        let env = try container.decodeIfPresent(String.self, forKey: .env)
        switch (file, env) {
        case (let file?, nil): self = .file(file)
        case (nil, let env?): self = .environment(env)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "must be { file = \"…\" } or { env = \"…\" }, exactly one"))
        }
    }

    /// Reads the secret; relative files resolve against `base`. Like ssh, a file that its
    /// group or others may read is refused (the fix is named). The error never contains the value.
    public func resolve(relativeTo base: URL, environment: [String: String]) throws(SecretUnavailable) -> Secret {
        switch self {
        case .file(let path):
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
            var info = stat()
            if stat(url.path, &info) == 0, info.st_mode & 0o077 != 0 {
                throw SecretUnavailable(reason: "\(url.path) is accessible by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); "
                                        + "secrets must be private: run `chmod 600 \(url.path)`")
            }
            guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
                throw SecretUnavailable(reason: "cannot read file \(url.path)")
            }
            return Secret(text.trimmingCharacters(in: .whitespacesAndNewlines))
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else { throw SecretUnavailable(reason: "environment variable \(name) is not set") }
            return Secret(value)
        }
    }

    public var location: String {
        switch self {
        case .file(let path): "file \(path)"
        case .environment(let name): "env \(name)"
        }
    }
}

public struct SecretUnavailable: Error, Sendable {
    public let reason: String
}
