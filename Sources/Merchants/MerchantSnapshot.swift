/// An immutable set of loaded entities, indexed by appid so routing costs an index
/// lookup plus a few weighted draws — never a scan of all entities.
public struct MerchantSnapshot: Sendable {
    public let merchants: [any MerchantConfig]
    /// appid → entities that serve it, grouped by priority (ascending), weights prefix-summed.
    private let byAppID: [String: [PriorityGroup]]
    /// Increases with every successful load (shown in logs and `merchant list`).
    public let generation: Int
    private let byName: [String: any MerchantConfig]
    /// `MerchantCredentials.signer` → the names of the entities that sign as it.
    private let bySigner: [String: [String]]

    /// Entities of one priority serving one appid, with cumulative weights for sampling
    /// and a flat `RoutingProfile` each, so the hot path reads contiguous values.
    public struct PriorityGroup: Sendable {
        public let priority: Int
        public let merchants: [any MerchantConfig]
        let profiles: [RoutingProfile]
        /// cumulativeWeights[i] = Σ weight of merchants[0...i].
        let cumulativeWeights: [Int]

        init(priority: Int, merchants: [any MerchantConfig], appID: String) {
            self.priority = priority
            self.merchants = merchants
            self.profiles = merchants.map { RoutingProfile($0, appID: appID) }
            var total = 0
            self.cumulativeWeights = merchants.map { total += $0.weight; return total }
        }
    }

    public init(_ merchants: [any MerchantConfig], generation: Int = 1) {
        self.merchants = merchants
        self.generation = generation
        self.byName = Dictionary(merchants.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.bySigner = Dictionary(grouping: merchants, by: \.credentials.signer).mapValues { $0.map(\.name) }
        var serving: [String: [any MerchantConfig]] = [:]
        for merchant in merchants {
            for appid in merchant.appIDs { serving[appid.id, default: []].append(merchant) }
        }
        self.byAppID = Dictionary(uniqueKeysWithValues: serving.map { appID, list in
            (appID, Dictionary(grouping: list, by: \.priority).sorted { $0.key < $1.key }.map { PriorityGroup(priority: $0.key, merchants: $0.value, appID: appID) })
        })
    }

    /// The entity named `name` (a payout's recorded entity, for its later calls).
    public func merchant(named name: String) -> (any MerchantConfig)? { byName[name] }

    /// The entities that sign as `merchant` does, itself included: what WeChat says about
    /// its certificate, key or request rate is about all of them.
    public func sharingSigner(with merchant: any MerchantConfig) -> [String] { bySigner[merchant.credentials.signer] ?? [merchant.name] }

    /// Every entity serving `appID`, best priority first.
    public func serving(appID: String) -> [any MerchantConfig] { groups(appID: appID).flatMap(\.merchants) }
    public func groups(appID: String) -> [PriorityGroup] { byAppID[appID] ?? [] }
}
