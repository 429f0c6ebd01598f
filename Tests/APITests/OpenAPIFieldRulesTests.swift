@testable import API
import Testing
import WeChatPay

/// openapi.yaml states the edge's limits to tenants, and `FieldRules` enforces them from
/// WeChatPay's shared tables: this fails when the contract and the table drift apart.
@Suite("openapi.yaml states the shared field rules")
struct OpenAPIFieldRulesTests {
    /// `key`'s value in `schema`'s property `property` (openapi.yaml's two-space layout).
    static func value(_ schema: String, _ property: String, _ key: String) -> String? {
        let lines = OpenAPIDocument.yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0 == "    \(schema):" }) else { return nil }
        var index = start + 1
        while index < lines.count, lines[index].hasPrefix("      ") {
            if lines[index] == "        \(property):" {
                var row = index + 1
                while row < lines.count, lines[row].hasPrefix("          ") {
                    let text = lines[row].drop { $0 == " " }
                    if text.hasPrefix("\(key): ") { return String(text.dropFirst(key.count + 2)) }
                    row += 1
                }
                return nil
            }
            index += 1
        }
        return nil
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let schema: String
        let property: String
        let key: String
        let table: Int64
        init(_ schema: String, _ property: String, _ key: String, _ table: Int) { (self.schema, self.property, self.key, self.table) = (schema, property, key, Int64(table)) }
        init(_ schema: String, _ property: String, _ key: String, _ table: Int64) { (self.schema, self.property, self.key, self.table) = (schema, property, key, table) }
        var testDescription: String { "\(schema).\(property) \(key)" }
    }

    typealias R = RedPacketFieldRules
    typealias T = TransferFieldRules

    static let rows: [Row] = ["CreateRedpackRequest", "CreateGroupRedpackRequest"].flatMap { schema in [
        Row(schema, "appid", "maxLength", R.appIDMaxLength), Row(schema, "openid", "maxLength", R.openIDMaxLength),
        Row(schema, "wishing", "maxLength", R.wishingMaxLength), Row(schema, "act_name", "maxLength", R.actNameMaxLength),
        Row(schema, "remark", "maxLength", R.remarkMaxLength), Row(schema, "send_name", "maxLength", R.sendNameMaxLength),
        Row(schema, "risk_info", "maxLength", R.riskInfoMaxLength),
    ] } + [
        Row("CreateGroupRedpackRequest", "total_num", "minimum", R.groupShares.lowerBound),
        Row("CreateGroupRedpackRequest", "total_num", "maximum", R.groupShares.upperBound),
        Row("CreateTransferRequest", "amount_fen", "minimum", T.amountFen.lowerBound),
        Row("CreateTransferRequest", "amount_fen", "maximum", T.amountFen.upperBound),
        Row("CreateTransferRequest", "description", "maxLength", T.descriptionMaxLength),
        Row("CreateTransferRequest", "re_user_name", "maxLength", T.userNameMaxLength),
    ]

    @Test("each limit openapi.yaml states is the shared table's", arguments: rows)
    func limit(_ row: Row) {
        #expect(Self.value(row.schema, row.property, row.key) == String(row.table))
    }

    @Test("the SceneId and check_name enums are the shared table's sets")
    func sets() {
        #expect(OpenAPIDocument.yaml.contains("      enum: [\(R.sceneIDs.joined(separator: ", "))]"))
        #expect(Set(Components.Schemas.SceneId.allCases.map(\.rawValue)) == Set(R.sceneIDs))
        #expect(OpenAPIDocument.yaml.contains("          enum: [\(T.nameChecks.joined(separator: ", "))]"))
    }
}
