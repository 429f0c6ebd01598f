import Audit
import Foundation
import Payouts
import Merchants
import Postgres
import WeChatPay

/// Everything an operator checks first, read once: which entities can take sends and
/// why not, today's usage against every limit, today's sends, what is waiting (payouts,
/// webhook deliveries) and the audit trail's state. `hongbao status` prints it and the
/// dashboard at /admin renders it; the JSON shape is documented in
/// docs/status-and-dashboard.md and stays stable (snake_case keys, every key present).
///
/// Cost: nine statements on one connection in one read-only REPEATABLE READ transaction
/// (a consistent picture), each an index lookup or bounded by today's rows or the open
/// backlog — plus the audit check, bounded by `AuditVerifier.Scope`.
public struct StatusReport: Sendable, Encodable {
    public let generatedAt: String
    /// The Asia/Shanghai day every "today" figure is about.
    public let day: String
    /// True when `attention` is empty (`hongbao status` exits 0, else 3).
    public let healthy: Bool
    /// What needs a person, one sentence each.
    public let attention: [String]
    public let merchants: [MerchantStatus]
    public let tenants: [TenantStatus]
    public let sendsToday: SendsToday
    public let backlog: Backlog
    public let webhooks: WebhookBacklog
    /// The oldest thing the gateway itself still has to finish: a payout not settled
    /// upstream (accepted, sending, unknown) or a pending webhook delivery.
    public let oldestPending: PendingItem?
    public let audit: AuditVerifier.State

    enum CodingKeys: String, CodingKey {
        case day, healthy, attention, merchants, tenants, backlog, webhooks, audit
        case generatedAt = "generated_at", sendsToday = "sends_today", oldestPending = "oldest_pending"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(generatedAt, forKey: .generatedAt)
        try c.encode(day, forKey: .day)
        try c.encode(healthy, forKey: .healthy)
        try c.encode(attention, forKey: .attention)
        try c.encode(merchants, forKey: .merchants)
        try c.encode(tenants, forKey: .tenants)
        try c.encode(sendsToday, forKey: .sendsToday)
        try c.encode(backlog, forKey: .backlog)
        try c.encode(webhooks, forKey: .webhooks)
        try c.encode(oldestPending, forKey: .oldestPending)
        try c.encode(audit, forKey: .audit)
    }

    /// Reads the whole report. `merchants` is the registry snapshot (serve) or merchants.d
    /// as loaded by the CLI.
    public static func read(_ pool: PostgresPool, merchants: [any MerchantConfig], now: Date = Date(),
                            audit: AuditVerifier.Scope = .default) async throws -> StatusReport {
        let today = BusinessCalendar.day(of: now)
        let facts = try await pool.transaction(.repeatableRead) { c in
            try c.query("SET TRANSACTION READ ONLY")
            return try Facts(c, merchants: merchants, today: today, now: now)
        }
        let auditState: AuditVerifier.State
        switch audit {
        case .recent(let records): auditState = try await pool.withConnection { try AuditVerifier.recent($0, records: records) }
        case .full: auditState = try await AuditVerifier(pool: pool).state(.full)
        }
        return StatusReport(facts: facts, merchants: merchants, today: today, now: now, audit: auditState)
    }

    init(facts: Facts, merchants: [any MerchantConfig], today: BusinessDay, now: Date, audit: AuditVerifier.State) {
        generatedAt = Self.iso(now)
        day = today.description
        self.merchants = merchants.map { m in
            MerchantStatus(m, state: facts.states[m.name] ?? .default, usage: facts.usage, today: today, now: now)
        }
        tenants = facts.tenants
        sendsToday = SendsToday(facts.sends)
        backlog = facts.backlog
        webhooks = facts.webhooks
        oldestPending = [facts.oldestPayout, facts.webhooks.oldestPending].compactMap { $0 }.min { $0.since < $1.since }
        self.audit = audit
        var attention: [String] = []
        if backlog.paidOnMoreThanOneBillno > 0 {
            let n = backlog.paidOnMoreThanOneBillno
            attention.append("\(n) payout\(n == 1 ? " was" : "s were") paid on more than one billno (\(DoublePayment.code)): WeChat paid a billno "
                             + "the gateway had closed; recover the extra payment with WeChat and the user — `hongbao payouts show ID` names both billnos")
        }
        if let stuck = backlog.byStatus["needs_attention"], stuck.count > backlog.paidOnMoreThanOneBillno {
            let n = stuck.count - backlog.paidOnMoreThanOneBillno
            attention.append("\(n) payout\(n == 1 ? " needs" : "s need") attention (oldest since \(stuck.oldestAt ?? "?")): "
                             + "look at each, settle it with WeChat, then `hongbao payouts refresh ID`")
        }
        if let broken = audit.broken {
            attention.append("audit chain broken: chain \(broken.chain) seq \(broken.seq)\(broken.id.map { " (audit_log id \($0))" } ?? ""): \(broken.reason)")
        }
        if !merchants.isEmpty, !self.merchants.contains(where: \.eligible) {
            attention.append("no merchant entity is eligible: every send is refused (422) until one is")
        }
        self.attention = attention
        healthy = attention.isEmpty
    }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }
    static func age(_ date: Date, now: Date) -> Int { max(0, Int(now.timeIntervalSince(date).rounded(.down))) }
}

/// Something waiting, and since when.
public struct PendingItem: Sendable, Encodable {
    /// "payout" or "webhook_delivery".
    public let kind: String
    public let id: String
    /// The payout's status, or "pending" for a delivery.
    public let status: String
    public let sinceAt: String
    public let ageSeconds: Int
    let since: Date

    enum CodingKeys: String, CodingKey { case kind, id, status, sinceAt = "since", ageSeconds = "age_seconds" }

    init(kind: String, id: String, status: String, since: Date, now: Date) {
        self.kind = kind
        self.id = id
        self.status = status
        self.since = since
        self.sinceAt = StatusReport.iso(since)
        self.ageSeconds = StatusReport.age(since, now: now)
    }
}
