import Foundation
import Logging
import Merchants
import WeChatPay

/// A payout's sends (DESIGN.md §4, steps 3–4): the upstream call on the payout's entity
/// with its billno, what the answer means (`SendVerdict`), and its settlement — then, only
/// while each entity definitely paid nothing, the next entity under a new billno. The
/// engine runs it for a tenant's request; the reconciler for a send it takes over, which
/// always starts with the payout's own billno, resent identically.
struct Delivery {
    let client: WeChatPayClient
    let placement: Placement
    let owner: PayoutOwner
    let settlement: Settlement
    let states: MerchantStateCache
    let maximumEntities: Int
    let logger: Logger

    /// `tried`: entities that already definitely failed this payout.
    func run(_ start: Payout, tried earlier: Set<String> = []) async throws -> Settlement.Result {
        var payout = start
        var tried = earlier
        while true {
            guard let merchant = placement.snapshot.merchant(named: payout.merchant) else {
                throw GatewayError("merchant_unavailable", "entity \(payout.merchant) is not in the merchants snapshot; payout \(payout.id) cannot be sent")
            }
            let (outcome, attempt) = await UpstreamCalls.send(payout, as: merchant, client: client)
            let current = payout
            let verdict = await SendVerdict.from(outcome) { [client] in
                let (answer, _) = await UpstreamCalls.query(current, as: merchant, client: client)
                if case .success(let status) = answer { return status.target }
                return nil
            }
            let result: Settlement.Result
            switch verdict {
            case .paid(let sendListID):
                result = try await settlement.paid(payout, attempt, sendListID: sendListID)
            case .unknown(let failure):
                logger.warning("payout outcome unknown; keeping its billno", metadata: ["payout_id": "\(payout.id)", "code": "\(failure.code)"])
                result = try await settlement.unknown(payout, attempt, failure)
            case .nothingPaid(let failure, let coolDown, let failover):
                tried.insert(payout.merchant)
                let mayMove = failover && tried.count < maximumEntities
                result = try await settlement.nothingPaid(payout, attempt, failure, coolDown: coolDown, failover: mayMove,
                                                          placement: mayMove ? placement : nil, tried: tried, owner: owner)
                if coolDown != nil { states.invalidate() }
            }
            guard result.resend else { return result }
            logger.info("payout moved to another entity", metadata: ["payout_id": "\(payout.id)", "from": "\(payout.merchant)", "to": "\(result.payout.merchant)"])
            payout = result.payout
        }
    }
}
