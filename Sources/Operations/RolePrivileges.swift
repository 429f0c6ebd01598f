import Postgres

/// The privileges of the role a gateway connects as, for least privilege: `serve` warns
/// when it could rewrite history (a superuser, the owner of `audit_log`) or lacks
/// `hongbao_app`.
public struct RolePrivileges: Sendable, Equatable {
    public let superuser: Bool
    public let memberOfApp: Bool
    public let ownsAuditLog: Bool

    /// What `serve` should run as: a member of hongbao_app, neither a superuser nor the owner.
    public var leastPrivilege: Bool { memberOfApp && !superuser && !ownsAuditLog }

    public static func read(_ pool: PostgresPool) async throws -> RolePrivileges? {
        guard let row = try await pool.query("""
            SELECT rolsuper, pg_has_role(current_user, 'hongbao_app', 'member'),
                   coalesce((SELECT tableowner = current_user FROM pg_tables WHERE tablename = 'audit_log'), false)
            FROM pg_roles WHERE rolname = current_user
            """).first else { return nil }
        let (superuser, member, owner) = try row.decode((Bool, Bool, Bool).self)
        return RolePrivileges(superuser: superuser, memberOfApp: member, ownsAuditLog: owner)
    }
}
