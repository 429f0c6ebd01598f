import Foundation
import Logging
import Merchants
import Postgres
import WeChatPay

/// A payout's sends (DESIGN.md §4, steps 3–4): the upstream call on the payout's entity
/// with its billno — only while the lease (`SendLease`) allows it — what the answer means
/// for that billno given its history (`SendVerdict`), its settlement, the cool-down the
/// answer asks for (`Cooldowns`), and then, only while each entity definitely paid nothing,
/// the next entity under a new billno. The engine runs it for a tenant's request (a fresh
/// billno); the reconciler for a billno that may have been sent, resent identically.
struct SendLoop {
    let connectors: PayoutConnectors
    let placement: Placement
    let owner: PayoutOwner
    let outcomeTransaction: OutcomeTransaction
    let states: MerchantStateCache
    let maximumEntities: Int
    let sendingGrace: TimeInterval
    let logger: Logger

    /// How a delivery ended.
    enum Outcome: Sendable {
        /// The last send's verdict is recorded.
        case settled(OutcomeTransaction.Result)
        /// No call was started for `payout` as it stands: the lease did not allow it.
        case notStarted(Payout, SendLease.Permit)
    }

    /// `tried`: entities that already definitely failed this payout.
    func run(_ start: Payout, history: BillnoHistory, lease: SendLease, tried earlier: Set<String> = []) async throws -> Outcome {
        var payout = start
        var history = history
        var lease = lease
        var tried = earlier
        // Entities a signer's refusal was about: never moved to, though not tried.
        var avoided: Set<String> = []
        while true {
            let merchant: any MerchantConfig
            do { merchant = try placement.snapshot.entity(named: payout.merchant, sentAs: payout.sentAs) } catch {
                throw PayoutError("merchant_unavailable", "\(error.reason); payout \(payout.id) cannot be sent")
            }
            let permit = try await lease.permitSend(payout, history: history, merchant: merchant)
            guard permit == .go else {
                logger.info("send not started", metadata: ["payout_id": "\(payout.id)", "billno": "\(payout.billno)", "why": "\(permit)"])
                return .notStarted(payout, permit)
            }
            let connector = connectors.connector(for: merchant)
            let (outcome, attempt) = await connector.send(payout, as: merchant)
            let current = payout
            let answer = await SendVerdict.answer(outcome, stopping: Task.isCancelled || connector.isStopping) {
                guard (try? await lease.permitQuery()) == .go else { return nil }
                let (status, _) = await connector.query(current, as: merchant)
                if case .success(let info) = status { return info.target }
                return nil
            }
            let verdict = SendVerdict.decide(answer, history: history, kind: payout.kind)
            let covered = answer.coolDown.map { Cooldowns.covered(by: $0, merchant: merchant, in: placement.snapshot) } ?? []
            let movingSince = ContinuousClock.now
            let result: OutcomeTransaction.Result
            switch verdict {
            case .paid(let sendListID):
                result = try await outcomeTransaction.paid(payout, attempt, sendListID: sendListID)
            case .open(let failure):
                logger.warning("payout's billno stays open", metadata: ["payout_id": "\(payout.id)", "code": "\(failure.code)"])
                result = try await outcomeTransaction.open(payout, attempt, failure)
            case .nothingPaid(let failure, let next):
                tried.insert(payout.merchant)
                avoided.formUnion(covered)
                let mayMove = next != .fail && tried.count < maximumEntities
                let failover = mayMove
                    ? OutcomeTransaction.Failover(placement: placement, excluding: tried.union(avoided), owner: owner, sendingGrace: sendingGrace) : nil
                result = try await outcomeTransaction.nothingPaid(payout, attempt, failure, next: next, wechatSaidFailed: answer.wechatSaidFailed,
                                                          failover: failover)
            }
            if let coolDown = answer.coolDown {
                await Cooldowns.apply(coolDown, merchant: payout.merchant, siblings: covered, openID: payout.openID, pool: outcomeTransaction.pool,
                                      states: states, clock: outcomeTransaction.clock, logger: logger)
            }
            guard result.resend else { return .settled(result) }
            logger.info("payout moved to another entity", metadata: ["payout_id": "\(payout.id)", "from": "\(payout.merchant)", "to": "\(result.payout.merchant)"])
            payout = result.payout
            history = .fresh
            lease = lease.afterMove(since: movingSince)
        }
    }
}

extension SendVerdict.Answer {
    /// WeChat's own FAILED for the billno (not a refusal of one request): nothing to query again.
    var wechatSaidFailed: Bool {
        if case .failedNumber(_, confirmed: true) = self { return true }
        return false
    }
}
