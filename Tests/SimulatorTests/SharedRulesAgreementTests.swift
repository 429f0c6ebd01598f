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
    /// sendredpack's wire fields and the shared table's longest values.
    static let redPacketLengths: [(String, Int)] = [
        ("mch_billno", RedPacketFieldRules.billnoMaxLength), ("mch_id", RedPacketFieldRules.merchantIDMaxLength),
        ("wxappid", RedPacketFieldRules.appIDMaxLength), ("re_openid", RedPacketFieldRules.openIDMaxLength),
        ("send_name", RedPacketFieldRules.sendNameMaxLength), ("wishing", RedPacketFieldRules.wishingMaxLength),
        ("act_name", RedPacketFieldRules.actNameMaxLength), ("remark", RedPacketFieldRules.remarkMaxLength),
        ("risk_info", RedPacketFieldRules.riskInfoMaxLength), ("consume_mch_id", RedPacketFieldRules.merchantIDMaxLength),
    ]

    /// promotion/transfers' wire fields and the shared table's longest values.
    static let transferLengths: [(String, Int)] = [
        ("partner_trade_no", TransferFieldRules.tradeNumberMaxLength), ("mchid", TransferFieldRules.merchantIDMaxLength),
        ("mch_appid", TransferFieldRules.appIDMaxLength), ("openid", TransferFieldRules.openIDMaxLength),
        ("re_user_name", TransferFieldRules.userNameMaxLength), ("desc", TransferFieldRules.descriptionMaxLength),
        ("device_info", TransferFieldRules.deviceInfoMaxLength),
    ]

    /// `field`'s row of the simulator's `table` takes `limit` characters and refuses `limit + 1`.
    static func agrees(_ field: String, _ limit: Int, in table: [SimRules.Field]) throws {
        let row = try #require(table.first { $0.name == field }, "the simulator has no row \(field)")
        #expect(SimRules.fieldRefusal([field: String(repeating: "1", count: limit)], [row]) == nil, "\(field): \(limit) characters")
        let refused = SimRules.fieldRefusal([field: String(repeating: "1", count: limit + 1)], [row])
        #expect(refused?["err_code"] == "PARAM_ERROR", "\(field): \(limit + 1) characters")
    }

    @Test("sendredpack: the shared table's longest value passes the simulator's row; one more character is PARAM_ERROR", arguments: redPacketLengths)
    func redPacketLength(_ field: String, _ limit: Int) throws {
        try Self.agrees(field, limit, in: SimRules.sendRedPack)
    }

    @Test("promotion/transfers: the shared table's longest value passes the simulator's row; one more character is PARAM_ERROR",
          arguments: transferLengths)
    func transferLength(_ field: String, _ limit: Int) throws {
        try Self.agrees(field, limit, in: SimRules.transfer)
    }

    @Test("gethbinfo and gettransferinfo: the order numbers and appid")
    func queryLengths() throws {
        try Self.agrees("mch_billno", RedPacketFieldRules.billnoMaxLength, in: SimRules.queryRedPack)
        try Self.agrees("partner_trade_no", TransferFieldRules.tradeNumberMaxLength, in: SimRules.queryTransfer)
        try Self.agrees("appid", TransferFieldRules.queryAppIDMaxLength, in: SimRules.queryTransfer)
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
