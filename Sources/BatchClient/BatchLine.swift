import Foundation
import Payouts
import WeChatPay

/// What every line shares unless its CSV row says otherwise: the command's options.
public struct BatchDefaults: Sendable {
    public let appID: String
    public let amountFen: Int64?
    public let actName: String
    public let wishing: String?
    public let remark: String?
    /// `--campaign`: every line is one packet of this campaign, which sets the appid,
    /// wording and amount; the lines give only openids.
    public let campaign: UUID?

    public init(appID: String, amountFen: Int64?, actName: String, wishing: String?, remark: String?) {
        self.appID = appID
        self.amountFen = amountFen
        self.actName = actName
        self.wishing = wishing
        self.remark = remark
        self.campaign = nil
    }

    public init(campaign: UUID) {
        (appID, amountFen, actName, wishing, remark) = ("", nil, "", nil, nil)
        self.campaign = campaign
    }
}

/// One line to send: its number in the file and what it asks for.
public struct BatchEntry: Sendable {
    public enum Request: Sendable {
        /// A red packet described in full.
        case packet(PayoutOrder)
        /// One packet of a campaign, for this openid.
        case campaign(UUID, openID: String)
    }

    public let line: Int
    public let request: Request

    public var openID: String {
        switch request {
        case .packet(let order): order.openID
        case .campaign(_, let openID): openID
        }
    }

    /// The order a full red-packet line asks for (nil for a campaign's line).
    public var order: PayoutOrder? {
        if case .packet(let order) = request { return order }
        return nil
    }
}

/// A line that cannot be sent, and why, field by field in the API's names.
public struct BatchLineProblem: Sendable, Error {
    public let line: Int
    public let problems: [FieldProblem]

    /// `line 12: amount_fen: must be …`, one per problem.
    public var lines: [String] { problems.map { "line \(line): \($0.field): \($0.message)" } }
}

/// Amounts are whole fen, as the API's `amount_fen`: "100" is 1 yuan. A decimal point is
/// refused rather than guessed at, since "1.5" could be yuan or a typo.
public enum BatchAmount {
    public static func fen(_ text: String) -> Result<Int64, AmountError> {
        if !text.isEmpty, text.utf8.count <= 12, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int64(text) {
            return .success(value)
        }
        let looksLikeYuan = text.contains(".") || text.contains("元") || text.contains("¥") || text.lowercased().contains("yuan")
        return .failure(AmountError(message: looksLikeYuan
            ? "must be whole fen (100 = 1 yuan), not \"\(text)\": amounts are never read as yuan"
            : "must be a whole number of fen, like 100 (1 yuan), not \"\(text)\""))
    }

    public struct AmountError: Error { public let message: String }
}

extension BatchDefaults {
    /// The order for one line, checked with the gateway's own rules (`PayoutOrderRules`, as
    /// `POST /v1/redpacks` applies them), so `--dry-run` finds what the API would refuse.
    func entry(line: Int, openID: String, amountText: String?, wishing lineWishing: String?, remark lineRemark: String?) -> Result<BatchEntry, BatchLineProblem> {
        if let campaign { return campaignEntry(campaign, line: line, openID: openID, given: [("amount_fen", amountText), ("wishing", lineWishing), ("remark", lineRemark)]) }
        var problems: [FieldProblem] = []
        var amount = amountFen
        if let amountText, !amountText.isEmpty {
            switch BatchAmount.fen(amountText) {
            case .success(let value): amount = value
            case .failure(let error):
                amount = nil
                problems.append(FieldProblem("amount_fen", error.message))
            }
        } else if amount == nil {
            problems.append(FieldProblem("amount_fen", "is missing: give it in the file or with --amount"))
        }
        let wishing = nonEmpty(lineWishing) ?? self.wishing ?? ""
        let remark = nonEmpty(lineRemark) ?? self.remark ?? ""
        let order = PayoutOrder(kind: .normal, appID: appID, openID: openID, amountFen: amount ?? RedPacketFieldRules.plainAmountFen.lowerBound,
                                wishing: wishing, actName: actName, remark: remark)
        for problem in PayoutOrderRules.problems(order) {
            switch (problem.field, problem.message) {
            case ("amount_fen", _) where amount == nil: continue // already said why
            case ("wishing", "is required"): problems.append(FieldProblem("wishing", "is missing: give it in the file or with --wishing"))
            case ("remark", "is required"): problems.append(FieldProblem("remark", "is missing: give it in the file or with --remark"))
            default: problems.append(problem)
            }
        }
        return problems.isEmpty ? .success(BatchEntry(line: line, request: .packet(order))) : .failure(BatchLineProblem(line: line, problems: problems))
    }

    /// A campaign's line: an openid the API would take, and nothing the campaign sets.
    private func campaignEntry(_ campaign: UUID, line: Int, openID: String, given: [(String, String?)]) -> Result<BatchEntry, BatchLineProblem> {
        var problems = given.compactMap { field, value in
            nonEmpty(value) == nil ? nil : FieldProblem(field, "is set by the campaign: leave it out of the file with --campaign")
        }
        // The openid through the same rules as any packet's (the other fields are valid stand-ins).
        let probe = PayoutOrder(kind: .normal, appID: "wx0", openID: openID, amountFen: RedPacketFieldRules.plainAmountFen.lowerBound, wishing: "w",
                                actName: "a", remark: "r")
        problems += PayoutOrderRules.problems(probe).filter { $0.field == "openid" }
        return problems.isEmpty ? .success(BatchEntry(line: line, request: .campaign(campaign, openID: openID)))
                                : .failure(BatchLineProblem(line: line, problems: problems))
    }

    private func nonEmpty(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
}
