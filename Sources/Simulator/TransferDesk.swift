import WeChatPay

/// A transfer request after every check that needs no merchant state.
struct TransferRequest: Sendable {
    let key: OrderKey
    let openid: String
    let appid: String
    let amountFen: Int64
    let forceCheck: Bool
    let userName: String
    let desc: String
    let fingerprint: Fingerprint
    /// What WeChat knows of the user (control API), read before the merchant's lock.
    let user: SimUser?
}

extension SimLedger {
    func transfer(_ f: [String: String], _ book: MerchantBook, _ account: SimAccount) -> [String: String] {
        let forceCheck = f["check_name"] == "FORCE_CHECK"
        if forceCheck, (f["re_user_name"] ?? "").isEmpty {
            return SimRules.paramError("re_user_name", "校验姓名时必填 (is required with check_name FORCE_CHECK)")
        }
        let appid = f["mch_appid"]!
        guard let type = account.appType(appid), type != .app else {
            return SimAnswer.refusal("PARAM_ERROR", "参数错误: mch_appid 商户号和appid没有绑定关系 (not bound to this mchid)")
        }
        let openid = f["openid"]!
        if user(openid)?.riskFlagged == true { return SimAnswer.riskRefusal }
        let request = TransferRequest(
            key: OrderKey(f["partner_trade_no"]!)!, openid: openid, appid: appid, amountFen: Int64(f["amount"]!) ?? .max,
            forceCheck: forceCheck, userName: f["re_user_name"] ?? "", desc: f["desc"]!, fingerprint: Self.fingerprint(f), user: user(openid))
        return book.state.withLock { state in
            state.transfer(request, now: clock.now, sequence: sequence) { record(book.mchId, $0) }
        }
    }

    func queryTransfer(_ f: [String: String], _ book: MerchantBook, _ account: SimAccount) -> [String: String] {
        guard account.appType(f["appid"]!) != nil else {
            return SimAnswer.refusal("PARAM_ERROR", "参数错误: appid 商户号和appid没有绑定关系 (not bound to this mch_id)")
        }
        let key = OrderKey(f["partner_trade_no"]!)!
        return book.state.withLock { state in
            let now = clock.now
            state.settleDue(now: now) { record(book.mchId, $0) }
            guard let position = state.transfers.position(of: key), now - state.transfers[position].createdAt < SimRules.Defaults.queryWindowSeconds else {
                return SimAnswer.error("NOT_FOUND", "指定单号数据不存在")
            }
            let t = state.transfers[position]
            let status = t.status(at: now)
            var out = [
                "partner_trade_no": t.key.description, "appid": state.appid(at: t.appIndex), "mch_id": book.mchId, "detail_id": t.paymentNo,
                "status": status.rawValue, "openid": t.openid, "payment_amount": String(t.amountFen),
                "transfer_time": SimTime.beijing(t.createdAt), "desc": t.desc,
            ]
            if let paid = t.paidAt(now) { out["payment_time"] = SimTime.beijing(paid) }
            if status == .failed { out["reason"] = t.reason }
            return SimAnswer.success(out)
        }
    }

    enum TransferControlError: Error {
        case notFound
        case settled(TransferRecord.Status)
    }

    /// Control API: settles a PROCESSING transfer now — FAILED (money back) or SUCCESS.
    func settleTransfer(mchId: String, tradeNo: String, fail reason: String?) -> Result<TransferView, TransferControlError> {
        guard let book = book(mchId), let key = OrderKey(tradeNo) else { return .failure(.notFound) }
        return book.state.withLock { state in
            let now = clock.now
            state.settleDue(now: now) { record(mchId, $0) }
            guard let position = state.transfers.position(of: key) else { return .failure(.notFound) }
            let status = state.transfers[position].status(at: now)
            guard status == .processing else { return .failure(.settled(status)) }
            let event = MerchantEvent.transferSettled(key, reason == nil ? .succeeded : .failed, at: now, reason: reason ?? "")
            state.apply(event)
            record(mchId, event)
            return .success(TransferView(mchId: mchId, state.transfers[position], now: now))
        }
    }
}

extension MerchantState {
    /// Re-entrancy, qualification, real-name rules, amount, per-user and merchant daily limits,
    /// balance — then the commit: debited now, PROCESSING until `settleAt`.
    mutating func transfer(_ r: TransferRequest, now: Double, sequence: SimSequence, emit: (MerchantEvent) -> Void) -> [String: String] {
        settleDue(now: now, emit: emit)
        if let position = transfers.position(of: r.key) {
            guard transfers[position].fingerprint == r.fingerprint else {
                return SimAnswer.error("FATAL_ERROR", "已存在该单号，并且请求参数与原单据不一致")
            }
            return transferSuccess(transfers[position])
        }
        let today = SimTime.day(now)
        if let refusal = SimRules.qualificationRefusal(account.spec, today: today) { return refusal }
        if r.user?.realNameVerified == false {
            return SimAnswer.error("V2_ACCOUNT_SIMPLE_BAN", "非实名用户账号不可发放 (the user has not completed real-name verification)")
        }
        // FORCE_CHECK compares re_user_name with the name registered for the openid; with no
        // name registered the simulator has nothing to compare and lets it pass.
        if r.forceCheck, let name = r.user?.realName, name != r.userName {
            return SimAnswer.error("NAME_MISMATCH", "真实姓名不一致 (re_user_name does not match the user's real name)")
        }
        let limits = account.limits
        if r.amountFen < SimRules.Defaults.transferMinimumFen {
            return SimAnswer.error("AMOUNT_LIMIT", "付款金额不能小于最低限额 (at least \(SimRules.Defaults.transferMinimumFen) fen)")
        }
        if r.amountFen > limits.transferMax {
            return SimAnswer.error("AMOUNT_LIMIT", "付款金额超出限制 (at most \(limits.transferMax) fen per payment)")
        }
        day.roll(to: today)
        let user = day.users[r.openid] ?? .init()
        if Int(user.transfers) >= limits.transferCount { return SimAnswer.error("SENDNUM_LIMIT", "该用户今日付款次数超过限制") }
        if user.transferFen + r.amountFen > limits.transferUserDaily {
            return SimAnswer.error("RECEIVED_MONEY_LIMIT", "已达到今日付款给此用户额度上限")
        }
        if day.transferFen + r.amountFen > limits.transferDaily {
            return SimAnswer.error("SEND_MONEY_LIMIT", "已达到今日商户付款额度上限")
        }
        guard account.balanceFen >= r.amountFen else { return SimAnswer.error("NOTENOUGH", "余额不足") }
        let record = TransferRecord(
            key: r.key, openid: r.openid, desc: r.desc, amountFen: r.amountFen, createdAt: now, settleAt: now + account.settleSeconds,
            sequence: sequence.next(), fingerprint: r.fingerprint, appIndex: appIndex(r.appid) ?? 0, settlement: .open, settledAt: 0, reason: "")
        apply(.transfer(record))
        emit(.transfer(record))
        return transferSuccess(record)
    }

    func transferSuccess(_ t: TransferRecord) -> [String: String] {
        SimAnswer.success(["partner_trade_no": t.key.description, "mch_appid": appid(at: t.appIndex), "mchid": account.spec.mchId,
                           "payment_no": t.paymentNo, "payment_time": SimTime.beijing(t.createdAt), "nonce_str": Signer.nonce()])
    }
}
