import Foundation
import Logging
import Merchants
import Postgres
import WeChatPay

/// Routing around an entity for a while after an answer that says it cannot send now
/// (DESIGN.md §3). Four scopes, by what the answer is about:
/// - the entity's own configuration or account (NOTENOUGH, API_METHOD_CLOSED …): shared by
///   every instance, in `merchant_state`;
/// - the signer (CA_ERROR, SIGN_ERROR, FREQ_LIMIT): the same, for every entity that signs
///   as the same merchant number (`MerchantSnapshot.sharingSigner`: a provider's
///   sub-merchants) — and a failover skips them all;
/// - codes that may be about the user instead (NO_AUTH "user flagged by risk control", a
///   transfer's per-user MONEY_LIMIT): a strike per refused user, and the shared cool-down
///   only once `severalUsers` distinct users were refused within `window` — one flagged
///   openid must not cool an entity down for every tenant;
/// - a failure of this instance (DNS, egress, a refused connection): this instance only
///   (`MerchantStateCache`), never every instance's routing.
/// Applied after the settlement, in a transaction of its own: a cool-down steers routing,
/// it moves no money, and a crash in between only loses the cool-down.
enum Cooldowns {
    enum Scope: Sendable, Equatable { case entity, signer, ifSeveralUsers, thisInstance }

    struct Request: Sendable, Equatable {
        let scope: Scope
        let code: String
        let duration: Duration
    }

    /// Long for what needs an operator (certificate, key, product switch), short for what passes.
    static let table: [String: Duration] = [
        "NOTENOUGH": .seconds(600), "NO_AUTH": .seconds(1800), "CA_ERROR": .seconds(1800), "SIGN_ERROR": .seconds(1800),
        "API_METHOD_CLOSED": .seconds(1800), "ILLEGAL_APPID": .seconds(1800), "PAYER_ACCOUNT_ABNORMAL": .seconds(1800),
        "FREQ_LIMIT": .seconds(60), "SENDAMOUNT_LIMIT": .seconds(600),
    ]
    static let otherwise: Duration = .seconds(300)
    static let notSent: Duration = .seconds(30)
    /// Distinct users refused with an ambiguous code within `window` that make it the entity's.
    static let severalUsers = 3
    static let window: TimeInterval = 600

    static func duration(for code: String) -> Duration { table[code] ?? otherwise }

    /// The cool-down a WeChat refusal asks for by its rule, if any.
    static func request(code: String, rule: ErrorCatalog.Rule) -> Request? {
        switch rule.coolDown {
        case .none: nil
        case .entity: Request(scope: .entity, code: code, duration: duration(for: code))
        case .signer: Request(scope: .signer, code: code, duration: duration(for: code))
        case .ifSeveralUsers: Request(scope: .ifSeveralUsers, code: code, duration: duration(for: code))
        }
    }

    /// The entities a refusal by `merchant` is about, by its scope (itself, or every
    /// entity with its signer).
    static func covered(by request: Request, merchant: any MerchantConfig, in snapshot: MerchantSnapshot) -> [String] {
        request.scope == .signer ? snapshot.sharingSigner(with: merchant) : [merchant.name]
    }

    /// Applies `request` to the entity that refused `payout`'s send (`merchant`), and with
    /// a signer's refusal to `siblings` too. Never throws: a cool-down that could not be
    /// written is logged, and the payout is unaffected.
    static func apply(_ request: Request, merchant: String, siblings: [String] = [], openID: String, pool: PostgresPool, states: MerchantStateCache,
                      clock: DatabaseClock, logger: Logger) async {
        switch request.scope {
        case .thisInstance:
            states.coolDownHere(merchant, for: request.duration, code: request.code)
            return
        case .entity, .signer, .ifSeveralUsers:
            break
        }
        let seconds = Double(request.duration.components.seconds)
        do {
            let cooled = try await pool.transaction { c -> Bool in
                if request.scope == .ifSeveralUsers {
                    guard try strike(c, merchant: merchant, code: request.code, openID: openID, clock: clock) >= severalUsers else { return false }
                }
                for name in [merchant] + siblings.filter({ $0 != merchant }).sorted() {
                    try MerchantStateStore.coolDown(c, name, seconds: seconds + Double(clock.ahead), code: request.code, actor: "gateway")
                }
                return true
            }
            if cooled { states.invalidate() }
        } catch {
            logger.error("could not record a cool-down", metadata: ["merchant": "\(merchant)", "code": "\(request.code)", "error": "\(error)"])
        }
    }

    /// Records the refused user and returns how many distinct users `merchant` refused with
    /// `code` within the window, this one included; older strikes are dropped.
    static func strike(_ c: PostgresConnection, merchant: String, code: String, openID: String, clock: DatabaseClock) throws -> Int {
        // One entity's strikes are counted one transaction at a time, so concurrent refusals see each other.
        try c.query("SELECT pg_advisory_xact_lock(hashtext('hongbao.strikes:' || $1))", [merchant])
        try c.query("DELETE FROM merchant_strikes WHERE merchant = $1 AND at < \(clock.now) - make_interval(secs => $2::float8)", [merchant, window])
        try c.query("INSERT INTO merchant_strikes (merchant, code, openid, at) VALUES ($1, $2, $3, \(clock.now))", [merchant, code, openID])
        return Int(try c.query("""
            SELECT count(DISTINCT openid) FROM merchant_strikes
            WHERE merchant = $1 AND code = $2 AND at >= \(clock.now) - make_interval(secs => $3::float8)
            """, [merchant, code, window]).first!.decode(column: 0, as: Int64.self))
    }
}
