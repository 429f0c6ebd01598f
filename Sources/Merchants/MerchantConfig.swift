import Foundation
import Transport
import WeChatPay

/// One merchant entity, whatever its kind: what routing and sending need to know.
public protocol MerchantConfig: Sendable {
    /// Stable operator-facing id (the file name without .toml).
    var name: String { get }
    var kind: String { get }
    var merchantID: String { get }
    var appIDs: [AppIDBinding] { get }
    /// Default sender name (≤ 32 characters).
    var sendName: String { get }
    /// Key, TLS identity and endpoint used to act as this merchant.
    var credentials: MerchantCredentials { get }
    var qualificationFacts: QualificationFacts { get }
    var limits: MerchantLimits { get }
    /// Enterprise payment (企业付款到零钱) limits: WeChat counts that product apart.
    var transferLimits: MerchantLimits { get }
    var tenants: TenantScope { get }
    /// Lower is tried first.
    var priority: Int { get }
    /// Spreads load among entities of equal priority.
    var weight: Int { get }
    /// Whitelisted calling IPs (documented; checked by `merchant check`).
    var egressIPs: [String] { get }
    /// Live money, or a test upstream (the simulator): only keys of the same mode reach it.
    var mode: MerchantMode { get }
    var certificate: CertificateSummary { get }
    /// The file the entity was loaded from.
    var source: URL { get }
    /// The merchant number and appid a gethbinfo about this entity's billnos is sent with
    /// (`merchant check`); nil when it has no appid to ask with. Default: its own number and
    /// its first appid that is not a mobile app's.
    var queryAddress: (merchantID: String, appID: String)? { get }
    /// What only this kind has, for `merchant show` and `list --json` (`kind_facts`), in
    /// the order to show them. Default: none.
    var kindFacts: [(name: String, value: String)] { get }
    /// Whom a billno made on this entity is WeChat's under, beyond what the payout records
    /// (its merchant number, billno and appid): every fact from merchants.d that a send or
    /// gethbinfo of the billno puts on the wire to name the account. Recorded with each
    /// billno (migration 0018); a billno is sent and asked about only as an entity that still
    /// presents the same identity, so re-pointing a file never asks WeChat about an open
    /// billno as someone else (NOT_FOUND, a resend: the user paid twice). Default: the kind
    /// and the credentials' merchant number.
    var wireIdentity: String { get }
}

extension MerchantConfig {
    public var queryAddress: (merchantID: String, appID: String)? {
        (appIDs.first(where: { $0.type != .app }) ?? appIDs.first).map { (merchantID, $0.id) }
    }

    public var kindFacts: [(name: String, value: String)] { [] }

    public var wireIdentity: String { "\(kind) mch_id=\(credentials.merchantID)" }
}

/// Stripe-style test mode: `hb_test_` keys reach only `test` entities, `hb_live_` keys only
/// `live` ones, so a test key can never move real money.
public enum MerchantMode: String, Sendable, Codable, CaseIterable {
    case live, test
}

public struct AppIDBinding: Sendable, Equatable, Codable {
    public let id: String
    public let type: AppIDType
    public init(id: String, type: AppIDType) {
        self.id = id
        self.type = type
    }
}

/// The facts WeChat's 90/30-day rule is applied to, and which products are switched on
/// in the merchant platform. Enterprise payment is held to the same 90/30-day rule (the
/// safe reading: its own documents ask for the same history).
public struct QualificationFacts: Sendable, Equatable {
    public let onboardedOn: BusinessDay
    public let tradingSince: BusinessDay
    public let redpackEnabled: Bool
    public let transferEnabled: Bool

    public init(onboardedOn: BusinessDay, tradingSince: BusinessDay, redpackEnabled: Bool, transferEnabled: Bool = false) {
        self.onboardedOn = onboardedOn
        self.tradingSince = tradingSince
        self.redpackEnabled = redpackEnabled
        self.transferEnabled = transferEnabled
    }

    public func evaluate(on day: BusinessDay) -> Qualification {
        Qualification.evaluate(onboardedOn: onboardedOn, tradingSince: tradingSince, productEnabled: redpackEnabled, on: day)
    }

    /// The same rule for enterprise payment.
    public func evaluateTransfers(on day: BusinessDay) -> Qualification {
        Qualification.evaluate(onboardedOn: onboardedOn, tradingSince: tradingSince, productEnabled: transferEnabled, on: day)
    }
}

/// Which tenants may use an entity.
public enum TenantScope: Sendable, Equatable {
    case all
    case only(Set<String>)

    public func allows(_ tenant: String) -> Bool {
        switch self {
        case .all: true
        case .only(let tenants): tenants.contains(tenant)
        }
    }

    public var names: [String] {
        switch self {
        case .all: ["*"]
        case .only(let tenants): tenants.sorted()
        }
    }
}

/// What the loader learned from the API certificate.
public struct CertificateSummary: Sendable, Equatable {
    public let subject: String
    public let notValidAfter: Date

    public init(subject: String, notValidAfter: Date) {
        self.subject = subject
        self.notValidAfter = notValidAfter
    }

    public func daysToExpiry(from now: Date = Date()) -> Int {
        Int((notValidAfter.timeIntervalSince(now) / 86_400).rounded(.down))
    }
}
