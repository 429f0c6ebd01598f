import ArgumentParser
import Foundation
import Logging
import Simulator

struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "The WeChat Pay v2 simulator: serve it, or register merchants.d in it.",
        discussion: """
            Serves sendredpack, sendgroupredpack, sendminiprogramhb, gethbinfo, \
            promotion/transfers and gettransferinfo over HTTPS on --listen. A client \
            certificate issued by the simulator's CA is required and must belong to the \
            request's mch_id. Clients verify the server against <state-dir>/ca.pem (also \
            served at GET /_sim/ca.pem). Requests are checked with the simulator's own rules \
            (field tables, amounts and scene_id, qualification, limits) and answered with \
            WeChat's codes.

            Transfers are debited when accepted, PROCESSING until the account's \
            transfer_settle_seconds (default 5) have passed on the sim clock, then SUCCESS — \
            or FAILED with a reason and the money back, when the control API says so. \
            NAME_MISMATCH: a FORCE_CHECK transfer whose re_user_name differs from the real \
            name registered for the openid (no name registered: the check passes). \
            V2_ACCOUNT_SIMPLE_BAN: openids registered with real_name_verified false.

            Durability: every state change is appended to <state-dir>/journal-*.log and \
            fsynced in batches every --journal-batch-ms; the journal is compacted into \
            <state-dir>/snapshot.bin when it outgrows the last snapshot and at shutdown, and \
            replayed at start (a torn last record is ignored). A crash (kill -9) loses at most \
            the last batch, which may include answered requests. With --strict-durability no \
            answer is sent before its records are fsynced: a crash loses nothing answered.

            Memory stays bounded: packets and transfers older than WeChat's 30-day query \
            window are dropped (queries answer NOT_FOUND; the totals keep counting them) and \
            per-user counters keep only the current Asia/Shanghai day. Re-entrancy (same \
            number and fields = same answer) therefore covers those 30 days.

            Control API (plain HTTP, JSON, snake_case) on --control:
              POST   /_sim/accounts                   create/update a merchant; returns api_key, cert_pem, key_pem
                       {"mch_id","appids":[{"id","type":"mp|miniprogram|app"}],"onboarded_on","trading_since",
                        "redpack_enabled","balance_fen","ip_whitelist","receive_probability","transfer_settle_seconds",
                        "limits":{"per_minute","per_user_per_day","min_fen","max_fen","daily_fen","transfer_max_fen",
                                  "transfer_per_user_per_day","transfer_user_daily_fen","transfer_daily_fen"},
                        "sub_merchants":[{"sub_mch_id","appids","onboarded_on","trading_since","redpack_enabled",
                                          "balance_fen","limits"}]}
                                                      sub_merchants (optional) makes the account a service
                                                      provider: a send with sub_mch_id is for that sub-merchant
                                                      (else ACCEPTMODE_ERROR), authenticated with the provider's
                                                      certificate and key; msgappid is required and bound to the
                                                      provider or that sub-merchant (else MSGAPPID_ERROR); the
                                                      sub-merchant's qualification and limits apply; its balance
                                                      pays, or consume_mch_id's (the provider or one of its
                                                      sub-merchants, else PARAM_ERROR). The answer adds
                                                      "sub_merchants":[{"sub_mch_id","balance_fen","funded_fen",…}]
              GET    /_sim/accounts/{mch_id}          one merchant as WeChat sees it
              GET    /_sim/ca.pem                     the CA certificate
              GET    /_sim/ledger?kind=packets|transfers&limit=N&cursor=C&mch_id=M&billno=B
                                                      one page of records (limit 1–10000, default 100), by
                                                      merchant then creation order, plus every account's
                                                      totals: {"accounts","kind","packets","transfers",
                                                      "next_cursor"}; pass next_cursor back as cursor until it
                                                      is null. billno filters packets (partner_trade_no for
                                                      transfers), mch_id one merchant. A packet shows
                                                      "fund_mch_id" (whose balance paid it and gets an unclaimed
                                                      one back) and, in SP mode, "sub_mch_id".
              GET    /_sim/ledger/summary             per account, kept incrementally (O(merchants)):
                                                      {"accounts":[{"mch_id","balance_fen","funded_fen","sent_fen",
                                                      "refunded_fen","transferred_fen","transfer_refunded_fen",
                                                      "packet_count","transfer_count","stored_packets",
                                                      "stored_transfers","counter_users","counter_day",
                                                      "sub_merchants":[{"sub_mch_id","balance_fen","funded_fen",
                                                      "sent_fen","refunded_fen","packet_count","counter_users",
                                                      "counter_day"}]}]} (sub_merchants for providers only; a
                                                      packet counts on the balance that paid it);
                                                      funded = balance + sent − refunded + transferred
                                                      − transfer_refunded, also after records aged out
              GET    /_sim/clock, POST /_sim/clock    {"advance_seconds": 86400} or {"freeze": true|false}
              POST   /_sim/redpacks/{mch_id}/{billno}/receive  the user opens it; mch_id may be the
                                                      sub_mch_id of a provider-mode packet
              POST   /_sim/transfers/{mch_id}/{partner_trade_no}/fail     {"reason": "..."}  money back
              POST   /_sim/transfers/{mch_id}/{partner_trade_no}/succeed  SUCCESS now
              POST   /_sim/users/{openid}             {"real_name": "王小王", "real_name_verified": true, "risk_flagged": false}
                                                      risk_flagged: every merchant's sends to the user get NO_AUTH
              GET    /_sim/users/{openid}
              POST   /_sim/faults                     {"latency_ms","drop_before_commit","drop_after_commit",
                                                       "systemerror","http_500","garbage","rate",
                                                       "commit_late_seconds","late_resend_code"}
                                                      commit_late_seconds: a hit send is kept, answered with a
                                                      dropped connection, NOT_FOUND until it commits that many
                                                      sim seconds later; resends of its number meanwhile get
                                                      late_resend_code (default FREQ_LIMIT)
              GET    /_sim/faults, DELETE /_sim/faults
              GET    /_sim/requests                   calls processed since start, by endpoint then mch_id:
                                                      {"gethbinfo":{"1900000109":2},"sendredpack":{…}}

            Example:
              hongbao simulator --listen 127.0.0.1:9443 --control 127.0.0.1:9080 --state-dir .hongbao/sim
            """,
        subcommands: [SimulatorServeCommand.self, SimulatorRegisterCommand.self],
        defaultSubcommand: SimulatorServeCommand.self
    )
}

struct SimulatorServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the WeChat Pay v2 simulator (HTTPS endpoints + control API) — the default.",
        discussion: """
            See `hongbao simulator --help` for the endpoints, durability and the control API.

            Example:
              hongbao simulator serve --listen 127.0.0.1:9443 --control 127.0.0.1:9080 --state-dir .hongbao/sim
            """
    )

    @Option(help: ArgumentHelp("HTTPS address for the WeChat endpoints.", valueName: "host:port")) var listen = "127.0.0.1:9443"
    @Option(help: ArgumentHelp("Plain-HTTP address for the control API.", valueName: "host:port")) var control = "127.0.0.1:9080"
    @Option(help: ArgumentHelp("Directory for the CA, certificates, journal and snapshot (created if missing).", valueName: "dir"))
    var stateDir = ".hongbao/sim"
    @Option(help: ArgumentHelp("Journal batch window: records are written and fsynced together this often; a crash loses at most one batch.", valueName: "ms"))
    var journalBatchMs = 10
    @Flag(help: "Fsync the journal before answering each request (slower; a crash loses nothing answered).")
    var strictDurability = false

    func validate() throws {
        _ = try Self.address(listen, "--listen")
        _ = try Self.address(control, "--control")
        guard (0...10_000).contains(journalBatchMs) else { throw ValidationError("--journal-batch-ms must be within 0…10000") }
    }

    static func address(_ text: String, _ flag: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port),
              colon != text.startIndex else {
            throw ValidationError("\(flag) must be host:port, e.g. 127.0.0.1:9443")
        }
        return (String(text[..<colon]), port)
    }

    func run() async throws {
        JSONLogHandler.bootstrap()
        let (host, port) = try Self.address(listen, "--listen")
        let (controlHost, controlPort) = try Self.address(control, "--control")
        let server = try SimulatorServer(configuration: SimulatorConfiguration(
            host: host, port: port, controlHost: controlHost, controlPort: controlPort,
            stateDirectory: URL(fileURLWithPath: stateDir),
            journal: JournalSettings(batchMilliseconds: journalBatchMs, strict: strictDurability)))
        try await server.run(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
