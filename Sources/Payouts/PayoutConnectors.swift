import Foundation
import Merchants
import WeChatPay

/// Merchant kind name → its connector: where a kind registers the second half of itself
/// (the first is `MerchantKinds`). The engine asks for the connector of the entity a
/// payout is on; a kind with none answers every call as not sent, so nothing can pay.
public struct PayoutConnectors: Sendable {
    private let byKind: [String: any PayoutConnector]

    init(_ byKind: [String: any PayoutConnector]) { self.byKind = byKind }

    /// The kinds this build knows, talking to WeChat through `client`.
    public static func standard(client: WeChatPayClient) -> PayoutConnectors {
        PayoutConnectors([
            WeChatPayV2Merchant.kind: WeChatPayV2Connector(client: client),
            WeChatPayV2PartnerMerchant.kind: WeChatPayV2Connector(client: client, addressing: WeChatPayV2PartnerAddressing()),
        ])
    }

    /// The same with `connector` registered for `kind` (a plugin, or a test's fake kind).
    func adding(_ kind: String, _ connector: any PayoutConnector) -> PayoutConnectors {
        var byKind = self.byKind
        byKind[kind] = connector
        return PayoutConnectors(byKind)
    }

    func connector(for merchant: any MerchantConfig) -> any PayoutConnector {
        byKind[merchant.kind] ?? MissingConnector(kind: merchant.kind)
    }

    /// Every registered kind's sending APIs, for the SQL that tells sends from queries.
    var sendAPIs: [String] { Array(Set(byKind.values.flatMap(\.sendAPIs))).sorted() }
    var queryAPIs: [String] { Array(Set(byKind.values.flatMap(\.queryAPIs))).sorted() }
    /// True when any connector's transport is shutting down.
    var isStopping: Bool { byKind.values.contains { $0.isStopping } }
}

/// A kind loaded without a connector: a wiring bug. Nothing is sent, so nothing is paid;
/// the payout stays open for an operator (`.notSent` is definite: no request left).
struct MissingConnector: PayoutConnector {
    let kind: String
    var sendAPIs: [String] { [] }
    var queryAPIs: [String] { [] }
    var isStopping: Bool { false }

    func send(_ payout: Payout, as merchant: any MerchantConfig) async -> (CallOutcome<SendAnswer>, PayoutLedger.Attempt) {
        let outcome = CallOutcome<SendAnswer>.notSent("no connector for merchant kind \(kind)")
        return (outcome, PayoutLedger.Attempt.record(payout.mchID, payout.billno, "send", Date(), outcome))
    }

    func query(_ payout: Payout, billno: SendRef, as merchant: any MerchantConfig) async -> (CallOutcome<StatusAnswer>, PayoutLedger.Attempt) {
        let outcome = CallOutcome<StatusAnswer>.notSent("no connector for merchant kind \(kind)")
        return (outcome, PayoutLedger.Attempt.record(billno.mchID, billno.billno, "query", Date(), outcome))
    }
}
