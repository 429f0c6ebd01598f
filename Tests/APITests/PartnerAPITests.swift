@testable import API
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Merchants
import Postgres
import Testing
import TestSupport

/// A service provider's sub-merchants end to end: the tenant API, the real engine and
/// database, the simulator as WeChat over mTLS with provider accounts (issue 17 Tests).
@Suite("Service-provider sub-merchants through the tenant API")
struct PartnerAPITests {
    func app(_ gw: GatewayHarness) throws -> some ApplicationProtocol {
        let migrator = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
        return Application(router: try buildRouter(dependencies: GatewayDependencies(gateway: gw.gateway, migrator: migrator, logger: CapturedLogs().logger)))
    }

    /// The merchant each payout was sent on, by payout id, from the database (not the code under test).
    func merchants(_ gw: GatewayHarness) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await gw.pool.query("SELECT merchant FROM payouts WHERE status <> 'failed'").rows {
            counts[try row.decode(column: 0, as: String.self), default: 0] += 1
        }
        return counts
    }

    @Test("sends route across three sub-merchants of one provider and a direct merchant; WeChat's ledger shows each sub-merchant paying its own")
    func routesAcross() async throws {
        let provider = GatewayHarness.Provider(mchId: "1900000200", subMerchants: [
            .init("sub-a", subMchId: "1900000301", msgAppID: GatewayHarness.appID),
            .init("sub-b", subMchId: "1900000302", msgAppID: GatewayHarness.appID),
            .init("sub-c", subMchId: "1900000303", msgAppID: GatewayHarness.appID),
        ])
        try await GatewayHarness.with("partner-route", entities: [.init("direct", mchId: "1900000109")], providers: [provider]) { gw in
            try await app(gw).test(.router) { client in
                for i in 0..<40 {
                    let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["openid": "oPartner\(i)", "amount_fen": 100 + i]),
                                                         key: gw.apiKey, idempotencyKey: "partner-\(i)")
                    #expect(response.status == .created, "\(String(buffer: response.body))")
                }
            }
            let used = try await merchants(gw)
            #expect(Set(used.keys) == ["direct", "sub-a", "sub-b", "sub-c"], "\(used)")
            #expect(used.values.reduce(0, +) == 40)
            let ledger = try await gw.sim.ledger()
            let bySub = Dictionary(grouping: ledger.packets.filter { $0.mchId == "1900000200" }, by: { $0.subMchId ?? "none" })
            #expect(Set(bySub.keys) == ["1900000301", "1900000302", "1900000303"], "every provider packet names its sub-merchant")
            #expect(ledger.packets.filter { $0.mchId == "1900000200" }.allSatisfy { $0.fundMchId == $0.subMchId }, "each sub-merchant pays its own")
            #expect(bySub.values.map(\.count).reduce(0, +) == used["sub-a", default: 0] + used["sub-b", default: 0] + used["sub-c", default: 0])
            // The billnos are the sub-merchants' (their numbers start them), unique under the provider.
            let billnos = try await gw.pool.query("SELECT billno, mch_id FROM payouts WHERE merchant LIKE 'sub-%'").rows.map { try $0.decode((String, String).self) }
            #expect(billnos.allSatisfy { $0.0.hasPrefix($0.1) } && Set(billnos.map(\.0)).count == billnos.count)
        }
    }

    @Test("a sub-merchant the provider does not have (ACCEPTMODE_ERROR) or whose msgappid is unbound (MSGAPPID_ERROR) is a configuration failure: nothing paid, routed around, cooled down")
    func configurationFailuresRoutedAround() async throws {
        // All three serve the tenant's appid; WeChat binds it only to the good one.
        let appid = "wx3c3c3c3c3c3c3c3c"
        let provider = GatewayHarness.Provider(mchId: "1900000200", subMerchants: [
            .init("sub-unknown", subMchId: "1900000391", msgAppID: appid, priority: 1, boundAtWeChat: false),
            .init("sub-unbound", subMchId: "1900000392", msgAppID: appid, priority: 1, msgAppIDBound: false),
            .init("sub-good", subMchId: "1900000301", msgAppID: appid, priority: 10),
        ])
        try await GatewayHarness.with("partner-refused", entities: [], providers: [provider]) { gw in
            try await app(gw).test(.router) { client in
                for i in 0..<6 {
                    let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(["appid": appid, "openid": "oRefused\(i)"]),
                                                         key: gw.apiKey, idempotencyKey: "refused-\(i)")
                    #expect(response.status == .created, "\(String(buffer: response.body))")
                }
            }
            #expect(try await merchants(gw) == ["sub-good": 6], "every payout ended on the good sub-merchant")
            let codes = try await gw.pool.query("SELECT DISTINCT err_code FROM payout_attempts WHERE err_code IS NOT NULL ORDER BY 1").rows
                .map { try $0.decode(column: 0, as: String.self) }
            #expect(codes == ["ACCEPTMODE_ERROR", "MSGAPPID_ERROR"], "\(codes)")
            let cooled = try await gw.pool.query("SELECT name FROM merchant_state WHERE cooldown_until > now() ORDER BY 1").rows
                .map { try $0.decode(column: 0, as: String.self) }
            #expect(cooled == ["sub-unbound", "sub-unknown"], "a configuration failure cools the entity down")
            let ledger = try await gw.sim.ledger()
            #expect(ledger.packets.count == 6 && ledger.packets.allSatisfy { $0.subMchId == "1900000301" }, "nothing was paid by the failing ones")
            // Every billno, the refused ones and the ones moved to, records whom it was sent as (migration 0018).
            let subs = ["sub-unknown": "1900000391", "sub-unbound": "1900000392", "sub-good": "1900000301"]
            for row in try await gw.pool.query("SELECT merchant, sent_as FROM payout_sends").rows {
                let (merchant, sentAs) = try row.decode((String, String).self)
                #expect(sentAs == "wechatpay.v2.partner mch_id=1900000200 wxappid=wx8888888888888888 sub_mch_id=\(subs[merchant] ?? "?") consume_mch_id=-")
            }
        }
    }

    @Test("a sub-merchant's packet is followed to its final state with gethbinfo asked as the provider")
    func queriedToTheEnd() async throws {
        let provider = GatewayHarness.Provider(mchId: "1900000200", subMerchants: [.init("sub-a", subMchId: "1900000301", msgAppID: GatewayHarness.appID)])
        try await GatewayHarness.with("partner-query", entities: [], providers: [provider]) { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oQuery")))
            let sent = try await gw.payout(id)
            #expect(sent.status == .sent && sent.merchant == "sub-a")
            // WeChat knows the packet under the provider's mch_id.
            #expect(try await gw.sim.controlStatus("POST", "/_sim/redpacks/1900000200/\(sent.billno)/receive", body: [String: String]()) == 200)
            let refreshed = try await gw.engine.refresh(sent, actor: "test", requestID: nil)
            #expect(refreshed.status == .received, "\(refreshed.status)")
            let queries = try await gw.pool.query("SELECT api, outcome FROM payout_attempts WHERE payout_id = $1 AND api = 'gethbinfo'", [id]).rows
                .map { try $0.decode((String, String).self) }
            #expect(queries.count == 1 && queries.first?.1 == "success", "\(queries)")
        }
    }

    @Test("merchant check proves a sub-merchant end to end: the provider's certificate and key, gethbinfo asked as the provider")
    func check() async throws {
        let provider = GatewayHarness.Provider(mchId: "1900000200", subMerchants: [.init("sub-a", subMchId: "1900000301", msgAppID: GatewayHarness.appID)])
        try await GatewayHarness.with("partner-check", entities: [], providers: [provider]) { gw in
            let sub = try #require(gw.registry.snapshot.merchant(named: "sub-a"))
            let steps = await MerchantCheck(client: gw.gateway.client).run(sub)
            #expect(!steps.isEmpty && steps.allSatisfy(\.ok), "\(steps)")
            // WeChat answered NOT_FOUND to the provider's signed gethbinfo: certificate, key and whitelist hold.
            #expect(steps.map(\.name) == ["certificate and key", "expiry", "TLS handshake", "signature key", "IP whitelist and product"])
        }
    }
}
