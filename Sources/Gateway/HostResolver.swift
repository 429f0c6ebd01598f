import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Turns a host name into the numeric addresses it resolves to (a numeric host resolves to
/// itself). Tests substitute answers to play DNS rebinding.
public protocol HostResolver: Sendable {
    func addresses(of host: String) async throws -> [String]
}

/// The system resolver (getaddrinfo: /etc/hosts, then DNS). getaddrinfo blocks, so it runs
/// on a dispatch queue of its own, never on the cooperative pool.
public struct SystemResolver: HostResolver {
    static let queue = DispatchQueue(label: "hongbao-webhook-dns", attributes: .concurrent)

    public init() {}

    public func addresses(of host: String) async throws -> [String] {
        try await withCheckedThrowingContinuation { continuation in
            Self.queue.async { continuation.resume(with: Result { try Self.lookup(host) }) }
        }
    }

    static func lookup(_ host: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw GatewayError("unresolvable", "\(host) does not resolve (\(String(cString: gai_strerror(status))))")
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
        guard !addresses.isEmpty else { throw GatewayError("unresolvable", "\(host) has no address") }
        return addresses
    }
}
