"""The soak's verdicts: resources flat after the warm-up and no error-rate drift (from the
samples), then — after the traffic stopped, WeChat's faults were switched off and the
reconciler had settled everything — the invariants, each counted rather than sampled."""
import json
import math
import statistics
import time

from sampler import error_count
from world import cli, control, psql, psql_one, scrape

FINAL = {"received", "refunded", "failed"}
PAID = {"sent", "received", "refunding", "refunded"}  # a red packet WeChat took
TRANSFER_PAID = {"sent", "received"}  # processing or succeeded (refunded: the money came back)


class Check:
    def __init__(self, name, ok, first="", last="", growth="", limit="", note=""):
        self.name, self.ok = name, ok
        self.first, self.last, self.growth, self.limit, self.note = first, last, growth, limit, note

    def as_dict(self):
        return {"check": self.name, "pass": self.ok, "first": self.first, "last": self.last, "growth": self.growth,
                "limit": self.limit, "note": self.note}


def after_warmup(settings, rows):
    return [r for r in rows if r["elapsed_s"] > settings.warmup_minutes * 60 + 1e-6]


def quarters(rows):
    """The first and last quarter of the samples (at least one sample each)."""
    q = max(1, math.ceil(len(rows) / 4))
    return rows[:q], rows[-q:]


def growth_checks(settings, rows):
    post = after_warmup(settings, rows)
    if len(post) < 2:
        return [Check("samples after warm-up", False, note=f"{len(post)} sample(s): make the run longer than the warm-up")]
    first_q, last_q = quarters(post)
    checks = []
    # The median of each quarter: one sample taken during a burst (a reload, a GC-free
    # allocator's high-water mark) does not decide; a steady climb does. A small absolute
    # slack keeps a few more kept-alive connections (to WeChat, to webhook receivers: they
    # follow the most calls in flight of the last minutes) from failing a short run.
    for column, label, slack, unit in [("rss_mb", "gateway RSS", settings.rss_slack_mb, "MB"),
                                       ("fds", "open descriptors", settings.fd_slack, ""),
                                       ("db_connections", "database connections", settings.db_slack, "")]:
        first = statistics.median(r[column] for r in first_q)
        last = statistics.median(r[column] for r in last_q)
        limit = max(first * (1 + settings.max_growth), first + slack)
        growth = (last - first) / first if first else 0.0
        checks.append(Check(f"{label} flat after warm-up", last <= limit, f"{first:g}{unit}", f"{last:g}{unit}",
                            f"{growth:+.1%}", f"<= {limit:g}{unit}"))
    first_rate = rate(first_q)
    last_rate = rate(last_q)
    checks.append(Check("error rate does not drift", last_rate <= first_rate + settings.max_error_drift,
                        f"{first_rate:.4f}", f"{last_rate:.4f}", f"{last_rate - first_rate:+.4f}",
                        f"<= first + {settings.max_error_drift:g}"))
    overall = rate(rows)
    checks.append(Check("error rate over the run", overall <= settings.max_error_rate, "", f"{overall:.4f}", "",
                        f"<= {settings.max_error_rate:g}", "5xx, no answer, or a 4xx the request should not get"))
    p99_first = statistics.median(r["p99_ms"] for r in first_q)
    p99_last = statistics.median(r["p99_ms"] for r in last_q)
    checks.append(Check("p99 latency (reported only)", True, f"{p99_first:g}ms", f"{p99_last:g}ms",
                        f"{(p99_last - p99_first) / p99_first:+.1%}" if p99_first else "", ""))
    return checks


def rate(rows):
    requests = sum(r["requests"] for r in rows)
    return sum(error_count(r) for r in rows) / requests if requests else 0.0


def open_count(open_):
    return sum(v for k, v in open_.items() if k != "needs_attention")


def reconcile_until(settings, done, log, patience=120, cap=3600):
    """`hongbao reconcile --all` beside the gateway's own reconciler until done(open); gives
    up when a pass has not lessened what is open for `patience` seconds (an hour's run
    leaves tens of thousands of packets to refund, a short one a few hundred)."""
    started = time.monotonic()
    best, progress_at = None, started
    open_ = {}
    while time.monotonic() - progress_at < patience and time.monotonic() - started < cap:
        status, out, err = cli(settings, "reconcile", "--all", "--json", "--merchants", settings.merchants, *settings.reconcile_flags)
        if status not in (0, 3):
            log.append(f"reconcile exited {status}: {err.strip()[-300:]}")
        else:
            open_ = json.loads(out).get("open", {})
            if done(open_):
                return True, open_, time.monotonic() - started
            if best is None or open_count(open_) < best:
                best, progress_at = open_count(open_), time.monotonic()
        # The graces must pass between passes (NOT_FOUND right after a resend, a lease).
        time.sleep(2)
    return False, open_, time.monotonic() - started


def settle(settings, faults, log):
    """Faults off; every send's outcome learned; the sim clock past WeChat's 24-hour refund
    of unopened packets (and every transfer's settlement); then every payout final and
    every webhook event delivered."""
    steps = []
    started = time.monotonic()
    faults.clear()
    ok, open_, took = reconcile_until(settings, lambda o: not any(o.get(s) for s in ["accepted", "sending", "unknown"]), log)
    steps.append(Check("every send's outcome learned", ok, note=f"{took:.0f} s; open after: {open_}"))
    status, _ = control(settings, "POST", "/_sim/clock", {"advance_seconds": 26 * 3600})
    steps.append(Check("simulator clock moved 26 h on", status == 200))
    ok, open_, took = reconcile_until(settings, lambda o: open_count(o) == 0, log)
    steps.append(Check("reconciler finished", ok, note=f"{took:.0f} s; open after: {open_}"))
    # Deliveries: pending ones must keep going out (a retry waits 10-20 s).
    pending, best, progress_at = None, None, time.monotonic()
    while time.monotonic() - progress_at < 120:
        pending = int(psql_one(settings, "SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'"))
        if pending == 0:
            break
        if best is None or pending < best:
            best, progress_at = pending, time.monotonic()
        time.sleep(2)
    steps.append(Check("webhook backlog drained", pending == 0, last=str(pending)))
    print(f"soak: settled in {time.monotonic() - started:.0f} s", flush=True)
    return steps


def ledger(settings, kind):
    out, cursor = [], None
    while True:
        status, page = control(settings, "GET", f"/_sim/ledger?kind={kind}&limit=10000" + (f"&cursor={cursor}" if cursor else ""))
        if status != 200:
            raise RuntimeError(f"simulator ledger answered {status}")
        out += page[kind]
        cursor = page.get("next_cursor")
        if not cursor:
            return out


def invariants(settings, traffic, receiver, reloads):
    checks = []
    status, out, err = cli(settings, "audit", "verify")
    checks.append(Check("audit chain verifies (hongbao audit verify)", status == 0, note=(out + err).strip().splitlines()[-1][:90] if (out + err).strip() else ""))

    payouts = {row[0]: {"kind": row[1], "status": row[2], "amount": int(row[3]), "refund": int(row[4]), "billno": row[5]}
               for row in psql(settings, "SELECT id, kind, status, amount_fen, coalesce(refund_amount_fen, 0), billno FROM payouts")}
    statuses = {}
    for p in payouts.values():
        statuses[p["status"]] = statuses.get(p["status"], 0) + 1
    non_final = sum(v for k, v in statuses.items() if k not in FINAL)
    checks.append(Check("every payout final", non_final == 0, last=str(non_final), limit="0",
                        note=" ".join(f"{k}={v}" for k, v in sorted(statuses.items()))))

    # Lost or made up: every create answered 201/202 has its payout (same amount), and
    # every payout was answered to someone.
    answered = {pid: (kind, amount) for pid, kind, amount in traffic.answered.values()}
    missing = [pid for pid in answered if pid not in payouts]
    wrong = [pid for pid, (_, amount) in answered.items() if pid in payouts and payouts[pid]["amount"] != amount]
    phantom = [pid for pid in payouts if pid not in answered]
    checks.append(Check("no answered payout lost, none unanswered", not missing and not wrong and not phantom and not traffic.unanswered,
                        last=str(len(answered)), note=f"missing={len(missing)} wrong_amount={len(wrong)} without_answer={len(phantom)} "
                                                      f"creates_never_answered={len(traffic.unanswered)}"))

    # Nothing paid twice: the gateway's own count, and the simulator's ledger row by row.
    metrics = scrape(settings)
    double = int(metrics.get("hongbao_payouts_paid_on_more_than_one_billno", -1))
    sends = {row[0]: row[1] for row in psql(settings, "SELECT billno, payout_id FROM payout_sends")}
    packets, transfers = ledger(settings, "packets"), ledger(settings, "transfers")
    debits, orphans, stale, disagree = {}, 0, 0, 0
    for record, kind in [(p, "packet") for p in packets] + [(t, "transfer") for t in transfers]:
        number = record["billno"] if kind == "packet" else record["partner_trade_no"]
        if record["status"] == "FAILED" and kind == "packet":
            continue  # nothing paid
        payout_id = sends.get(number)
        if payout_id is None:
            orphans += 1
            continue
        debits[payout_id] = debits.get(payout_id, 0) + 1
        p = payouts[payout_id]
        if p["billno"] != number:
            stale += 1  # paid on a billno the payout had moved away from
        if not agrees(kind, record["status"], p["status"]):
            disagree += 1
    doubled = sum(1 for n in debits.values() if n > 1)
    checks.append(Check("nothing paid twice", double == 0 and doubled == 0 and orphans == 0 and stale == 0,
                        last=str(double + doubled + orphans + stale), limit="0",
                        note=f"paid_on_more_than_one_billno={double} ledger: doubled={doubled} without_payout={orphans} on_closed_billno={stale}"))

    gw_packets = sum(p["amount"] for p in payouts.values() if p["kind"] != "transfer" and p["status"] in PAID)
    sim_packets = sum(p["amount_fen"] for p in packets if p["status"] != "FAILED")
    gw_refunded = sum(p["refund"] for p in payouts.values() if p["kind"] != "transfer" and p["status"] == "refunded")
    sim_refunded = sum(p.get("refund_amount_fen") or 0 for p in packets)
    gw_transfers = sum(p["amount"] for p in payouts.values() if p["kind"] == "transfer" and p["status"] in TRANSFER_PAID)
    sim_transfers = sum(t["amount_fen"] for t in transfers if t["status"] in ("SUCCESS", "PROCESSING"))
    unmatched = sum(1 for pid, p in payouts.items() if p["status"] in (TRANSFER_PAID if p["kind"] == "transfer" else PAID)
                    and debits.get(pid, 0) == 0)
    difference = abs(gw_packets - sim_packets) + abs(gw_refunded - sim_refunded) + abs(gw_transfers - sim_transfers)
    checks.append(Check("gateway equals the simulator's ledger", difference == 0 and disagree == 0 and unmatched == 0,
                        f"{gw_packets + gw_transfers}", f"{sim_packets + sim_transfers}", f"diff {difference}", "0 fen",
                        f"packets {gw_packets}/{sim_packets} refunded {gw_refunded}/{sim_refunded} transfers {gw_transfers}/{sim_transfers} "
                        f"status_disagreements={disagree} paid_without_ledger_row={unmatched}"))

    # Webhooks: every event written was delivered, each one verified at the receiver.
    rows = psql(settings, "SELECT state, count(*) FROM webhook_deliveries GROUP BY state")
    states = {r[0]: int(r[1]) for r in rows}
    undelivered_outbox = int(psql_one(settings, "SELECT count(*) FROM outbox o WHERE NOT EXISTS "
                                                "(SELECT 1 FROM webhook_deliveries d WHERE d.outbox_id = o.id AND d.state = 'delivered')"))
    delivered_ids = {r[0] for r in psql(settings, "SELECT event_id FROM webhook_deliveries WHERE state = 'delivered'")}
    seen = {normal_event_id(e) for e in receiver.events}
    not_seen = len([e for e in delivered_ids if normal_event_id(e) not in seen])
    figures = receiver.figures()
    checks.append(Check("webhooks delivered", states.get("pending", 0) == 0 and states.get("failed", 0) == 0 and undelivered_outbox == 0
                        and not_seen == 0 and figures["bad_signatures"] == 0 and states.get("delivered", 0) > 0,
                        last=str(states.get("delivered", 0)),
                        note=f"pending={states.get('pending', 0)} failed={states.get('failed', 0)} events_not_delivered={undelivered_outbox} "
                             f"not_at_receiver={not_seen} bad_signatures={figures['bad_signatures']} "
                             f"retried_after_503={figures['refused_on_purpose']} duplicates={figures['duplicates']}"))
    checks.append(Check("merchant reloads applied", not reloads.failed, last=str(reloads.done),
                        note="; ".join(reloads.failed)[:200]))
    return checks


def agrees(kind, sim_status, gateway_status):
    """The gateway's status for what WeChat's ledger says of the same billno."""
    expected = TRANSFER_STATUS if kind == "transfer" else PACKET_STATUS
    return gateway_status in expected.get(sim_status, set())


PACKET_STATUS = {"SENT": {"sent"}, "SENDING": {"sent"}, "RECEIVED": {"received"}, "RFUND_ING": {"refunding"}, "REFUND": {"refunded"}}
TRANSFER_STATUS = {"SUCCESS": {"received"}, "PROCESSING": {"sent"}, "FAILED": {"failed", "refunded"}}


def normal_event_id(text):
    return text.removeprefix("evt_").replace("-", "").lower()
