import Foundation
import Hummingbird
import NIOCore
import WeChatPay

/// The simulator's control API (plain HTTP, JSON, snake_case) under /_sim/.
struct ControlAPI: Sendable {
    let ledger: SimLedger
    let ca: SimulatorCA
    let faults: FaultSwitch

    func addRoutes(to router: Router<BasicRequestContext>) {
        let sim = router.group("_sim")
        sim.post("accounts") { request, _ in try await createAccount(request) }
        sim.get("accounts/:mch_id") { _, context in
            let mchId = try context.parameters.require("mch_id")
            guard let account = ledger.account(mchId) else { return json(["error": "no account \(mchId)"], status: .notFound) }
            return json(AccountView(account))
        }
        sim.get("ca.pem") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/x-pem-file"], body: .init(byteBuffer: ByteBuffer(string: ca.certificatePEM)))
        }
        sim.get("ledger") { _, _ in json(LedgerView(ledger.snapshot(sweep: true))) }
        sim.get("clock") { _, _ in json(ClockView(now: ledger.now)) }
        sim.post("clock") { request, _ in
            let body = try await decode(ClockAdvance.self, request)
            guard body.advanceSeconds >= 0 else { return json(["error": "advance_seconds must not be negative"], status: .badRequest) }
            return json(ClockView(now: ledger.advanceClock(by: body.advanceSeconds)))
        }
        sim.post("redpacks/:mch_id/:billno/receive") { _, context in
            let mchId = try context.parameters.require("mch_id")
            let billno = try context.parameters.require("billno")
            switch ledger.receive(mchId: mchId, billno: billno) {
            case nil: return json(["error": "no red packet \(billno) for \(mchId)"], status: .notFound)
            case .failure(let refusal): return json(["error": "red packet is \(refusal.status.rawValue), not openable"], status: .conflict)
            case .success(let packet): return json(PacketView(packet))
            }
        }
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
        return json(AccountCreated(mchId: spec.mchId, apiKey: apiKey, certPem: issued.certificatePEM, keyPem: issued.keyPEM),
                    status: created ? .created : .ok)
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

struct ClockAdvance: Decodable { let advanceSeconds: Double }

struct ClockView: Encodable {
    let now: Double
    let time: String
    let date: String
    init(now: Double) {
        self.now = now
        self.time = SimTime.beijing(now)
        self.date = BusinessCalendar.day(of: Date(timeIntervalSince1970: now)).description
    }
}

struct AccountCreated: Encodable {
    let mchId: String
    let apiKey: String
    let certPem: String
    let keyPem: String
}

struct AccountView: Encodable {
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

    init(_ a: SimAccount) {
        mchId = a.spec.mchId
        apiKey = a.apiKey
        appids = a.spec.appids
        onboardedOn = a.spec.onboardedOn
        tradingSince = a.spec.tradingSince
        redpackEnabled = a.spec.redpackEnabled
        balanceFen = a.balanceFen
        fundedFen = a.fundedFen
        ipWhitelist = a.spec.ipWhitelist
        limits = a.limits
    }
}

struct PacketView: Encodable {
    let mchId: String
    let billno: String
    let kind: String
    let status: String
    let amountFen: Int64
    let openid: String
    let receivedFen: Int64
    let refundAmountFen: Int64?
    let createdAt: String

    init(_ p: SimPacket) {
        mchId = p.mchId
        billno = p.billno
        kind = p.kind.rawValue
        status = p.status.rawValue
        amountFen = p.amountFen
        openid = p.openid
        receivedFen = p.receivers.reduce(0) { $0 + $1.amountFen }
        refundAmountFen = p.refundAmountFen
        createdAt = SimTime.beijing(p.createdAt)
    }
}

/// Every fen: per account, what was funded, what left as packets and transfers, what
/// came back as refunds, and the balance — funded = balance + sent − refunded + transferred.
struct LedgerView: Encodable {
    struct Account: Encodable {
        let mchId: String
        let balanceFen: Int64
        let fundedFen: Int64
        let sentFen: Int64
        let refundedFen: Int64
        let transferredFen: Int64
    }
    struct TransferView: Encodable {
        let mchId: String
        let partnerTradeNo: String
        let status: String
        let amountFen: Int64
        let openid: String
    }
    let accounts: [Account]
    let packets: [PacketView]
    let transfers: [TransferView]

    init(_ data: SimLedger.Persisted) {
        let packets = data.packets.values.sorted { ($0.createdAt, $0.billno) < ($1.createdAt, $1.billno) }
        let transfers = data.transfers.values.sorted { ($0.createdAt, $0.tradeNo) < ($1.createdAt, $1.tradeNo) }
        self.accounts = data.accounts.values.sorted { $0.spec.mchId < $1.spec.mchId }.map { a in
            let mine = packets.filter { $0.mchId == a.spec.mchId }
            return Account(mchId: a.spec.mchId, balanceFen: a.balanceFen, fundedFen: a.fundedFen,
                           sentFen: mine.reduce(0) { $0 + $1.amountFen }, refundedFen: mine.reduce(0) { $0 + ($1.refundAmountFen ?? 0) },
                           transferredFen: transfers.filter { $0.mchId == a.spec.mchId }.reduce(0) { $0 + $1.amountFen })
        }
        self.packets = packets.map(PacketView.init)
        self.transfers = transfers.map { TransferView(mchId: $0.mchId, partnerTradeNo: $0.tradeNo, status: "SUCCESS", amountFen: $0.amountFen, openid: $0.openid) }
    }
}
