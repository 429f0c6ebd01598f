@testable import API
import Foundation
import Payouts
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Tenants
import Testing
import TestSupport

/// `POST /v1/transfers` and `GET /v1/transfers/{id}` on the real engine, database and
/// simulator, read as plain JSON.
@Suite("Transfers over HTTP")
struct TransferEndToEndTests {
    static func body(_ changes: [String: Any?] = [:]) -> String {
        var object: [String: Any] = ["appid": "wx8888888888888888", "openid": "oPayee", "amount_fen": 1200, "description": "报销"]
        for (key, value) in changes { object[key] = value }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test("POST 201 processing with the documented shape; a replay is byte-identical; GET agrees; it is not a red packet; another tenant gets 404")
    func createAndRead() async throws {
        try await GatewayHarness.with("e2etransfer") { gw in
            _ = try await TenantStore(pool: gw.pool).add(name: "other-shop", dailyBudgetFen: nil, actor: "test")
            let other = try await APIKeyStore(pool: gw.pool).issue(tenant: "other-shop", mode: .test, actor: "test").key.text
            try await RedpackAPIFlowTests().app(gw, logs: CapturedLogs()).test(.router) { client in
                let created = try await client.send(.post, "/v1/transfers", body: Self.body(), key: gw.apiKey, idempotencyKey: "t-1")
                #expect(created.status == .created)
                let transfer = try created.jsonObject()
                let id = try #require(transfer["id"] as? String)
                #expect(transfer["object"] as? String == "transfer" && transfer["status"] as? String == "processing")
                #expect(transfer["check_name"] as? String == "NO_CHECK" && transfer["amount_fen"] as? Int == 1200 && transfer["description"] as? String == "报销")
                #expect((transfer["partner_trade_no"] as? String)?.count == 28 && transfer["payment_no"] is String)
                #expect(transfer.keys.contains("error") && transfer["error"] is NSNull)

                let replay = try await client.send(.post, "/v1/transfers", body: Self.body(), key: gw.apiKey, idempotencyKey: "t-1")
                #expect(replay.status == .created && String(buffer: replay.body) == String(buffer: created.body))
                let conflict = try await client.send(.post, "/v1/transfers", body: Self.body(["amount_fen": 1300]), key: gw.apiKey, idempotencyKey: "t-1")
                #expect(conflict.status == .conflict)

                let fetched = try await client.send(.get, "/v1/transfers/\(id)", key: gw.apiKey, idempotencyKey: nil)
                #expect(try fetched.status == .ok && fetched.jsonObject()["partner_trade_no"] as? String == transfer["partner_trade_no"] as? String)
                #expect(try await client.send(.get, "/v1/redpacks/\(id)", key: gw.apiKey, idempotencyKey: nil).status == .notFound)
                let list = try await client.send(.get, "/v1/redpacks", key: gw.apiKey, idempotencyKey: nil).jsonObject()
                #expect((list["data"] as? [Any])?.isEmpty == true, "red packet listings hold no transfers")
                #expect(try await client.send(.get, "/v1/transfers/\(id)", key: other, idempotencyKey: nil).status == .notFound)
            }
            #expect(try await gw.sim.ledger().transfers.map(\.amountFen) == [1200])
        }
    }

    @Test("bad transfers are refused before anything is recorded: FORCE_CHECK without a name, too small, an unknown field")
    func refusals() async throws {
        try await GatewayHarness.with("e2etransferbad") { gw in
            try await RedpackAPIFlowTests().app(gw, logs: CapturedLogs()).test(.router) { client in
                let noName = try await client.send(.post, "/v1/transfers", body: Self.body(["check_name": "FORCE_CHECK"]), key: gw.apiKey, idempotencyKey: "b1")
                #expect(noName.status == .badRequest || noName.status == .unprocessableContent)
                #expect(try (noName.jsonObject()["errors"] as? [[String: Any]])?.first?["field"] as? String == "re_user_name")
                let small = try await client.send(.post, "/v1/transfers", body: Self.body(["amount_fen": 50]), key: gw.apiKey, idempotencyKey: "b2")
                #expect(try (small.jsonObject()["errors"] as? [[String: Any]])?.first?["field"] as? String == "amount_fen")
                let unknown = try await client.send(.post, "/v1/transfers", body: Self.body(["wishing": "x"]), key: gw.apiKey, idempotencyKey: "b3")
                #expect(unknown.status == .badRequest)
            }
            let count = try await gw.pool.query("SELECT count(*) FROM payouts").first!.decode(column: 0, as: Int64.self)
            #expect(count == 0)
            #expect(try await gw.sim.ledger().transfers.isEmpty)
        }
    }
}
