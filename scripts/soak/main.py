#!/usr/bin/env python3
"""make soak's driver, run by scripts/soak.sh once the cluster, the simulator, the gateway
and two tenants are up (soak.sh exports where they are and the run's sizes).

  1. A webhook endpoint per tenant, registered through the API, pointing at the receiver.
  2. SOAK_MINUTES of mixed traffic (traffic.py) with the simulator's faults switched in
     turn, merchants.d reloaded every SOAK_RELOAD_SECONDS and users opening packets
     (background.py); every SOAK_SAMPLE_SECONDS one CSV line (sampler.py).
  3. The growth and drift checks on the samples after the warm-up (checks.py).
  4. Traffic stopped, faults off, everything settled by the reconciler; the invariants.
  5. A table of every check, summary.json beside the CSV; exit 1 when any check failed.
"""
import json
import os
import sys
import threading
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ left in scripts/soak
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from background import Faults, Opens, Reloads  # noqa: E402
from checks import Check, growth_checks, invariants, settle  # noqa: E402
from receiver import Receiver  # noqa: E402
from sampler import Sampler  # noqa: E402
from traffic import OUTCOMES, Stats, Traffic  # noqa: E402
from world import Settings, cli  # noqa: E402


def register_webhooks(settings, receiver):
    for i, key in enumerate(settings.keys):
        path = f"/hook/{i}"
        body = json.dumps({"url": receiver.url(path), "description": "soak receiver"}).encode()
        request = urllib.request.Request(settings.gateway + "/v1/webhooks", data=body, method="POST",
                                         headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            receiver.secrets[path] = json.load(answer)["secret"]


def table(checks):
    header = ["check", "first", "last", "growth", "limit", "result"]
    rows = [[c.name, str(c.first), str(c.last), str(c.growth), str(c.limit), "pass" if c.ok else "FAIL"] for c in checks]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip()  # noqa: E731
    print(line(header))
    print(line(["-" * w for w in widths]))
    for c, r in zip(checks, rows):
        print(line(r))
        if c.note and (not c.ok or os.environ.get("SOAK_VERBOSE")):
            print("    " + c.note)


def main():
    settings = Settings()
    print(f"soak: {settings.minutes:g} min of traffic at {settings.rate:g} requests/s over {settings.clients} clients, "
          f"a sample every {settings.sample_seconds:g} s, warm-up {settings.warmup_minutes:g} min; CSV {settings.csv}", flush=True)
    stats = Stats()
    receiver = Receiver(settings.webhook_fail_rate)
    receiver.start()
    register_webhooks(settings, receiver)
    stop = threading.Event()
    faults = Faults(settings, stop)
    reloads = Reloads(settings, stop, cli)
    opens = Opens(settings, stop)
    traffic = Traffic(settings, stats, settings.keys, opens.add)
    sampler = Sampler(settings, stats, stop, receiver, reloads, faults)
    for thread in (faults, reloads, opens, sampler):
        thread.start()
    traffic.start()
    sampler_started = sampler.started
    # The last sample is due at the end of the run; stop just after it was taken.
    time.sleep(max(0.0, sampler_started + settings.minutes * 60 + 0.5 - time.monotonic()))
    stop.set()
    sampler.join()
    sampler.close()
    traffic.finish()
    for thread in (faults, reloads, opens):
        thread.join(timeout=60)
    print(f"soak: traffic stopped after {(time.monotonic() - sampler_started) / 60:.2f} min; settling", flush=True)

    checks = growth_checks(settings, sampler.rows)
    checks.append(Check("every sample taken", not sampler.failures, last=str(len(sampler.rows)), note="; ".join(sampler.failures)[:300]))
    log = []
    checks += settle(settings, faults, log)
    checks += invariants(settings, traffic, receiver, reloads)
    alive = os.path.exists(f"/proc/{settings.gateway_pid}")
    checks.append(Check("gateway still running", alive))
    receiver.stop()

    totals = {outcome: sum(n for (_, o), n in stats.totals.items() if o == outcome) for outcome in OUTCOMES}
    not_ok = sorted(((op, status, code, n) for (op, status, code), n in stats.codes.items()), key=lambda x: -x[3])
    summary = {
        "settings": {k: v for k, v in vars(settings).items() if k not in ("keys", "admin_url", "cli_url")},
        "requests": totals, "reconnects": stats.reconnects,
        "by_operation": {f"{op} {outcome}": n for (op, outcome), n in sorted(stats.totals.items())},
        "not_2xx": [{"operation": op, "status": status, "code": code, "count": n} for op, status, code, n in not_ok],
        "examples": stats.examples, "payouts_answered": len(traffic.answered), "opened_by_users": opens.opened, "reloads": reloads.done,
        "fault_plan_switches": faults.switches, "webhooks": receiver.figures(), "reconcile_log": log,
        "checks": [c.as_dict() for c in checks], "samples": sampler.rows,
    }
    with open(os.path.join(settings.dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=str)

    print()
    print(f"soak: {sum(totals.values())} requests: " + ", ".join(f"{k} {v}" for k, v in totals.items())
          + f"; {len(traffic.answered)} payouts; {opens.opened} opened by their users; {reloads.done} merchant reloads; "
          f"{receiver.figures()['deliveries']} webhook deliveries")
    if not_ok:
        print("soak: answers other than 2xx: " + ", ".join(f"{op} {status} {code or ''}".rstrip() + f" ×{n}"
                                                         for op, status, code, n in not_ok[:8]))
    print()
    table(checks)
    print()
    failed = [c.name for c in checks if not c.ok]
    print(f"soak: CSV {settings.csv}, summary {os.path.join(settings.dir, 'summary.json')}")
    print("soak: FAILED: " + "; ".join(failed) if failed else "soak: every check passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
