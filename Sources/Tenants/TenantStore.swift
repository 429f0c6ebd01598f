import Audit
import Foundation
import Merchants
import Postgres

/// Tenants in PostgreSQL; every change is audited on the admin chain in its transaction.
public struct TenantStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    public func add(name: String, dailyBudgetFen: Int64?, actor: String) async throws -> Tenant {
        guard Tenant.validName(name) else {
            throw TenantError("invalid_name", "tenant names are 1–63 characters: a-z, 0-9, '.', '_', '-', starting with a letter or digit")
        }
        if let budget = dailyBudgetFen, budget <= 0 { throw TenantError("invalid_budget", "--daily-budget-fen must be positive") }
        do {
            return try await pool.transaction { connection in
                let row = try connection.query("INSERT INTO tenants (id, name, daily_budget_fen) VALUES ($1, $2, $3) RETURNING \(Tenant.columns)",
                                               [UUID(), name, dailyBudgetFen]).first!
                let tenant = try Tenant(row: row)
                try AdminAudit.record(connection, actor: actor, action: "tenant.add", tenant: tenant.id,
                                      detail: ["name": name, "daily_budget_fen": dailyBudgetFen.map(String.init) ?? "none"])
                return tenant
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw TenantError("tenant_exists", "a tenant named \(name) already exists")
        }
    }

    public func list() async throws -> [Tenant] {
        try await pool.query("SELECT \(Tenant.columns) FROM tenants ORDER BY name").rows.map(Tenant.init(row:))
    }

    /// By name or id.
    public func find(_ nameOrID: String) async throws -> Tenant {
        let row = try await pool.query("SELECT \(Tenant.columns) FROM tenants WHERE name = $1 OR id::text = lower($1)", [nameOrID]).first
        guard let row else { throw TenantError.notFound("tenant \(nameOrID)") }
        return try Tenant(row: row)
    }

    /// Sets (or, with nil, removes) the daily budget.
    public func setBudget(_ nameOrID: String, dailyBudgetFen: Int64?, actor: String) async throws -> Tenant {
        if let budget = dailyBudgetFen, budget <= 0 { throw TenantError("invalid_budget", "the budget must be positive (or none)") }
        let tenant = try await find(nameOrID)
        return try await pool.transaction { connection in
            let row = try connection.query("UPDATE tenants SET daily_budget_fen = $2 WHERE id = $1 RETURNING \(Tenant.columns)",
                                           [tenant.id, dailyBudgetFen]).first!
            try AdminAudit.record(connection, actor: actor, action: "tenant.budget", tenant: tenant.id,
                                  detail: ["from": tenant.dailyBudgetFen.map(String.init) ?? "none", "to": dailyBudgetFen.map(String.init) ?? "none"])
            return try Tenant(row: row)
        }
    }

    /// Its keys stop working at once (authentication checks the tenant on every request).
    public func disable(_ nameOrID: String, reason: String, actor: String) async throws -> Tenant {
        let tenant = try await find(nameOrID)
        return try await pool.transaction { connection in
            let row = try connection.query("UPDATE tenants SET disabled_at = coalesce(disabled_at, now()), disabled_reason = $2 WHERE id = $1 RETURNING \(Tenant.columns)",
                                           [tenant.id, reason]).first!
            try AdminAudit.record(connection, actor: actor, action: "tenant.disable", tenant: tenant.id, detail: ["reason": reason])
            return try Tenant(row: row)
        }
    }
}
