/// An immutable set of loaded entities, indexed by appid so routing costs an index
/// lookup plus the entities that serve that appid — never a scan of all entities.
public struct MerchantSnapshot: Sendable {
    public let merchants: [any MerchantConfig]
    /// appid → entities that serve it, in load order.
    private let byAppID: [String: [any MerchantConfig]]
    private let byName: [String: any MerchantConfig]
    /// Increases with every successful load (shown in logs and `merchant list`).
    public let generation: Int

    public init(_ merchants: [any MerchantConfig], generation: Int = 1) {
        self.merchants = merchants
        self.generation = generation
        var byAppID: [String: [any MerchantConfig]] = [:]
        for merchant in merchants {
            for appid in merchant.appIDs { byAppID[appid.id, default: []].append(merchant) }
        }
        self.byAppID = byAppID
        self.byName = Dictionary(merchants.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func serving(appID: String) -> [any MerchantConfig] { byAppID[appID] ?? [] }
    public func merchant(named name: String) -> (any MerchantConfig)? { byName[name] }
}
