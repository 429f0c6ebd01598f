import Foundation
import Hummingbird
import NIOCore
import WeChatPay

/// The simulator's control API (plain HTTP, JSON, snake_case) under /_sim/.
struct ControlAPI: Sendable {
    let ledger: SimLedger
    let ca: SimulatorCA
    let faults: FaultSwitch
    let tally: RequestTally

    func addRoutes(to router: Router<BasicRequestContext>) {
        let sim = router.group("_sim")
        sim.post("accounts") { request, _ in try await createAccount(request) }
        sim.get("accounts/:mch_id") { _, context in
            let mchId = try context.parameters.require("mch_id")
            guard let book = ledger.book(mchId) else { return json(["error": "no account \(mchId)"], status: .notFound) }
            return json(book.state.withLock { AccountView($0.account, subMerchants: SubMerchantView.list($0)) })
        }
        sim.get("ca.pem") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/x-pem-file"], body: .init(byteBuffer: ByteBuffer(string: ca.certificatePEM)))
        }
        // Orders whose late commit is due are committed before the books are read.
        sim.get("ledger") { request, _ in
            ledger.commitDueOrders()
            return ledgerPage(request)
        }
        sim.get("ledger/summary") { _, _ in
            ledger.commitDueOrders()
            return json(SummaryView(accounts: ledger.summary()))
        }
        sim.get("clock") { _, _ in json(ClockView(now: ledger.now, frozen: ledger.clockFrozen)) }
        sim.post("clock") { request, _ in
            let body = try await decode(ClockChange.self, request)
            guard body.advanceSeconds != nil || body.freeze != nil else {
                return json(["error": "give advance_seconds and/or freeze"], status: .badRequest)
            }
            if let seconds = body.advanceSeconds, seconds < 0 { return json(["error": "advance_seconds must not be negative"], status: .badRequest) }
            if let freeze = body.freeze { ledger.freezeClock(freeze) }
            if let seconds = body.advanceSeconds {
                _ = ledger.advanceClock(by: seconds)
                ledger.commitDueOrders()
                await ledger.durable()
            }
            return json(ClockView(now: ledger.now, frozen: ledger.clockFrozen))
        }
        sim.post("redpacks/:mch_id/:billno/receive") { _, context in
            let mchId = try context.parameters.require("mch_id")
            let billno = try context.parameters.require("billno")
            let outcome = ledger.receive(mchId: mchId, billno: billno)
            await ledger.durable()
            switch outcome {
            case nil: return json(["error": "no red packet \(billno) for \(mchId)"], status: .notFound)
            case .failure(let refusal): return json(["error": "red packet is \(refusal.status.rawValue), not openable"], status: .conflict)
            case .success(let packet): return json(packet)
            }
        }
        sim.post("transfers/:mch_id/:partner_trade_no/fail") { request, context in
            let reason = try await decode(TransferFailure.self, request).reason
            guard !reason.isEmpty else { return json(["error": "reason must not be empty"], status: .badRequest) }
            return await settle(context, fail: reason)
        }
        sim.post("transfers/:mch_id/:partner_trade_no/succeed") { _, context in await settle(context, fail: nil) }
        sim.get("users/:openid") { _, context in
            let openid = try context.parameters.require("openid")
            guard let user = ledger.user(openid) else { return json(["error": "no facts registered for \(openid)"], status: .notFound) }
            return json(user)
        }
        sim.post("users/:openid") { request, context in
            let openid = try context.parameters.require("openid")
            let facts = try await decode(SimUser.self, request)
            ledger.setUser(openid, facts)
            await ledger.durable()
            return json(facts)
        }
        sim.get("requests") { _, _ in json(tally.all) }
        sim.get("faults") { _, _ in json(faults.current.map { [$0] } ?? []) }
        sim.post("faults") { request, _ in
            let plan = try await decode(FaultPlan.self, request)
            guard plan.problems.isEmpty else { return json(["error": plan.problems.joined(separator: "; ")], status: .badRequest) }
            faults.set(plan)
            return json([plan])
        }
        sim.delete("faults") { _, _ in
            faults.set(nil)
            return Response(status: .noContent)
        }
    }

    func createAccount(_ request: Request) async throws -> Response {
        let spec = try await decode(SimAccountSpec.self, request)
        let problems = spec.problems()
        guard problems.isEmpty else { return json(["error": problems.joined(separator: "; ")], status: .badRequest) }
        let issued = try ca.issueClient(merchantID: spec.mchId)
        let (apiKey, created) = ledger.upsert(spec, certificate: issued, der: try SimulatorCA.der(of: issued.certificatePEM))
        await ledger.durable()
        let subMerchants = ledger.book(spec.mchId)?.state.withLock { SubMerchantView.list($0) } ?? nil
        return json(AccountCreated(mchId: spec.mchId, apiKey: apiKey, certPem: issued.certificatePEM, keyPem: issued.keyPEM,
                                   subMerchants: subMerchants),
                    status: created ? .created : .ok)
    }

    /// `GET /_sim/ledger?kind=packets|transfers&limit=N&cursor=C&mch_id=M&billno=B`
    func ledgerPage(_ request: Request) -> Response {
        let query = request.uri.queryParameters
        guard let kind = SimLedger.LedgerKind(rawValue: query["kind"].map(String.init) ?? "packets") else {
            return json(["error": "kind must be packets or transfers"], status: .badRequest)
        }
        let limitText = query["limit"].map(String.init) ?? "100"
        guard let limit = Int(limitText), (1...10_000).contains(limit) else { return json(["error": "limit must be 1…10000"], status: .badRequest) }
        let number = (query["billno"] ?? query["partner_trade_no"]).map(String.init)
        guard let page = ledger.page(kind: kind, limit: limit, cursor: query["cursor"].map(String.init), mchId: query["mch_id"].map(String.init), number: number) else {
            return json(["error": "cursor is not one this API returned"], status: .badRequest)
        }
        return json(LedgerPage(accounts: ledger.summary(), kind: kind.rawValue, packets: page.packets, transfers: page.transfers, nextCursor: page.next))
    }

    func settle(_ context: BasicRequestContext, fail reason: String?) async -> Response {
        guard let mchId = context.parameters.get("mch_id"), let tradeNo = context.parameters.get("partner_trade_no") else {
            return json(["error": "mch_id and partner_trade_no are required"], status: .badRequest)
        }
        let outcome = ledger.settleTransfer(mchId: mchId, tradeNo: tradeNo, fail: reason)
        await ledger.durable()
        switch outcome {
        case .success(let view): return json(view)
        case .failure(.notFound): return json(["error": "no transfer \(tradeNo) for \(mchId)"], status: .notFound)
        case .failure(.settled(let status)): return json(["error": "transfer is \(status.rawValue), not PROCESSING"], status: .conflict)
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw HTTPError(.badRequest, message: "invalid JSON for \(T.self): \(error)")
        }
    }
}

func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// `POST /_sim/clock`: `{"advance_seconds": 3600}` moves it forward; `{"freeze": true}` holds it still.
struct ClockChange: Decodable {
    let advanceSeconds: Double?
    let freeze: Bool?
}
struct TransferFailure: Decodable { let reason: String }
struct SummaryView: Encodable { let accounts: [AccountSummary] }

struct ClockView: Encodable {
    let now: Double
    let time: String
    let date: String
    let frozen: Bool
    init(now: Double, frozen: Bool) {
        self.now = now
        self.frozen = frozen
        self.time = SimTime.beijing(now)
        self.date = BusinessDay(ordinal: SimTime.day(now)).description
    }
}

struct AccountCreated: Encodable {
    let mchId: String
    let apiKey: String
    let certPem: String
    let keyPem: String
    /// A service provider's sub-merchants as registered (absent for a direct merchant).
    let subMerchants: [SubMerchantView]?
}

/// One sub-merchant as WeChat sees it: its spec, the limits in force and its money.
struct SubMerchantView: Encodable, Sendable {
    let subMchId: String
    let appids: [SimAccountSpec.AppID]
    let onboardedOn: BusinessDay
    let tradingSince: BusinessDay
    let redpackEnabled: Bool
    let limits: SimAccountSpec.Limits
    let balanceFen: Int64
    let fundedFen: Int64

    /// The provider's sub-merchants in registration order; nil for a direct merchant.
    static func list(_ state: MerchantState) -> [SubMerchantView]? {
        state.account.spec.subMerchants?.map { sub in
            let ledger = state.subs[sub.subMchId] ?? SubMerchantLedger()
            return SubMerchantView(subMchId: sub.subMchId, appids: sub.appids, onboardedOn: sub.onboardedOn, tradingSince: sub.tradingSince,
                                   redpackEnabled: sub.redpackEnabled, limits: sub.resolvedLimits, balanceFen: ledger.balanceFen, fundedFen: ledger.fundedFen)
        }
    }
}

struct AccountView: Encodable, Sendable {
    let mchId: String
    let apiKey: String
    let appids: [SimAccountSpec.AppID]
    let onboardedOn: BusinessDay
    let tradingSince: BusinessDay
    let redpackEnabled: Bool
    let balanceFen: Int64
    let fundedFen: Int64
    let ipWhitelist: [String]
    let limits: SimAccountSpec.Limits
    let receiveProbability: Double
    let transferSettleSeconds: Double
    let subMerchants: [SubMerchantView]?

    init(_ a: SimAccount, subMerchants: [SubMerchantView]?) {
        self.subMerchants = subMerchants
        mchId = a.spec.mchId
        apiKey = a.apiKey
        appids = a.spec.appids
        onboardedOn = a.spec.onboardedOn
        tradingSince = a.spec.tradingSince
        redpackEnabled = a.spec.redpackEnabled
        balanceFen = a.balanceFen
        fundedFen = a.fundedFen
        ipWhitelist = a.spec.ipWhitelist
        var limits = a.limits
        limits.transferMaxFen = limits.transferMax
        limits.transferPerUserPerDay = limits.transferCount
        limits.transferUserDailyFen = limits.transferUserDaily
        limits.transferDailyFen = limits.transferDaily
        self.limits = limits
        receiveProbability = a.spec.receiveProbability ?? 0
        transferSettleSeconds = a.settleSeconds
    }
}
