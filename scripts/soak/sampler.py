"""One line per sample interval: the requests of the interval by outcome, its error rate
and latency, and the gateway's resources at its end (CSV columns in COLUMNS)."""
import csv
import threading
import time

from world import metric_sum, process_figures, psql_one, scrape

COLUMNS = ["minute", "elapsed_s", "requests", "ok", "refused", "unexpected", "server_error", "transport", "error_rate",
           "p50_ms", "p99_ms", "rss_mb", "fds", "db_connections", "pool_connections", "payouts_unsettled",
           "needs_attention", "paid_on_more_than_one_billno", "reconciler_due", "reconciler_looks", "upstream_calls", "webhooks_pending",
           "webhooks_received", "reloads", "fault_plan"]


def percentile(values, q):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def error_count(row):
    """Requests that went wrong: 5xx, no answer, or a 4xx the operation should never get."""
    return row["server_error"] + row["transport"] + row["unexpected"]


class Sampler(threading.Thread):
    def __init__(self, settings, stats, stop, receiver, reloads, faults):
        super().__init__(name="sampler", daemon=True)
        self.settings, self.stats, self.stop = settings, stats, stop
        self.receiver, self.reloads, self.faults = receiver, reloads, faults
        self.rows = []
        self.started = time.monotonic()
        self.failures = []
        self.previous = {}  # counters at the last sample, for the interval's share
        self.file = open(settings.csv, "w", newline="")
        self.writer = csv.DictWriter(self.file, fieldnames=COLUMNS)
        self.writer.writeheader()
        self.file.flush()

    def run(self):
        tick = 1
        while not self.stop.wait(max(0.0, self.started + tick * self.settings.sample_seconds - time.monotonic())):
            self.sample()
            tick += 1

    def sample(self):
        window = self.stats.take_window()
        elapsed = time.monotonic() - self.started
        counts = window.counts
        row = {"minute": round(elapsed / 60, 2), "elapsed_s": round(elapsed, 1), "requests": sum(counts.values())}
        for outcome in ["ok", "refused", "unexpected", "server_error", "transport"]:
            row[outcome] = counts[outcome]
        row["error_rate"] = round(error_count(row) / row["requests"], 5) if row["requests"] else 0.0
        row["p50_ms"] = round(percentile(window.latencies, 0.50), 1)
        row["p99_ms"] = round(percentile(window.latencies, 0.99), 1)
        try:
            rss, fds = process_figures(self.settings.gateway_pid)
            row["rss_mb"], row["fds"] = round(rss, 1), fds
            row["db_connections"] = int(psql_one(self.settings, "SELECT count(*) FROM pg_stat_activity WHERE usename = "
                                                 f"'{self.settings.gateway_role}'"))
            m = scrape(self.settings)
            row["pool_connections"] = int(metric_sum(m, "hongbao_db_pool_connections"))
            row["payouts_unsettled"] = int(sum(m.get(f'hongbao_payouts_open{{status="{s}"}}', 0)
                                               for s in ["accepted", "sending", "unknown", "refunding"]))
            row["needs_attention"] = int(m.get('hongbao_payouts_open{status="needs_attention"}', 0))
            row["paid_on_more_than_one_billno"] = int(m.get("hongbao_payouts_paid_on_more_than_one_billno", 0))
            row["reconciler_due"] = int(m.get("hongbao_reconciler_due", 0))
            for column, counter in [("reconciler_looks", "hongbao_reconciler_looks_total"), ("upstream_calls", "hongbao_upstream_calls_total")]:
                total = metric_sum(m, counter)
                row[column] = int(total - self.previous.get(column, 0))
                self.previous[column] = total
            row["webhooks_pending"] = int(m.get("hongbao_webhook_deliveries_pending", 0))
        except Exception as error:  # noqa: BLE001 - a sample that cannot be taken is a finding
            self.failures.append(f"sample at {row['elapsed_s']} s: {error}")
            return
        row["webhooks_received"] = self.receiver.figures()["deliveries"]
        row["reloads"] = self.reloads.done
        row["fault_plan"] = self.faults.current
        self.rows.append(row)
        self.writer.writerow(row)
        self.file.flush()
        print(f"soak: {row['minute']:6.2f} min  {row['requests']:5d} req  err {row['error_rate']:.4f}  "
              f"p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:7.1f} ms  rss {row['rss_mb']:6.1f} MB  fds {row['fds']:3d}  "
              f"db {row['db_connections']:2d}  unsettled {row['payouts_unsettled']:3d}  webhooks pending {row['webhooks_pending']:3d}",
              flush=True)

    def close(self):
        self.file.close()
