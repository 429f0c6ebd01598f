import Foundation
import Payouts
import Operations

/// `hongbao status` for people: sections of aligned tables; colour (ANSI) only when asked,
/// which the command does on a terminal. Colour never goes inside a table cell, so widths
/// stay right.
struct StatusScreen {
    let report: StatusReport
    let colour: Bool

    var text: String {
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }
        func section(_ title: String) { line(); line(paint(title, "1")) }
        let verdict = report.healthy ? paint("HEALTHY", "32;1") : paint("NEEDS ATTENTION", "31;1")
        line("hongbao status  \(report.day) (Asia/Shanghai)  at \(report.generatedAt)  \(verdict)")
        for item in report.attention { line(paint("! " + item, "31")) }

        section("MERCHANTS")
        if report.merchants.isEmpty { line("no merchant entities loaded") } else {
            out += Self.table(["NAME", "MODE", "MCH_ID", "ENABLED", "ELIGIBLE", "LAST MINUTE", "TODAY FEN", "TODAY SENDS", "PER USER TODAY", "WHY NOT"],
                              report.merchants.map { m in
                [m.name, m.mode, m.mchID, m.enabled ? "yes" : "no", m.eligible ? "yes" : "no", StatusText.use(m.usage.perMinute, compact: true),
                 StatusText.use(m.usage.dailyAmountFen, compact: true), String(m.usage.dailyCount.used), StatusText.perUser(m.usage),
                 m.reasons.isEmpty ? "-" : m.reasons.joined(separator: "; ")]
            })
        }
        let transferring = report.merchants.compactMap { m in m.transfers.map { (m, $0) } }
        if !transferring.isEmpty {
            section("TRANSFERS (enterprise payment, counted apart)")
            out += Self.table(["NAME", "MCH_ID", "LAST MINUTE", "TODAY FEN", "TODAY SENDS", "PER USER TODAY"], transferring.map { m, t in
                [m.name, m.mchID, StatusText.use(t.perMinute, compact: true), StatusText.use(t.dailyAmountFen, compact: true), String(t.dailyCount.used),
                 StatusText.perUser(t)]
            })
        }

        section("TENANTS (today)")
        if report.tenants.isEmpty { line("no tenants") } else {
            out += Self.table(["TENANT", "MODE", "ENABLED", "BUDGET FEN", "PAYOUTS"], report.tenants.map { t in
                [t.name, t.mode, t.enabled ? "yes" : "no", StatusText.use(t.budgetFen, compact: true), String(t.count)]
            })
        }

        let sends = report.sendsToday
        section("SENDS TODAY  \(sends.count) payouts, \(sends.amountFen) fen")
        let statuses = PayoutStatus.allCases.map(\.rawValue).filter { (sends.byStatus[$0] ?? 0) > 0 }
        if !sends.byMerchant.isEmpty {
            out += Self.table(["MERCHANT", "PAYOUTS", "FEN"] + statuses.map { $0.uppercased() }, sends.byMerchant.map { m in
                [m.merchant, String(m.count), String(m.amountFen)] + statuses.map { String(m.byStatus[$0] ?? 0) }
            })
        }

        section("BACKLOG  \(report.backlog.due) due for the reconciler now")
        out += Self.table(["STATUS", "OPEN", "DUE", "OLDEST"], Backlog.openStatuses.map { status in
            let open = report.backlog.byStatus[status]
            return [status, String(open?.count ?? 0), String(open?.due ?? 0),
                    open?.oldestAt.map { "\($0) (\(StatusText.age(open?.oldestAgeSeconds ?? 0)) ago)" } ?? "-"]
        })
        if !report.backlog.needsAttention.isEmpty {
            line()
            line(paint("needs_attention (oldest first):", "31"))
            out += Self.table(["PAYOUT", "TENANT", "MERCHANT", "BILLNO", "FEN", "SINCE", "LAST ERROR"], report.backlog.needsAttention.map { p in
                [p.id, p.tenant, p.merchant, p.billno, String(p.amountFen), p.createdAt,
                 [p.errorCode, p.errorMessage].compactMap { $0 }.joined(separator: ": ")]
            })
        }

        let hooks = report.webhooks
        section("WEBHOOKS")
        line("\(hooks.pending) deliveries pending" + (hooks.oldestPending.map { ", oldest since \($0.sinceAt) (\(StatusText.age($0.ageSeconds)) ago)" } ?? "")
             + "; \(hooks.disabledEndpoints) endpoints disabled")
        if !hooks.disabled.isEmpty {
            out += Self.table(["ENDPOINT", "TENANT", "URL", "DISABLED AT", "REASON"], hooks.disabled.map { [$0.id, $0.tenant, $0.url, $0.disabledAt, $0.reason] })
        }

        section("OLDEST PENDING")
        if let item = report.oldestPending {
            line("\(item.kind) \(item.id) (\(item.status)) since \(item.sinceAt), \(StatusText.age(item.ageSeconds)) ago")
        } else {
            line("nothing pending")
        }

        let audit = report.audit
        section("AUDIT")
        let scope = audit.mode == "full" ? "every record (\(audit.records)) in \(audit.chains) chains"
            : "the latest \(audit.records) records" + (audit.fromID.map { " (ids \($0)–\(audit.throughID ?? $0))" } ?? "") + " and \(audit.chains) chain heads"
        if let broken = audit.broken {
            line(paint("BROKEN at chain \(broken.chain) seq \(broken.seq)\(broken.id.map { " (audit_log id \($0))" } ?? ""): \(broken.reason)", "31;1"))
            line("checked \(scope); run `hongbao audit verify` for the whole trail")
        } else {
            line(paint("ok", "32") + ": \(scope) verify")
        }
        return out
    }

    func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }


    /// Aligned columns, two spaces apart; the last column is not padded.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
