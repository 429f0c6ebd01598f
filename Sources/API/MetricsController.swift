import Foundation
import Payouts
import Hummingbird
import Logging
import Merchants
import Operations
import Postgres
import Prometheus
import Synchronization
import WeChatPay

/// `GET /metrics` in the Prometheus text format, on a listener of its own
/// (`serve --metrics-host/--metrics-port`, loopback by default), never the tenant API's:
/// entity names, volumes and upstream error codes are for operators. Counters are kept as
/// things happen (`hongbao_reconciler_looks_total{outcome}`, `hongbao_upstream_*`,
/// `hongbao_api_problems_total`, `hongbao_webhook_attempts_total{result}`). From
/// PostgreSQL through `MetricsReadModel`, so every instance reports the cluster's, and at
/// most once per `cacheFor` however often anyone scrapes (`ScrapeCache`):
/// `hongbao_payouts_open{status}` and `hongbao_payouts_oldest_open_seconds{status}` (every
/// status that is not final, `needs_attention` included), `hongbao_reconciler_due` and
/// `hongbao_reconciler_oldest_due_seconds`, `hongbao_payouts_today{merchant, status}` (index
/// `payouts_created`), `hongbao_merchant_cooling_down{merchant, mch_id, code}` and the
/// webhook backlog. From this process, on each scrape: its connection pool and its
/// merchant reloads.
public struct MetricsController: Sendable {
    let pool: PostgresPool
    let registry: PrometheusCollectorRegistry
    let merchants: MerchantRegistry
    let logger: Logger
    /// Cumulative counts already added to the counters (the sources keep totals).
    private let emitted = Emitted.Box()
    /// How long what was read from PostgreSQL answers scrapes.
    let cache: ScrapeCache

    /// What PostgreSQL said answers scrapes for this long by default.
    public static let defaultCacheFor = Duration.seconds(5)

    struct Emitted {
        final class Box: Sendable {
            let state = Mutex(Emitted())
            func withLock<T>(_ body: (inout Emitted) -> T) -> T { state.withLock { body(&$0) } }
        }

        var pool = PoolStatistics.Counts()
        var failedReloads = 0
        /// (merchant, status) pairs reported today, so a pair that vanishes reads 0.
        var todayPairs: Set<[String]> = []
        /// (merchant, mch_id, code) of the cool-downs reported, so one that ends reads 0.
        var coolingDown: Set<[String]> = []
    }

    /// The statuses a payout waits in (final ones are not a backlog).
    static let openStatuses = ["accepted", "sending", "unknown", "sent", "refunding", "needs_attention"]

    public init(pool: PostgresPool, registry: PrometheusCollectorRegistry, merchants: MerchantRegistry, cacheFor: Duration = defaultCacheFor,
                logger: Logger) {
        self.pool = pool
        self.registry = registry
        self.merchants = merchants
        self.cache = ScrapeCache(cacheFor: cacheFor)
        self.logger = logger
    }

    func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/metrics") { _, _ -> Response in
            await refresh()
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    func refresh() async {
        refreshPool()
        refreshReloads()
        await cache.refreshIfStale { await refreshFromDatabase() }
    }

    func refreshFromDatabase() async {
        do {
            try await refreshBacklog()
            try await refreshCoolDowns()
            try await refreshToday()
            try await refreshWebhooks()
        } catch {
            // The scrape still answers; what could not be read keeps its last values.
            logger.warning("metrics: cannot read the backlog from PostgreSQL", metadata: ["error": "\(error)"])
        }
    }

    /// Open payouts by status with the oldest one's age, and the reconciler's due backlog
    /// with how long its longest-waiting payout has been due (0 when none is).
    func refreshBacklog() async throws {
        let rows = try await MetricsReadModel(pool: pool).backlog()
        let byStatus = Dictionary(rows.map { ($0.status, $0) }, uniquingKeysWith: { first, _ in first })
        for status in Self.openStatuses {
            registry.gauge("hongbao_payouts_open", labels: [("status", status)],
                               help: "Payouts not final yet, by status (the whole cluster's)").set(Double(byStatus[status]?.count ?? 0))
            registry.gauge("hongbao_payouts_oldest_open_seconds", labels: [("status", status)],
                           help: "Age of the oldest payout in each status that is not final (0 when there is none)")
                .set(byStatus[status]?.oldestSeconds ?? 0)
        }
        registry.gauge("hongbao_reconciler_due", help: "Open payouts whose next reconciler look is due now")
            .set(Double(rows.reduce(0) { $0 + $1.due }))
        registry.gauge("hongbao_reconciler_oldest_due_seconds",
                       help: "Seconds the most overdue payout has waited for its reconciler look since it fell due (0 when none is due)")
            .set(rows.compactMap(\.oldestDueSeconds).max() ?? 0)
        registry.gauge("hongbao_payouts_paid_on_more_than_one_billno",
                           help: "Payouts in needs_attention because WeChat paid a billno they had closed (a double payment)")
            .set(Double(try await DoublePayment.count(pool)))
    }

    /// 1 for each entity of this instance's merchants.d cooling down now (a signer's
    /// cool-down shows on every entity signing as it), with the answer that started it; a
    /// cool-down that ended, or was replaced by one for another code, reads 0.
    func refreshCoolDowns() async throws {
        let snapshot = merchants.snapshot
        let cooling = try await MetricsReadModel(pool: pool).coolingDown().compactMap { row in
            snapshot.merchant(named: row.merchant).map { [row.merchant, $0.merchantID, row.code] }
        }
        let seen = Set(cooling)
        let ended = emitted.withLock { emitted in
            defer { emitted.coolingDown = seen }
            return emitted.coolingDown.subtracting(seen)
        }
        for labels in seen { coolingDownGauge(labels).set(1.0) }
        for labels in ended { coolingDownGauge(labels).set(0.0) }
    }

    func coolingDownGauge(_ labels: [String]) -> Gauge {
        registry.gauge("hongbao_merchant_cooling_down", labels: [("merchant", labels[0]), ("mch_id", labels[1]), ("code", labels[2])],
                       help: "1 while the entity is routed around after an answer about it or its signer (code: that answer's err_code)")
    }

    /// Payouts created today (Shanghai), by merchant and status.
    func refreshToday() async throws {
        let start = BusinessCalendar.start(of: BusinessCalendar.day(of: Date()))
        let rows = try await MetricsReadModel(pool: pool).today(since: start)
        let seen = Set(rows.map { [$0.merchant, $0.status] })
        let vanished = emitted.withLock { emitted in
            defer { emitted.todayPairs = seen }
            return emitted.todayPairs.subtracting(seen)
        }
        for row in rows { todayGauge(row.merchant, row.status).set(Double(row.count)) }
        for pair in vanished { todayGauge(pair[0], pair[1]).set(0.0) }
    }

    func todayGauge(_ merchant: String, _ status: String) -> Gauge {
        registry.gauge("hongbao_payouts_today", labels: [("merchant", merchant), ("status", status)],
                           help: "Payouts created today (Asia/Shanghai), by merchant and current status")
    }

    /// Deliveries waiting, the oldest one's age, and endpoints switched off for failing.
    func refreshWebhooks() async throws {
        let backlog = try await MetricsReadModel(pool: pool).webhooks()
        registry.gauge("hongbao_webhook_deliveries_pending", help: "Webhook deliveries not delivered or given up yet").set(Double(backlog.pending))
        registry.gauge("hongbao_webhook_oldest_pending_seconds", help: "Age of the oldest pending webhook delivery")
            .set(Double(backlog.oldestPending?.ageSeconds ?? 0))
        registry.gauge("hongbao_webhook_endpoints_disabled", help: "Webhook endpoints disabled after failing").set(Double(backlog.disabledEndpoints))
    }

    /// This process's connection pool: now, and counts since it opened.
    func refreshPool() {
        let stats = pool.statistics
        registry.gauge("hongbao_db_pool_connections", labels: [("state", "in_use")], help: "Database connections by state").set(Double(stats.inUse))
        registry.gauge("hongbao_db_pool_connections", labels: [("state", "idle")], help: "Database connections by state").set(Double(stats.idle))
        registry.gauge("hongbao_db_pool_waiting", help: "Callers waiting for a database connection now").set(Double(stats.waiting))
        let previous = emitted.withLock { emitted in
            defer { emitted.pool = stats.counts }
            return emitted.pool
        }
        registry.counter("hongbao_db_pool_acquisitions_total", help: "Database connections handed out")
            .increment(by: Int64(stats.counts.acquisitions - previous.acquisitions))
        registry.counter("hongbao_db_pool_waits_total", help: "Connection requests that had to wait")
            .increment(by: Int64(stats.counts.waits - previous.waits))
        registry.counter("hongbao_db_pool_wait_seconds_total", help: "Time spent waiting for a connection")
            .increment(by: stats.counts.waitSeconds - previous.waitSeconds)
        registry.counter("hongbao_db_pool_timeouts_total", help: "Connection waits that timed out (answered 503)")
            .increment(by: Int64(stats.counts.timeouts - previous.timeouts))
    }

    /// Merchant reloads in this process: failures so far, and whether the last one failed.
    func refreshReloads() {
        let failed = merchants.failedReloads
        let previous = emitted.withLock { emitted in
            defer { emitted.failedReloads = failed }
            return emitted.failedReloads
        }
        registry.counter("hongbao_merchant_reload_failures_total", help: "Merchant reloads that failed (the old snapshot kept serving)")
            .increment(by: Int64(failed - previous))
        registry.gauge("hongbao_merchant_reload_failing", help: "1 while the last merchant reload failed")
            .set(Double(merchants.lastFailure == nil ? 0 : 1))
    }
}
