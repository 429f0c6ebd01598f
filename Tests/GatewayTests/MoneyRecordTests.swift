import Foundation
@testable import Payouts
import Merchants
import Postgres
import Simulator
import Testing
import TestSupport
import WeChatPay

/// What the database keeps of the money path: the answer a tenant was given, intents that
/// survive a crash whatever the server's default, the status table on every write, and a
/// paid answer that arrives for a billno closed meanwhile.
@Suite("What the record keeps: answers, intents, statuses, evidence")
struct MoneyRecordTests {
    static let minute: TimeInterval = 60

    @Test("the answer given at the deadline is the one stored: when the send's own transaction fails, a replay still equals the first answer")
    func replayEqualsTheFirstAnswer() async throws {
        try await GatewayHarness.with("record-replay", settings: EngineSettings(deadline: .seconds(2))) { gw in
            // The outcome transaction of the first send fails once (a database error after the money left).
            try await gw.pool.withConnection { try $0.execute(script: """
                CREATE SEQUENCE probe_failures;
                CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF nextval('probe_failures') = 1 THEN RAISE EXCEPTION 'the outcome transaction fails once'; END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER fail_once BEFORE INSERT ON payout_attempts FOR EACH ROW EXECUTE FUNCTION fail_once();
                GRANT USAGE ON SEQUENCE probe_failures TO hongbao_app;
                """) }
            let order = GatewayHarness.order(amountFen: 100)
            guard case .answered(let first) = try await gw.submit(order, key: "same-key") else { throw TestSetupError("not answered") }
            #expect(first.status == 202, "the send's outcome was not recorded: accepted, pending")
            let id = try gw.payoutID(.answered(first))
            try await gw.sim.advanceClock(seconds: 5) // WeChat is done sending it
            _ = try await gw.reconciler(offset: 7 * Self.minute).pass()
            #expect(try await gw.payout(id).status == .sent, "the reconciler learned the outcome since")
            guard case .answered(let replay) = try await gw.submit(order, key: "same-key") else { throw TestSetupError("replay not answered") }
            #expect(replay == first, "a replay repeats the first answer byte for byte")
        }
    }

    @Test("transaction 1 and a failover wait for the disk even where the database's default is synchronous_commit = off")
    func intentsAreDurable() async throws {
        let entities = [GatewayHarness.Entity("broke", mchId: "1900000681", balanceFen: 0, priority: 1),
                        GatewayHarness.Entity("funded", mchId: "1900000682", priority: 2)]
        try await GatewayHarness.with("record-durable", entities: entities) { gw in
            let database = try await gw.pool.query("SELECT current_database()").first!.decode(column: 0, as: String.self)
            try await gw.pool.withConnection { try $0.execute(script: """
                ALTER DATABASE "\(database)" SET synchronous_commit = off;
                CREATE TABLE probe_commit (what text, setting text);
                GRANT INSERT ON probe_commit TO hongbao_app;
                CREATE FUNCTION probe_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO probe_commit VALUES (TG_TABLE_NAME, current_setting('synchronous_commit'));
                    RETURN NEW;
                END $$;
                CREATE TRIGGER probe_payouts AFTER INSERT ON payouts FOR EACH ROW EXECUTE FUNCTION probe_commit();
                CREATE TRIGGER probe_sends AFTER INSERT ON payout_sends FOR EACH ROW EXECUTE FUNCTION probe_commit();
                """) }
            // Sessions opened from now on start with the new default.
            try await gw.pool.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            let id = try await submitRetryingDroppedConnections(gw)
            #expect(try await gw.payout(id).merchant == "funded", "moved once")
            let probes = try await gw.pool.query("SELECT what, setting FROM probe_commit").rows.map { try $0.decode((String, String).self) }
            #expect(probes.count == 3, "the payout, its first billno, the failover's billno: \(probes)")
            #expect(probes.allSatisfy { $0.1 == "on" }, "\(probes)")
        }
    }

    /// The pool notices a terminated session only when it uses it: a submit may meet one.
    func submitRetryingDroppedConnections(_ gw: GatewayHarness) async throws -> UUID {
        for _ in 0..<16 {
            do { return try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 100))) } catch let error as PostgresError where error.kind == .connection {
                continue
            }
        }
        throw TestSetupError("every connection stayed broken")
    }

    @Test("a payout cannot be inserted in any status but accepted or sending")
    func insertsAreGuarded() async throws {
        try await GatewayHarness.with("record-insert") { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 100)))
            let copy = { (status: String, suffix: String) in
                try await gw.appPool.query("""
                    INSERT INTO payouts (id, tenant_id, kind, mode, status, day, merchant, mch_id, billno, appid, openid, amount_fen, total_num,
                                         wishing, act_name, remark, send_name, usage_stripe)
                    SELECT gen_random_uuid(), tenant_id, kind, mode, $2, day, merchant, mch_id, billno || $3, appid, openid, amount_fen, total_num,
                           wishing, act_name, remark, send_name, usage_stripe FROM payouts WHERE id = $1
                    """, [id, status, suffix]).affectedRows
            }
            for status in ["sent", "received", "failed", "unknown", "needs_attention"] {
                let refused = await #expect(throws: PostgresError.self) { _ = try await copy(status, "1") }
                #expect(refused?.sqlState == "23514", "\(status): \(String(describing: refused))")
            }
            #expect(try await copy("sending", "2") == 1, "the start of a payout's life is allowed")
        }
    }

    @Test("WeChat's SENT for a send of a payout found paid twice meanwhile closes that billno as paid and leaves the payout in needs_attention")
    func paidAnswerForAPayoutPaidTwice() async throws {
        try await GatewayHarness.with("record-twice") { gw in
            try await gw.sim.setFaults(FaultPlan(latencyMs: 1500, rate: 1))
            async let submitted = gw.submit(GatewayHarness.order(amountFen: 100))
            // While WeChat takes its time, another billno of the payout is found paid (as a recheck would).
            let flagged = try await waitFor(timeout: .seconds(2)) {
                let rows = try await gw.pool.query("""
                    UPDATE payouts SET status = 'needs_attention', error_code = $1, error_message = 'test', updated_at = clock_timestamp()
                    WHERE status = 'sending'
                    """, [DoublePayment.code]).affectedRows
                return rows > 0 ? rows : nil
            } ?? 0
            #expect(flagged == 1)
            let id = try gw.payoutID(try await submitted)
            let payout = try await gw.payout(id)
            #expect(payout.isPaidTwice, "\(payout.status) \(payout.failure?.code ?? "-")")
            #expect(try await gw.sends(id).map(\.state) == ["paid"], "the billno WeChat paid is recorded paid")
            #expect(try await gw.attempts(id).map(\.outcome) == ["success"])
            #expect(try await !gw.events(id).contains("redpack.sent"), "the tenant is not told it was sent once")
            await #expect(throws: PostgresError.self, "nothing moves it out of needs_attention") {
                try await gw.pool.query("UPDATE payouts SET status = 'sent' WHERE id = $1", [id])
            }
        }
    }

    @Test("WeChat's SENT for a send whose billno was closed meanwhile is kept: the attempt is recorded and the payout needs attention")
    func paidAnswerForAClosedBillno() async throws {
        try await GatewayHarness.with("record-closed") { gw in
            try await gw.sim.setFaults(FaultPlan(latencyMs: 1500, rate: 1))
            async let submitted = gw.submit(GatewayHarness.order(amountFen: 100))
            // While WeChat takes its time, something closes the billno as failed.
            let closed = try await waitFor(timeout: .seconds(2)) {
                let rows = try await gw.pool.query("UPDATE payout_sends SET state = 'failed' WHERE state = 'open'").affectedRows
                return rows > 0 ? rows : nil
            } ?? 0
            #expect(closed == 1)
            let id = try gw.payoutID(try await submitted)
            let payout = try await gw.payout(id)
            #expect(payout.status == .needsAttention && payout.failure?.code == DoublePayment.code)
            #expect(try await gw.attempts(id).map(\.outcome) == ["success"], "the paid answer is on record")
            #expect(try await gw.sends(id).map(\.state) == ["late_paid"])
        }
    }
}
