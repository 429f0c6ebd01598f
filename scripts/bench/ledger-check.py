#!/usr/bin/env python3
"""Checks the limits from WeChat's side: the simulator's ledger and request tally after
the limits were driven past their ends through several gateway instances.

    ledger-check.py CONTROL FIGURES --per-minute FIRST-LAST=LIMIT --per-user FIRST-LAST=LIMIT
                    --budget FIRST-LAST=FEN

  --per-minute  no entity's packets in any 60-second window, nor its sendredpack calls
                (a refused call counts: WeChat would have refused it), exceed LIMIT
  --per-user    no user has more than LIMIT packets from one entity in one day
  --budget      the packets of these entities (the budgeted tenant's only) sum to at most
                FEN, and to more than FEN less one largest packet (the budget was reached)
Appends each figure to FIGURES (report.py checks its target) and prints them.
"""
import argparse
import collections
import datetime
import json
import subprocess
import sys
import urllib.request


def get(control, path):
    with urllib.request.urlopen(control + path, timeout=30) as answer:
        return json.load(answer)


def entities(spec):
    span, limit = spec.split("=")
    first, last = (int(x) for x in span.split("-"))
    return [str(m) for m in range(first, last + 1)], int(limit)


def packets(control, mch):
    out, cursor = [], None
    while True:
        page = get(control, f"/_sim/ledger?kind=packets&limit=10000&mch_id={mch}" + (f"&cursor={cursor}" if cursor else ""))
        out += [p for p in page["packets"] if p["mch_id"] == mch]
        cursor = page.get("next_cursor")
        if not cursor:
            return out


def seconds(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def figure(path, **fields):
    subprocess.run([sys.executable, __file__.replace("ledger-check.py", "figure.py"), path]
                   + [f"{k}={v}" for k, v in fields.items()] + ["section=limits"], check=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("control")
    parser.add_argument("figures")
    parser.add_argument("--per-minute", required=True)
    parser.add_argument("--per-user", required=True)
    parser.add_argument("--budget", required=True)
    args = parser.parse_args()
    calls = get(args.control, "/_sim/requests").get("sendredpack", {})

    mchs, limit = entities(args.per_minute)
    worst_window, worst_calls, paid = 0, 0, 0
    for mch in mchs:
        times = sorted(seconds(p["created_at"]) for p in packets(args.control, mch))
        paid += len(times)
        j = 0
        for i, start in enumerate(times):  # the most packets in any window [start, start + 60)
            j = max(j, i)
            while j < len(times) and times[j] < start + 60:
                j += 1
            worst_window = max(worst_window, j - i)
        worst_calls = max(worst_calls, calls.get(mch, 0))
    figure(args.figures, name="ledger_most_packets_in_60s_per_entity", value=worst_window, unit="packets", target=f"<= {limit}")
    figure(args.figures, name="ledger_most_sendredpack_calls_per_entity", value=worst_calls, unit="calls", target=f"<= {limit}")
    print(f"  per-minute limit {limit}: most packets of one entity in any 60 s {worst_window}, most calls {worst_calls} ({paid} paid over {len(mchs)} entities)")

    mchs, limit = entities(args.per_user)
    per_user = collections.Counter()
    for mch in mchs:
        for p in packets(args.control, mch):
            per_user[(mch, p["openid"], p["created_at"][:10])] += 1
    worst = max(per_user.values(), default=0)
    figure(args.figures, name="ledger_most_packets_per_user_per_entity_day", value=worst, unit="packets", target=f"<= {limit}")
    print(f"  per-user limit {limit}: most packets of one user from one entity in a day {worst} ({sum(per_user.values())} paid)")

    mchs, budget = entities(args.budget)
    amounts = [p["amount_fen"] for mch in mchs for p in packets(args.control, mch)]
    spent = sum(amounts)
    figure(args.figures, name="ledger_budget_spent_fen", value=spent, unit="fen", target=f"<= {budget}")
    figure(args.figures, name="ledger_budget_left_fen", value=budget - spent, unit="fen", target="<= 20000")
    print(f"  budget {budget} fen: {spent} fen paid in {len(amounts)} packets, {budget - spent} fen left")


if __name__ == "__main__":
    main()
