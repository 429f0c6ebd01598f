/// What one call came to, in terms the payout engine can act on.
public enum CallOutcome<Response: Sendable>: Sendable {
    /// WeChat accepted: the typed answer.
    case success(Response)
    /// WeChat answered with an error, or the answer could not be trusted or read. The
    /// rule's conclusion says whether money may have moved.
    case failure(WeChatPayFailure)
    /// Nothing reached WeChat (DNS, refused connection, TLS handshake): safe to retry anywhere.
    case notSent(String)

    /// The outcome table's word for it, as `payout_attempts.outcome` and the metrics say it:
    /// success, not_sent, unknown (money may have moved) or failure.
    public var name: String {
        switch self {
        case .success: "success"
        case .notSent: "not_sent"
        case .failure(let failure): failure.outcomeUnknown ? "unknown" : "failure"
        }
    }

    /// WeChat's err_code (or a synthetic one, NOT_SENT when nothing was sent); nil on success.
    public var errCode: String? {
        switch self {
        case .success: nil
        case .notSent: ErrorCatalog.Synthetic.notSent
        case .failure(let failure): failure.code
        }
    }
}

/// An error answer (or an unreadable one) with the catalogue's verdict.
public struct WeChatPayFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String
    public let rule: ErrorCatalog.Rule

    public init(code: String, message: String, rule: ErrorCatalog.Rule) {
        self.code = code
        self.message = message
        self.rule = rule
    }

    /// True when the payout must stay open: query or resend the same number.
    public var outcomeUnknown: Bool { rule.conclusion == .mustQuery }
    public var description: String { "\(code) [\(rule.retryClass.rawValue)]: \(message)" }
}

/// Reads an answer body per reference §1.4 and §5: success needs return_code and
/// result_code SUCCESS and err_code absent, SUCCESS or 0; an err_code decides
/// otherwise; anything unreadable or unexplained is outcome-unknown.
public enum ResponseInterpreter {
    public static func interpret<R: WeChatPayRequest>(_ request: R, status: Int, body: [UInt8], key: String) -> CallOutcome<R.Response> {
        guard status == 200 else {
            return .failure(unknown(ErrorCatalog.Synthetic.httpStatus, "HTTP \(status) from WeChat"))
        }
        let document: WeChatXML.Document
        do {
            document = try WeChatXML.decode(body, lists: R.responseLists)
        } catch {
            return .failure(unknown(ErrorCatalog.Synthetic.unparsable, "unreadable answer: \(error.reason)"))
        }
        // Answers usually carry no sign; verify only when one is present (WxJava's rule).
        if document["sign"] != nil, !Signer.verify(document.fields, key: key) {
            return .failure(unknown(ErrorCatalog.Synthetic.responseSignature, "answer carries a signature that does not verify"))
        }
        let returnCode = document["return_code"]
        let resultCode = document["result_code"]
        let errCode = document["err_code"].flatMap { $0.isEmpty || $0 == "SUCCESS" || $0 == "0" ? nil : $0 }
        let message = document["err_code_des"] ?? document["return_msg"] ?? ""
        if let errCode {
            return .failure(WeChatPayFailure(code: errCode, message: message, rule: ErrorCatalog.rule(for: errCode, family: R.family)))
        }
        guard returnCode == "SUCCESS", resultCode == "SUCCESS" else {
            // FAIL without err_code: the docs say such a result may be non-final.
            return .failure(unknown(ErrorCatalog.Synthetic.resultUncertain,
                                    "return_code=\(returnCode ?? "-") result_code=\(resultCode ?? "-") without err_code: \(message)"))
        }
        let mismatches = request.echoMismatches(document)
        guard mismatches.isEmpty else {
            return .failure(unknown(ErrorCatalog.Synthetic.echoMismatch, "success answer does not match the request: " + mismatches.joined(separator: "; ")))
        }
        do {
            return .success(try R.response(from: document))
        } catch {
            return .failure(unknown(ErrorCatalog.Synthetic.unparsable, "success answer incomplete: \(error.reason)"))
        }
    }

    static func unknown(_ code: String, _ message: String) -> WeChatPayFailure {
        WeChatPayFailure(code: code, message: message, rule: ErrorCatalog.unknownCode)
    }
}
