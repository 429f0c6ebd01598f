@testable import Simulator
import Testing
import WeChatPay

/// The simulator's field rules (`SimRules`) are written from the reference on purpose, not
/// read from WeChatPay's `RedPacketFieldRules` / `TransferFieldRules`, so a mistake in the
/// shared table cannot hide behind a simulator that repeats it. This catches the two
/// drifting apart: at each edge the shared table's limit is accepted by the simulator and
/// limit + 1 refused.
@Suite("The simulator and the shared field rules agree")
struct SharedRulesAgreementTests {
    /// A wire field, the simulator's table it is in, and the shared table's longest value.
    struct Length: Sendable, CustomTestStringConvertible {
        let field: String
        let api: SimAPI
        let limit: Int
        init(_ field: String, _ api: SimAPI, _ limit: Int) { (self.field, self.api, self.limit) = (field, api, limit) }
        var testDescription: String { "\(field) (\(api)) ≤ \(limit)" }
    }

    static let lengths: [Length] = [
        Length("mch_billno", .sendRedPack, RedPacketFieldRules.billnoMaxLength),
        Length("mch_id", .sendRedPack, RedPacketFieldRules.merchantIDMaxLength),
        Length("wxappid", .sendRedPack, RedPacketFieldRules.appIDMaxLength),
        Length("re_openid", .sendRedPack, RedPacketFieldRules.openIDMaxLength),
        Length("send_name", .sendRedPack, RedPacketFieldRules.sendNameMaxLength),
        Length("wishing", .sendRedPack, RedPacketFieldRules.wishingMaxLength),
        Length("act_name", .sendRedPack, RedPacketFieldRules.actNameMaxLength),
        Length("remark", .sendRedPack, RedPacketFieldRules.remarkMaxLength),
        Length("risk_info", .sendRedPack, RedPacketFieldRules.riskInfoMaxLength),
        Length("consume_mch_id", .sendRedPack, RedPacketFieldRules.merchantIDMaxLength),
        Length("mch_billno", .queryRedPack, RedPacketFieldRules.billnoMaxLength),
        Length("partner_trade_no", .transfer, TransferFieldRules.tradeNumberMaxLength),
        Length("mchid", .transfer, TransferFieldRules.merchantIDMaxLength),
        Length("mch_appid", .transfer, TransferFieldRules.appIDMaxLength),
        Length("openid", .transfer, TransferFieldRules.openIDMaxLength),
        Length("re_user_name", .transfer, TransferFieldRules.userNameMaxLength),
        Length("desc", .transfer, TransferFieldRules.descriptionMaxLength),
        Length("device_info", .transfer, TransferFieldRules.deviceInfoMaxLength),
        Length("partner_trade_no", .queryTransfer, TransferFieldRules.tradeNumberMaxLength),
        Length("appid", .queryTransfer, TransferFieldRules.queryAppIDMaxLength),
    ]

    @Test("a value of the shared table's longest length passes the simulator's row; one more character is PARAM_ERROR", arguments: lengths)
    func length(_ edge: Length) throws {
        let (field, limit) = (edge.field, edge.limit)
        let row = try #require(SimRules.table(for: edge.api).first { $0.name == field }, "the simulator has no row \(field)")
        #expect(SimRules.fieldRefusal([field: String(repeating: "1", count: limit)], [row]) == nil, "\(field): \(limit) characters")
        let refused = SimRules.fieldRefusal([field: String(repeating: "1", count: limit + 1)], [row])
        #expect(refused?["err_code"] == "PARAM_ERROR", "\(field): \(limit + 1) characters")
    }

    @Test("scene ids: the shared list is exactly the simulator's")
    func sceneIDs() throws {
        let row = try #require(SimRules.sendRedPack.first { $0.name == "scene_id" })
        #expect(row.maxLength == RedPacketFieldRules.sceneIDMaxLength)
        for scene in RedPacketFieldRules.sceneIDs {
            #expect(SimRules.fieldRefusal(["scene_id": scene], [row]) == nil, "\(scene)")
        }
        #expect(Set(SimRules.scenes) == Set(RedPacketFieldRules.sceneIDs))
    }

    @Test("amount per packet: the edges of both ranges, with and without a scene_id")
    func amounts() {
        let plain = RedPacketFieldRules.plainAmountFen, scene = RedPacketFieldRules.sceneAmountFen
        func refusal(_ fen: Int64, scene: String? = nil) -> String? {
            SimRules.amountRefusal(.sendRedPack, amountFen: fen, totalNum: 1, sceneID: scene, limits: .defaults)?["err_code"]
        }
        #expect(refusal(plain.lowerBound) == nil && refusal(plain.upperBound) == nil)
        #expect(refusal(plain.lowerBound - 1) != nil && refusal(plain.upperBound + 1) != nil)
        #expect(refusal(scene.lowerBound, scene: "PRODUCT_1") == nil && refusal(scene.upperBound, scene: "PRODUCT_1") == nil)
        #expect(refusal(scene.lowerBound - 1, scene: "PRODUCT_1") != nil && refusal(scene.upperBound + 1, scene: "PRODUCT_1") != nil)
    }

    @Test("group packets: the shares range and amt_type")
    func group() throws {
        let shares = RedPacketFieldRules.groupShares
        func refusal(_ totalNum: Int) -> String? {
            // 200 fen a share: inside the plain range for every count.
            SimRules.amountRefusal(.sendGroupRedPack, amountFen: 200 * Int64(totalNum), totalNum: totalNum, sceneID: nil, limits: .defaults)?["err_code"]
        }
        #expect(refusal(shares.lowerBound) == nil && refusal(shares.upperBound) == nil)
        #expect(refusal(shares.lowerBound - 1) == "PARAM_ERROR" && refusal(shares.upperBound + 1) == "PARAM_ERROR")
        let row = try #require(SimRules.sendGroupRedPack.first { $0.name == "amt_type" })
        #expect(SimRules.fieldRefusal(["amt_type": RedPacketFieldRules.groupAmountType], [row]) == nil)
    }

    @Test("transfers: check_name values and the minimum amount")
    func transfers() throws {
        let row = try #require(SimRules.transfer.first { $0.name == "check_name" })
        for value in TransferFieldRules.nameChecks {
            #expect(SimRules.fieldRefusal(["check_name": value], [row]) == nil, "\(value)")
        }
        // The simulator's maximum is the account's (500 yuan by default), not AMOUNT_LIMIT's ceiling.
        #expect(SimRules.Defaults.transferMinimumFen == TransferFieldRules.amountFen.lowerBound)
    }
}
