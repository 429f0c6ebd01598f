/// Builds WeChat's answer documents.
enum SimAnswer {
    /// A business error as WeChat words it: return_code SUCCESS, result_code FAIL, err_code.
    static func error(_ code: String, _ description: String) -> [String: String] {
        ["return_code": "SUCCESS", "return_msg": "OK", "result_code": "FAIL", "err_code": code, "err_code_des": description]
    }

    /// A user flagged by risk control (NO_AUTH, reference §5.1 (a)): the same for every merchant.
    static let riskRefusal = error("NO_AUTH", "用户账号异常，已被风控拦截 (the user's account is flagged by risk control)")

    /// A refusal at the communication/validation level: return_code FAIL as well.
    static func refusal(_ code: String, _ description: String) -> [String: String] {
        ["return_code": "FAIL", "return_msg": description, "result_code": "FAIL", "err_code": code, "err_code_des": description]
    }

    static func success(_ fields: [String: String], message: String = "OK") -> [String: String] {
        fields.merging(["return_code": "SUCCESS", "return_msg": message, "result_code": "SUCCESS", "err_code": "SUCCESS", "err_code_des": message]) { $1 }
    }
}

/// An answer: flat fields, plus gethbinfo's receiver list.
struct SimReply: Sendable {
    var fields: [String: String]
    var hblist: [[String: String]] = []

    init(_ fields: [String: String], hblist: [[String: String]] = []) {
        self.fields = fields
        self.hblist = hblist
    }

    var xml: String {
        WeChatXML.encode(fields, lists: hblist.isEmpty ? [:] : ["hblist": (item: "hbinfo", entries: hblist)])
    }
}

import WeChatPay
