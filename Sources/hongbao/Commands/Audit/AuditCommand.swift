import ArgumentParser
import Foundation
import Gateway
import Postgres

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify or follow the hash-chained audit trail.",
        discussion: """
            Every money state change and every admin action is a record in a SHA-256 chain \
            (hash = H(prev_hash ‖ record)): one chain for admin actions, 16 per tenant for payouts.

            Examples:
              hongbao audit verify
              hongbao audit tail --follow
            """,
        subcommands: [AuditVerifyCommand.self, AuditTailCommand.self]
    )
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Re-derive every link; exit 0 when all chains verify, else 1 naming the first broken record.",
        discussion: """
            Exit codes: 0 every chain verifies; 1 a record is broken (changed, missing, or a \
            chain's head does not match its last record); other codes: could not check.

            Example:
              hongbao audit verify
            """)

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let report = try await AuditVerifier(pool: pool).verify()
        if json {
            try Output.printJSON(report)
        } else if let broken = report.broken {
            FileHandle.standardError.write(Data("broken: chain \(broken.chain) seq \(broken.seq)\(broken.id.map { " (audit_log id \($0))" } ?? ""): \(broken.reason)\n".utf8))
        } else {
            print("ok: \(report.records) records in \(report.chains) chains verify")
        }
        if report.broken != nil { throw ExitCode(1) }
    }
}

struct AuditTailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail", abstract: "Print the latest audit records; --follow keeps printing new ones.",
        discussion: """
            Examples:
              hongbao audit tail -n 50
              hongbao audit tail --follow --json
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(name: [.customShort("n"), .long], help: "How many of the latest records to print first.") var lines = 20
    @Flag(help: "Keep printing records as they are written (Ctrl-C stops).") var follow = false
    @Flag(help: "One JSON object per line.") var json = false

    func validate() throws {
        if !(0...10_000).contains(lines) { throw ValidationError("-n must be 0–10000") }
    }

    struct Record: Encodable {
        let id: Int64
        let chain: String
        let seq: Int64
        let occurredAt: String
        let actor: String
        let action: String
        let tenantId: String?
        let merchant: String?
        let payoutId: String?
        let requestId: String?
        let detail: String

        enum CodingKeys: String, CodingKey {
            case id, chain, seq, actor, action, merchant, detail
            case occurredAt = "occurred_at", tenantId = "tenant_id", payoutId = "payout_id", requestId = "request_id"
        }
    }

    static let select = "SELECT id, chain, seq, occurred_at, actor, action, tenant_id::text, merchant, payout_id::text, request_id, detail::text FROM audit_log"

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        var last = try await pool.query("SELECT coalesce(max(id), 0) FROM audit_log").first!.decode(column: 0, as: Int64.self)
        let first = try await pool.query(Self.select + " WHERE id > $1 ORDER BY id", [max(0, last - Int64(lines))]).rows
        for row in first { try emit(row) }
        guard follow else { return }
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(500))
            let rows = try await pool.query(Self.select + " WHERE id > $1 ORDER BY id LIMIT 1000", [last]).rows
            for row in rows { try emit(row) }
            if let tail = rows.last { last = try tail.decode(column: 0, as: Int64.self) }
        }
        _ = last
    }

    func emit(_ row: PostgresRow) throws {
        let (id, chain, seq, at, actor, action, tenant, merchant, payout, request, detail) =
            try row.decode((Int64, String, Int64, Date, String, String, String?, String?, String?, String?, String).self)
        let record = Record(id: id, chain: chain, seq: seq, occurredAt: at.formatted(.iso8601), actor: actor, action: action, tenantId: tenant,
                            merchant: merchant, payoutId: payout, requestId: request, detail: detail)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(record), as: UTF8.self))
        } else {
            let subject = [merchant.map { "merchant=\($0)" }, payout.map { "payout=\($0)" }].compactMap { $0 }.joined(separator: " ")
            print("\(record.occurredAt)  \(chain)#\(seq)  \(actor)  \(action)  \(subject)  \(detail)")
        }
    }
}
