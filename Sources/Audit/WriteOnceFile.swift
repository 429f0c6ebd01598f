import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Creates a file that must not exist yet — keys, checkpoints — and never replaces one.
/// The content goes to a temporary file beside it, is flushed to disk, and only then gets
/// its name with link(2), which fails when the name is taken; so a reader (a sync to
/// write-once storage) never sees half a file, and a second writer never overwrites the
/// first. Blocking: callers run it on a thread that may block.
public enum WriteOnceFile {
    /// Writes `bytes` as a new file at `path` with exactly `mode` (the umask does not apply).
    public static func create(_ path: String, bytes: [UInt8], mode: mode_t) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("cannot create a file in \(url.deletingLastPathComponent().path)") }
        defer { unlink(temporary) }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode) == 0 else { throw failure("cannot set the mode of \(temporary)") }
            var written = 0
            while written < bytes.count {
                let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw failure("cannot write \(temporary)") }
                written += n
            }
            guard fsync(fd) == 0 else { throw failure("cannot flush \(temporary) to disk") }
        }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { throw AuditError("file_exists", "\(path) exists; it is never overwritten (choose another name, or move it away first)") }
            throw failure("cannot create \(path)")
        }
        let directory = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 { _ = fsync(directory); close(directory) }
    }

    /// True when something (a file, a directory, a dangling link) has that name.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private static func failure(_ what: String) -> AuditError {
        AuditError("file_unwritable", "\(what): \(String(cString: strerror(errno)))")
    }
}
