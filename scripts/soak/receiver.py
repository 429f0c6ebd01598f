"""The tenants' webhook receiver: a small HTTP server on loopback that verifies each
delivery's Hongbao-Signature with its endpoint's secret (docs/webhooks.md) and records the
event ids it accepted. A share of first attempts is answered 503, so retries happen too."""
import hashlib
import hmac
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, fail_rate):
        self.fail_rate = fail_rate
        self.secrets = {}  # path -> secret
        self.lock = threading.Lock()
        self.events = set()  # event ids accepted (evt_… as in the body)
        self.deliveries = 0  # 2xx answers
        self.duplicates = 0  # an event id accepted again (delivery is at least once)
        self.refused = 0  # first attempts answered 503 on purpose
        self.bad = 0  # a signature that did not verify, or a body that is not an event
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.take(self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def take(self, path, headers, body):
        secret = self.secrets.get(path)
        if secret is None or not verify(secret, headers.get("Hongbao-Signature", ""), body):
            with self.lock:
                self.bad += 1
            return 400
        try:
            event_id = json.loads(body)["id"]
        except (ValueError, KeyError, TypeError):
            with self.lock:
                self.bad += 1
            return 400
        if headers.get("Hongbao-Attempt") == "1" and random.random() < self.fail_rate:
            with self.lock:
                self.refused += 1
            return 503
        with self.lock:
            self.deliveries += 1
            if event_id in self.events:
                self.duplicates += 1
            self.events.add(event_id)
        return 204

    def figures(self):
        with self.lock:
            return {"deliveries": self.deliveries, "events": len(self.events), "duplicates": self.duplicates,
                    "refused_on_purpose": self.refused, "bad_signatures": self.bad}


def verify(secret, header, body, tolerance=300):
    """docs/webhooks.md's verification, as a tenant would write it."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    t, v1 = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or abs(time.time() - int(t)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, v1)
