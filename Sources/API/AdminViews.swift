import Audit
import Foundation
import Payouts
import Operations
import Tenants

/// What the dashboard's templates render: plain strings, numbers, flags and lists (the
/// templates read them by name through reflection). Values are raw; the templates escape.
enum AdminViews {
    struct Merchant { let name, mode, mchID, enabled: String; let eligible: Bool; let perMinute, dailyFen: String; let dailyCount: Int64; let perUser: String; let reasons: [String] }
    struct Transfers { let name, mchID, perMinute, dailyFen: String; let dailyCount: Int64; let perUser: String }
    struct Tenant { let name, mode, enabled, budget: String; let count: Int64 }
    struct SendRow { let merchant: String; let count, fen: Int64; let cells: [Int64] }
    struct BacklogRow { let status: String; let count, due: Int64; let oldest: String }
    struct Stuck { let id, tenant, merchant, billno: String; let amountFen: Int64; let createdAt, error: String }
    struct PayoutRow { let createdAt, id, shortID, tenant, merchant, status: String; let amountFen: Int64; let openID, billno: String }

    struct Status {
        let generatedAt: String
        let refreshSeconds: Int?
        let signedIn = true
        let day: String
        let healthy: Bool
        let attention: [String]
        let hasAttention: Bool
        let merchants: [Merchant]
        let transfers: [Transfers]
        let hasTransfers: Bool
        let tenants: [Tenant]
        let sendsCount, sendsFen: Int64
        let sendStatuses: [String]
        let sendsByMerchant: [SendRow]
        let lastHour: LastHour
        let due: Int64
        let backlog: [BacklogRow]
        let stuck: [Stuck]
        let hasStuck: Bool
        let webhookPending: Int64
        let webhookOldest: String?
        let webhookDisabled: Int64
        let disabledEndpoints: [WebhookBacklog.DisabledEndpoint]
        let hasDisabled: Bool
        let oldestPending: String
        let auditOK: Bool
        let auditSummary: String
        let recent: [PayoutRow]
    }

    static func status(_ r: StatusReport, recent: [PayoutSearch.Found], lastHour: LastHour, refreshSeconds: Int) -> Status {
        let statuses = PayoutStatus.allCases.map(\.rawValue).filter { (r.sendsToday.byStatus[$0] ?? 0) > 0 }
        return Status(
            generatedAt: r.generatedAt, refreshSeconds: refreshSeconds, day: r.day, healthy: r.healthy, attention: r.attention,
            hasAttention: !r.attention.isEmpty,
            merchants: r.merchants.map { m in
                Merchant(name: m.name, mode: m.mode, mchID: m.mchID, enabled: m.enabled ? "yes" : "no", eligible: m.eligible,
                         perMinute: StatusText.use(m.usage.perMinute), dailyFen: StatusText.use(m.usage.dailyAmountFen), dailyCount: m.usage.dailyCount.used,
                         perUser: StatusText.perUser(m.usage), reasons: m.reasons)
            },
            transfers: r.merchants.compactMap { m in
                m.transfers.map { t in
                    Transfers(name: m.name, mchID: m.mchID, perMinute: StatusText.use(t.perMinute), dailyFen: StatusText.use(t.dailyAmountFen),
                              dailyCount: t.dailyCount.used, perUser: StatusText.perUser(t))
                }
            },
            hasTransfers: r.merchants.contains { $0.transfers != nil },
            tenants: r.tenants.map { Tenant(name: $0.name, mode: $0.mode, enabled: $0.enabled ? "yes" : "no", budget: StatusText.use($0.budgetFen), count: $0.count) },
            sendsCount: r.sendsToday.count, sendsFen: r.sendsToday.amountFen, sendStatuses: statuses,
            sendsByMerchant: r.sendsToday.byMerchant.map { m in
                SendRow(merchant: m.merchant, count: m.count, fen: m.amountFen, cells: statuses.map { m.byStatus[$0] ?? 0 })
            },
            lastHour: lastHour,
            due: r.backlog.due,
            backlog: Backlog.openStatuses.map { status in
                let open = r.backlog.byStatus[status]
                return BacklogRow(status: status, count: open?.count ?? 0, due: open?.due ?? 0,
                                  oldest: open?.oldestAt.map { "\($0) (\(StatusText.age(open?.oldestAgeSeconds ?? 0)) ago)" } ?? "-")
            },
            stuck: r.backlog.needsAttention.map { p in
                Stuck(id: p.id, tenant: p.tenant, merchant: p.merchant, billno: p.billno, amountFen: p.amountFen, createdAt: p.createdAt,
                      error: [p.errorCode, p.errorMessage].compactMap { $0 }.joined(separator: ": "))
            },
            hasStuck: !r.backlog.needsAttention.isEmpty,
            webhookPending: r.webhooks.pending,
            webhookOldest: r.webhooks.oldestPending.map { "\($0.sinceAt) (\(StatusText.age($0.ageSeconds)) ago)" },
            webhookDisabled: r.webhooks.disabledEndpoints, disabledEndpoints: r.webhooks.disabled, hasDisabled: !r.webhooks.disabled.isEmpty,
            oldestPending: r.oldestPending.map { "\($0.kind) \($0.id) (\($0.status)) since \($0.sinceAt), \(StatusText.age($0.ageSeconds)) ago" } ?? "Nothing pending.",
            auditOK: r.audit.ok, auditSummary: auditSummary(r.audit),
            recent: recent.map(payoutRow))
    }

    static func payoutRow(_ found: PayoutSearch.Found) -> PayoutRow {
        let p = found.payout
        let id = p.id.uuidString.lowercased()
        return PayoutRow(createdAt: p.createdAt.formatted(.iso8601), id: id, shortID: String(id.prefix(8)), tenant: found.tenantName, merchant: p.merchant,
                         status: p.status.rawValue, amountFen: p.amountFen, openID: p.openID, billno: p.billno)
    }

    static func auditSummary(_ a: AuditVerifier.State) -> String {
        let scope = a.mode == "full" ? "every record (\(a.records)) in \(a.chains) chains"
            : "the latest \(a.records) records" + (a.fromID.map { " (ids \($0)–\(a.throughID ?? $0))" } ?? "") + " and \(a.chains) chain heads"
        guard let broken = a.broken else { return "\(scope) verify" }
        return "broken at chain \(broken.chain) seq \(broken.seq)\(broken.id.map { " (audit_log id \($0))" } ?? ""): \(broken.reason); checked \(scope)"
    }


    struct StatusOption { let value: String; let selected: Bool }

    struct Payouts {
        let generatedAt: String
        let refreshSeconds: Int? = nil
        let signedIn = true
        let billno, payout, openid, tenant: String
        let statuses: [StatusOption]
        let error: String?
        let resultTitle: String
        let results: [PayoutRow]
    }

    struct Field { let name, value: String }
    struct Send { let mchID, billno, merchant, state, createdAt: String }
    struct Attempt { let startedAt, api, billno: String; let milliseconds: Int64; let outcome, errCode, errMessage: String }
    struct AuditRow {
        let id: Int64
        let occurredAt, chain: String
        let seq: Int64
        let actor, action, merchant: String
        let payout: String?
        let prevHash, prevShort, hash, hashShort, link: String
        let detail: String
    }

    struct Payout {
        let generatedAt: String
        let refreshSeconds: Int? = nil
        let signedIn = true
        let id: String
        let fields: [Field]
        let sends: [Send]
        let attempts: [Attempt]
        let audit: [AuditRow]
    }

    struct Audit {
        let generatedAt: String
        let refreshSeconds: Int?
        let signedIn = true
        let auditOK: Bool
        let auditSummary: String
        let count: Int
        let records: [AuditRow]
    }

    struct Login {
        let generatedAt: String
        let refreshSeconds: Int? = nil
        let signedIn = false
        let error: String?
    }
}
