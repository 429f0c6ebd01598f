import Foundation

/// Valid tenant API request bodies as a tenant writes them (plain JSON, never the
/// generated types), for in-process and end-to-end tests alike.
public enum TenantOrderBody {
    /// A valid `POST /v1/redpacks` body, with `changes` applied (nil removes a field).
    public static func redpack(_ changes: [String: Any?] = [:]) -> String {
        var object: [String: Any] = [
            "appid": "wx8888888888888888", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "amount_fen": 100,
            "wishing": "恭喜发财", "act_name": "新年", "remark": "来自 acme",
        ]
        for (key, value) in changes { object[key] = value }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// A valid `POST /v1/group-redpacks` body, with `changes` applied.
    public static func groupRedpack(_ changes: [String: Any?] = [:]) -> String {
        var all: [String: Any?] = ["total_num": 3, "amount_fen": 900]
        all.merge(changes) { _, new in new }
        return redpack(all)
    }
}
