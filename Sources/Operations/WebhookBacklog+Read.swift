import Foundation
import Postgres

extension WebhookBacklog {
    /// The webhook backlog as `status`, `/admin` and `/metrics` all show it: pending
    /// deliveries, the oldest one, and endpoints disabled for failing (the latest 20).
    static func read(_ c: PostgresConnection, now: Date) throws -> WebhookBacklog {
        // Pending deliveries through webhook_deliveries_due; endpoints are few per tenant.
        let counts = try c.query("""
            SELECT (SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'),
                   (SELECT count(*) FROM webhook_endpoints WHERE disabled_at IS NOT NULL AND removed_at IS NULL)
            """).first!.decode((Int64, Int64).self)
        let oldestDelivery = try c.query("""
            SELECT id::text, created_at FROM webhook_deliveries WHERE state = 'pending' ORDER BY created_at LIMIT 1
            """).first.map { row in
                let (id, created) = try row.decode((String, Date).self)
                return PendingItem(kind: "webhook_delivery", id: id, status: "pending", since: created, now: now)
            }
        let disabled = try c.query("""
            SELECT e.id::text, t.name, e.url, e.disabled_reason, e.disabled_at FROM webhook_endpoints e JOIN tenants t ON t.id = e.tenant_id
            WHERE e.disabled_at IS NOT NULL AND e.removed_at IS NULL ORDER BY e.disabled_at DESC LIMIT 20
            """).rows.map { row in
                let (id, tenant, url, reason, at) = try row.decode((String, String, String, String, Date).self)
                return WebhookBacklog.DisabledEndpoint(id: id, tenant: tenant, url: url, reason: reason, disabledAt: StatusReport.iso(at))
            }
        return WebhookBacklog(pending: counts.0, oldestPending: oldestDelivery, disabledEndpoints: counts.1, disabled: disabled)
    }
}
