import WeChatPay

/// The WeChat Pay endpoints the simulator answers.
enum SimAPI: String, CaseIterable, Sendable {
    case sendRedPack = "/mmpaymkttransfers/sendredpack"
    case sendGroupRedPack = "/mmpaymkttransfers/sendgroupredpack"
    case sendMiniProgramRedPack = "/mmpaymkttransfers/sendminiprogramhb"
    case queryRedPack = "/mmpaymkttransfers/gethbinfo"
    case transfer = "/mmpaymkttransfers/promotion/transfers"
    case queryTransfer = "/mmpaymkttransfers/gettransferinfo"

    /// The element naming the merchant (transfers spell it `mchid`).
    var merchantField: String { self == .transfer ? "mchid" : "mch_id" }
}

extension SimLedger {
    /// One API call, checked in WeChat's order: certificate ↔ mch_id, signature, calling
    /// IP, fields, appid, then the API's own rules. Returns the answer's fields.
    func handle(_ api: SimAPI, _ document: WeChatXML.Document, certificate: [UInt8]?, callerIP: String) -> SimReply {
        state.withLock { state in
            let fields = document.fields
            let mchId = fields[api.merchantField] ?? ""
            guard let certificate, let certified = state.byCertificate[certificate], certified == mchId,
                  let account = state.data.accounts[mchId] else {
                return SimReply(SimAnswer.refusal("CA_ERROR", "证书错误：请求的商户号与证书不符 (certificate does not belong to mch_id \(mchId))"))
            }
            guard fields["sign"] != nil, Signer.verify(fields, key: account.apiKey) else {
                return SimReply(SimAnswer.refusal("SIGN_ERROR", "签名错误"))
            }
            if !account.spec.ipWhitelist.isEmpty, !account.spec.ipWhitelist.contains(callerIP) {
                return SimReply(SimAnswer.error("NO_AUTH", "此IP地址不允许调用接口，如有需要请登录微信支付商户平台更改配置 (\(callerIP))"))
            }
            switch api {
            case .sendRedPack: return SimReply(state.send(.normal, fields, account))
            case .sendGroupRedPack: return SimReply(state.send(.group, fields, account))
            case .sendMiniProgramRedPack: return SimReply(state.send(.miniProgram, fields, account))
            case .queryRedPack: return state.query(fields, account)
            case .transfer: return SimReply(state.transfer(fields, account))
            case .queryTransfer: return SimReply(state.queryTransfer(fields, account))
            }
        }
    }
}

extension SimLedger.State {
    static func fingerprint(_ fields: [String: String]) -> String {
        Signer.canonicalString(fields.filter { $0.key != "nonce_str" })
    }

    func qualificationRefusal(_ account: SimAccount) -> [String: String]? {
        let q = Qualification.evaluate(onboardedOn: account.spec.onboardedOn, tradingSince: account.spec.tradingSince,
                                       productEnabled: account.spec.redpackEnabled, on: today)
        return q.eligible ? nil : SimAnswer.error("NO_AUTH", "商户无此接口权限: " + q.reasons.joined(separator: "; "))
    }

    mutating func send(_ kind: SimPacket.Kind, _ f: [String: String], _ account: SimAccount) -> [String: String] {
        guard let amount = Int64(f["total_amount"] ?? ""), let totalNum = Int(f["total_num"] ?? "") else {
            return SimAnswer.refusal("PARAM_ERROR", "total_amount and total_num must be integers")
        }
        let packetFields = RedPacketFields(
            billno: f["mch_billno"] ?? "", merchantID: f["mch_id"] ?? "", appID: f["wxappid"] ?? "", sendName: f["send_name"] ?? "",
            openID: f["re_openid"] ?? "", amountFen: amount, wishing: f["wishing"] ?? "", actName: f["act_name"] ?? "",
            remark: f["remark"] ?? "", sceneID: f["scene_id"], riskInfo: f["risk_info"], consumeMerchantID: f["consume_mch_id"])
        let shares = kind == .group ? totalNum : 1
        if kind == .group {
            guard SendGroupRedPack.shareRange.contains(totalNum) else { return SimAnswer.refusal("PARAM_ERROR", "total_num must be 3–20") }
            guard f["amt_type"] == "ALL_RAND" else { return SimAnswer.refusal("PARAM_ERROR", "amt_type must be ALL_RAND") }
        } else if totalNum != 1 {
            return SimAnswer.refusal("PARAM_ERROR", "total_num must be 1")
        }
        // Amount per packet: within the account's range without scene_id, up to 4999 yuan with one.
        let perPacket = amount / Int64(max(shares, 1))
        let scene = f["scene_id"] ?? ""
        let allowed: ClosedRange<Int64> = scene.isEmpty ? account.limits.minFen...account.limits.maxFen : 1...RedPacketDefaults.sceneMaximumFen
        guard amount > 0, allowed.contains(perPacket) else {
            return SimAnswer.error("MONEY_LIMIT", "金额超出限制 (\(perPacket) fen per packet\(scene.isEmpty ? " without scene_id" : ""))")
        }
        let request: any WeChatPayRequest = switch kind {
        case .normal: SendRedPack(packet: packetFields, clientIP: f["client_ip"] ?? "")
        case .group: SendGroupRedPack(packet: packetFields, shares: totalNum)
        case .miniProgram: SendMiniProgramRedPack(packet: packetFields)
        }
        do {
            try request.validate()
        } catch {
            let remaining = error.errors.filter { $0.field != "total_amount" }
            if let first = remaining.first { return SimAnswer.refusal("PARAM_ERROR", "参数错误: \(first)") }
        }
        if kind == .miniProgram, f["notify_way"] != "MINI_PROGRAM_JSAPI" {
            return SimAnswer.refusal("PARAM_ERROR", "notify_way must be MINI_PROGRAM_JSAPI")
        }
        switch account.appType(packetFields.appID) {
        case nil: return SimAnswer.refusal("PARAM_ERROR", "商户号和wxappid不匹配")
        case .app: return SimAnswer.error("ILLEGAL_APPID", "非法的appid: 移动应用appid不能发红包")
        case .miniProgram where kind != .miniProgram:
            return SimAnswer.refusal("PARAM_ERROR", "wxappid is a mini program appid: use sendminiprogramhb")
        case .officialAccount where kind == .miniProgram:
            return SimAnswer.refusal("PARAM_ERROR", "wxappid is not a mini program appid")
        default: break
        }
        let key = "\(account.spec.mchId)/\(packetFields.billno)"
        let fingerprint = Self.fingerprint(f)
        if let existing = data.packets[key] {
            // Re-entrant: the same number with the same fields is the same order.
            guard existing.fingerprint == fingerprint else {
                return SimAnswer.error("FATAL_ERROR", "该订单号已存在且参数不一致 (金额和原始单参数不一致)")
            }
            return sendSuccess(existing, f)
        }
        if let refusal = qualificationRefusal(account) { return refusal }
        let now = self.now
        let day = today.ordinal
        var window = windows[account.spec.mchId] ?? SendWindow()
        if window.count(at: now) >= account.limits.perMinute {
            windows[account.spec.mchId] = window
            return SimAnswer.error("FREQ_LIMIT", "超过频率限制,请稍后再试")
        }
        let userKey = "\(account.spec.mchId)/\(packetFields.openID)/\(day)"
        if perUserDay[userKey, default: 0] >= account.limits.perUserPerDay {
            return SimAnswer.error("SENDNUM_LIMIT", "该用户今日领取红包个数超过限制")
        }
        let dayKey = "\(account.spec.mchId)/\(day)"
        if dailyAmount[dayKey, default: 0] + amount > account.limits.dailyFen {
            return SimAnswer.error("SENDAMOUNT_LIMIT", "您的商户号今日发放金额超过限制，如有需要请登录微信支付商户平台更改API安全配置")
        }
        guard account.balanceFen >= amount else { return SimAnswer.error("NOTENOUGH", "帐号余额不足，请到商户平台充值后再重试") }
        // Commit: debit, count, record.
        window.record(now)
        windows[account.spec.mchId] = window
        perUserDay[userKey, default: 0] += 1
        dailyAmount[dayKey, default: 0] += amount
        data.accounts[account.spec.mchId]!.balanceFen -= amount
        let packet = SimPacket(
            mchId: account.spec.mchId, billno: packetFields.billno, appid: packetFields.appID, openid: packetFields.openID, kind: kind,
            amountFen: amount, totalNum: shares, fingerprint: fingerprint, createdAt: now, detailId: nextID(prefix: "1000041701"),
            sendListId: nextID(prefix: "1000041702"), wishing: packetFields.wishing, actName: packetFields.actName, remark: packetFields.remark,
            status: .sending, autoReceive: Double.random(in: 0..<1) < (account.spec.receiveProbability ?? 0))
        data.packets[key] = packet
        dirty = true
        return sendSuccess(packet, f)
    }

    func sendSuccess(_ packet: SimPacket, _ f: [String: String]) -> [String: String] {
        var out = [
            "mch_billno": packet.billno, "mch_id": packet.mchId, "wxappid": packet.appid, "re_openid": packet.openid,
            "total_amount": String(packet.amountFen), "send_listid": packet.sendListId, "send_time": SimTime.beijing(packet.createdAt).filter(\.isNumber),
        ]
        if packet.kind == .miniProgram { out["package"] = "sendid=\(packet.sendListId)&ver=8&sign=\(packet.detailId)&mchid=\(packet.mchId)&spid=&appid=\(packet.appid)" }
        return SimAnswer.success(out, message: "发放成功")
    }

    mutating func query(_ f: [String: String], _ account: SimAccount) -> SimReply {
        do {
            try QueryRedPack(billno: f["mch_billno"] ?? "", merchantID: f["mch_id"] ?? "", appID: f["appid"] ?? "").validate()
        } catch {
            return SimReply(SimAnswer.refusal("PARAM_ERROR", "参数错误: \(error.errors.first!)"))
        }
        guard f["bill_type"] == "MCHT" else { return SimReply(SimAnswer.refusal("PARAM_ERROR", "bill_type must be MCHT")) }
        guard account.appType(f["appid"]!) != nil else { return SimReply(SimAnswer.refusal("PARAM_ERROR", "商户号和appid不匹配")) }
        let key = "\(account.spec.mchId)/\(f["mch_billno"]!)"
        advance(key)
        guard let p = data.packets[key], now - p.createdAt <= 30 * 86_400 else { return SimReply(SimAnswer.error("NOT_FOUND", "指定单号数据不存在")) }
        var out = [
            "mch_billno": p.billno, "mch_id": p.mchId, "detail_id": p.detailId, "status": p.status.rawValue, "send_type": "API",
            "hb_type": p.kind == .group ? "GROUP" : "NORMAL", "total_num": String(p.totalNum), "total_amount": String(p.amountFen),
            "send_time": SimTime.beijing(p.createdAt), "wishing": p.wishing, "act_name": p.actName, "remark": p.remark,
        ]
        if let refund = p.refundAmountFen { out["refund_amount"] = String(refund) }
        if let at = p.refundedAt { out["refund_time"] = SimTime.beijing(at) }
        let receivers = p.receivers.map { ["openid": $0.openid, "amount": String($0.amountFen), "rcv_time": SimTime.beijing($0.at), "status": "RECEIVED"] }
        return SimReply(SimAnswer.success(out), hblist: receivers)
    }

    mutating func transfer(_ f: [String: String], _ account: SimAccount) -> [String: String] {
        guard let amount = Int64(f["amount"] ?? "") else { return SimAnswer.refusal("PARAM_ERROR", "amount must be an integer") }
        let check = Transfer.NameCheck(rawValue: f["check_name"] ?? "")
        guard let check else { return SimAnswer.refusal("PARAM_ERROR", "check_name must be NO_CHECK or FORCE_CHECK") }
        let request = Transfer(tradeNumber: f["partner_trade_no"] ?? "", merchantID: f["mchid"] ?? "", appID: f["mch_appid"] ?? "",
                               openID: f["openid"] ?? "", nameCheck: check, userName: f["re_user_name"], amountFen: amount,
                               description: f["desc"] ?? "", clientIP: f["spbill_create_ip"] ?? "", deviceInfo: f["device_info"])
        do { try request.validate() } catch {
            if let first = error.errors.first(where: { $0.field != "amount" }) { return SimAnswer.refusal("PARAM_ERROR", "参数错误: \(first)") }
        }
        guard let type = account.appType(request.appID), type != .app else { return SimAnswer.refusal("PARAM_ERROR", "商户号和appid没有绑定关系") }
        let key = "\(account.spec.mchId)/\(request.tradeNumber)"
        let fingerprint = Self.fingerprint(f)
        if let existing = data.transfers[key] {
            guard existing.fingerprint == fingerprint else { return SimAnswer.error("FATAL_ERROR", "已存在该单号，并且请求参数与原单据不一致") }
            return transferSuccess(existing)
        }
        if let refusal = qualificationRefusal(account) { return refusal }
        guard amount >= 100 else { return SimAnswer.error("AMOUNT_LIMIT", "付款金额不能小于最低限额 (1 yuan)") }
        let userKey = "t/\(account.spec.mchId)/\(request.openID)/\(today.ordinal)"
        if perUserDay[userKey, default: 0] >= account.limits.perUserPerDay { return SimAnswer.error("SENDNUM_LIMIT", "该用户今日付款次数超过限制") }
        guard account.balanceFen >= amount else { return SimAnswer.error("NOTENOUGH", "余额不足") }
        perUserDay[userKey, default: 0] += 1
        data.accounts[account.spec.mchId]!.balanceFen -= amount
        let record = SimTransfer(mchId: account.spec.mchId, tradeNo: request.tradeNumber, appid: request.appID, openid: request.openID,
                                 amountFen: amount, fingerprint: fingerprint, createdAt: now, paymentNo: nextID(prefix: "1000018301"), desc: request.description)
        data.transfers[key] = record
        dirty = true
        return transferSuccess(record)
    }

    func transferSuccess(_ t: SimTransfer) -> [String: String] {
        SimAnswer.success(["partner_trade_no": t.tradeNo, "mch_appid": t.appid, "mchid": t.mchId, "payment_no": t.paymentNo,
                           "payment_time": SimTime.beijing(t.createdAt), "nonce_str": Signer.nonce()])
    }

    func queryTransfer(_ f: [String: String], _ account: SimAccount) -> [String: String] {
        do {
            try QueryTransfer(tradeNumber: f["partner_trade_no"] ?? "", merchantID: f["mch_id"] ?? "", appID: f["appid"] ?? "").validate()
        } catch {
            return SimAnswer.refusal("PARAM_ERROR", "参数错误: \(error.errors.first!)")
        }
        guard let t = data.transfers["\(account.spec.mchId)/\(f["partner_trade_no"]!)"] else { return SimAnswer.error("NOT_FOUND", "指定单号数据不存在") }
        return SimAnswer.success([
            "partner_trade_no": t.tradeNo, "appid": t.appid, "mch_id": t.mchId, "detail_id": t.paymentNo, "status": "SUCCESS",
            "openid": t.openid, "payment_amount": String(t.amountFen), "transfer_time": SimTime.beijing(t.createdAt),
            "payment_time": SimTime.beijing(t.createdAt), "desc": t.desc,
        ])
    }
}
