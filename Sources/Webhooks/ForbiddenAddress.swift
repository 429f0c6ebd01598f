import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Address ranges a webhook must never reach unless the operator allows private targets:
/// otherwise a tenant could make the gateway call services inside its own network (SSRF).
/// `reason` names the range, for the operator's log: a tenant is told only "not a public
/// address" (`WebhookTargetGuard`), so registration cannot map the operator's network.
public enum ForbiddenAddress {
    /// Why `address` (numeric IPv4 or IPv6) is refused, or nil when it is a public address.
    /// Anything that does not parse is refused.
    public static func reason(_ address: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return reason(ipv4: UInt32(bigEndian: v4.s_addr))
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return "not an IP address" }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        return reason(ipv6: bytes)
    }

    /// (network, prefix length, what it is), IPv4.
    static let ipv4Ranges: [(UInt32, Int, String)] = [
        (0x0000_0000, 8, "a \"this network\" address (0.0.0.0/8)"),
        (0x0A00_0000, 8, "a private address (10.0.0.0/8)"),
        (0x6440_0000, 10, "a carrier-grade NAT address (100.64.0.0/10)"),
        (0x7F00_0000, 8, "a loopback address (127.0.0.0/8)"),
        (0xA9FE_0000, 16, "a link-local address (169.254.0.0/16)"),
        (0xAC10_0000, 12, "a private address (172.16.0.0/12)"),
        (0xC000_0000, 24, "an IETF protocol address (192.0.0.0/24)"),
        (0xC0A8_0000, 16, "a private address (192.168.0.0/16)"),
        (0xC612_0000, 15, "a benchmarking address (198.18.0.0/15)"),
        (0xE000_0000, 4, "a multicast address (224.0.0.0/4)"),
        (0xF000_0000, 4, "a reserved address (240.0.0.0/4)"),
    ]

    static func reason(ipv4 value: UInt32) -> String? {
        ipv4Ranges.first { network, length, _ in value >> (32 - length) == network >> (32 - length) }?.2
    }

    static func reason(ipv6 bytes: [UInt8]) -> String? {
        if bytes.allSatisfy({ $0 == 0 }) { return "the unspecified address (::)" }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return "a loopback address (::1)" }
        // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses reach the IPv4 address inside.
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
        let nat64 = bytes[0..<12].elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0])
        if mapped || nat64 || bytes[0..<12].allSatisfy({ $0 == 0 }) {
            let v4 = bytes[12..<16].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return reason(ipv4: v4).map { "\($0), inside an IPv6 address" }
        }
        // Local-use NAT64 (RFC 8215): the operator's own translator, whatever the IPv4 inside.
        if bytes[0..<6].elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01]) { return "a local-use NAT64 address (64:ff9b:1::/48)" }
        // 6to4 (RFC 3056) carries an IPv4 address in bytes 2–5; a relay would reach it.
        if bytes[0] == 0x20 && bytes[1] == 0x02 {
            let v4 = bytes[2..<6].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return reason(ipv4: v4).map { "\($0), inside a 6to4 address (2002::/16)" }
        }
        // Teredo (RFC 4380) hides its IPv4 addresses (one XOR-ed) and is long retired: refused whole.
        if bytes[0..<4].elementsEqual([0x20, 0x01, 0x00, 0x00]) { return "a Teredo address (2001::/32)" }
        if bytes[0] & 0xFE == 0xFC { return "a unique local address (fc00::/7)" }
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return "a link-local address (fe80::/10)" }
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0xC0 { return "a site-local address (fec0::/10)" }
        if bytes[0] == 0xFF { return "a multicast address (ff00::/8)" }
        if bytes[0..<4].elementsEqual([0x20, 0x01, 0x0D, 0xB8]) { return "a documentation address (2001:db8::/32)" }
        return nil
    }
}
