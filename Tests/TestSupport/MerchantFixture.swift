import Foundation
import Simulator

/// A throwaway merchants.d with certificates from a throwaway CA, for loader, router and
/// CLI tests. Every TOML value is raw text, so a test can break any field.
public final class MerchantFixture: Sendable {
    public let directory: URL
    public let secrets: URL
    public let ca: SimulatorCA

    public init() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hb-merchants-\(UUID())")
        directory = root.appendingPathComponent("merchants.d")
        secrets = root.appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
        ca = try SimulatorCA.generate()
    }

    /// The 32-character key every fixture entity uses unless told otherwise.
    public static let apiKey = "K3yK3yK3yK3yK3yK3yK3yK3yK3yK3y12"

    /// Writes a certificate + key for `mchId` and returns their paths.
    @discardableResult
    public func credentials(for name: String, mchId: String, apiKey: String = MerchantFixture.apiKey,
                            issued: SimulatorCA.Issued? = nil) throws -> (cert: String, key: String, apiKey: String) {
        let pair = try issued ?? ca.issueClient(merchantID: mchId)
        let cert = secrets.appendingPathComponent("\(name).cert.pem").path
        let key = secrets.appendingPathComponent("\(name).key.pem").path
        let keyFile = secrets.appendingPathComponent("\(name).apikey").path
        try pair.certificatePEM.write(toFile: cert, atomically: true, encoding: .utf8)
        try pair.keyPEM.write(toFile: key, atomically: true, encoding: .utf8)
        try apiKey.write(toFile: keyFile, atomically: true, encoding: .utf8)
        for secret in [key, keyFile] { try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secret) }
        return (cert, key, keyFile)
    }

    /// Replaces a secret file in `secrets/` (mode 0600, as the loader demands).
    public func writeSecret(_ text: String, named file: String) throws {
        let path = secrets.appendingPathComponent(file).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// The fields of a good entity, as raw TOML values (with fresh credentials from the fixture's CA).
    public func fields(name: String, mchId: String, appids: [(String, String)] = [("wx8888888888888888", "mp")]) throws -> [String: String] {
        let (cert, key, apiKey) = try credentials(for: name, mchId: mchId)
        return [
            "kind": "\"wechatpay.v2\"", "name": "\"\(name)\"", "mch_id": "\"\(mchId)\"",
            "appids": "[" + appids.map { "{ id = \"\($0.0)\", type = \"\($0.1)\" }" }.joined(separator: ", ") + "]",
            "send_name": "\"ACME\"", "api_key": "{ file = \"\(apiKey)\" }", "cert": "\"\(cert)\"", "key": "{ file = \"\(key)\" }",
            "base_url": "\"https://127.0.0.1:9443\"", "onboarded_on": "2025-01-01", "trading_since": "2025-01-01",
            "redpack_enabled": "true", "tenants": "[\"*\"]", "priority": "10", "weight": "1",
        ]
    }

    /// Writes `<name>.toml` from raw fields.
    public func write(_ name: String, _ fields: [String: String]) throws {
        let text = fields.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: "\n") + "\n"
        try text.write(to: directory.appendingPathComponent("\(name).toml"), atomically: true, encoding: .utf8)
    }

    /// A good entity, with optional changes to its fields.
    public func add(_ name: String, mchId: String, appids: [(String, String)] = [("wx8888888888888888", "mp")],
                    _ change: (inout [String: String]) -> Void = { _ in }) throws {
        var f = try fields(name: name, mchId: mchId, appids: appids)
        change(&f)
        try write(name, f)
    }

    /// An entity acting as a simulator account: the simulator's own certificate, key and
    /// API key, its base URL and CA, test mode.
    public func addSimulated(_ name: String, created: AccountCreatedBody, baseURL: String, caFile: String,
                             appids: [(String, String)] = [("wx8888888888888888", "mp")], _ change: (inout [String: String]) -> Void = { _ in }) throws {
        var f = try fields(name: name, mchId: created.mchId, appids: appids)
        try credentials(for: name, mchId: created.mchId, apiKey: created.apiKey,
                        issued: SimulatorCA.Issued(certificatePEM: created.certPem, keyPEM: created.keyPem))
        f["base_url"] = "\"\(baseURL)\""
        f["ca_file"] = "\"\(caFile)\""
        f["mode"] = "\"test\""
        change(&f)
        try write(name, f)
    }

    public func remove(_ name: String) throws {
        try FileManager.default.removeItem(at: directory.appendingPathComponent("\(name).toml"))
    }
}
