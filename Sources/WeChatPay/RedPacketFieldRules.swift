/// WeChat's rules for the fields of a red packet (reference §3.1, §3.3, §3.4, §4.1), as
/// one table. The HTTP edge (API's `FieldRules`), the engine (`PayoutOrderRules`) and the
/// request builders here read it, each refusing in its own words; the simulator keeps its
/// own copy on purpose (`SimRules`), and a test checks that the two agree.
public enum RedPacketFieldRules {
    // Longest values (String(n)), counted in Unicode scalars: the reference does not say
    // bytes or characters, and a too-long value is only a PARAM_ERROR upstream.
    public static let billnoMaxLength = 28
    public static let merchantIDMaxLength = 32
    public static let appIDMaxLength = 32
    public static let openIDMaxLength = 32
    public static let sendNameMaxLength = 32
    public static let wishingMaxLength = 128
    public static let actNameMaxLength = 32
    public static let remarkMaxLength = 256
    public static let sceneIDMaxLength = 32
    public static let riskInfoMaxLength = 128

    /// Fen per packet without a scene_id: 1–200 yuan (WeChat's default; a merchant may
    /// have its own range, which routing applies).
    public static let plainAmountFen: ClosedRange<Int64> = 100...20_000
    /// Fen per packet with a scene_id: up to 4999 yuan.
    public static let sceneAmountFen: ClosedRange<Int64> = 1...499_900
    /// The scene ids WeChat knows (§3.1).
    public static let sceneIDs: [String] = ["PRODUCT_1", "PRODUCT_2", "PRODUCT_3", "PRODUCT_4", "PRODUCT_5", "PRODUCT_6", "PRODUCT_7", "PRODUCT_8"]

    /// Fission (group) packets (§3.3): how many may receive, the sharer included; the
    /// amount rules apply to the average share.
    public static let groupShares: ClosedRange<Int> = 3...20
    /// The only amt_type: WeChat splits the total at random.
    public static let groupAmountType = "ALL_RAND"

    /// `100–20000 fen (1–200 yuan)`: how messages name a range of fen.
    public static func describe(_ fen: ClosedRange<Int64>) -> String {
        "\(fen.lowerBound)–\(fen.upperBound) fen (\(fen.lowerBound / 100)–\(fen.upperBound / 100) yuan)"
    }
}
