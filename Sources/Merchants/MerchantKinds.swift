import Foundation
import TOMLKit

/// Kind name → factory. A new kind (say, a future APIv3 transfer merchant) registers
/// here; the loader, registry and router need no change.
public struct MerchantKinds: Sendable {
    public typealias Factory = @Sendable (_ table: TOMLTable, _ file: URL, _ environment: [String: String], _ now: Date) throws -> any MerchantConfig

    private var factories: [String: Factory]

    public init(_ factories: [String: Factory]) { self.factories = factories }

    /// The kinds this build knows.
    public static let standard = MerchantKinds([
        WeChatPayV2Merchant.kind: WeChatPayV2Merchant.load,
        WeChatPayV2PartnerMerchant.kind: WeChatPayV2PartnerMerchant.load,
    ])

    public var names: [String] { factories.keys.sorted() }

    func factory(for kind: String) -> Factory? { factories[kind] }
}
