import Foundation
import TOMLKit

/// Loads every `*.toml` in a merchants directory. All or nothing: any problem in any
/// file fails the load and lists every problem found.
public struct MerchantLoader: Sendable {
    public let directory: URL
    public let kinds: MerchantKinds
    public let environment: [String: String]

    public init(directory: URL, kinds: MerchantKinds = .standard, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.directory = directory
        self.kinds = kinds
        self.environment = environment
    }

    public func load(now: Date = Date()) throws(MerchantLoadFailure) -> [any MerchantConfig] {
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "toml" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw MerchantLoadFailure(errors: [MerchantLoadError(file: directory.path, field: nil, reason: "cannot read the merchants directory")])
        }
        var errors: [MerchantLoadError] = []
        var loaded: [any MerchantConfig] = []
        for file in files {
            do { loaded.append(try loadFile(file, now: now)) } catch let error as MerchantLoadError { errors.append(error) } catch {
                errors.append(MerchantLoadError(file: file.lastPathComponent, field: nil, reason: "\(error)"))
            }
        }
        errors += Self.duplicates(loaded) + Self.disagreeingCredentials(loaded)
        guard errors.isEmpty else { throw MerchantLoadFailure(errors: errors) }
        return loaded
    }

    /// One file; errors name the file and, where possible, the field.
    public func loadFile(_ file: URL, now: Date = Date()) throws -> any MerchantConfig {
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw MerchantLoadError(file: file.lastPathComponent, field: nil, reason: "cannot read the file")
        }
        return try load(text: text, as: file, now: now)
    }

    /// TOML text as if it were the file at `file` (relative paths resolve beside it).
    public func load(text: String, as file: URL, now: Date = Date()) throws -> any MerchantConfig {
        let name = file.lastPathComponent
        if let problem = TOMLPrecheck.problem(text) {
            throw MerchantLoadError(file: name, field: nil, reason: "not valid TOML: \(problem.reason) at line \(problem.line)")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw MerchantLoadError(file: name, field: nil, reason: "not valid TOML: \(error.description) at line \(error.source.begin.line)")
        }
        guard let kind = table["kind"]?.string else {
            throw MerchantLoadError(file: name, field: "kind", reason: "missing (known kinds: \(kinds.names.joined(separator: ", ")))")
        }
        guard let factory = kinds.factory(for: kind) else {
            throw MerchantLoadError(file: name, field: "kind", reason: "unknown kind \"\(kind)\" (known kinds: \(kinds.names.joined(separator: ", ")))")
        }
        do {
            return try factory(table, file, environment, now)
        } catch let error as MerchantLoadError {
            throw error
        } catch let error as DecodingError {
            throw Self.describe(error, file: name)
        } catch let error as UnexpectedKeysError {
            let keys = error.keys.keys.sorted().joined(separator: ", ")
            throw MerchantLoadError(file: name, field: keys, reason: "unknown field")
        }
    }

    static func describe(_ error: DecodingError, file: String) -> MerchantLoadError {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            // Some decoders already end the path with the missing key.
            let keys = context.codingPath.last?.stringValue == key.stringValue ? context.codingPath : context.codingPath + [key]
            return MerchantLoadError(file: file, field: path(keys), reason: "missing")
        case .typeMismatch(let type, let context):
            return MerchantLoadError(file: file, field: path(context.codingPath), reason: "expected \(type)")
        case .valueNotFound(let type, let context):
            return MerchantLoadError(file: file, field: path(context.codingPath), reason: "expected \(type)")
        case .dataCorrupted(let context):
            return MerchantLoadError(file: file, field: path(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return MerchantLoadError(file: file, field: nil, reason: "\(error)")
        }
    }

    public static func duplicates(_ merchants: [any MerchantConfig]) -> [MerchantLoadError] {
        var errors: [MerchantLoadError] = []
        var names: [String: String] = [:]
        var pairs: [String: String] = [:]
        for m in merchants {
            let file = m.source.lastPathComponent
            if let other = names[m.name] { errors.append(MerchantLoadError(file: file, field: "name", reason: "\"\(m.name)\" is also used by \(other)")) }
            names[m.name] = file
            for appid in m.appIDs {
                let pair = "\(m.merchantID)/\(appid.id)"
                if let other = pairs[pair] {
                    errors.append(MerchantLoadError(file: file, field: "appids", reason: "mch_id \(m.merchantID) with appid \(appid.id) is also in \(other)"))
                }
                pairs[pair] = file
            }
        }
        return errors
    }

    /// Entities that act as one merchant number at one endpoint (a provider's sub-merchants,
    /// or direct files sharing a mch_id) must agree on its APIv2 key and certificate: WeChat
    /// has one of each per merchant number, and the later file would silently win otherwise.
    public static func disagreeingCredentials(_ merchants: [any MerchantConfig]) -> [MerchantLoadError] {
        var errors: [MerchantLoadError] = []
        var first: [String: any MerchantConfig] = [:]
        for m in merchants {
            guard let other = first[m.credentials.signer] else { first[m.credentials.signer] = m; continue }
            let file = m.source.lastPathComponent, otherFile = other.source.lastPathComponent
            if m.credentials.identity.certificate != other.credentials.identity.certificate {
                errors.append(MerchantLoadError(file: file, field: "cert",
                                                reason: "mch_id \(m.credentials.merchantID) has another certificate in \(otherFile): one merchant number, one certificate"))
            }
            if m.credentials.apiKey.reveal() != other.credentials.apiKey.reveal() {
                errors.append(MerchantLoadError(file: file, field: "api_key",
                                                reason: "mch_id \(m.credentials.merchantID) has another APIv2 key in \(otherFile): one merchant number, one key"))
            }
        }
        return errors
    }
}
