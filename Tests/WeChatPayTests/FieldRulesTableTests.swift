import Testing
import WeChatPay

/// The shared field rules against the reference (wechatpay-v2.md §3.1, §3.3, §3.6, §4.1,
/// §4.4). Every expected value is a literal copied from the reference, never computed by
/// the code under test; the request builders are then checked at each edge.
@Suite("Shared field rules (RedPacketFieldRules, TransferFieldRules)")
struct FieldRulesTableTests {
    /// A rule's value in the table and the reference's value for it.
    struct Row: Sendable, CustomTestStringConvertible {
        let rule: String
        let table: Int64
        let reference: Int64
        init(_ rule: String, _ table: Int, _ reference: Int64) { (self.rule, self.table, self.reference) = (rule, Int64(table), reference) }
        init(_ rule: String, _ table: Int64, _ reference: Int64) { (self.rule, self.table, self.reference) = (rule, table, reference) }
        var testDescription: String { "\(rule) = \(reference)" }
    }

    static let rows: [Row] = [
        // §3.1 sendredpack: String(n).
        Row("mch_billno length", RedPacketFieldRules.billnoMaxLength, 28),
        Row("mch_id length", RedPacketFieldRules.merchantIDMaxLength, 32),
        Row("wxappid length", RedPacketFieldRules.appIDMaxLength, 32),
        Row("re_openid length", RedPacketFieldRules.openIDMaxLength, 32),
        Row("send_name length", RedPacketFieldRules.sendNameMaxLength, 32),
        Row("wishing length", RedPacketFieldRules.wishingMaxLength, 128),
        Row("act_name length", RedPacketFieldRules.actNameMaxLength, 32),
        Row("remark length", RedPacketFieldRules.remarkMaxLength, 256),
        Row("scene_id length", RedPacketFieldRules.sceneIDMaxLength, 32),
        Row("risk_info length", RedPacketFieldRules.riskInfoMaxLength, 128),
        // §4.1: 1–200 yuan without a scene_id, at most 4999 yuan with one.
        Row("least fen without scene_id", RedPacketFieldRules.plainAmountFen.lowerBound, 100),
        Row("most fen without scene_id", RedPacketFieldRules.plainAmountFen.upperBound, 20_000),
        Row("least fen with scene_id", RedPacketFieldRules.sceneAmountFen.lowerBound, 1),
        Row("most fen with scene_id", RedPacketFieldRules.sceneAmountFen.upperBound, 499_900),
        // §3.3 sendgroupredpack: total_num 3–20.
        Row("fewest group shares", RedPacketFieldRules.groupShares.lowerBound, 3),
        Row("most group shares", RedPacketFieldRules.groupShares.upperBound, 20),
        // §3.6 promotion/transfers (newer lengths), §3.7, §4.4.
        Row("partner_trade_no length", TransferFieldRules.tradeNumberMaxLength, 32),
        Row("mchid length", TransferFieldRules.merchantIDMaxLength, 32),
        Row("mch_appid length", TransferFieldRules.appIDMaxLength, 128),
        Row("transfer openid length", TransferFieldRules.openIDMaxLength, 64),
        Row("re_user_name length", TransferFieldRules.userNameMaxLength, 64),
        Row("desc length", TransferFieldRules.descriptionMaxLength, 100),
        Row("device_info length", TransferFieldRules.deviceInfoMaxLength, 32),
        Row("gettransferinfo appid length", TransferFieldRules.queryAppIDMaxLength, 32),
        Row("least transfer fen", TransferFieldRules.amountFen.lowerBound, 100),
        Row("most transfer fen", TransferFieldRules.amountFen.upperBound, 2_000_000),
    ]

    @Test("each number of the table is the reference's", arguments: rows)
    func number(_ row: Row) {
        #expect(row.table == row.reference)
    }

    @Test("the sets of the table are the reference's")
    func sets() {
        #expect(RedPacketFieldRules.sceneIDs == ["PRODUCT_1", "PRODUCT_2", "PRODUCT_3", "PRODUCT_4", "PRODUCT_5", "PRODUCT_6", "PRODUCT_7", "PRODUCT_8"])
        #expect(RedPacketFieldRules.groupAmountType == "ALL_RAND")
        #expect(TransferFieldRules.nameChecks == ["NO_CHECK", "FORCE_CHECK"])
        #expect(TransferFieldRules.nameChecks.allSatisfy { Transfer.NameCheck(rawValue: $0) != nil })
    }

    // MARK: the request builders at the edges

    /// A good packet and the fields a request refuses, as the request validation tests make them.
    let sample = RequestValidationTests()

    func packet(_ change: (inout RedPacketFields) -> Void = { _ in }) -> RedPacketFields { sample.packet(change) }

    func refused(_ request: some WeChatPayRequest) -> [String] { sample.fields(of: request) }

    /// (wire field, longest length, how to set it), written from §3.1.
    static let packetLengths: [(String, Int, @Sendable (inout RedPacketFields, String) -> Void)] = [
        ("send_name", 32, { $0.sendName = $1 }), ("wishing", 128, { $0.wishing = $1 }), ("act_name", 32, { $0.actName = $1 }),
        ("remark", 256, { $0.remark = $1 }), ("risk_info", 128, { $0.riskInfo = $1 }), ("re_openid", 32, { $0.openID = $1 }),
        ("wxappid", 32, { $0.appID = $1 }), ("mch_id", 32, { $0.merchantID = $1 }), ("consume_mch_id", 32, { $0.consumeMerchantID = $1 }),
    ]

    @Test("sendredpack: each text field takes its String(n) and refuses one character more")
    func packetLengthEdges() {
        for (field, limit, set) in Self.packetLengths {
            let longest = String(repeating: "红", count: limit), over = String(repeating: "红", count: limit + 1)
            #expect(refused(SendRedPack(packet: packet { set(&$0, longest) }, clientIP: "10.0.0.1")) == [], "\(field) \(limit)")
            #expect(refused(SendRedPack(packet: packet { set(&$0, over) }, clientIP: "10.0.0.1")) == [field], "\(field) \(limit + 1)")
        }
    }

    /// (fen, scene_id, refused fields), written from §4.1.
    static let amounts: [(Int64, String?, [String])] = [
        (99, nil, ["total_amount"]), (100, nil, []), (20_000, nil, []), (20_001, nil, ["total_amount"]),
        (1, "PRODUCT_1", []), (20_001, "PRODUCT_8", []), (0, "PRODUCT_1", ["total_amount"]), (500, "PRODUCT_9", ["scene_id"]),
    ]

    @Test("sendredpack: amounts at the edges of the range, with and without a scene_id")
    func amountEdges() {
        for (fen, scene, fields) in Self.amounts {
            #expect(refused(SendRedPack(packet: packet { $0.amountFen = fen; $0.sceneID = scene }, clientIP: "10.0.0.1")) == fields,
                    "\(fen) fen, scene \(scene ?? "-")")
        }
    }

    @Test("sendgroupredpack: 3 and 20 shares pass, 2 and 21 are refused; amt_type is ALL_RAND")
    func groupEdges() {
        for (shares, fields) in [(2, ["total_num"]), (3, []), (20, []), (21, ["total_num"])] {
            #expect(refused(SendGroupRedPack(packet: packet { $0.amountFen = 2_000 * 21 }, shares: shares)).filter { $0 == "total_num" } == fields,
                    "\(shares) shares")
        }
        #expect(SendGroupRedPack(packet: packet { $0.amountFen = 300 }, shares: 3).fields["amt_type"] == "ALL_RAND")
    }

    @Test("the builders' messages name the reference's values")
    func messages() {
        func reasons(_ request: some WeChatPayRequest) -> [String]? {
            #expect(throws: RequestInvalid.self) { try request.validate() }?.errors.map(\.description)
        }
        #expect(reasons(SendRedPack(packet: packet { $0.amountFen = 99 }, clientIP: "10.0.0.1"))
            == ["total_amount: outside 100–20000 fen (1–200 yuan) requires a scene_id"])
        #expect(reasons(SendRedPack(packet: packet { $0.sceneID = "PRODUCT_9" }, clientIP: "10.0.0.1"))
            == ["scene_id: must be one of PRODUCT_1, PRODUCT_2, PRODUCT_3, PRODUCT_4, PRODUCT_5, PRODUCT_6, PRODUCT_7, PRODUCT_8"])
        #expect(reasons(SendGroupRedPack(packet: packet { $0.amountFen = 4_200 }, shares: 21)) == ["total_num: must be 3–20 for a group red packet"])
    }

    @Test("promotion/transfers: desc and re_user_name take their String(n) and refuse one character more")
    func transferEdges() {
        func transfer(description: String = "d", userName: String? = nil) -> Transfer {
            Transfer(tradeNumber: "T1", merchantID: "1900000109", appID: "wx1", openID: "o", nameCheck: userName == nil ? .none : .force,
                     userName: userName, amountFen: 100, description: description, clientIP: "1.2.3.4")
        }
        #expect(refused(transfer(description: String(repeating: "理", count: 100))) == [])
        #expect(refused(transfer(description: String(repeating: "理", count: 101))) == ["desc"])
        #expect(refused(transfer(userName: String(repeating: "王", count: 64))) == [])
        #expect(refused(transfer(userName: String(repeating: "王", count: 65))) == ["re_user_name"])
    }
}
