import Audit
import Foundation
import Merchants
import Postgres

/// Tenants' webhook endpoints and their deliveries in PostgreSQL. Every change an operator
/// or tenant makes (add, remove, enable, redeliver) is audited on the admin chain in its
/// transaction. Calls that take a `tenant` see only that tenant's endpoints, and with a
/// `mode` only that mode's (what a tenant's API key sees): another tenant's, or the other
/// mode's, is "not found", never "forbidden".
public struct WebhookStore: Sendable {
    /// Most endpoints (not removed) a tenant may have in each mode: each one multiplies
    /// every event. Per mode, so test endpoints never crowd out live ones.
    public static let maximumEndpointsPerTenant = 16

    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// Registers `url` for `tenant`'s events of `mode` (nil `events`: every event), after
    /// checking its shape and where it points. The answer carries the secret, once; the
    /// database holds it sealed by `sealer`.
    public func add(tenant: UUID, mode: MerchantMode, url: String, events: [WebhookEventType]?, description: String?,
                    targets: WebhookTargetGuard, sealer: SecretSealer, actor: String, requestID: String? = nil) async throws -> CreatedWebhookEndpoint {
        let target = try WebhookTarget(parsing: url, mode: mode)
        if let description, description.count > 256 { throw WebhookError("invalid_description", "the description must be at most 256 characters") }
        if let events, events.isEmpty { throw WebhookError("invalid_events", "give at least one event, or none for every event") }
        _ = try await targets.check(target)
        let secret = WebhookSecret.generate()
        let id = UUID()
        let sealed = try sealer.seal(secret.text, context: Self.sealingContext(id))
        let names = events.map { PostgresTextArray(Array(Set($0.map(\.rawValue))).sorted()) }
        let endpoint = try await pool.transaction { c in
            // Serialises adds of one tenant so the limit holds; payouts' FOR KEY SHARE does not wait on it.
            guard try c.query("SELECT 1 FROM tenants WHERE id = $1 AND disabled_at IS NULL FOR NO KEY UPDATE", [tenant]).first != nil else {
                throw WebhookError("tenant_disabled", "the tenant is disabled or does not exist")
            }
            let count = try c.query("SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1 AND mode = $2 AND removed_at IS NULL",
                                    [tenant, mode.rawValue]).first!.decode(column: 0, as: Int.self)
            guard count < Self.maximumEndpointsPerTenant else {
                throw WebhookError("too_many_webhooks",
                                   "a tenant may have at most \(Self.maximumEndpointsPerTenant) \(mode.rawValue)-mode webhook endpoints; remove one first")
            }
            try c.query("INSERT INTO webhook_endpoints (id, tenant_id, mode, url, description, secret_sealed, events) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        [id, tenant, mode.rawValue, target.url, description, sealed, names])
            try Self.audit(c, actor: actor, action: "webhook.add", tenant: tenant, requestID: requestID,
                           detail: ["endpoint": id.uuidString.lowercased(), "url": Self.shown(target.url), "mode": mode.rawValue,
                                    "events": names?.values.joined(separator: ",") ?? WebhookEventType.all])
            return try Self.load(c, id: id, tenant: tenant, mode: mode)!
        }
        return CreatedWebhookEndpoint(endpoint: endpoint, secret: secret)
    }

    /// What `reseal` did.
    public struct Resealed: Sendable, Equatable {
        /// Moved to the current key.
        public var resealed = 0
        /// Already under it.
        public var current = 0
        /// Under a key this sealer does not have (left as they are, named in `unreadable`).
        public var unreadable: [UUID] = []

        public init() {}
    }

    /// Seals every endpoint's secret (removed ones too) under `sealer`'s current key, opening
    /// the others with its previous keys: the step that lets an old HONGBAO_KEK be dropped.
    /// One transaction; each endpoint moved is audited (which key to which), never the secret.
    public func reseal(sealer: SecretSealer, actor: String) async throws -> Resealed {
        try await pool.transaction { c in
            var done = Resealed()
            for row in try c.query("SELECT id, tenant_id, secret_sealed FROM webhook_endpoints ORDER BY created_at FOR UPDATE").rows {
                let (id, tenant, sealed) = try row.decode((UUID, UUID, [UInt8]).self)
                if sealer.isCurrent(sealed) {
                    done.current += 1
                    continue
                }
                guard let secret = try? sealer.open(sealed, context: Self.sealingContext(id)) else {
                    done.unreadable.append(id)
                    continue
                }
                try c.query("UPDATE webhook_endpoints SET secret_sealed = $2 WHERE id = $1", [id, try sealer.seal(secret, context: Self.sealingContext(id))])
                try Self.audit(c, actor: actor, action: "webhook.reseal", tenant: tenant, requestID: nil,
                               detail: ["endpoint": id.uuidString.lowercased(), "from_key": SecretSealer.keyID(of: sealed) ?? "none",
                                        "to_key": sealer.keyID])
                done.resealed += 1
            }
            return done
        }
    }

    /// Endpoints (not removed) by the id (hex) of the key their secret is sealed under.
    public func sealingKeys() async throws -> [String: Int] {
        var keys: [String: Int] = [:]
        for row in try await pool.query("""
            SELECT encode(substring(secret_sealed FROM 2 FOR \(SecretSealer.keyIDLength)), 'hex'), count(*) FROM webhook_endpoints
            WHERE removed_at IS NULL GROUP BY 1
            """).rows {
            let (key, count) = try row.decode((String, Int64).self)
            keys[key] = Int(count)
        }
        return keys
    }

    /// What an endpoint's sealed secret is bound to: it opens only on its own row.
    public static func sealingContext(_ endpoint: UUID) -> String { "webhook_endpoints.secret_sealed:" + endpoint.uuidString.lowercased() }

    /// Endpoints not removed, oldest first: one tenant's of one mode (its API key's), one
    /// tenant's of both modes, or everyone's (operators).
    public func list(tenant: UUID?, mode: MerchantMode? = nil) async throws -> [WebhookEndpoint] {
        let base = "SELECT \(WebhookEndpoint.columns) FROM \(WebhookEndpoint.from) WHERE e.removed_at IS NULL"
        if let tenant {
            return try await pool.query(base + " AND e.tenant_id = $1 AND ($2::text IS NULL OR e.mode = $2) ORDER BY e.created_at, e.id",
                                        [tenant, mode?.rawValue]).rows.map(WebhookEndpoint.init(row:))
        }
        return try await pool.query(base + " ORDER BY t.name, e.created_at, e.id").rows.map(WebhookEndpoint.init(row:))
    }

    /// One endpoint not removed; with `tenant` (and `mode`), only if it is that tenant's (of that mode).
    public func find(_ id: UUID, tenant: UUID? = nil, mode: MerchantMode? = nil) async throws -> WebhookEndpoint? {
        try await pool.withConnection { try Self.load($0, id: id, tenant: tenant, mode: mode) }
    }

    /// Removes an endpoint: it receives nothing more, its pending deliveries fail as
    /// "endpoint removed". Nil when there is no such endpoint (for this tenant, in this mode).
    public func remove(_ id: UUID, tenant: UUID? = nil, mode: MerchantMode? = nil, actor: String, requestID: String? = nil) async throws -> WebhookEndpoint? {
        try await pool.transaction { c in
            guard let endpoint = try Self.load(c, id: id, tenant: tenant, mode: mode, lock: true) else { return nil }
            try c.query("UPDATE webhook_endpoints SET removed_at = now() WHERE id = $1", [id])
            try c.query("""
                UPDATE webhook_deliveries SET state = 'failed', lease = NULL, last_error = 'endpoint removed'
                WHERE endpoint_id = $1 AND state = 'pending'
                """, [id])
            try Self.audit(c, actor: actor, action: "webhook.remove", tenant: endpoint.tenantID, requestID: requestID,
                           detail: ["endpoint": id.uuidString.lowercased(), "url": Self.shown(endpoint.url)])
            return endpoint
        }
    }

    /// Enables a disabled endpoint again with a clean failure count; its pending deliveries
    /// (parked while it was disabled) are due at once.
    public func enable(_ id: UUID, actor: String) async throws -> WebhookEndpoint {
        try await pool.transaction { c in
            guard let endpoint = try Self.load(c, id: id, tenant: nil, lock: true) else { throw WebhookError.notFound("webhook endpoint \(id)") }
            guard !endpoint.enabled else { throw WebhookError("already_enabled", "webhook endpoint \(id) is enabled") }
            try c.query("""
                UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, consecutive_failures = 0, failing_since = NULL WHERE id = $1
                """, [id])
            try c.query("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE endpoint_id = $1 AND state = 'pending'", [id])
            try AdminAudit.record(c, actor: actor, action: "webhook.enable", tenant: endpoint.tenantID,
                                  detail: ["endpoint": id.uuidString.lowercased(), "was_disabled_because": endpoint.disabledReason ?? ""])
            try c.query("SELECT pg_notify($1, '')", [WebhookDispatcher.channel])
            return try Self.load(c, id: id, tenant: nil)!
        }
    }

    /// Queues one delivery again, whatever its state, for a new retry window.
    public func redeliver(delivery id: UUID, actor: String) async throws -> WebhookDelivery {
        try await pool.transaction { c in
            guard let row = try c.query("""
                UPDATE webhook_deliveries d SET \(Self.requeue)
                FROM webhook_endpoints e
                WHERE d.id = $1 AND e.id = d.endpoint_id AND e.removed_at IS NULL
                RETURNING \(WebhookDelivery.columns), d.tenant_id
                """, [id]).first else { throw WebhookError.notFound("delivery \(id) (of an endpoint not removed)") }
            let delivery = try WebhookDelivery(row: row)
            try AdminAudit.record(c, actor: actor, action: "webhook.redeliver", tenant: try row.decode("tenant_id", as: UUID.self),
                                  detail: ["endpoint": delivery.endpointID.uuidString.lowercased(), "delivery": id.uuidString.lowercased(),
                                           "event": delivery.event, "count": "1"])
            try c.query("SELECT pg_notify($1, '')", [WebhookDispatcher.channel])
            return delivery
        }
    }

    /// Queues every failed delivery of an endpoint again; how many.
    public func redeliverFailed(endpoint id: UUID, actor: String) async throws -> Int {
        try await pool.transaction { c in
            guard let endpoint = try Self.load(c, id: id, tenant: nil, lock: true) else { throw WebhookError.notFound("webhook endpoint \(id)") }
            let count = try c.query("""
                UPDATE webhook_deliveries SET \(Self.requeue)
                WHERE endpoint_id = $1 AND state = 'failed'
                """, [id]).affectedRows
            try AdminAudit.record(c, actor: actor, action: "webhook.redeliver", tenant: endpoint.tenantID,
                                  detail: ["endpoint": id.uuidString.lowercased(), "failed": "all", "count": String(count)])
            if count > 0 { try c.query("SELECT pg_notify($1, '')", [WebhookDispatcher.channel]) }
            return count
        }
    }

    /// An endpoint's deliveries, newest first.
    public func deliveries(endpoint id: UUID, state: WebhookDelivery.State? = nil, limit: Int = 50) async throws -> [WebhookDelivery] {
        try await pool.query("""
            SELECT \(WebhookDelivery.columns) FROM webhook_deliveries d
            WHERE d.endpoint_id = $1 AND ($2::text IS NULL OR d.state = $2) ORDER BY d.created_at DESC, d.outbox_id DESC LIMIT $3
            """, [id, state?.rawValue, limit]).rows.map(WebhookDelivery.init(row:))
    }

    /// Every attempt of a delivery, in order.
    public func attempts(delivery id: UUID) async throws -> [WebhookAttempt] {
        try await pool.query("SELECT \(WebhookAttempt.columns) FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id", [id])
            .rows.map(WebhookAttempt.init(row:))
    }

    /// When the pending deliveries of a disabled endpoint are due: not before it is enabled.
    static let parked = "now() + interval '100 years'"

    /// A delivery due now, for a new retry window (`requeued_at` starts it).
    static let requeue = "state = 'pending', next_attempt_at = now(), requeued_at = now(), lease = NULL"

    /// An admin-chain record, with the API request's id when a tenant made the change.
    static func audit(_ c: PostgresConnection, actor: String, action: String, tenant: UUID, requestID: String?, detail: [String: String]) throws {
        try AuditLog.append(c, chain: AuditLog.adminChain, actor: actor, action: action, tenant: tenant, requestID: requestID,
                            detail: try PostgresJSON(encoding: detail))
    }

    static func load(_ c: PostgresConnection, id: UUID, tenant: UUID?, mode: MerchantMode? = nil, lock: Bool = false) throws -> WebhookEndpoint? {
        try c.query("""
            SELECT \(WebhookEndpoint.columns) FROM \(WebhookEndpoint.from)
            WHERE e.id = $1 AND e.removed_at IS NULL AND ($2::uuid IS NULL OR e.tenant_id = $2) AND ($3::text IS NULL OR e.mode = $3)\(lock ? " FOR UPDATE OF e" : "")
            """, [id, tenant, mode?.rawValue]).first.map(WebhookEndpoint.init(row:))
    }

    /// A URL as the audit trail and logs show it: without its query, which may carry a token.
    static func shown(_ url: String) -> String {
        guard let query = url.firstIndex(of: "?") else { return url }
        return String(url[..<query]) + "?…"
    }
}
