import Foundation

/// The simulator's state directory: CA and server certificate (PEM files, so clients can
/// point at `ca.pem`); the ledger's `snapshot.bin` and `journal-*.log` live beside them.
struct SimulatorStore: Sendable {
    let directory: URL

    var caFile: URL { directory.appendingPathComponent("ca.pem") }
    private var caKeyFile: URL { directory.appendingPathComponent("ca-key.pem") }
    private var serverFile: URL { directory.appendingPathComponent("server.pem") }
    private var serverKeyFile: URL { directory.appendingPathComponent("server-key.pem") }

    /// Loads the CA and server identity, creating them on first use.
    func identities() throws -> (ca: SimulatorCA, server: SimulatorCA.Issued) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ca: SimulatorCA
        if let cert = try? String(contentsOf: caFile, encoding: .utf8), let key = try? String(contentsOf: caKeyFile, encoding: .utf8) {
            ca = SimulatorCA(certificatePEM: cert, keyPEM: key)
        } else {
            ca = try SimulatorCA.generate()
            try write(ca.certificatePEM, to: caFile, mode: 0o644)
            try write(ca.keyPEM, to: caKeyFile, mode: 0o600)
        }
        if let cert = try? String(contentsOf: serverFile, encoding: .utf8), let key = try? String(contentsOf: serverKeyFile, encoding: .utf8) {
            return (ca, SimulatorCA.Issued(certificatePEM: cert, keyPEM: key))
        }
        let server = try ca.issueServer()
        try write(server.certificatePEM, to: serverFile, mode: 0o644)
        try write(server.keyPEM, to: serverKeyFile, mode: 0o600)
        return (ca, server)
    }

    private func write(_ text: String, to url: URL, mode: Int) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }
}
