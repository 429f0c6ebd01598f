import Foundation
import Merchants
import WeChatPay

/// The seam between the payout engine and a merchant kind (issue 16): a kind supplies its
/// configuration (`MerchantConfig`, loaded by `MerchantKinds`) *and* a connector that
/// builds each request from what the gateway recorded and reads each answer into the
/// engine's terms (`SendAnswer`, `StatusAnswer`, the attempt's record). The engine, the
/// reconciler, the closed-billno recheck and the stores call only this; none of them names
/// a kind or a wire API.
///
/// What a connector must keep (the conformance tests check it for every kind):
/// - `send` of one billno is the identical request every time (re-entrant resend).
/// - An answer's error code is read with the kind's catalog into a retry class, so a
///   timeout after sending is `.notSent` only when nothing can have left this process.
/// - `query` asks about exactly the billno it is given, on that billno's merchant number.
protocol PayoutConnector: Sendable {
    /// The API names its attempts record when they send money (`payout_attempts.api`).
    var sendAPIs: [String] { get }
    /// The API names of its queries.
    var queryAPIs: [String] { get }
    /// True once its transport is shutting down: an answer lost then is not a failure.
    var isStopping: Bool { get }

    /// Sends the payout's current billno as `merchant`.
    func send(_ payout: Payout, as merchant: any MerchantConfig) async -> (CallOutcome<SendAnswer>, PayoutLedger.Attempt)

    /// Asks about one billno of the payout (its current one, or an earlier one it closed).
    func query(_ payout: Payout, billno: SendRef, as merchant: any MerchantConfig) async -> (CallOutcome<StatusAnswer>, PayoutLedger.Attempt)
}

extension PayoutConnector {
    /// Asks about the payout's current billno.
    func query(_ payout: Payout, as merchant: any MerchantConfig) async -> (CallOutcome<StatusAnswer>, PayoutLedger.Attempt) {
        await query(payout, billno: SendRef(payout), as: merchant)
    }
}
