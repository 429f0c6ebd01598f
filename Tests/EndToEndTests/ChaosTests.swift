import Foundation
import Payouts
import Postgres
import Simulator
import Synchronization
import Tenants
import Testing
import TestSupport
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// Crash and fault recovery, proven from outside (issue 9): real `hongbao serve`
/// processes and the simulator with every fault on, sends retried by their clients with
/// the same Idempotency-Key until answered, gateways killed with SIGKILL or PostgreSQL
/// restarted in the middle, then the reconciler left to finish. The invariants are
/// counted, not sampled: I1 no payout paid twice (no payout with two debits, no debit
/// without a payout), I2 none lost (every key has its payout), I3 none left non-final,
/// I7 the gateway's money equals the simulator's ledger to the fen.
///
/// `make test` runs a small size; `make chaos` the full one (HONGBAO_CHAOS_SENDS=2000)
/// and prints the figures (lines starting with `chaos:`).
@Suite("Chaos: kills, a database restart and WeChat's faults lose and double nothing", .serialized)
struct ChaosTests {
    static func setting(_ name: String, _ fallback: Int) -> Int {
        ProcessInfo.processInfo.environment[name].flatMap { Int($0) } ?? fallback
    }

    @Test("kill -9 of either of two gateways, again and again, during the sends: 0 duplicates, 0 lost, 0 non-final, the ledger equal to the fen")
    func kills() async throws {
        let sends = Self.setting("HONGBAO_CHAOS_SENDS", 90)
        let kills = Self.setting("HONGBAO_CHAOS_KILLS", max(3, sends / 250))
        try await ChaosWorld.start("chaoskill", cluster: nil).scoped { world in
            let gateways = try await GatewayPool(world: world, count: 2)
            let load = ChaosLoad(sends: sends, label: "kill")
            let killer = Task {
                for k in 1...kills {
                    await load.waitUntilAnswered(k * sends / (kills + 1))
                    try await gateways.kill(index: k % 2)
                }
            }
            try await load.run(urls: { gateways.urls })
            try await killer.value
            await gateways.stopAll()
            let report = try await world.settleAndMeasure(load: load, label: "kills", events: "kills=\(kills) gateways=2")
            report.expectClean()
        }
    }

    @Test("PostgreSQL restarted under load: the same gateway recovers by itself, and nothing is lost or doubled")
    func databaseRestart() async throws {
        let sends = Self.setting("HONGBAO_CHAOS_PG_SENDS", 60)
        let restarts = Self.setting("HONGBAO_CHAOS_PG_RESTARTS", 1)
        let cluster = try await ChaosCluster.start()
        defer { ChaosCluster.destroy() }
        try await ChaosWorld.start("chaospg", cluster: cluster).scoped { world in
            let gateways = try await GatewayPool(world: world, count: 1)
            let pid = gateways.pids
            let load = ChaosLoad(sends: sends, label: "pg")
            let restarter = Task {
                for k in 1...restarts {
                    await load.waitUntilAnswered(k * sends / (restarts + 1))
                    try await ChaosCluster.restart()
                }
            }
            try await load.run(urls: { gateways.urls })
            try await restarter.value
            #expect(gateways.pids == pid, "the gateway was never restarted")
            let ready = try await waitFor(timeout: .seconds(10), every: .milliseconds(100)) { (try? await gateways.first.get("/readyz").status) == 200 }
            #expect(ready, "/readyz is 200 again after the restart")
            await gateways.stopAll()
            let report = try await world.settleAndMeasure(load: load, label: "postgres-restart", events: "pg_restarts=\(restarts)")
            report.expectClean()
        }
    }
}

/// The simulator (every fault on), a migrated database, merchants.d, a tenant and its key.
final class ChaosWorld: Stoppable {
    let sim: SimulatorHarness
    let fixture: MerchantFixture
    let url: String
    let appURL: String
    let pool: PostgresPool
    let key: String

    /// Every simulator fault, WeChat committing late among them (within the not-found grace
    /// the serve flags give: a later commit is the one double payment the gateway can only
    /// report, which the invariants here would count as a duplicate).
    static let faults = FaultPlan(latencyMs: 20, dropBeforeCommit: true, dropAfterCommit: true, systemerror: true, http500: true, garbage: true,
                                  commitLateSeconds: 4, rate: 0.15)

    init(sim: SimulatorHarness, fixture: MerchantFixture, url: String, appURL: String, pool: PostgresPool, key: String) {
        self.sim = sim
        self.fixture = fixture
        self.url = url
        self.appURL = appURL
        self.pool = pool
        self.key = key
    }

    static func start(_ label: String, cluster: String?) async throws -> ChaosWorld {
        let sim = try await SimulatorHarness.start()
        let fixture = try MerchantFixture()
        for (name, mchId) in [("alpha", "1900000501"), ("beta", "1900000502")] {
            let spec = SimulatorHarness.qualifiedSpec(mchId: mchId, balanceFen: 1_000_000_000)
            let created: AccountCreatedBody = try await sim.control("POST", "/_sim/accounts", body: spec)
            try fixture.addSimulated(name, created: created, baseURL: sim.baseURL, caFile: sim.server.caFile) { $0["limits"] = "{ daily_fen = 100000000 }" }
        }
        let (url, pool) = try await TestDatabase.migratedDatabase(label, on: cluster)
        _ = try await TenantStore(pool: pool).add(name: "chaos", dailyBudgetFen: nil, actor: "test")
        let key = try await APIKeyStore(pool: pool).issue(tenant: "chaos", mode: .test, actor: "test").key.text
        try await sim.setFaults(faults)
        return ChaosWorld(sim: sim, fixture: fixture, url: url, appURL: try await TestDatabase.appURL(url), pool: pool, key: key)
    }

    func stop() async {
        pool.close()
        await sim.stop()
    }

    /// The gateway's flags for a chaos run: short deadlines and graces so recovery happens
    /// within the test (the sending grace as short as serve allows: two 2 s calls and a 5 s
    /// wait for a connection).
    var serveArguments: [String] {
        ["--merchants", fixture.directory.path, "--send-deadline-ms", "1500", "--upstream-timeout-ms", "2000", "--sending-grace-seconds", "10",
         "--not-found-grace-seconds", "2", "--never-kept-grace-seconds", "6", "--reconcile-lease-seconds", "15"]
    }

    /// Faults off; the reconciler (`hongbao reconcile --all`) until no send is open; the
    /// sim clock past WeChat's 24-hour refund; the reconciler until nothing is open; then
    /// the invariants counted.
    func settleAndMeasure(load: ChaosLoad, label: String, events: String) async throws -> ChaosReport {
        try await sim.setFaults(nil)
        try await reconcile(until: { open in ["accepted", "sending", "unknown"].allSatisfy { open[$0] == nil } })
        try await sim.advanceClock(seconds: 26 * 3600)
        try await reconcile(until: { open in open.keys.allSatisfy { $0 == "needs_attention" } })
        return try await measure(load: load, label: label, events: events)
    }

    func reconcile(until done: ([String: Int]) -> Bool) async throws {
        // Sends in a killed gateway's grace or lease wait for it to run out (10 s, 15 s).
        for _ in 0..<60 {
            let run = try await Hongbao.run(["reconcile", "--all", "--json", "--not-found-grace-seconds", "1", "--never-kept-grace-seconds", "3",
                                             "--upstream-timeout-ms", "2000", "--reconcile-lease-seconds", "15"] + ["--merchants", fixture.directory.path],
                                      environment: ["DATABASE_URL": appURL])
            guard run.status == 0 || run.status == 3,
                  let report = try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any],
                  let open = report["open"] as? [String: Int] else {
                throw TestSetupError("reconcile failed (\(run.status)): \(run.err.suffix(2000))")
            }
            if done(open) { return }
            // Not an ordering: the graces (NOT_FOUND right after a resend waits 1 s) must pass
            // between passes, and a pass that finds nothing yet is no failure (measure says).
            try await Task.sleep(for: .milliseconds(1200))
        }
    }

    func measure(load: ChaosLoad, label: String, events: String) async throws -> ChaosReport {
        let keys = try await pool.query("SELECT count(*) FROM idempotency_keys k JOIN payouts p ON p.id = k.payout_id").first!.decode(column: 0, as: Int64.self)
        let nonFinal = try await pool.query("SELECT count(*) FROM payouts WHERE status NOT IN ('received', 'refunded', 'failed')").first!
            .decode(column: 0, as: Int64.self)
        let sends = try await pool.query("SELECT mch_id || '/' || billno, payout_id FROM payout_sends").rows.map { try $0.decode((String, UUID).self) }
        let payoutOf = Dictionary(uniqueKeysWithValues: sends)
        let ledger = try await sim.ledger()
        var debits: [UUID: Int] = [:]
        var orphans = 0
        for packet in ledger.packets {
            if let payout = payoutOf[packet.mchId + "/" + packet.billno] { debits[payout, default: 0] += 1 } else { orphans += 1 }
        }
        let doubled = debits.values.filter { $0 > 1 }.count
        let (paid, refunded) = try await pool.query("""
            SELECT coalesce(sum(amount_fen) FILTER (WHERE status IN ('sent', 'received', 'refunding', 'refunded')), 0)::int8,
                   coalesce(sum(refund_amount_fen) FILTER (WHERE status = 'refunded'), 0)::int8
            FROM payouts
            """).first!.decode((Int64, Int64).self)
        let simSent = ledger.accounts.reduce(0) { $0 + $1.sentFen }
        let simRefunded = ledger.accounts.reduce(0) { $0 + $1.refundedFen }
        let (uncertain, resolved, resent) = try await pool.query("""
            SELECT (SELECT count(*) FROM payout_attempts WHERE outcome IN ('unknown', 'not_sent') AND api <> 'gethbinfo'),
                   (SELECT count(DISTINCT payout_id) FROM audit_log WHERE actor = 'reconciler' AND action IN ('payout.sent', 'payout.failed', 'payout.rerouted')),
                   (SELECT count(*) FROM payout_attempts a WHERE api = 'sendredpack'
                      AND EXISTS (SELECT 1 FROM payout_attempts b WHERE b.payout_id = a.payout_id AND b.billno = a.billno AND b.id < a.id AND b.api = 'sendredpack'))
            """).first!.decode((Int64, Int64, Int64).self)
        let statuses = try await pool.query("SELECT status, count(*) FROM payouts GROUP BY status ORDER BY status").rows
            .map { try $0.decode((String, Int64).self) }.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        let report = ChaosReport(label: label, sends: load.sends, answered: load.answered, lost: load.sends - Int(keys), duplicates: doubled + orphans,
                                 nonFinal: Int(nonFinal), ledgerDifferenceFen: abs(paid - simSent) + abs(refunded - simRefunded),
                                 detail: "\(events) client_retries=\(load.retries) uncertain_sends=\(uncertain) sends_resolved_by_reconciler=\(resolved) "
                                     + "same_billno_resends=\(resent) gateway_paid_fen=\(paid) simulator_sent_fen=\(simSent) "
                                     + "gateway_refunded_fen=\(refunded) simulator_refunded_fen=\(simRefunded) statuses: \(statuses)",
                                 refusals: load.refusals)
        print(report.line)
        return report
    }
}

/// What a chaos run counted.
struct ChaosReport {
    let label: String
    let sends: Int
    let answered: Int
    let lost: Int
    let duplicates: Int
    let nonFinal: Int
    let ledgerDifferenceFen: Int64
    let detail: String
    let refusals: [String]

    var line: String {
        "chaos: \(label): sends=\(sends) duplicates=\(duplicates) lost=\(lost) non_final=\(nonFinal) ledger_difference_fen=\(ledgerDifferenceFen) (\(detail))"
    }

    func expectClean() {
        #expect(answered == sends, "every send was answered in the end: \(line)")
        #expect(refusals.isEmpty, "no send was refused: \(refusals.prefix(3))")
        #expect(duplicates == 0, "I1: \(line)")
        #expect(lost == 0, "I2: \(line)")
        #expect(nonFinal == 0, "I3: \(line)")
        #expect(ledgerDifferenceFen == 0, "I7: \(line)")
    }
}

/// Tenants' clients: each send retried with its own Idempotency-Key until a gateway
/// answers 201 or 202, across whichever gateways are up.
final class ChaosLoad: Sendable {
    let sends: Int
    let label: String
    private let state = Mutex(State())

    struct State {
        var answered = 0
        var nextSend = 0
        var retries = 0
        var refusals: [String] = []
        var waiters: [(Int, CheckedContinuation<Void, Never>)] = []
    }

    init(sends: Int, label: String) {
        self.sends = sends
        self.label = label
    }

    var answered: Int { state.withLock { $0.answered } }
    var retries: Int { state.withLock { $0.retries } }
    var refusals: [String] { state.withLock { $0.refusals } }

    func waitUntilAnswered(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> Bool in
                if s.answered >= count { return true }
                s.waiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    func run(urls: @escaping @Sendable () -> [String], concurrency: Int = 8) async throws {
        let http = HTTPSClient(settings: TransportSettings(connectTimeout: .seconds(2), totalTimeout: .seconds(10)))
        defer { http.shutdown() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    while let n = self.claimNextSend() {
                        try await self.send(n, worker: worker, http: http, urls: urls)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The next send number for a worker, nil once all `sends` are taken.
    func claimNextSend() -> Int? {
        state.withLock { s -> Int? in
            guard s.nextSend < sends else { return nil }
            defer { s.nextSend += 1 }
            return s.nextSend
        }
    }

    func send(_ n: Int, worker: Int, http: HTTPSClient, urls: @Sendable () -> [String]) async throws {
        let body = #"{"appid":"wx8888888888888888","openid":"oChaos\#(label)\#(n)","amount_fen":\#(100 + n % 200),"wishing":"w","act_name":"chaos","remark":"r"}"#
        var attempt = 0
        while true {
            let all = urls()
            let url = all[(n + attempt) % max(all.count, 1)]
            let outcome = await http.post(url + "/v1/redpacks", body: Array(body.utf8), contentType: "application/json",
                                          headers: ["Authorization: Bearer \(ChaosKey.current)", "Idempotency-Key: chaos-\(label)-\(n)"], timeout: nil)
            if case .response(let status, let answer) = outcome {
                if status == 201 || status == 202 { return markAnswered() }
                if (400..<500).contains(status), status != 429 {
                    state.withLock { $0.refusals.append("\(status) \(String(decoding: answer, as: UTF8.self))") }
                    return markAnswered()
                }
            }
            attempt += 1
            state.withLock { $0.retries += 1 }
            guard attempt < 400 else { throw TestSetupError("send \(n) never answered: \(outcome)") }
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...300))) // a client's jittered backoff before retrying
        }
    }

    private func markAnswered() {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.answered += 1
            let count = s.answered
            var ready: [CheckedContinuation<Void, Never>] = []
            s.waiters.removeAll { waiter in
                guard waiter.0 <= count else { return false }
                ready.append(waiter.1)
                return true
            }
            return ready
        }
        ready.forEach { $0.resume() }
    }
}

/// The chaos tenant's key, set once per run (the load closure cannot capture the world).
enum ChaosKey {
    private static let value = Mutex("")
    static var current: String { value.withLock { $0 } }
    static func set(_ key: String) { value.withLock { $0 = key } }
}

/// Running gateways, replaced one at a time when killed.
final class GatewayPool: Sendable {
    let world: ChaosWorld
    private let processes: Mutex<[GatewayProcess]>

    init(world: ChaosWorld, count: Int) async throws {
        self.world = world
        ChaosKey.set(world.key)
        var started: [GatewayProcess] = []
        for _ in 0..<count { started.append(try await Self.launch(world)) }
        processes = Mutex(started)
    }

    static func launch(_ world: ChaosWorld) async throws -> GatewayProcess {
        try await GatewayProcess(arguments: world.serveArguments, environment: ["DATABASE_URL": world.appURL, "HONGBAO_DB_POOL_SIZE": "6"])
    }

    var urls: [String] { processes.withLock { $0.map(\.baseURL) } }
    var pids: [Int32] { processes.withLock { $0.map(\.process.pid) } }
    var first: GatewayProcess { processes.withLock { $0[0] } }

    /// SIGKILL, then a new instance in its place.
    func kill(index: Int) async throws {
        let victim = processes.withLock { $0[index % $0.count] }
        victim.signal(SIGKILL)
        _ = try await victim.process.exit(within: .seconds(30))
        let replacement = try await Self.launch(world)
        processes.withLock { $0[index % $0.count] = replacement }
    }

    func stopAll() async {
        for process in processes.withLock({ $0 }) { await process.stopped() }
    }
}

/// A cluster of the chaos run's own (`scripts/pg.sh`, named `chaos`), so restarting it
/// disturbs no other suite.
enum ChaosCluster {
    static let arguments = ["bash", Repository.root.appendingPathComponent("scripts/pg.sh").path]
    static let environment = ["HONGBAO_PG_NAME": "chaos"]

    static func pg(_ command: String) async throws -> String {
        try checked(command, try await Shell.run(arguments + [command], environment: environment))
    }

    static func checked(_ command: String, _ run: (status: Int32, output: String)) throws -> String {
        guard run.status == 0 else { throw TestSetupError("pg.sh \(command) failed (\(run.status)): \(run.output)") }
        return run.output
    }

    static func start() async throws -> String { try await pg("start") }
    static func restart() async throws { _ = try await pg("restart") }
    /// For the cleanup in a `defer` (no await there).
    static func destroy() { _ = try? checked("destroy", try Shell.runNow(arguments + ["destroy"], environment: environment)) }
}
