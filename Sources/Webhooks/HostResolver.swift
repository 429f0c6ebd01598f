import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Turns a host name into the numeric addresses it resolves to (a numeric host resolves to
/// itself). Tests substitute answers to play DNS rebinding, or a name server that never answers.
public protocol HostResolver: Sendable {
    func addresses(of host: String) async throws -> [String]
}

/// The system resolver (getaddrinfo: /etc/hosts, then DNS).
///
/// getaddrinfo blocks and cannot be cancelled or given a deadline, so each lookup runs on a
/// thread of its own, never on the cooperative pool or a shared dispatch queue (where a few
/// lookups stuck on a silent name server would hold up everyone else's). Callers bound how
/// long they wait (`WebhookTargetGuard` races the lookup against a deadline); the thread of
/// an abandoned lookup ends when getaddrinfo gives up (resolv.conf's timeout × attempts).
/// What bounds those threads: lookups of one host share one thread, and at most
/// `maximumLookups` hosts are being looked up at once; past that a lookup fails at once
/// (`resolver_busy`: the attempt is retried later) instead of starting another thread.
public final class SystemResolver: HostResolver {
    /// Threads blocked in getaddrinfo at most, per resolver.
    public static let defaultMaximumLookups = 32

    public let maximumLookups: Int
    private let lookup: @Sendable (String) throws -> [String]
    /// The hosts being looked up, each with the callers waiting for its answer.
    private let running = Mutex<[String: [CheckedContinuation<[String], Error>]]>([:])

    public convenience init(maximumLookups: Int = SystemResolver.defaultMaximumLookups) {
        self.init(maximumLookups: maximumLookups, lookup: Self.lookup)
    }

    /// `lookup` stands in for getaddrinfo in tests (one that blocks until told).
    init(maximumLookups: Int, lookup: @escaping @Sendable (String) throws -> [String]) {
        precondition(maximumLookups >= 1, "a resolver needs room for one lookup")
        self.maximumLookups = maximumLookups
        self.lookup = lookup
    }

    /// Hosts being looked up right now (threads blocked in getaddrinfo).
    public var lookupsInProgress: Int { running.withLock { $0.count } }

    public func addresses(of host: String) async throws -> [String] {
        try await withCheckedThrowingContinuation { continuation in
            let start = running.withLock { running -> Bool? in
                if running[host] != nil {
                    running[host]!.append(continuation)
                    return false
                }
                guard running.count < maximumLookups else { return nil }
                running[host] = [continuation]
                return true
            }
            switch start {
            case nil:
                continuation.resume(throwing: WebhookError("resolver_busy", "\(maximumLookups) host names are being resolved already; \(host) was not looked up"))
            case false?:
                break
            case true?:
                let thread = Thread {
                    let result = Result { try self.lookup(host) }
                    let waiting = self.running.withLock { $0.removeValue(forKey: host) ?? [] }
                    for continuation in waiting { continuation.resume(with: result) }
                }
                thread.name = "hongbao-dns"
                thread.start()
            }
        }
    }

    static func lookup(_ host: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw WebhookError("unresolvable", "\(host) does not resolve (\(String(cString: gai_strerror(status))))")
        }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 {
                let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(address) { addresses.append(address) }
            }
            entry = current.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw WebhookError("unresolvable", "\(host) has no address") }
        return addresses
    }
}
