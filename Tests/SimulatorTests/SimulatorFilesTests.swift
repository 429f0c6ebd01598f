import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Simulator
import Testing
import TestSupport

@Suite("Simulator state files")
struct SimulatorFilesTests {
    @Test("the CA's and the server's private keys are born 0600: their modes never change after they appear, and others never read them")
    func keysBornPrivate() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-simfiles-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Every change to a name in the directory, as the kernel reports it.
        let watch = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        #expect(watch >= 0)
        defer { close(watch) }
        #expect(inotify_add_watch(watch, directory.path, UInt32(IN_ATTRIB | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)) >= 0)
        _ = try SimulatorStore(directory: directory).identities()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let length = read(watch, &buffer, buffer.count)
        #expect(length > 0)
        var modeChanged: [String] = []
        var offset = 0
        while offset < max(0, length) {
            let event = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: inotify_event.self) }
            let nameStart = offset + MemoryLayout<inotify_event>.size
            let name = String(decoding: buffer[nameStart..<(nameStart + Int(event.len))].prefix { $0 != 0 }, as: UTF8.self)
            if event.mask & UInt32(IN_ATTRIB) != 0, name.hasSuffix("key.pem") { modeChanged.append(name) }
            offset = nameStart + Int(event.len)
        }
        #expect(modeChanged.isEmpty, "a private key's mode changed after it appeared: \(modeChanged)")
        for name in ["ca-key.pem", "server-key.pem"] {
            var info = stat()
            #expect(stat(directory.appendingPathComponent(name).path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600, "\(name): \(String(info.st_mode & 0o777, radix: 8))")
        }
    }
}
