import Audit
import Crypto
import Foundation
import Merchants
import Postgres

/// A key as operators see it (never the key itself).
public struct APIKeyInfo: Sendable, Equatable, Codable {
    public let id: UUID
    public let tenantID: UUID
    public let tenantName: String
    public let mode: MerchantMode
    public let lookup: String
    public let label: String?
    public let createdAt: Date
    public let expiresAt: Date?
    public let revokedAt: Date?
    public let revokedReason: String?
    public let replacedBy: UUID?

    public func state(at now: Date = Date()) -> String {
        if let revokedAt, revokedAt <= now { return "revoked" }
        if let expiresAt, expiresAt <= now { return "expired" }
        if expiresAt != nil { return "expiring" }
        return "active"
    }

    static let columns = "k.id, k.tenant_id, t.name, k.mode, k.lookup, k.label, k.created_at, k.expires_at, k.revoked_at, k.revoked_reason, k.replaced_by"

    init(row: PostgresRow) throws {
        let mode: String
        (id, tenantID, tenantName, mode, lookup, label, createdAt, expiresAt, revokedAt, revokedReason, replacedBy) =
            try row.decode((UUID, UUID, String, String, String, String?, Date, Date?, Date?, String?, UUID?).self)
        self.mode = MerchantMode(rawValue: mode) ?? .live
    }
}

/// A key just issued: the only moment its text exists outside the tenant's hands.
public struct IssuedKey: Sendable {
    public let info: APIKeyInfo
    public let key: APIKey
}

/// Who a request is, once its key checked out.
public struct Caller: Sendable, Equatable {
    public let keyID: UUID
    public let lookup: String
    public let mode: MerchantMode
    public let tenantID: UUID
    public let tenantName: String
    public let dailyBudgetFen: Int64?

    public init(keyID: UUID, lookup: String, mode: MerchantMode, tenantID: UUID, tenantName: String, dailyBudgetFen: Int64?) {
        self.keyID = keyID
        self.lookup = lookup
        self.mode = mode
        self.tenantID = tenantID
        self.tenantName = tenantName
        self.dailyBudgetFen = dailyBudgetFen
    }

    /// How this caller appears in the audit trail.
    public var actor: String { "key:\(lookup)" }
}

/// Why a key was refused (all are 401 to the caller; the reason is for logs).
public enum AuthenticationFailure: String, Error, Sendable {
    case missing, malformed, unknown, revoked, expired, tenantDisabled = "tenant_disabled"
}

/// API keys in PostgreSQL, stored as SHA-256 with a lookup prefix. Nothing is cached, so
/// a revocation holds on every gateway instance from the next request on.
public struct APIKeyStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    public func issue(tenant nameOrID: String, mode: MerchantMode, label: String? = nil, expiresAt: Date? = nil, actor: String) async throws -> IssuedKey {
        let tenant = try await TenantStore(pool: pool).find(nameOrID)
        guard !tenant.isDisabled else { throw TenantError("tenant_disabled", "tenant \(tenant.name) is disabled") }
        if let expiresAt, expiresAt <= Date() { throw TenantError("invalid_expiry", "the expiry must be in the future") }
        return try await pool.transaction { connection in
            try Self.insert(connection, tenant: tenant.id, mode: mode, label: label, expiresAt: expiresAt, actor: actor, action: "key.issue")
        }
    }

    public func list(tenant nameOrID: String? = nil) async throws -> [APIKeyInfo] {
        let base = "SELECT \(APIKeyInfo.columns) FROM api_keys k JOIN tenants t ON t.id = k.tenant_id"
        if let nameOrID {
            let tenant = try await TenantStore(pool: pool).find(nameOrID)
            return try await pool.query(base + " WHERE k.tenant_id = $1 ORDER BY k.created_at", [tenant.id]).rows.map(APIKeyInfo.init(row:))
        }
        return try await pool.query(base + " ORDER BY t.name, k.created_at").rows.map(APIKeyInfo.init(row:))
    }

    /// By id or lookup prefix.
    public func find(_ idOrLookup: String) async throws -> APIKeyInfo {
        let row = try await pool.query("SELECT \(APIKeyInfo.columns) FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.id::text = lower($1) OR k.lookup = $1",
                                       [idOrLookup]).first
        guard let row else { throw TenantError.notFound("key \(idOrLookup)") }
        return try APIKeyInfo(row: row)
    }

    public func revoke(_ idOrLookup: String, reason: String, actor: String) async throws -> APIKeyInfo {
        let key = try await find(idOrLookup)
        guard key.revokedAt == nil else { throw TenantError("already_revoked", "key \(key.lookup) was revoked at \(key.revokedAt!.formatted(.iso8601))") }
        return try await pool.transaction { connection in
            try connection.query("UPDATE api_keys SET revoked_at = now(), revoked_reason = $2 WHERE id = $1", [key.id, reason])
            try AdminAudit.record(connection, actor: actor, action: "key.revoke", tenant: key.tenantID, detail: ["key": key.lookup, "reason": reason])
            return try APIKeyInfo(row: connection.query("SELECT \(APIKeyInfo.columns) FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.id = $1", [key.id]).first!)
        }
    }

    /// A new key for the same tenant and mode; the old one keeps working for `overlap`
    /// (never longer than it would have anyway), then expires.
    public func rotate(_ idOrLookup: String, overlap: Duration, actor: String) async throws -> IssuedKey {
        let old = try await find(idOrLookup)
        guard old.state() == "active" || old.state() == "expiring" else {
            throw TenantError("not_active", "key \(old.lookup) is \(old.state()); issue a new key instead")
        }
        let overlapSeconds = Double(overlap.components.seconds)
        return try await pool.transaction { connection in
            let issued = try Self.insert(connection, tenant: old.tenantID, mode: old.mode, label: old.label, expiresAt: nil, actor: actor, action: "key.rotate")
            try connection.query("""
                UPDATE api_keys SET replaced_by = $2,
                       expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => $3))
                WHERE id = $1
                """, [old.id, issued.info.id, overlapSeconds])
            try AdminAudit.record(connection, actor: actor, action: "key.rotate.old", tenant: old.tenantID,
                                  detail: ["key": old.lookup, "replaced_by": issued.info.lookup, "overlap_seconds": String(Int(overlapSeconds))])
            return issued
        }
    }

    /// Checks a presented key. A malformed key never reaches the database. Revocation and
    /// expiry are decided in SQL, on the clock that wrote them (`now()`): a key revoked a
    /// moment ago is revoked, however far this instance's clock is behind.
    public func authenticate(_ text: String) async throws -> Result<Caller, AuthenticationFailure> {
        guard let key = APIKey(parsing: text) else { return .failure(.malformed) }
        let row = try await pool.query("""
            SELECT k.id, k.secret_hash, k.mode, k.revoked_at IS NOT NULL, coalesce(k.expires_at <= now(), false), t.id, t.name,
                   t.disabled_at IS NOT NULL, t.daily_budget_fen
            FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.lookup = $1
            """, [key.lookup]).first
        guard let row else { return .failure(.unknown) }
        let (id, hash, mode, revoked, expired, tenantID, tenantName, disabled, budget) =
            try row.decode((UUID, [UInt8], String, Bool, Bool, UUID, String, Bool, Int64?).self)
        guard Self.constantTimeEqual(hash, key.hash), mode == key.mode.rawValue else { return .failure(.unknown) }
        if revoked { return .failure(.revoked) }
        if expired { return .failure(.expired) }
        if disabled { return .failure(.tenantDisabled) }
        return .success(Caller(keyID: id, lookup: key.lookup, mode: key.mode, tenantID: tenantID, tenantName: tenantName, dailyBudgetFen: budget))
    }

    static func insert(_ connection: PostgresConnection, tenant: UUID, mode: MerchantMode, label: String?, expiresAt: Date?,
                       actor: String, action: String) throws -> IssuedKey {
        let key = APIKey.generate(mode: mode)
        let id = UUID()
        try connection.query("INSERT INTO api_keys (id, tenant_id, mode, lookup, secret_hash, label, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                             [id, tenant, mode.rawValue, key.lookup, key.hash, label, expiresAt])
        try AdminAudit.record(connection, actor: actor, action: action, tenant: tenant, detail: ["key": key.lookup, "mode": mode.rawValue])
        let info = try APIKeyInfo(row: connection.query("SELECT \(APIKeyInfo.columns) FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.id = $1", [id]).first!)
        return IssuedKey(info: info, key: key)
    }

    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
