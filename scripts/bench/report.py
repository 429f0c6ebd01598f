#!/usr/bin/env python3
"""Turns one `make bench` run's figures into bench/results.json and bench/throughput.svg,
prints how each figure stands against its target, and fails (exit 1) when a figure the
benchmark must measure is missing — so a run that stopped measuring never looks complete.

    report.py FIGURES OUT_DIR [--compare EARLIER_RESULTS_JSON]

--compare draws an earlier run's gateway lines dashed beside this run's (before/after).
"""
import argparse
import datetime
import json
import math
import os
import platform
import subprocess

CLIENTS = [int(c) for c in os.environ.get("GATEWAY_BENCH_CLIENTS", "1 8 32 64").split()]


def expected():
    names = ["postgres_module_tps_c1", "postgres_module_tps_c8", "simulator_sendredpack_per_s", "simulator_long_over_short",
             "simulator_rss_mb_per_million", "routing_cost_10k_over_10", "routing_load_1000_files_ms"]
    for c in CLIENTS:
        names += [f"{n}_c{c}" for n in ("gateway_per_s", "gateway_p50_ms", "gateway_p99_ms", "direct_p50_ms", "added_p50_ms",
                                        "pgbench_ceiling", "pgbench_spread", "gateway_cpu_ms_per_payout",
                                        "postgres_cpu_ms_per_payout", "gateway_errors")]
    names += ["gateway_c32_over_c8", "gateway_c64_over_c8", "hot_per_s_c8", "hot_per_s_c32", "hot_p99_ms_c8", "hot_p99_ms_c32",
              "hot_c32_over_c8", "pgbench_spread_c32_with_audit", "gateway_rss_mb",
              "four_instances_per_s_c32", "four_instances_per_s_c64", "four_instances_p99_ms_c32", "four_instances_p99_ms_c64",
              "ledger_most_packets_in_60s_per_entity", "ledger_most_sendredpack_calls_per_entity",
              "ledger_most_packets_per_user_per_entity_day", "ledger_budget_spent_fen", "ledger_budget_left_fen",
              "reconciler_checks_per_s", "pool32_per_s_c32", "pool32_per_s_c64",
              "pool32_postgres_cpu_ms_per_payout_c32", "pool32_postgres_cpu_ms_per_payout_c64"]
    names += [f"limits_{run}_{what}" for run in ("minute", "user", "budget") for what in ("errors", "refused")]
    return names


def met(figure):
    target = figure.get("target")
    if not target:
        return None
    value = figure.get("ratio") if target["on"] == "ratio" else figure.get("value")
    if value is None:
        return False
    return {">=": value >= target["value"], "<=": value <= target["value"]}[target["op"]]


def command(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return ""


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    memory = next((int(line.split()[1]) // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_mb": memory, "kernel": platform.release(),
            "postgresql": command("pg_config", "--version"), "swift": (command("swift", "--version").splitlines() or [""])[0],
            "commit": command("git", "rev-parse", "--short", "HEAD"),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "seconds_per_point": float(os.environ.get("SECONDS_PER", "10")),
            "db_pool_per_gateway": int(os.environ.get("BENCH_DB_POOL", str(4 * (os.cpu_count() or 1))))}


def series(figures, prefix):
    return [(c, figures[f"{prefix}_c{c}"]["value"]) for c in CLIENTS
            if f"{prefix}_c{c}" in figures and figures[f"{prefix}_c{c}"]["value"] is not None]


def chart(figures, earlier):
    """Two panels: payouts/s against clients, and p50/p99 against clients (log scale)."""
    width, height, pad = 880, 360, 56
    panel = (width - 3 * pad) // 2
    xs = {c: i for i, c in enumerate(CLIENTS)}

    def x(panel_index, c):
        return pad + panel_index * (panel + pad) + xs[c] * panel / max(1, len(CLIENTS) - 1)

    lines = []
    throughput = [("gateway_per_s", "gateway", "#c0392b", "")]
    throughput += [("pgbench_ceiling", "pgbench, uncontended ceiling", "#7f8c8d", ""), ("pgbench_spread", "pgbench, realistic spread", "#2980b9", "")]
    latency = [("gateway_p50_ms", "gateway p50", "#c0392b", ""), ("gateway_p99_ms", "gateway p99", "#8e44ad", "")]
    if earlier:
        throughput.append(("gateway_per_s", "gateway, before", "#c0392b", "6 4"))
        latency += [("gateway_p50_ms", "gateway p50, before", "#c0392b", "6 4"), ("gateway_p99_ms", "gateway p99, before", "#8e44ad", "6 4")]
    top_tps = max([v for key, *_ in throughput for src in (figures, earlier or {}) for _, v in series(src, key)] + [1])
    top_ms = max([v for key, *_ in latency for src in (figures, earlier or {}) for _, v in series(src, key)] + [1])
    log_top = math.log10(top_ms * 1.5)

    def y_tps(v):
        return height - pad - (height - 2 * pad) * v / (top_tps * 1.1)

    def y_ms(v):
        low = -1.0
        return height - pad - (height - 2 * pad) * (math.log10(max(v, 0.1)) - low) / (log_top - low)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 70}" font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>']
    for index, (title, ticks, scale) in enumerate([("payouts per second", [top_tps * f for f in (0, .25, .5, .75, 1)], y_tps),
                                                   ("latency, ms (log scale)", [t for t in (0.1, 1, 10, 100, 1000, 10000) if t <= top_ms * 1.5], y_ms)]):
        left = pad + index * (panel + pad)
        out.append(f'<text x="{left}" y="{pad - 20}" font-weight="bold">{title}</text>')
        out.append(f'<line x1="{left}" y1="{height - pad}" x2="{left + panel}" y2="{height - pad}" stroke="#333"/>')
        out.append(f'<line x1="{left}" y1="{pad}" x2="{left}" y2="{height - pad}" stroke="#333"/>')
        for t in ticks:
            out.append(f'<line x1="{left}" y1="{scale(t):.1f}" x2="{left + panel}" y2="{scale(t):.1f}" stroke="#eee"/>')
            out.append(f'<text x="{left - 6}" y="{scale(t) + 4:.1f}" text-anchor="end">{t:g}</text>' if t < 10 else
                       f'<text x="{left - 6}" y="{scale(t) + 4:.1f}" text-anchor="end">{int(round(t))}</text>')
        for c in CLIENTS:
            out.append(f'<text x="{x(index, c):.1f}" y="{height - pad + 16}" text-anchor="middle">{c}</text>')
        out.append(f'<text x="{left + panel / 2}" y="{height - pad + 32}" text-anchor="middle">clients</text>')
    legend = 0
    for index, entries, scale in ((0, throughput, y_tps), (1, latency, y_ms)):
        for key, label, colour, dash in entries:
            source = earlier if dash else figures
            points = series(source or {}, key)
            if not points:
                continue
            dashing = f' stroke-dasharray="{dash}"' if dash else ""
            path = " ".join(f"{x(index, c):.1f},{scale(v):.1f}" for c, v in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                       f'stroke-width="2"{dashing}/>')
            for c, v in points:
                out.append(f'<circle cx="{x(index, c):.1f}" cy="{scale(v):.1f}" r="3" fill="{colour}"/>')
            ly = height + 10 + 16 * (legend // 3)
            lx = pad + (legend % 3) * 270
            out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 24}" y2="{ly}" stroke="{colour}" stroke-width="2"'
                       f'{dashing}/><text x="{lx + 30}" y="{ly + 4}">{label}</text>')
            legend += 1
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("figures")
    parser.add_argument("out_dir")
    parser.add_argument("--compare")
    args = parser.parse_args()
    figures, waits = {}, []
    with open(args.figures) as lines:
        for line in lines:
            entry = json.loads(line)
            if "waits" in entry:
                waits.append(entry)
            else:
                figures[entry["name"]] = entry
    for figure in figures.values():
        figure["met"] = met(figure)
    missing = [name for name in expected() if figures.get(name, {}).get("value") is None]
    earlier = None
    if args.compare and os.path.exists(args.compare):
        earlier = {f["name"]: f for f in json.load(open(args.compare))["figures"]}
    os.makedirs(args.out_dir, exist_ok=True)
    results = {"machine": machine(), "clients": CLIENTS, "figures": list(figures.values()), "waits": waits, "missing": missing}
    with open(os.path.join(args.out_dir, "results.json"), "w") as out:
        json.dump(results, out, indent=1, ensure_ascii=False)
        out.write("\n")
    with open(os.path.join(args.out_dir, "throughput.svg"), "w") as out:
        out.write(chart(figures, earlier))
    print()
    print("== Targets")
    for figure in figures.values():
        if figure["met"] is None:
            continue
        target = figure["target"]
        shown = figure.get("ratio") if target["on"] == "ratio" else figure["value"]
        print(f"  {'met ' if figure['met'] else 'MISS'}  {figure['name']:<48} {shown!s:>10} {target['op']} {target['value']:g}"
              f"{' (ratio to ' + figure['baseline']['name'] + ')' if target['on'] == 'ratio' else ''}")
    print(f"wrote {args.out_dir}/results.json and {args.out_dir}/throughput.svg ({len(figures)} figures)")
    if missing:
        print(f"NOT MEASURED: {', '.join(missing)}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
