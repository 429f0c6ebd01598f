#!/usr/bin/env python3
"""Summarises pg_stat_activity samples taken during one run (scripts/bench-gateway.sh):
where the gateway's active backends were, by wait event, lock and statement target, as a
share of all backend samples. Appends {"waits": …} to the figures file and prints the top.

    waits.py SAMPLES FIGURES LABEL CLIENTS
"""
import collections
import json
import sys

samples_path, figures_path, label, clients = sys.argv[1:5]
counts, rounds, total = collections.Counter(), 0, 0
with open(samples_path) as samples:
    for line in samples:
        line = line.rstrip("\n")
        if line == "#sample":
            rounds += 1
            continue
        parts = line.split("|")
        if len(parts) != 4:
            continue
        wait, lock, statement, state = parts
        if state == "idle in transaction":
            wait = "Client:ClientRead (idle in transaction)"
        counts[(wait, lock, statement.strip())] += 1
        total += 1
top = [{"wait": w, "lock": l, "statement": s, "samples": n, "share": round(n / total, 3)}
       for (w, l, s), n in counts.most_common(8)] if total else []
entry = {"waits": label, "clients": int(clients), "rounds": rounds, "backend_samples": total,
         "mean_active_backends": round(total / rounds, 2) if rounds else 0, "top": top}
with open(figures_path, "a") as figures:
    figures.write(json.dumps(entry, ensure_ascii=False) + "\n")
print(f"  waits at {clients} clients ({label}): {entry['mean_active_backends']} active backends on average over {rounds} samples")
for t in top[:5]:
    lock = f" [{t['lock']}]" if t["lock"] else ""
    print(f"    {t['share'] * 100:5.1f}%  {t['wait']}{lock}  {t['statement']}")
