"""What scripts/soak.sh started, as the soak's Python side reaches it: the gateway's tenant
API, its /metrics, the simulator's control API, PostgreSQL (through psql) and the CLI.
Python 3 standard library only."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request


def env_float(name, default):
    text = os.environ.get(name, "")
    return float(text) if text.strip() else float(default)


class Settings:
    """The run's sizes and the addresses soak.sh exported (soak.sh lists the knobs)."""

    def __init__(self):
        e = os.environ
        self.minutes = env_float("SOAK_MINUTES", 60)
        self.sample_seconds = env_float("SOAK_SAMPLE_SECONDS", 60)
        # The warm-up holds the first fault cycle and the reconciler's first burst after it,
        # which open the connection pool to its working size (it never closes a healthy one).
        self.warmup_minutes = env_float("SOAK_WARMUP_MINUTES", max(self.minutes / 5, 1.5))
        self.rate = env_float("SOAK_RATE", 20)
        self.clients = int(env_float("SOAK_CLIENTS", 4))
        # Every two minutes; more often in a short run, so that it still sees a few.
        self.reload_seconds = env_float("SOAK_RELOAD_SECONDS", min(120, max(15, self.minutes * 10)))
        # The limits the checks hold the run to (main.py's table names each).
        self.max_growth = env_float("SOAK_MAX_GROWTH", 0.10)
        self.rss_slack_mb = env_float("SOAK_RSS_SLACK_MB", 2)
        self.fd_slack = env_float("SOAK_FD_SLACK", 8)
        self.db_slack = env_float("SOAK_DB_SLACK", 2)
        self.max_error_rate = env_float("SOAK_MAX_ERROR_RATE", 0.01)
        self.max_error_drift = env_float("SOAK_MAX_ERROR_DRIFT", 0.005)
        self.webhook_fail_rate = env_float("SOAK_WEBHOOK_FAIL_RATE", 0.02)
        self.dir = e["SOAK_DIR"]
        self.csv = e["SOAK_CSV"]
        self.bin = e["SOAK_BIN"]
        self.gateway = e["SOAK_GATEWAY"]
        self.gateway_pid = int(e["SOAK_GATEWAY_PID"])
        self.metrics = e["SOAK_METRICS"]
        self.control = e["SOAK_CONTROL"]
        self.merchants = e["SOAK_MERCHANTS"]
        self.admin_url = e["SOAK_ADMIN_URL"]
        self.cli_url = e["SOAK_CLI_URL"]
        self.gateway_role = e["SOAK_GATEWAY_ROLE"]
        self.keys = [open(path).read().strip() for path in e["SOAK_KEYS"].split(",")]
        self.reconcile_flags = e["SOAK_RECONCILE_FLAGS"].split()


def psql(settings, sql):
    """Rows of one query as lists of strings (psql -tA, fields split on '|'), as the superuser."""
    out = subprocess.run(["psql", settings.admin_url, "-XqtA", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    return [line.split("|") for line in out.splitlines() if line != ""]


def psql_one(settings, sql):
    rows = psql(settings, sql)
    return rows[0][0] if rows else None


def cli(settings, *args, timeout=600):
    """Runs the hongbao CLI as the app role; returns (exit status, stdout, stderr)."""
    environment = dict(os.environ, DATABASE_URL=settings.cli_url)
    run = subprocess.run([settings.bin, *args], capture_output=True, text=True, env=environment, timeout=timeout)
    return run.returncode, run.stdout, run.stderr


def control(settings, method, path, body=None, timeout=60):
    """The simulator's control API: (HTTP status, parsed JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(settings.control + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            raw = answer.read()
            return answer.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, None


def get_json(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return json.load(answer)


def scrape(settings):
    """The gateway's /metrics as {name or name{labels}: value}."""
    with urllib.request.urlopen(settings.metrics, timeout=30) as answer:
        text = answer.read().decode()
    values = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        try:
            values[name] = float(value)
        except ValueError:
            pass
    return values


def metric_sum(values, prefix):
    """The sum of every series of one metric (all label sets)."""
    return sum(v for k, v in values.items() if k == prefix or k.startswith(prefix + "{"))


def process_figures(pid):
    """The gateway's resident memory (MB) and open descriptors, from /proc."""
    rss_kb = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    return rss_kb / 1024.0, len(os.listdir(f"/proc/{pid}/fd"))


def wait_until(predicate, timeout, every=1.0):
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)
