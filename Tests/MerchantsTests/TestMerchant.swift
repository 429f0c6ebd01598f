import Foundation
import Merchants
import Transport
import WeChatPay

/// An in-memory entity for router and registry tests (no files, no certificates).
struct TestMerchant: MerchantConfig {
    var name: String
    var kind = "test"
    var merchantID: String
    var appIDs: [AppIDBinding]
    var sendName = "T"
    var credentials: MerchantCredentials
    var qualificationFacts: QualificationFacts
    var limits = MerchantLimits.defaults
    var transferLimits = MerchantLimits.transferDefaults
    var tenants = TenantScope.all
    var priority = 10
    var weight = 1
    var egressIPs: [String] = []
    var mode = MerchantMode.live
    var certificate = CertificateSummary(subject: "CN=test", notValidAfter: Date().addingTimeInterval(86_400 * 365))
    var source: URL

    init(_ name: String, appIDs: [(String, AppIDType)] = [("wx8888888888888888", .officialAccount)], priority: Int = 10, weight: Int = 1,
         onboardedOn: String = "2020-01-01", tradingSince: String = "2020-01-01", enabled: Bool = true) {
        self.name = name
        self.merchantID = "1900" + String(abs(name.hashValue) % 1_000_000)
        self.appIDs = appIDs.map { AppIDBinding(id: $0.0, type: $0.1) }
        self.priority = priority
        self.weight = weight
        self.credentials = MerchantCredentials(merchantID: merchantID, baseURL: "https://127.0.0.1:1", apiKey: Secret("k"),
                                               identity: ClientIdentity(name: name, certificate: .pem([]), privateKey: .pem(Secret(""))))
        self.qualificationFacts = QualificationFacts(onboardedOn: BusinessDay(iso: onboardedOn)!, tradingSince: BusinessDay(iso: tradingSince)!, redpackEnabled: enabled)
        self.source = URL(fileURLWithPath: "/test/\(name).toml")
    }
}
