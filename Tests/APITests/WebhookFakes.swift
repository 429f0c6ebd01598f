import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import TestSupport
import Webhooks

/// Answers a host name with fixed addresses, as a DNS server (or an attacker's) might.
final class FakeResolver: HostResolver {
    private let answers: Mutex<[String: [String]]>

    init(_ answers: [String: [String]]) { self.answers = Mutex(answers) }

    func set(_ host: String, _ addresses: [String]) { answers.withLock { $0[host] = addresses } }

    func addresses(of host: String) async throws -> [String] {
        guard let addresses = answers.withLock({ $0[host] }) else { throw WebhookError("unresolvable", "\(host) does not resolve") }
        return addresses
    }
}

/// A TCP listener on 127.0.0.1 that never accepts: the kernel completes each handshake into
/// the backlog, the request is sent, and no byte ever comes back — a receiver that hangs
/// without any code of ours running. Closing it resets what waited.
final class BlackHole: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSetupError("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        guard bound == 0, listen(descriptor, 256) == 0 else { throw TestSetupError("bind/listen: \(errno)") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}

/// Literal addresses resolve to themselves; the names in `silent` never get an answer (a
/// name server that does not reply: the lookup ignores cancellation, as getaddrinfo does,
/// and gives up after a minute).
struct StallingResolver: HostResolver {
    let silent: Set<String>

    func addresses(of host: String) async throws -> [String] {
        guard silent.contains(host) else { return [host] }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + 60) { done.resume() }
        }
        throw WebhookError("unresolvable", "\(host) does not resolve (Temporary failure in name resolution)")
    }
}
