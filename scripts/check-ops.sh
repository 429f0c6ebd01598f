#!/usr/bin/env bash
# Checks the operations kit: ops/prometheus (alerting rules) and ops/grafana (dashboard).
#   - promtool check rules / test rules (the unit tests in ops/prometheus/*.test.yml);
#   - the dashboard: it parses, every panel has targets on the ${DS_PROMETHEUS} input,
#     every query is valid PromQL (checked by promtool as recording rules, Grafana's
#     variables replaced) and names hongbao_* metrics;
#   - every hongbao_* metric named in the rules, their tests and the dashboard is one the
#     gateway registers in Sources/ (read from the registering calls, not a kept list).
# Tests/APITests/OpsKitMetricsTests.swift checks the same names, the labels selected on and
# grouped by, against a rendered /metrics of a gateway that has sent (an entity refused and
# cooled down), reconciled, attempted a webhook delivery and refused (it runs with the suite).
# Needs promtool (Debian's prometheus package: scripts/deps.sh --test) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v promtool >/dev/null || { echo "promtool not found: run scripts/deps.sh --test" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

rules=(ops/prometheus/*.yml)
tests=()
for f in "${rules[@]}"; do
    case "$f" in *.test.yml) tests+=("$f") ;; esac
done
alerting=()
for f in "${rules[@]}"; do
    case "$f" in *.test.yml) ;; *) alerting+=("$f") ;; esac
done
promtool check rules "${alerting[@]}"
promtool test rules "${tests[@]}"

python3 - "$work/dashboard-queries.yml" <<'PY'
import glob, json, re, sys

out = sys.argv[1]
problems = []

# What the gateway registers: registry.gauge/counter/durationHistogram("name", …) and
# swift-metrics Counter(label: "name", …); a histogram's samples are _bucket/_sum/_count.
exported, histograms = set(), set()
for path in glob.glob("Sources/**/*.swift", recursive=True):
    text = open(path, encoding="utf-8").read()
    for kind, name in re.findall(r'\b(gauge|counter|durationHistogram|Histogram|Counter|Gauge)\(\s*(?:label:\s*)?"(hongbao_[a-z0-9_]+)"', text):
        exported.add(name)
        if "Histogram" in kind:
            histograms.add(name)
for name in list(histograms):
    exported |= {name + "_bucket", name + "_sum", name + "_count"}
if not exported:
    sys.exit("no hongbao_* metric found in Sources/: has the registering code changed?")

def metrics_in(text):
    return set(re.findall(r"\bhongbao_[a-z0-9_]+", text))

named = set()

def check_names(where, text):
    named.update(metrics_in(text))
    for name in sorted(metrics_in(text) - exported):
        problems.append(f"{where}: {name} is not a metric the gateway exports")

for path in sorted(glob.glob("ops/prometheus/*.yml")):
    check_names(path, open(path, encoding="utf-8").read())

# Grafana's variables, as a query would see them, for promtool's parser.
def concrete(expr):
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$__range", "1h")
    return re.sub(r"\$\{?\w+\}?", ".*", expr)

queries = []
for path in sorted(glob.glob("ops/grafana/*.json")):
    try:
        dash = json.load(open(path, encoding="utf-8"))
    except ValueError as e:
        problems.append(f"{path}: not JSON: {e}")
        continue
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 36:
        problems.append(f"{path}: schemaVersion {dash.get('schemaVersion')!r} (Grafana 9 or later expected)")
    if not any(i.get("name") == "DS_PROMETHEUS" and i.get("pluginId") == "prometheus" for i in dash.get("__inputs", [])):
        problems.append(f"{path}: no DS_PROMETHEUS datasource input")
    panels = []
    for p in dash.get("panels", []):
        panels.append(p)
        panels.extend(p.get("panels", []))  # a collapsed row keeps its panels
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)):
        problems.append(f"{path}: panel ids are not unique")
    if not any(p.get("type") != "row" for p in panels):
        problems.append(f"{path}: no panels")
    for p in panels:
        if p.get("type") == "row":
            continue
        where = f"{path}: panel {p.get('id')} {p.get('title')!r}"
        if "gridPos" not in p:
            problems.append(f"{where}: no gridPos")
        if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            problems.append(f"{where}: datasource is not ${{DS_PROMETHEUS}}")
        targets = p.get("targets") or []
        if not targets:
            problems.append(f"{where}: no targets")
        refs = [t.get("refId") for t in targets]
        if len(refs) != len(set(refs)):
            problems.append(f"{where}: refIds are not unique")
        for t in targets:
            expr = t.get("expr", "")
            if not metrics_in(expr):
                problems.append(f"{where}: query {t.get('refId')} names no hongbao_* metric: {expr!r}")
            check_names(where, expr)
            queries.append((f"panel_{p.get('id')}_{t.get('refId')}", expr))
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", q)
        if v.get("type") == "query":
            if not m:
                problems.append(f"{path}: variable {v.get('name')}: not label_values(selector, label): {q!r}")
                continue
            check_names(f"{path}: variable {v.get('name')}", q)
            queries.append((f"variable_{v.get('name')}", m.group(1)))
    for i, a in enumerate(dash.get("annotations", {}).get("list", [])):
        if a.get("expr"):
            queries.append((f"annotation_{i}", a["expr"]))

# Every query as a recording rule, so promtool parses it as Prometheus would.
with open(out, "w") as f:
    f.write("groups:\n  - name: dashboard-queries\n    rules:\n")
    for where, expr in queries:
        f.write(f"      - record: dashboard:{re.sub(r'[^a-zA-Z0-9_]', '_', where)}\n        expr: {json.dumps(concrete(expr))}\n")

for p in problems:
    print(p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"dashboard: {len(queries)} queries; the rules and the dashboard name {len(named)} series, all registered in Sources/")
PY
promtool check rules "$work/dashboard-queries.yml" >"$work/promtool.out" 2>&1 || {
    cat "$work/promtool.out" >&2
    echo "a dashboard query is not valid PromQL (above: dashboard:<where> names it)" >&2
    exit 1
}
echo "ops kit: rules, rule tests and dashboard OK"
