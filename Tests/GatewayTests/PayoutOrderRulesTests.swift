import Payouts
import Testing

/// The engine's side of the shared field rules: at each edge from the reference
/// (wechatpay-v2.md §3.1, §3.3, §3.6, §4.1, §4.4) an order is accepted or refused with
/// the message tenants see. Values and messages are literals, not read from the table.
@Suite("PayoutOrderRules at the edges of the shared field rules")
struct PayoutOrderRulesTests {
    static func order(fen: Int64 = 100, shares: Int = 1, scene: String? = nil, wishing: String = "w", actName: String = "a",
                      remark: String = "r", sendName: String? = nil) -> PayoutOrder {
        PayoutOrder(kind: shares == 1 ? .normal : .group, appID: "wx8888888888888888", openID: "oUser", amountFen: fen, totalNum: shares,
                    wishing: wishing, actName: actName, remark: remark, sendName: sendName, sceneID: scene)
    }

    /// An order and the problems expected, as `field: message`.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let order: PayoutOrder
        let problems: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "99 fen, no scene", order: order(fen: 99), problems: ["amount_fen: must be 100–20000 fen (1–200 yuan) without a scene_id"]),
        Case(name: "100 fen, no scene", order: order(fen: 100), problems: []),
        Case(name: "20000 fen, no scene", order: order(fen: 20_000), problems: []),
        Case(name: "20001 fen, no scene", order: order(fen: 20_001), problems: ["amount_fen: must be 100–20000 fen (1–200 yuan) without a scene_id"]),
        Case(name: "1 fen, PRODUCT_1", order: order(fen: 1, scene: "PRODUCT_1"), problems: []),
        Case(name: "499900 fen, PRODUCT_8", order: order(fen: 499_900, scene: "PRODUCT_8"), problems: []),
        Case(name: "499901 fen, PRODUCT_8", order: order(fen: 499_901, scene: "PRODUCT_8"), problems: ["amount_fen: must be 1–499900 fen with a scene_id"]),
        Case(name: "PRODUCT_9", order: order(fen: 500, scene: "PRODUCT_9"), problems: ["scene_id: must be one of PRODUCT_1 … PRODUCT_8"]),
        Case(name: "wishing of 128", order: order(wishing: String(repeating: "福", count: 128)), problems: []),
        Case(name: "wishing of 129", order: order(wishing: String(repeating: "福", count: 129)), problems: ["wishing: must be at most 128 characters"]),
        Case(name: "act_name of 32", order: order(actName: String(repeating: "新", count: 32)), problems: []),
        Case(name: "act_name of 33", order: order(actName: String(repeating: "新", count: 33)), problems: ["act_name: must be at most 32 characters"]),
        Case(name: "remark of 256", order: order(remark: String(repeating: "备", count: 256)), problems: []),
        Case(name: "remark of 257", order: order(remark: String(repeating: "备", count: 257)), problems: ["remark: must be at most 256 characters"]),
        Case(name: "send_name of 32", order: order(sendName: String(repeating: "商", count: 32)), problems: []),
        Case(name: "send_name of 33", order: order(sendName: String(repeating: "商", count: 33)), problems: ["send_name: must be at most 32 characters"]),
        Case(name: "group of 2", order: order(fen: 600, shares: 2), problems: ["total_num: must be 3–20 for a group red packet"]),
        Case(name: "group of 3", order: order(fen: 300, shares: 3), problems: []),
        Case(name: "group of 20", order: order(fen: 2_000, shares: 20), problems: []),
        Case(name: "group of 21", order: order(fen: 2_100, shares: 21), problems: ["total_num: must be 3–20 for a group red packet"]),
        Case(name: "group share of 99", order: order(fen: 297, shares: 3),
             problems: ["amount_fen: per share (amount_fen / total_num = 99) must be 100–20000 fen (1–200 yuan) without a scene_id"]),
        Case(name: "transfer of 99 fen", order: .transfer(appID: "wx1", openID: "o", amountFen: 99, description: "d"),
             problems: ["amount_fen: must be 100–2000000 fen for a transfer"]),
        Case(name: "transfer of 100 fen", order: .transfer(appID: "wx1", openID: "o", amountFen: 100, description: "d"), problems: []),
        Case(name: "transfer of 2000000 fen", order: .transfer(appID: "wx1", openID: "o", amountFen: 2_000_000, description: "d"), problems: []),
        Case(name: "transfer of 2000001 fen", order: .transfer(appID: "wx1", openID: "o", amountFen: 2_000_001, description: "d"),
             problems: ["amount_fen: must be 100–2000000 fen for a transfer"]),
        Case(name: "description of 100", order: .transfer(appID: "wx1", openID: "o", amountFen: 100, description: String(repeating: "理", count: 100)),
             problems: []),
        Case(name: "description of 101", order: .transfer(appID: "wx1", openID: "o", amountFen: 100, description: String(repeating: "理", count: 101)),
             problems: ["description: must be at most 100 characters"]),
        Case(name: "re_user_name of 65", order: .transfer(appID: "wx1", openID: "o", amountFen: 100, description: "d", checkName: "FORCE_CHECK",
                                                        userName: String(repeating: "王", count: 65)),
             problems: ["re_user_name: must be at most 64 characters"]),
        Case(name: "OPTION_CHECK", order: .transfer(appID: "wx1", openID: "o", amountFen: 100, description: "d", checkName: "OPTION_CHECK"),
             problems: ["check_name: must be NO_CHECK or FORCE_CHECK"]),
        Case(name: "NO_CHECK with a name", order: .transfer(appID: "wx1", openID: "o", amountFen: 100, description: "d", userName: "王"),
             problems: ["re_user_name: is only sent with check_name FORCE_CHECK"]),
    ]

    @Test("each edge is accepted or refused, in the words tenants see", arguments: cases)
    func edge(_ c: Case) {
        #expect(PayoutOrderRules.problems(c.order).map { "\($0.field): \($0.message)" } == c.problems)
    }
}
