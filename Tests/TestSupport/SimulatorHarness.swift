import Foundation
import Logging
import Simulator
import Transport
import WeChatPay

/// A simulator on free ports with a throwaway state directory, plus a client to talk to it.
public final class SimulatorHarness: Sendable {
    public let server: SimulatorServer
    public let baseURL: String
    public let controlURL: String
    public let transport: HTTPSClient
    public let client: WeChatPayClient
    public let stateDirectory: URL
    private let task: Task<Void, Error>

    public static func start(stateDirectory: URL? = nil, settings: TransportSettings = TransportSettings(),
                             journal: JournalSettings = JournalSettings()) async throws -> SimulatorHarness {
        let directory = stateDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("hb-sim-\(UUID())")
        var logger = Logger(label: "test.simulator")
        logger.logLevel = .critical // shutdown chatter is not a test failure
        let server = try SimulatorServer(configuration: SimulatorConfiguration(port: 0, controlPort: 0, stateDirectory: directory, journal: journal),
                                         logger: logger)
        let task = Task { try await server.run() }
        guard let ports = await server.ports() else {
            task.cancel()
            throw TestSetupError("simulator did not start")
        }
        return SimulatorHarness(server: server, task: task, ports: ports, directory: directory, settings: settings)
    }

    private init(server: SimulatorServer, task: Task<Void, Error>, ports: (https: Int, control: Int), directory: URL, settings: TransportSettings) {
        self.server = server
        self.task = task
        self.baseURL = "https://127.0.0.1:\(ports.https)"
        self.controlURL = "http://127.0.0.1:\(ports.control)"
        self.stateDirectory = directory
        self.transport = HTTPSClient(settings: settings)
        self.client = WeChatPayClient(transport: transport)
    }

    /// Stops the servers (the journal is compacted into a snapshot) and waits for them to finish.
    public func stop() async {
        transport.shutdown() // close keep-alive connections first so the server need not wait for them
        if !(await server.shutdown()) { task.cancel() }
        _ = try? await task.value
    }

    /// Creates a merchant in the simulator and returns credentials that act as it.
    @discardableResult
    public func createMerchant(_ spec: SimAccountSpec) async throws -> MerchantCredentials {
        let created: AccountCreatedBody = try await control("POST", "/_sim/accounts", body: spec)
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        return MerchantCredentials(
            merchantID: created.mchId, baseURL: baseURL, apiKey: Secret(created.apiKey),
            identity: ClientIdentity(name: created.mchId, certificate: .pem(Array(created.certPem.utf8)),
                                     privateKey: .pem(Secret(created.keyPem)), extraTrustRootsFile: server.caFile))
    }

    /// A qualified official-account merchant with a generous balance.
    public static func qualifiedSpec(mchId: String = "1900000109", appID: String = "wx8888888888888888", balanceFen: Int64 = 10_000_000,
                                     limits: SimAccountSpec.Limits? = nil, whitelist: [String] = ["127.0.0.1"]) -> SimAccountSpec {
        SimAccountSpec(mchId: mchId, appids: [.init(id: appID, type: .officialAccount), .init(id: "wxmini0000000001", type: .miniProgram), .init(id: "wxapp00000000001", type: .app)],
                       onboardedOn: BusinessDay(iso: "2025-01-01")!, tradingSince: BusinessDay(iso: "2025-01-01")!, redpackEnabled: true,
                       balanceFen: balanceFen, ipWhitelist: whitelist, limits: limits)
    }

    /// Calls the control API with a JSON body (snake_case) and decodes the JSON answer.
    public func control<Body: Encodable, Answer: Decodable>(_ method: String, _ path: String, body: Body) async throws -> Answer {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let outcome = method == "GET"
            ? await transport.get(controlURL + path)
            : await transport.post(controlURL + path, body: Array(try encoder.encode(body)), contentType: "application/json", identity: nil)
        guard case .response(let status, let answer) = outcome, (200..<300).contains(status) else {
            throw TestSetupError("control \(method) \(path) failed: \(outcome)")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Answer.self, from: Data(answer))
    }

    /// The HTTP status of a control call (for refusals: 404, 409, 400).
    public func controlStatus<Body: Encodable>(_ method: String, _ path: String, body: Body) async throws -> Int {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let outcome = method == "GET"
            ? await transport.get(controlURL + path)
            : await transport.post(controlURL + path, body: Array(try encoder.encode(body)), contentType: "application/json", identity: nil)
        guard case .response(let status, _) = outcome else { throw TestSetupError("control \(method) \(path) failed: \(outcome)") }
        return status
    }

    public func control<Answer: Decodable>(_ path: String) async throws -> Answer {
        try await control("GET", path, body: [String: String]())
    }

    /// Every account (from the summary), packet and transfer, walking every page.
    public func ledger() async throws -> LedgerBody {
        var packets: [LedgerBody.Packet] = [], transfers: [LedgerBody.Transfer] = []
        for kind in ["packets", "transfers"] {
            var cursor: String?
            repeat {
                let page = try await ledgerPage(kind: kind, limit: 1000, cursor: cursor)
                packets += page.packets
                transfers += page.transfers
                cursor = page.nextCursor
            } while cursor != nil
        }
        return LedgerBody(accounts: try await summary().accounts, packets: packets, transfers: transfers)
    }

    /// One page of `GET /_sim/ledger`.
    public func ledgerPage(kind: String = "packets", limit: Int = 100, cursor: String? = nil, mchId: String? = nil, billno: String? = nil) async throws -> LedgerPageBody {
        var query = ["kind=\(kind)", "limit=\(limit)"]
        if let cursor { query.append("cursor=\(cursor)") }
        if let mchId { query.append("mch_id=\(mchId)") }
        if let billno { query.append("billno=\(billno)") }
        return try await control("/_sim/ledger?" + query.joined(separator: "&"))
    }

    /// `GET /_sim/requests`: calls each WeChat endpoint processed (`gethbinfo`, …), by mch_id.
    public func requests() async throws -> [String: [String: Int]] { try await control("/_sim/requests") }

    /// `GET /_sim/ledger/summary`: per-account totals, kept incrementally.
    public func summary() async throws -> SummaryBody { try await control("/_sim/ledger/summary") }

    /// Settles a PROCESSING transfer now: FAILED with `reason` (money back) or, without one, SUCCESS.
    @discardableResult
    public func settleTransfer(mchId: String, tradeNo: String, failReason: String? = nil) async throws -> LedgerBody.Transfer {
        if let failReason {
            return try await control("POST", "/_sim/transfers/\(mchId)/\(tradeNo)/fail", body: ["reason": failReason])
        }
        return try await control("POST", "/_sim/transfers/\(mchId)/\(tradeNo)/succeed", body: [String: String]())
    }

    /// Registers what WeChat knows about a user (real name, real-name verification, risk control).
    public func setUser(_ openid: String, realName: String? = nil, verified: Bool? = nil, riskFlagged: Bool? = nil) async throws {
        let _: SimUser = try await control("POST", "/_sim/users/\(openid)",
                                           body: SimUser(realName: realName, realNameVerified: verified, riskFlagged: riskFlagged))
    }

    public func advanceClock(seconds: Double) async throws {
        let _: [String: AnyCodableScalar] = try await control("POST", "/_sim/clock", body: ["advance_seconds": seconds])
    }

    /// Holds the sim clock still, so a test sees the same sim time however slowly it runs.
    public func freezeClock(_ frozen: Bool = true) async throws {
        let _: [String: AnyCodableScalar] = try await control("POST", "/_sim/clock", body: ["freeze": frozen])
    }

    public func setFaults(_ plan: FaultPlan?) async throws {
        if let plan {
            let _: [FaultPlan] = try await control("POST", "/_sim/faults", body: plan)
        } else {
            let outcome = await transport.delete(controlURL + "/_sim/faults")
            guard case .response(204, _) = outcome else { throw TestSetupError("could not clear faults: \(outcome)") }
        }
    }
}

public struct AccountCreatedBody: Decodable, Sendable {
    public let mchId: String
    public let apiKey: String
    public let certPem: String
    public let keyPem: String
}

public struct LedgerBody: Decodable, Sendable {
    /// One account's totals (`/_sim/ledger/summary`):
    /// funded = balance + sent − refunded + transferred − transfer_refunded.
    public struct Account: Decodable, Sendable {
        public let mchId: String
        public let balanceFen: Int64
        public let fundedFen: Int64
        public let sentFen: Int64
        public let refundedFen: Int64
        public let transferredFen: Int64
        public let transferRefundedFen: Int64
        public let packetCount: Int64
        public let transferCount: Int64
        public let storedPackets: Int
        public let storedTransfers: Int
        public let counterUsers: Int
        public let counterDay: String?
    }
    public struct Packet: Decodable, Sendable {
        public let mchId: String
        public let billno: String
        public let status: String
        public let amountFen: Int64
        public let receivedFen: Int64
        public let refundAmountFen: Int64?
        public let openid: String
        public let sendListid: String
        /// In service-provider mode, the sub-merchant it was for.
        public let subMchId: String?
        /// Whose balance paid it (the merchant itself, a sub-merchant, or consume_mch_id's).
        public let fundMchId: String?
    }
    public struct Transfer: Decodable, Sendable {
        public let mchId: String
        public let partnerTradeNo: String
        public let amountFen: Int64
        public let status: String
        public let reason: String?
        public let paymentNo: String
    }
    public let accounts: [Account]
    public let packets: [Packet]
    public let transfers: [Transfer]

    public init(accounts: [Account], packets: [Packet], transfers: [Transfer]) {
        self.accounts = accounts
        self.packets = packets
        self.transfers = transfers
    }
}

/// One page of `GET /_sim/ledger`.
public struct LedgerPageBody: Decodable, Sendable {
    public let accounts: [LedgerBody.Account]
    public let kind: String
    public let packets: [LedgerBody.Packet]
    public let transfers: [LedgerBody.Transfer]
    public let nextCursor: String?
}

/// `GET /_sim/ledger/summary`.
public struct SummaryBody: Decodable, Sendable {
    public let accounts: [LedgerBody.Account]
}

/// A JSON value that is a number or a string (for answers whose shape tests ignore).
public enum AnyCodableScalar: Decodable, Sendable {
    case number(Double), string(String), bool(Bool)
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .string(try c.decode(String.self)) }
    }
}
