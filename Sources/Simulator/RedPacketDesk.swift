import WeChatPay

/// A red-packet request after every check that needs no state (fields, amount, appid).
struct PacketRequest: Sendable {
    let kind: PacketRecord.Kind
    let key: OrderKey
    let openid: String
    let appid: String
    let amountFen: Int64
    let totalNum: Int
    let wishing: String
    let actName: String
    let remark: String
    let fingerprint: Fingerprint
    let autoReceive: Bool
    let party: PacketParty
}

extension SimLedger {
    func send(_ api: SimAPI, _ f: [String: String], _ book: MerchantBook, _ account: SimAccount) -> [String: String] {
        let amount = Int64(f["total_amount"]!) ?? .max, totalNum = Int(f["total_num"]!) ?? .max
        let (party, limits): (PacketParty, SimAccountSpec.Limits)
        switch PacketParty.resolve(api, f, account) {
        case .refused(let refusal): return refusal
        case .party(let resolved, let resolvedLimits): (party, limits) = (resolved, resolvedLimits)
        }
        if let refusal = SimRules.amountRefusal(api, amountFen: amount, totalNum: totalNum, sceneID: f["scene_id"], limits: limits) {
            return refusal
        }
        let appid = f["wxappid"]!
        if let refusal = Self.appidRefusal(api, account.appType(appid)) { return refusal }
        if user(f["re_openid"]!)?.riskFlagged == true { return SimAnswer.riskRefusal }
        let kind: PacketRecord.Kind = switch api {
        case .sendGroupRedPack: .group
        case .sendMiniProgramRedPack: .miniProgram
        default: .normal
        }
        let request = PacketRequest(
            kind: kind, key: OrderKey(f["mch_billno"]!)!, openid: f["re_openid"]!, appid: appid, amountFen: amount, totalNum: totalNum,
            wishing: f["wishing"]!, actName: f["act_name"]!, remark: f["remark"]!, fingerprint: Self.fingerprint(f),
            autoReceive: Double.random(in: 0..<1) < (account.spec.receiveProbability ?? 0), party: party)
        return book.state.withLock { state in
            state.send(request, now: clock.now, sequence: sequence) { record(book.mchId, $0) }
        }
    }

    /// §3.5 has no sub_mch_id: a packet is found by the provider's mch_id and its billno
    /// whatever sub-merchant it was for (billnos are unique per mch_id), and a sub_mch_id sent
    /// anyway is ignored like any field outside the table.
    func query(_ f: [String: String], _ book: MerchantBook, _ account: SimAccount) -> SimReply {
        guard account.appType(f["appid"]!) != nil else {
            return SimReply(SimAnswer.refusal("PARAM_ERROR", "参数错误: appid 商户号和appid不匹配 (not bound to this mch_id)"))
        }
        let key = OrderKey(f["mch_billno"]!)!
        return book.state.withLock { state in
            let now = clock.now
            state.settleDue(now: now) { record(book.mchId, $0) }
            guard let position = state.packets.position(of: key), now - state.packets[position].createdAt < SimRules.Defaults.queryWindowSeconds else {
                return SimReply(SimAnswer.error("NOT_FOUND", "指定单号数据不存在"))
            }
            let p = state.packets[position]
            let status = p.status(at: now)
            var out = [
                "mch_billno": p.key.description, "mch_id": book.mchId, "detail_id": p.detailId, "status": status.rawValue, "send_type": "API",
                "hb_type": p.kind == .group ? "GROUP" : "NORMAL", "total_num": String(p.totalNum), "total_amount": String(p.amountFen),
                "send_time": SimTime.beijing(p.createdAt), "wishing": p.texts.wishing, "act_name": p.texts.actName, "remark": p.texts.remark,
            ]
            if status == .refunded {
                out["refund_amount"] = String(p.amountFen)
                out["refund_time"] = SimTime.beijing(p.refundedAt)
            }
            var receivers: [[String: String]] = []
            if let at = p.openedAt(now) {
                receivers = p.shares().enumerated().map { index, fen in
                    ["openid": index == 0 ? p.openid : "\(p.openid)_\(index)", "amount": String(fen), "rcv_time": SimTime.beijing(at), "status": "RECEIVED"]
                }
            }
            return SimReply(SimAnswer.success(out), hblist: receivers)
        }
    }

    /// The user opens a packet now (control API). Nil when unknown.
    /// `mchId` may be a sub-merchant's number: a packet sent in provider mode is its
    /// provider's at WeChat, but an operator knows it by the sub-merchant (the gateway's
    /// payout names the sub_mch_id), so the providers that list it are looked through too.
    func receive(mchId: String, billno: String) -> Result<PacketView, NotOpenable>? {
        guard let key = OrderKey(billno) else { return nil }
        let holder = book(mchId).flatMap { $0.state.withLock { $0.packets.position(of: key) } != nil ? $0 : nil }
            ?? books().first { provider in provider.state.withLock { $0.subIndex(mchId) != nil && $0.packets.position(of: key) != nil } }
        guard let book = holder else { return nil }
        let mchId = book.mchId
        return book.state.withLock { state in
            let now = clock.now
            state.settleDue(now: now) { record(mchId, $0) }
            guard let position = state.packets.position(of: key) else { return nil }
            let status = state.packets[position].status(at: now)
            guard status == .sending || status == .sent else { return .failure(NotOpenable(status: status)) }
            let event = MerchantEvent.received(key, at: now)
            state.apply(event)
            record(mchId, event)
            return .success(PacketView(mchId: mchId, state.packets[position], state: state, now: now))
        }
    }

    struct NotOpenable: Error { let status: RedPacketStatus }
}

extension MerchantState {
    /// Re-entrancy, qualification, frequency, per-user count, daily amount, balance — then the
    /// commit. In SP mode the qualification, limits and counters are the sub-merchant's and
    /// the balance is the fund source's (`PacketParty`).
    mutating func send(_ r: PacketRequest, now: Double, sequence: SimSequence, emit: (MerchantEvent) -> Void) -> [String: String] {
        settleDue(now: now, emit: emit)
        if let position = packets.position(of: r.key) {
            // Re-entrant: the same number with the same fields is the same order.
            guard packets[position].fingerprint == r.fingerprint else {
                return SimAnswer.error("FATAL_ERROR", "该订单号已存在且参数不一致 (金额和原始单参数不一致)")
            }
            return sendSuccess(packets[position])
        }
        let today = SimTime.day(now)
        var (subject, fund, limits) = (UInt16(0), UInt16(0), account.limits)
        if let subMchId = r.party.subMchId {
            // Checked against the account copy outside the lock; a re-registration since may have dropped it.
            guard let index = subIndex(subMchId), let sub = account.subMerchant(subMchId) else {
                return PacketParty.acceptModeError(subMchId, account.spec.mchId)
            }
            if let refusal = SimRules.qualificationRefusal(sub, today: today) { return refusal }
            (subject, limits) = (index, sub.resolvedLimits)
            if case .subMerchant(let payer) = r.party.fund {
                guard let payerIndex = subIndex(payer) else { return PacketParty.acceptModeError(payer, account.spec.mchId) }
                fund = payerIndex
            }
        } else if let refusal = SimRules.qualificationRefusal(account.spec, today: today) {
            return refusal
        }
        let refusal = withCounters(subject) { day, window -> [String: String]? in
            if window.count(at: now) >= limits.perMinute { return SimAnswer.error("FREQ_LIMIT", "超过频率限制,请稍后再试") }
            day.roll(to: today)
            if Int(day.users[r.openid]?.packets ?? 0) >= limits.perUserPerDay {
                return SimAnswer.error("SENDNUM_LIMIT", "该用户今日领取红包个数超过限制")
            }
            if day.sentFen + r.amountFen > limits.dailyFen {
                return SimAnswer.error("SENDAMOUNT_LIMIT", "您的商户号今日发放金额超过限制，如有需要请登录微信支付商户平台更改API安全配置")
            }
            return nil
        }
        if let refusal { return refusal }
        guard balance(of: fund) >= r.amountFen else { return SimAnswer.error("NOTENOUGH", "帐号余额不足，请到商户平台充值后再重试") }
        withCounters(subject) { _, window in window.record(now) }
        let record = PacketRecord(
            key: r.key, compactOpenid: CompactText(r.openid), texts: texts.intern(wishing: r.wishing, actName: r.actName, remark: r.remark),
            amountFen: r.amountFen, createdAt: now, sequence: sequence.next(), fingerprint: r.fingerprint, receivedAt: 0,
            appIndex: appIndex(r.appid) ?? 0, subIndex: subject, fundIndex: fund, totalNum: UInt8(r.totalNum), kind: r.kind, autoReceive: r.autoReceive, settlement: .open)
        apply(.packet(record))
        emit(.packet(record))
        return sendSuccess(record)
    }

    /// The success answer, built from the stored order only, so a resend gets the same one.
    func sendSuccess(_ p: PacketRecord) -> [String: String] {
        let appid = appid(at: p.appIndex)
        var out = [
            "mch_billno": p.key.description, "mch_id": account.spec.mchId, "wxappid": appid, "re_openid": p.openid,
            "total_amount": String(p.amountFen), "send_listid": p.sendListId, "send_time": SimTime.compact(p.createdAt),
        ]
        if p.kind == .miniProgram {
            out["package"] = "sendid=\(p.sendListId)&ver=8&sign=\(p.detailId)&mchid=\(account.spec.mchId)&spid=&appid=\(appid)"
        }
        return SimAnswer.success(out, message: "发放成功")
    }
}
