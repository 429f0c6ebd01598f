"""Mixed tenant traffic through the gateway's HTTP API, paced to a total rate over a few
client threads (keep-alive connections, as a tenant's HTTP client keeps them):

  sends (POST /v1/redpacks), group sends (POST /v1/group-redpacks), transfers
  (POST /v1/transfers), reads (GET /v1/redpacks/{id}, GET /v1/transfers/{id}), listings
  (GET /v1/redpacks with filters and a second page), refreshes (POST …/refresh), usage and
  webhook listings — and a few requests that must be refused (an unknown id: 404, an
  Idempotency-Key reused with another body: 409, an appid no entity may pay: 422).

Every request is counted by outcome: 2xx; 4xx the operation may answer (refusals); 4xx it
should never answer (unexpected: a bug); 5xx; transport errors (no HTTP answer). A create
without an answer (transport error, 5xx, 409 idempotency_key_in_use) is retried with the
same Idempotency-Key until answered, as a tenant's client does; every answered create is
remembered for the invariants (the payout behind each key).
Some packets the gateway reports sent are opened by their user in the simulator."""
import collections
import http.client
import json
import random
import threading
import time
import uuid

APPID = "wx8888888888888888"  # acme-sh and the three sub-merchants serve it
APP_APPID = "wxaaaaaaaaaaaaaaaa"  # a mobile app's: no entity may pay it (422)
USERS = 50_000  # WeChat allows 10 packets per user per entity and day

# (operation, weight, the 4xx it may answer)
OPERATIONS = [
    ("send", 30, {429}),
    ("group_send", 5, {429}),
    ("transfer", 8, {429}),
    ("get_redpack", 17, set()),
    ("get_transfer", 5, set()),
    ("list_redpacks", 8, set()),
    ("refresh", 6, {429}),
    ("usage", 3, set()),
    ("list_webhooks", 1, set()),
    ("get_unknown", 2, {404}),
    ("reuse_key", 1, {409}),
    ("no_eligible", 1, {422}),
]
ALLOWED = {name: allowed for name, _, allowed in OPERATIONS}
CREATES = {"send": "/v1/redpacks", "group_send": "/v1/group-redpacks", "transfer": "/v1/transfers",
           "no_eligible": "/v1/redpacks", "reuse_key": "/v1/redpacks"}
OUTCOMES = ["ok", "refused", "unexpected", "server_error", "transport"]


class Window:
    """What the requests of one sample interval came to."""

    def __init__(self):
        self.counts = collections.Counter()
        self.latencies = []


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.window = Window()
        self.totals = collections.Counter()  # (operation, outcome)
        self.codes = collections.Counter()  # (operation, status, problem code) of every non-2xx
        self.reconnects = 0  # a kept-alive connection found closed, the request repeated at once
        self.examples = []  # the first answers of each unexpected or 5xx kind, for summary.json

    def record(self, operation, outcome, latency_ms, status=None, code=None, body=None):
        with self.lock:
            if outcome in ("unexpected", "server_error", "transport") and self.codes[(operation, status, code)] < 3:
                self.examples.append({"operation": operation, "status": status, "code": code, "body": body})
            self.window.counts[outcome] += 1
            self.window.latencies.append(latency_ms)
            self.totals[(operation, outcome)] += 1
            if outcome != "ok":
                self.codes[(operation, status, code)] += 1

    def take_window(self):
        with self.lock:
            window, self.window = self.window, Window()
            return window


class Tenant:
    def __init__(self, index, key):
        self.index = index
        self.key = key
        self.lock = threading.Lock()
        self.redpacks = collections.deque(maxlen=4000)  # ids of answered sends
        self.transfers = collections.deque(maxlen=2000)
        self.used_keys = collections.deque(maxlen=500)  # (key, path, body) answered 201/202

    def remember(self, kind, payout_id, key, path, body):
        with self.lock:
            (self.transfers if kind == "transfer" else self.redpacks).append(payout_id)
            self.used_keys.append((key, path, body))

    def pick(self, kind):
        with self.lock:
            items = self.transfers if kind == "transfer" else self.redpacks
            return items[random.randrange(len(items))] if items else None

    def pick_key(self):
        with self.lock:
            return self.used_keys[random.randrange(len(self.used_keys))] if self.used_keys else None


class Traffic:
    def __init__(self, settings, stats, keys, receive):
        self.settings = settings
        self.stats = stats
        self.tenants = [Tenant(i, key) for i, key in enumerate(keys)]
        self.receive = receive  # called with (mch_id, billno) of a packet a user may open
        self.stop = threading.Event()
        self.retries = collections.deque()  # (due, tenant, operation, key, path, body, attempts)
        self.retry_lock = threading.Lock()
        self.answered = {}  # (tenant index, Idempotency-Key) -> (payout id, kind, amount_fen)
        self.answered_lock = threading.Lock()
        self.unanswered = {}  # (tenant index, key) -> (operation, path, body) while not answered
        self.threads = []
        host, port = settings.gateway.replace("http://", "").split(":")
        self.host, self.port = host, int(port)
        self.names = [name for name, _, _ in OPERATIONS]
        self.weights = [weight for _, weight, _ in OPERATIONS]

    # Pacing: each client owns rate / clients of the requests per second, on a schedule
    # that does not burst to catch up after a slow answer.
    def start(self):
        per_client = self.settings.rate / self.settings.clients
        for n in range(self.settings.clients):
            thread = threading.Thread(target=self.client, args=(n, per_client), name=f"client-{n}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self, drain_seconds=120):
        """Stops new requests; retries the creates still unanswered until answered or out of time."""
        self.stop.set()
        for thread in self.threads:
            thread.join()
        connection = self.connect()
        deadline = time.monotonic() + drain_seconds
        while time.monotonic() < deadline:
            with self.retry_lock:
                if not self.retries:
                    break
                item = self.retries.popleft()
            time.sleep(max(0.0, min(item[0] - time.monotonic(), 2.0)))
            connection = self.retry(connection, item)
        connection.close()

    def connect(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def client(self, n, rate):
        connection = self.connect()
        interval = 1.0 / rate
        next_at = time.monotonic() + random.random() * interval
        while not self.stop.is_set():
            now = time.monotonic()
            if next_at > now:
                time.sleep(next_at - now)
            next_at = max(next_at + interval, time.monotonic() - interval)
            item = None
            with self.retry_lock:
                if self.retries and self.retries[0][0] <= time.monotonic():
                    item = self.retries.popleft()
            if item:
                connection = self.retry(connection, item)
                continue
            tenant = random.choice(self.tenants)
            operation = random.choices(self.names, self.weights)[0]
            connection = getattr(self, "op_" + operation)(connection, tenant)
        connection.close()

    def request(self, connection, operation, tenant, method, path, body=None, key=None):
        """One request; returns (connection, status, parsed body or None). Counts it."""
        headers = {"Authorization": "Bearer " + tenant.key, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        if method == "POST" and data is None:
            headers["Content-Length"] = "0"
        started = time.monotonic()
        for attempt in (1, 2):
            try:
                connection.request(method, path, body=data, headers=headers)
                answer = connection.getresponse()
                raw = answer.read()
                status = answer.status
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                connection.close()
                connection = self.connect()
                # A kept-alive connection the server had closed: said before any byte of an answer.
                if attempt == 1 and isinstance(error, (http.client.RemoteDisconnected, BrokenPipeError)):
                    with self.stats.lock:
                        self.stats.reconnects += 1
                    started = time.monotonic()
                    continue
                self.stats.record(operation, "transport", (time.monotonic() - started) * 1000, None, type(error).__name__)
                return connection, None, None
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = self.connect()
                self.stats.record(operation, "transport", (time.monotonic() - started) * 1000, None, type(error).__name__)
                return connection, None, None
        latency = (time.monotonic() - started) * 1000
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        code = parsed.get("code") if isinstance(parsed, dict) and status >= 300 else None
        if 200 <= status < 300:
            outcome = "ok"
        elif 400 <= status < 500:
            outcome = "refused" if status in ALLOWED[operation] or (status == 409 and code == "idempotency_key_in_use") else "unexpected"
        else:
            outcome = "server_error"
        self.stats.record(operation, outcome, latency, status, code, raw[:2000].decode(errors="replace") if outcome != "ok" else None)
        return connection, status, parsed

    # Creates: a new Idempotency-Key, answered or retried with it.
    def create(self, connection, tenant, operation, path, body):
        key = f"soak-{uuid.uuid4()}"
        with self.answered_lock:
            self.unanswered[(tenant.index, key)] = (operation, path, body)
        return self.send_create(connection, tenant, operation, key, path, body, 1)

    def send_create(self, connection, tenant, operation, key, path, body, attempts):
        connection, status, answer = self.request(connection, operation, tenant, "POST", path, body, key)
        if status in (201, 202) and isinstance(answer, dict):
            kind = "transfer" if path == "/v1/transfers" else answer.get("kind", "normal")
            with self.answered_lock:
                self.unanswered.pop((tenant.index, key), None)
                self.answered[(tenant.index, key)] = (answer["id"], kind, body["amount_fen"])
            tenant.remember(kind, answer["id"], key, path, body)
            if kind != "transfer" and answer.get("status") == "sent" and random.random() < 0.4:
                self.receive(answer["mch_id"], answer["billno"])
        elif status is None or status >= 500 or (status == 409 and isinstance(answer, dict) and answer.get("code") == "idempotency_key_in_use"):
            with self.retry_lock:
                self.retries.append((time.monotonic() + min(30, attempts), tenant, operation, key, path, body, attempts + 1))
        else:
            with self.answered_lock:  # a refusal is an answer: nothing was created
                self.unanswered.pop((tenant.index, key), None)
        return connection

    def retry(self, connection, item):
        _, tenant, operation, key, path, body, attempts = item
        return self.send_create(connection, tenant, operation, key, path, body, attempts)

    def op_send(self, connection, tenant):
        body = {"appid": APPID, "openid": user(),
                "amount_fen": random.randint(100, 300), "wishing": "恭喜发财", "act_name": "soak", "remark": "soak",
                "metadata": {"order": str(uuid.uuid4())}}
        return self.create(connection, tenant, "send", "/v1/redpacks", body)

    def op_group_send(self, connection, tenant):
        total = random.randint(3, 5)
        body = {"appid": APPID, "openid": user(), "amount_fen": 100 * total + random.randint(0, 300), "total_num": total,
                "wishing": "大吉大利", "act_name": "soak", "remark": "soak group"}
        return self.create(connection, tenant, "group_send", "/v1/group-redpacks", body)

    def op_transfer(self, connection, tenant):
        body = {"appid": APPID, "openid": user(), "amount_fen": random.randint(100, 1000), "description": "soak"}
        return self.create(connection, tenant, "transfer", "/v1/transfers", body)

    def op_get_redpack(self, connection, tenant):
        payout = tenant.pick("redpack")
        if payout is None:
            return self.op_usage(connection, tenant)
        connection, status, answer = self.request(connection, "get_redpack", tenant, "GET", f"/v1/redpacks/{payout}")
        if status == 200 and answer.get("status") == "sent" and random.random() < 0.2:
            self.receive(answer["mch_id"], answer["billno"])
        return connection

    def op_get_transfer(self, connection, tenant):
        payout = tenant.pick("transfer")
        if payout is None:
            return self.op_usage(connection, tenant)
        return self.request(connection, "get_transfer", tenant, "GET", f"/v1/transfers/{payout}")[0]

    def op_list_redpacks(self, connection, tenant):
        query = random.choice(["limit=20", "limit=50&status=sent", "limit=10&status=received", f"limit=5&openid={user()}",
                               "limit=20&merchant=acme-sh"])
        connection, status, answer = self.request(connection, "list_redpacks", tenant, "GET", "/v1/redpacks?" + query)
        if status == 200 and answer.get("next_cursor") and random.random() < 0.5:
            cursor = answer["next_cursor"]
            connection = self.request(connection, "list_redpacks", tenant, "GET", f"/v1/redpacks?{query}&cursor={cursor}")[0]
        return connection

    def op_refresh(self, connection, tenant):
        payout = tenant.pick("redpack")
        if payout is None:
            return self.op_usage(connection, tenant)
        return self.request(connection, "refresh", tenant, "POST", f"/v1/redpacks/{payout}/refresh")[0]

    def op_usage(self, connection, tenant):
        return self.request(connection, "usage", tenant, "GET", "/v1/usage")[0]

    def op_list_webhooks(self, connection, tenant):
        return self.request(connection, "list_webhooks", tenant, "GET", "/v1/webhooks")[0]

    def op_get_unknown(self, connection, tenant):
        return self.request(connection, "get_unknown", tenant, "GET", f"/v1/redpacks/{uuid.uuid4()}")[0]

    def op_reuse_key(self, connection, tenant):
        used = tenant.pick_key()
        if used is None:
            return self.op_usage(connection, tenant)
        key, path, body = used
        changed = dict(body, amount_fen=body["amount_fen"] + 1)
        return self.request(connection, "reuse_key", tenant, "POST", path, changed, key)[0]

    def op_no_eligible(self, connection, tenant):
        body = {"appid": APP_APPID, "openid": user(), "amount_fen": 100, "wishing": "恭喜发财", "act_name": "soak", "remark": "soak"}
        return self.request(connection, "no_eligible", tenant, "POST", "/v1/redpacks", body, f"soak-{uuid.uuid4()}")[0]


def user():
    return "oSoakUser%018d" % random.randrange(USERS)
