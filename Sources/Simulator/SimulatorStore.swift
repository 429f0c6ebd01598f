import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    /// Writes `text` to `url` in a file born with `mode` (created so, under another name,
    /// then renamed): a private key is never readable by others, not even for a moment
    /// between writing it and changing its mode.
    private func write(_ text: String, to url: URL, mode: mode_t) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw SimulatorError("cannot create a file in \(url.deletingLastPathComponent().path)") }
        defer { unlink(temporary) }
        do {
            defer { close(fd) }
            // open's mode passes through the umask; the file's mode is exactly `mode`.
            guard fchmod(fd, mode) == 0 else { throw SimulatorError("cannot set the mode of \(temporary)") }
            let bytes = Array(text.utf8)
            var written = 0
            while written < bytes.count {
                let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw SimulatorError("cannot write \(temporary)") }
                written += n
            }
        }
        guard rename(temporary, url.path) == 0 else { throw SimulatorError("cannot create \(url.path)") }
    }
}
