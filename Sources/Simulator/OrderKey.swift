/// A merchant order number (mch_billno ≤ 28, partner_trade_no ≤ 32 characters, both
/// [0-9a-zA-Z]) packed into 32 inline bytes, zero-padded: a stored record needs no heap
/// allocation for its key, and hashing is four words.
struct OrderKey: Hashable, Sendable, CustomStringConvertible {
    static let capacity = 32
    private(set) var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// Nil for the empty string, more than 32 bytes, or a NUL byte (never valid anyway).
    init?(_ text: String) {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= Self.capacity, !bytes.contains(0) else { return nil }
        withUnsafeMutableBytes(of: &words) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
    }

    init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    var description: String {
        withUnsafeBytes(of: words) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    static func == (a: OrderKey, b: OrderKey) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

/// Short text stored inline when it fits in 32 bytes (openids are 28 ASCII characters), so a
/// stored record needs no heap allocation for it; longer text keeps a String.
enum CompactText: Sendable, Equatable, CustomStringConvertible {
    case inline(OrderKey)
    case text(String)

    init(_ text: String) {
        if let key = OrderKey(text) { self = .inline(key) } else { self = .text(text) }
    }

    var description: String {
        switch self {
        case .inline(let key): key.description
        case .text(let text): text
        }
    }
}
