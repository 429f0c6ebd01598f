import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The development cluster `make run` started for this folder (scripts/pg.sh writes its
/// URL to .hongbao/dev-database-url). A second terminal in the same folder then reaches
/// it without exporting anything: used only when neither DATABASE_URL nor any PG*
/// variable is set and the cluster answers on its port, and said in one line on stderr.
enum DevelopmentCluster {
    /// The app role's URL (every command), and the owner's (migrate).
    static func file(migrating: Bool) -> String { migrating ? ".hongbao/dev-migrate-database-url" : ".hongbao/dev-database-url" }
    /// libpq's connection variables: any of them set means the user chose a database.
    static let libpqVariables = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSERVICE", "PGSERVICEFILE", "PGPASSFILE"]

    /// The dev cluster's URL when it applies and is running, else nil. The file is trusted
    /// only as `make run` writes it — owned by this user, readable by nobody else (mode
    /// 0600), naming a cluster on loopback: a clone someone else prepared, or one that
    /// points elsewhere, must not steer this user's commands to a database of its choosing.
    static func url(environment: [String: String], migrating: Bool = false, directory: String = FileManager.default.currentDirectoryPath) -> String? {
        if environment["DATABASE_URL"] != nil || libpqVariables.contains(where: { environment[$0] != nil }) { return nil }
        let path = URL(fileURLWithPath: directory).appendingPathComponent(file(migrating: migrating)).path
        guard trusted(path), let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let url = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let components = URLComponents(string: url), let host = components.host, host == "127.0.0.1", let port = components.port,
              accepts(host: host, port: port) else { return nil }
        return url
    }

    /// A regular file (not a link) of this user's, with no permission for group or others.
    static func trusted(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return info.st_uid == getuid() && (info.st_mode & 0o077) == 0
    }

    /// True when something listens on host:port (a refused connect on loopback is immediate).
    static func accepts(host: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return false }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
