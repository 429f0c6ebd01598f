import Foundation
import Simulator
import WeChatPay

extension GatewayHarness {
    /// A service provider (服务商) as a simulator account with sub-merchants, and one
    /// `wechatpay.v2.partner` file per sub-merchant the gateway should know.
    public struct Provider: Sendable {
        public var mchId: String
        public var balanceFen: Int64
        public var subMerchants: [SubMerchant]

        public init(mchId: String, balanceFen: Int64 = 1_000_000, subMerchants: [SubMerchant]) {
            self.mchId = mchId
            self.balanceFen = balanceFen
            self.subMerchants = subMerchants
        }
    }

    /// One sub-merchant: what merchants.d says of it, and what WeChat (the simulator) knows.
    public struct SubMerchant: Sendable {
        public var name: String
        public var subMchId: String
        public var msgAppID: String
        public var priority: Int
        public var balanceFen: Int64
        public var limits: String?
        /// False: the provider has no such sub-merchant at WeChat (ACCEPTMODE_ERROR).
        public var boundAtWeChat: Bool
        /// False: WeChat has not bound its msgappid (MSGAPPID_ERROR).
        public var msgAppIDBound: Bool

        public init(_ name: String, subMchId: String, msgAppID: String = "wx3a3a3a3a3a3a3a3a", priority: Int = 10, balanceFen: Int64 = 1_000_000,
                    limits: String? = nil, boundAtWeChat: Bool = true, msgAppIDBound: Bool = true) {
            self.name = name
            self.subMchId = subMchId
            self.msgAppID = msgAppID
            self.priority = priority
            self.balanceFen = balanceFen
            self.limits = limits
            self.boundAtWeChat = boundAtWeChat
            self.msgAppIDBound = msgAppIDBound
        }
    }

    /// Creates each provider in the simulator and writes its sub-merchants' files (test mode).
    static func register(_ providers: [Provider], sim: SimulatorHarness, fixture: MerchantFixture) async throws -> [String: AccountCreatedBody] {
        var created: [String: AccountCreatedBody] = [:]
        for provider in providers {
            let account = try await createAccount(provider, sim: sim)
            created[provider.mchId] = account
            for sub in provider.subMerchants {
                try fixture.addSimulatedPartner(sub, created: account, sim: sim)
            }
        }
        return created
    }

    /// The provider as a simulator account only: merchants.d is left as it is (a test that
    /// re-points a file at it writes that file itself).
    public static func createAccount(_ provider: Provider, sim: SimulatorHarness) async throws -> AccountCreatedBody {
        let day = BusinessDay(iso: "2025-01-01")!
        var spec = SimulatorHarness.qualifiedSpec(mchId: provider.mchId, balanceFen: provider.balanceFen)
        spec.subMerchants = provider.subMerchants.filter(\.boundAtWeChat).map { sub in
            // An unbound msgappid: the sub-merchant at WeChat has another appid.
            let appid = sub.msgAppIDBound ? sub.msgAppID : "wx0f0f0f0f0f0f0f0f"
            return SimSubMerchantSpec(subMchId: sub.subMchId, appids: [.init(id: appid, type: .officialAccount)], onboardedOn: day, tradingSince: day,
                                      balanceFen: sub.balanceFen)
        }
        return try await sim.control("POST", "/_sim/accounts", body: spec)
    }
}

extension MerchantFixture {
    /// `sub`'s file, sending as the simulator provider account `created` (written over any
    /// file of the same name).
    public func addSimulatedPartner(_ sub: GatewayHarness.SubMerchant, created: AccountCreatedBody, sim: SimulatorHarness) throws {
        try addSimulatedPartner(sub.name, created: created, subMchId: sub.subMchId, msgAppID: sub.msgAppID, baseURL: sim.baseURL,
                                caFile: sim.server.caFile) { fields in
            fields["priority"] = String(sub.priority)
            if let limits = sub.limits { fields["limits"] = limits }
        }
    }

    /// A sub-merchant of a simulator provider account: the provider's certificate, key and
    /// API key from the simulator, its base URL and CA, test mode.
    public func addSimulatedPartner(_ name: String, created: AccountCreatedBody, subMchId: String, msgAppID: String, baseURL: String, caFile: String,
                                    _ change: (inout [String: String]) -> Void = { _ in }) throws {
        // The provider's certificate, key and API key, written once for all its sub-merchants.
        if !FileManager.default.fileExists(atPath: secrets.appendingPathComponent("provider-\(created.mchId).cert.pem").path) {
            try credentials(for: "provider-\(created.mchId)", mchId: created.mchId, apiKey: created.apiKey,
                            issued: SimulatorCA.Issued(certificatePEM: created.certPem, keyPEM: created.keyPem))
        }
        var fields = try partnerFields(name: name, providerMchId: created.mchId, subMchId: subMchId, msgAppID: msgAppID)
        fields["base_url"] = "\"\(baseURL)\""
        fields["ca_file"] = "\"\(caFile)\""
        fields["mode"] = "\"test\""
        change(&fields)
        try write(name, fields)
    }
}
