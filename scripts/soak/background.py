"""What happens beside the tenants' traffic: WeChat's faults in the simulator, merchants.d
edited and reloaded, users opening their packets."""
import os
import queue
import random
import re
import signal
import threading
import time
import urllib.request

from world import control, get_json

# The simulator's fault plans, in turn (FaultPlan.swift): answers later than the gateway
# waits (--upstream-timeout-ms 2000) for 20 s, then answers lost or wrong for 40 s. Both
# leave sends whose outcome only a query can tell: the reconciler's work. WeChat committing
# an order late is left out (past the never-kept grace it is the one double payment the
# gateway can only report, and the invariants here would count it).
FAULT_PLANS = [
    ("timeouts", 20, {"rate": 0.03, "latency_ms": 2500, "drop_after_commit": True, "systemerror": True}),
    ("errors", 40, {"rate": 0.04, "drop_before_commit": True, "drop_after_commit": True, "systemerror": True,
                    "http500": True, "garbage": True}),
]


class Faults(threading.Thread):
    def __init__(self, settings, stop):
        super().__init__(name="faults", daemon=True)
        self.settings, self.stop = settings, stop
        self.current = "none"
        self.switches = 0
        self.failures = 0

    def run(self):
        while not self.stop.is_set():
            for name, seconds, plan in FAULT_PLANS:
                status, _ = control(self.settings, "POST", "/_sim/faults", plan)
                if status == 200:
                    self.current = name
                    self.switches += 1
                else:
                    self.failures += 1
                if self.stop.wait(seconds):
                    return

    def clear(self):
        status, _ = control(self.settings, "DELETE", "/_sim/faults")
        self.current = "none"
        return status == 204


class Reloads(threading.Thread):
    """Every reload_seconds: sp-shop-b's weight flips between 1 and 2 in the copy of
    merchants.d, then the gateway is told — by `hongbao merchant reload` (the generation in
    PostgreSQL and NOTIFY) and by SIGHUP, in turn. A reload counts as done when /readyz
    shows a newer snapshot generation within 20 s and says nothing failed."""

    FILE = "sp-shop-b.toml"

    def __init__(self, settings, stop, cli):
        super().__init__(name="reloads", daemon=True)
        self.settings, self.stop, self.cli = settings, stop, cli
        self.done = 0
        self.failed = []

    def generation(self):
        checks = get_json(self.settings.gateway + "/readyz")["checks"]["merchants"]
        match = re.search(r"generation (\d+)", checks)
        return (int(match.group(1)) if match else -1), checks.startswith("ok")

    def run(self):
        n = 0
        while not self.stop.wait(self.settings.reload_seconds):
            n += 1
            try:
                self.reload(n)
            except Exception as error:  # noqa: BLE001 - a failed reload is a finding, not a crash
                self.failed.append(f"reload {n}: {error}")

    def reload(self, n):
        path = os.path.join(self.settings.merchants, self.FILE)
        with open(path) as f:
            text = f.read()
        weight = "2" if re.search(r"^weight = 1$", text, re.M) else "1"
        with open(path, "w") as f:
            f.write(re.sub(r"^weight = \d+$", f"weight = {weight}", text, flags=re.M))
        before, _ = self.generation()
        if n % 2:
            status, out, err = self.cli(self.settings, "merchant", "reload", "--merchants", self.settings.merchants, "--actor", "soak")
            if status != 0:
                self.failed.append(f"reload {n}: hongbao merchant reload exited {status}: {err.strip()[-300:]}")
                return
            how = "merchant reload"
        else:
            os.kill(self.settings.gateway_pid, signal.SIGHUP)
            how = "SIGHUP"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            generation, ok = self.generation()
            if generation > before and ok:
                self.done += 1
                return
            time.sleep(0.2)
        self.failed.append(f"reload {n} ({how}): /readyz still at generation {before} or failing after 20 s")


class Opens(threading.Thread):
    """Users opening packets in the simulator, a few seconds after the gateway said sent."""

    def __init__(self, settings, stop):
        super().__init__(name="opens", daemon=True)
        self.settings, self.stop = settings, stop
        self.queue = queue.Queue(maxsize=10_000)
        self.opened = 0
        self.refused = 0

    def add(self, mch_id, billno):
        try:
            self.queue.put_nowait((time.monotonic() + random.uniform(1, 10), mch_id, billno))
        except queue.Full:
            pass

    def run(self):
        while not self.stop.is_set():
            try:
                due, mch_id, billno = self.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if self.stop.wait(max(0.0, due - time.monotonic())):
                return
            try:
                request = urllib.request.Request(f"{self.settings.control}/_sim/redpacks/{mch_id}/{billno}/receive", method="POST", data=b"")
                with urllib.request.urlopen(request, timeout=30):
                    self.opened += 1
            except Exception:  # noqa: BLE001 - already opened, or refunded: the user was late
                self.refused += 1
