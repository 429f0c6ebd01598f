import Testing
@testable import WeChatPay

@Suite("Error catalogue and response interpretation")
struct ErrorCatalogTests {
    typealias C = ErrorCatalog.RetryClass

    // Every row of reference §5.1 with the class kept and whether money may have moved.
    static let redPacketRows: [(String, C, ErrorCatalog.Conclusion)] = [
        ("SYSTEMERROR", .unknown, .mustQuery), ("PROCESSING", .unknown, .mustQuery), ("268458547", .unknown, .mustQuery),
        ("SEND_FAILED", .failed, .mustQuery), ("FATAL_ERROR", .unknown, .mustQuery), ("NO_AUTH", .configuration, .nothingPaid),
        ("SENDNUM_LIMIT", .recipient, .nothingPaid), ("SENDAMOUNT_LIMIT", .configuration, .nothingPaid),
        ("RCVDAMOUNT_LIMIT", .recipient, .nothingPaid), ("ILLEGAL_APPID", .configuration, .nothingPaid),
        ("MONEY_LIMIT", .caller, .nothingPaid), ("CA_ERROR", .configuration, .nothingPaid), ("SIGN_ERROR", .configuration, .nothingPaid),
        ("XML_ERROR", .caller, .nothingPaid), ("FREQ_LIMIT", .configuration, .nothingPaid), ("API_METHOD_CLOSED", .configuration, .nothingPaid),
        ("NOTENOUGH", .configuration, .nothingPaid), ("OPENID_ERROR", .caller, .nothingPaid), ("MSGAPPID_ERROR", .configuration, .nothingPaid),
        ("ACCEPTMODE_ERROR", .configuration, .nothingPaid), ("PARAM_ERROR", .caller, .nothingPaid),
        ("PAYER_ACCOUNT_ABNORMAL", .configuration, .nothingPaid), ("SOMETHING_NEW", .unknown, .mustQuery),
    ]

    @Test("red packet codes (§5.1)", arguments: redPacketRows)
    func redPacket(code: String, expected: C, conclusion: ErrorCatalog.Conclusion) {
        let rule = ErrorCatalog.rule(for: code, family: .redPacket)
        #expect(rule.retryClass == expected)
        #expect(rule.conclusion == conclusion)
    }

    @Test("gethbinfo codes (§5.2): NOT_FOUND is unknown, never failed")
    func query() {
        #expect(ErrorCatalog.rule(for: "NOT_FOUND", family: .redPacketQuery).conclusion == .mustQuery)
        #expect(ErrorCatalog.rule(for: "SYSTEMERROR", family: .redPacketQuery).retryClass == .unknown)
        for code in ["CA_ERROR", "SIGN_ERROR", "NO_AUTH", "FREQ_LIMIT"] {
            #expect(ErrorCatalog.rule(for: code, family: .redPacketQuery).retryClass == .configuration)
        }
        for code in ["XML_ERROR", "PARAM_ERROR"] { #expect(ErrorCatalog.rule(for: code, family: .redPacketQuery).retryClass == .caller) }
    }

    static let transferRows: [(String, C)] = [
        ("SYSTEMERROR", .unknown), ("SEND_FAILED", .failed), ("NO_AUTH", .configuration), ("AMOUNT_LIMIT", .caller),
        ("PARAM_ERROR", .caller), ("OPENID_ERROR", .caller), ("NOTENOUGH", .configuration), ("NAME_MISMATCH", .recipient),
        ("SIGN_ERROR", .configuration), ("XML_ERROR", .caller), ("CA_ERROR", .configuration), ("FATAL_ERROR", .unknown),
        ("FREQ_LIMIT", .configuration), ("MONEY_LIMIT", .configuration), ("V2_ACCOUNT_SIMPLE_BAN", .recipient),
        ("PARAM_IS_NOT_UTF8", .caller), ("SENDNUM_LIMIT", .recipient), ("RECV_ACCOUNT_NOT_ALLOWED", .configuration),
        ("PAY_CHANNEL_NOT_ALLOWED", .configuration), ("SEND_MONEY_LIMIT", .configuration), ("RECEIVED_MONEY_LIMIT", .recipient),
    ]

    @Test("transfer codes (§5.3)", arguments: transferRows)
    func transfer(code: String, expected: C) {
        #expect(ErrorCatalog.rule(for: code, family: .transfer).retryClass == expected)
    }

    @Test("gettransferinfo NOT_FOUND is unknown (§5.4)")
    func transferQuery() {
        #expect(ErrorCatalog.rule(for: "NOT_FOUND", family: .transferQuery).conclusion == .mustQuery)
    }

    @Test("every code the tables know is tested above")
    func coverage() {
        let tested = Set(Self.redPacketRows.map(\.0))
        #expect(Set(ErrorCatalog.codes(.redPacket)).subtracting(tested).isEmpty)
        #expect(Set(ErrorCatalog.codes(.transfer)).subtracting(Set(Self.transferRows.map(\.0))).isEmpty)
    }

    let key = "192006250b4c09247ec02edce69f6a2d"

    let request = SendRedPack(packet: RedPacketFields(billno: "b1", merchantID: "10000098", appID: "wx8888888888888888", sendName: "s",
                                                      openID: "o1", amountFen: 100, wishing: "w", actName: "a", remark: "r"), clientIP: "10.0.0.1")
    /// What a success answer to `request` echoes.
    let echo = ["mch_billno": "b1", "mch_id": "10000098", "total_amount": "100", "re_openid": "o1"]

    func interpret(_ fields: [String: String], status: Int = 200) -> CallOutcome<SendResult> {
        ResponseInterpreter.interpret(request, status: status, body: Array(WeChatXML.encode(fields).utf8), key: key)
    }

    @Test("success needs both codes SUCCESS and err_code absent, SUCCESS or 0")
    func success() {
        for err in [nil, "SUCCESS", "0"] {
            var fields = echo.merging(["return_code": "SUCCESS", "result_code": "SUCCESS", "send_listid": "L"]) { $1 }
            fields["err_code"] = err
            guard case .success(let result) = interpret(fields) else { Issue.record("expected success for err_code \(err ?? "nil")"); continue }
            #expect(result.billno == "b1")
        }
    }

    @Test("an err_code decides even next to result_code SUCCESS")
    func errCodeWins() {
        guard case .failure(let failure) = interpret(["return_code": "SUCCESS", "result_code": "SUCCESS", "err_code": "NO_AUTH"]) else {
            Issue.record("expected failure"); return
        }
        #expect(failure.code == "NO_AUTH")
        #expect(!failure.outcomeUnknown)
    }

    @Test("unknown outcomes: FAIL without err_code, non-200, garbage, bad response sign, incomplete success")
    func unknowns() {
        let cases: [CallOutcome<SendResult>] = [
            interpret(["return_code": "SUCCESS", "result_code": "FAIL"]),
            interpret(["return_code": "FAIL", "return_msg": "?"]),
            interpret(["return_code": "SUCCESS", "result_code": "SUCCESS", "mch_billno": "b"], status: 502),
            ResponseInterpreter.interpret(request, status: 200, body: Array("<html>".utf8), key: key),
            interpret(["return_code": "SUCCESS", "result_code": "SUCCESS", "mch_billno": "b", "sign": "00000000000000000000000000000000"]),
            interpret(["return_code": "SUCCESS", "result_code": "SUCCESS"]),
        ]
        for outcome in cases {
            guard case .failure(let failure) = outcome else { Issue.record("expected failure, got \(outcome)"); continue }
            #expect(failure.outcomeUnknown, "\(failure)")
        }
    }

    @Test("a success answer echoing another billno, merchant, amount or openid — or none — is unknown, never sent")
    func echoMismatch() {
        for (name, other) in [("mch_billno", "b2"), ("mch_id", "10000099"), ("total_amount", "101"), ("re_openid", "o2")] {
            for value in [other, nil] {
                var fields = echo.merging(["return_code": "SUCCESS", "result_code": "SUCCESS", "send_listid": "L"]) { $1 }
                fields[name] = value
                guard case .failure(let failure) = interpret(fields) else { Issue.record("\(name)=\(value ?? "absent") must not be success"); continue }
                #expect(failure.code == ErrorCatalog.Synthetic.echoMismatch)
                #expect(failure.outcomeUnknown, "\(failure)")
            }
        }
    }

    @Test("a gethbinfo answer about another amount is not about this payout's packet: unknown, never read as its state")
    func queryEchoesTheAmount() {
        let query = QueryRedPack(billno: "b1", merchantID: "10000098", appID: "wx8888888888888888", totalAmountFen: 100)
        let answer = ["return_code": "SUCCESS", "result_code": "SUCCESS", "mch_billno": "b1", "mch_id": "10000098", "detail_id": "D",
                      "status": "SENT", "send_type": "API", "hb_type": "NORMAL", "total_num": "1", "send_time": "2026-01-01 10:00:00"]
        func interpret(_ amount: String?) -> CallOutcome<RedPacketInfo> {
            var fields = answer
            fields["total_amount"] = amount
            return ResponseInterpreter.interpret(query, status: 200, body: Array(WeChatXML.encode(fields).utf8), key: key)
        }
        guard case .success(let info) = interpret("100") else { Issue.record("the same amount is this packet's state"); return }
        #expect(info.status == .sent)
        for other in ["101", nil] {
            guard case .failure(let failure) = interpret(other) else { Issue.record("total_amount \(other ?? "absent") must not be read as this packet's"); continue }
            #expect(failure.code == ErrorCatalog.Synthetic.echoMismatch && failure.outcomeUnknown)
        }
        let unchecked = QueryRedPack(billno: "b1", merchantID: "10000098", appID: "wx8888888888888888")
        #expect(unchecked.echoedFields["total_amount"] == nil, "merchant check asks about a billno it knows no amount of")
    }

    @Test("a response sign that verifies is accepted")
    func signedResponse() {
        var fields = echo.merging(["return_code": "SUCCESS", "result_code": "SUCCESS"]) { $1 }
        fields["sign"] = Signer.sign(fields, key: key)
        guard case .success = interpret(fields) else { Issue.record("expected success"); return }
    }
}
