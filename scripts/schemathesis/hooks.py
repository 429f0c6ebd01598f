"""schemathesis hooks for scripts/schemathesis.sh.

* Idempotency-Key: a schema-valid create gets a key derived from its method, path and
  body, so the same request replays its first answer and another body is another payout
  (a drawn key would often repeat across bodies and answer 409, which tests nothing new).
  The keys of schema-invalid requests are left as drawn: they may be the invalid part.
* Opaque cursors: `cursor` of GET /v1/redpacks is valid only as a `next_cursor` this API
  returned (openapi.yaml says so and that it cannot be expressed); schema-valid requests
  keep only cursors the API returned (the stateful phase's NextPage link passes them).
* What openapi.yaml cannot express (its description lists it): a schema-valid request the
  gateway refuses for one of those rules only is not a failure (`filter_failure`). Each one
  dropped is written to dropped.ndjson in the reports directory; anything else stays.
* Cross-tenant: every object tenant A's key made or read is probed with tenant B's key
  (`no_cross_tenant_data`): B's reads, changes and deletes of it are 404 `not_found` (B's
  packet from A's campaign a 422 `campaign_refused`), B's lists never hold it, A still has
  it afterwards, and B's usage never counts A's payouts.
"""

import hashlib
import json
import os
import threading
import unicodedata

import requests
import schemathesis

BASE_URL = os.environ["HONGBAO_SCHEMATHESIS_URL"]
REPORTS = os.environ["HONGBAO_SCHEMATHESIS_REPORTS"]
with open(os.environ["HONGBAO_SCHEMATHESIS_KEY_A_FILE"]) as _f:
    KEY_A = _f.read().strip()
with open(os.environ["HONGBAO_SCHEMATHESIS_KEY_B_FILE"]) as _f:
    KEY_B = _f.read().strip()

IDEMPOTENT_OPERATIONS = {("POST", "/v1/redpacks"), ("POST", "/v1/group-redpacks"), ("POST", "/v1/transfers")}
_lock = threading.Lock()
_cursors: set[str] = set()


def _positive(case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None


@schemathesis.hook
def before_call(context, case, kwargs):
    if not _positive(case):
        return
    method = case.method.upper()
    if (method, case.path) in IDEMPOTENT_OPERATIONS and "Idempotency-Key" in case.headers:
        body = json.dumps(case.body, sort_keys=True, ensure_ascii=False, default=str)
        digest = hashlib.sha256(f"{method} {case.path} {body}".encode()).hexdigest()
        case.headers["Idempotency-Key"] = "st-" + digest[:40]
    if (method, case.path) == ("GET", "/v1/redpacks") and case.query and "cursor" in case.query:
        with _lock:
            known = case.query["cursor"] in _cursors
        if not known:
            del case.query["cursor"]


@schemathesis.hook
def after_call(context, case, response):
    if case.method.upper() == "GET" and case.path == "/v1/redpacks" and response.status_code == 200:
        body = _json(response)
        if isinstance(body, dict) and isinstance(body.get("next_cursor"), str):
            with _lock:
                _cursors.add(body["next_cursor"])


# --- What openapi.yaml cannot express ------------------------------------------------

# (field, start of message) of the gateway's refusals for rules between fields, or between a
# PATCH and the campaign it changes.
CAMPAIGN_RULES = [
    ("amount_max_fen", "must not be below amount_min_fen"),
    ("budget_fen", "must pay at least one packet of the largest amount"),
    ("budget_fen", "must not be below what its packets already took"),
    ("rule.tiers", "must be in increasing paid_fen"),
    ("rule.tiers", "every reward_fen must be within amount_min_fen–amount_max_fen"),
    ("ends_at", "must be after starts_at"),
]
# A PATCH's amounts against a stored campaign without a scene_id.
PATCH_RULES = [(field, "must be 100–20000 fen (1–200 yuan) without a scene_id") for field in ("amount_min_fen", "amount_max_fen")]
WHITE_SPACE = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {chr(c) for c in range(0x2000, 0x200B)}
# Grapheme_Cluster_Break=Extend/ZWJ/SpacingMark, near enough: what follows a space in its cluster.
def _extends(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me", "Mc") or char in "\u200c\u200d" or 0x1F3FB <= ord(char) <= 0x1F3FF \
        or 0xE0020 <= ord(char) <= 0xE007F or char in "\uff9e\uff9f"


def _ends_in_spaced_cluster(value) -> bool:
    """Whether `value`'s last grapheme cluster is white space followed by marks (refused,
    though its last code point is not white space)."""
    if not isinstance(value, str) or not value or not _extends(value[-1]):
        return False
    stripped = value.rstrip("".join({c for c in value if _extends(c)}))
    return bool(stripped) and stripped[-1] in WHITE_SPACE and stripped[-1] not in "\x85\u2028\u2029"


def _problem(response):
    body = _json(response)
    return body if isinstance(body, dict) else {}


def _unexpressible(case, response) -> str | None:
    """Which documented rule a refusal of a schema-valid request is, if only such rules."""
    problem = _problem(response)
    errors = problem.get("errors") or []
    method, path = case.method.upper(), case.path
    if response.status_code == 400 and problem.get("code") == "invalid_field" and errors:
        rules = CAMPAIGN_RULES + (PATCH_RULES if method == "PATCH" else [])
        if path.startswith("/v1/campaigns") and method in ("POST", "PATCH") and all(
                any(e.get("field") == f and e.get("message", "").startswith(m) for f, m in rules) for e in errors):
            return "campaign rule between fields"
        body = case.body if isinstance(case.body, dict) else {}
        if all(e.get("message", "").startswith("must not start or end with spaces") and _ends_in_spaced_cluster(body.get(e.get("field")))
               for e in errors):
            return "white space ending a grapheme cluster"
    return None


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if type(failure).__name__ != "RejectedPositiveData":
        return True
    rule = _unexpressible(case, response)
    if rule is None:
        return True
    with _lock, open(os.path.join(REPORTS, "dropped.ndjson"), "a") as out:
        out.write(json.dumps({"rule": rule, "operation": f"{case.method} {case.path}", "status": response.status_code,
                              "errors": _problem(response).get("errors")}, ensure_ascii=False) + "\n")
    return False


# --- Cross-tenant probes -------------------------------------------------------------

_probed: set[tuple[str, str]] = set()
_session = requests.Session()
# B's refreshes count against B's own per-minute limit (120 by default) before the gateway
# finds the packet is not B's, so past it B is told 429 for any id, A's or none: a run
# probes the refresh of its first 60 red packets only.
REFRESH_PROBES = 60
_refresh_probes = 0


def _as(key: str, method: str, path: str, body=None, headers=None):
    all_headers = {"Authorization": f"Bearer {key}"}
    all_headers.update(headers or {})
    return _session.request(method, BASE_URL + path, json=body, headers=all_headers, timeout=30)


def _expect_not_found(response, what: str) -> None:
    code = _problem(response).get("code")
    assert response.status_code == 404 and code == "not_found", (
        f"tenant B's key on tenant A's {what}: expected 404 not_found, got {response.status_code} {code}")


def _ids_in(response) -> list[str]:
    body = _json(response)
    return [item.get("id") for item in body.get("data", []) if isinstance(item, dict)] if isinstance(body, dict) else []


def _owned(response) -> tuple[str, str] | None:
    """(kind, id) of the object a successful answer to tenant A holds, if any."""
    if not 200 <= response.status_code < 300:
        return None
    body = _json(response)
    if not isinstance(body, dict):
        return None
    kind = {"redpack": "redpack", "transfer": "transfer", "campaign": "campaign"}.get(body.get("object"))
    if kind and isinstance(body.get("id"), str):
        return kind, body["id"]
    endpoint = body.get("endpoint")
    if isinstance(endpoint, dict) and endpoint.get("object") == "webhook_endpoint":
        return "webhook", endpoint["id"]
    redpack = body.get("redpack")
    if isinstance(redpack, dict) and redpack.get("object") == "redpack":
        return "redpack", redpack["id"]
    return None


@schemathesis.check
def no_cross_tenant_data(ctx, response, case):
    """Tenant B's key never reaches an object tenant A's key made or read."""
    global _refresh_probes
    if response.request.headers.get("Authorization") != f"Bearer {KEY_A}":
        return None  # not sent as tenant A: a probe of schemathesis's own, or a deliberately wrong key
    found = _owned(response)
    if found is None:
        return None
    with _lock:
        if found in _probed:
            return None
        _probed.add(found)
        with open(os.path.join(REPORTS, "cross-tenant.ndjson"), "a") as out:
            out.write(json.dumps({"kind": found[0], "id": found[1], "by": f"{case.method} {case.path}"}) + "\n")
    kind, ident = found
    if kind == "redpack":
        _expect_not_found(_as(KEY_B, "GET", f"/v1/redpacks/{ident}"), "red packet")
        with _lock:
            _refresh_probes += 1
            refresh = _refresh_probes <= REFRESH_PROBES
        if refresh:
            _expect_not_found(_as(KEY_B, "POST", f"/v1/redpacks/{ident}/refresh"), "red packet (refresh)")
        _expect_not_found(_as(KEY_B, "GET", f"/v1/transfers/{ident}"), "red packet (as a transfer)")
        assert ident not in _ids_in(_as(KEY_B, "GET", "/v1/redpacks?limit=100")), "tenant B's red packet list holds tenant A's"
        assert _as(KEY_A, "GET", f"/v1/redpacks/{ident}").status_code == 200, "tenant A lost its red packet"
    elif kind == "transfer":
        _expect_not_found(_as(KEY_B, "GET", f"/v1/transfers/{ident}"), "transfer")
        _expect_not_found(_as(KEY_B, "GET", f"/v1/redpacks/{ident}"), "transfer (as a red packet)")
        assert _as(KEY_A, "GET", f"/v1/transfers/{ident}").status_code == 200, "tenant A lost its transfer"
    elif kind == "webhook":
        _expect_not_found(_as(KEY_B, "DELETE", f"/v1/webhooks/{ident}"), "webhook endpoint (delete)")
        assert ident not in _ids_in(_as(KEY_B, "GET", "/v1/webhooks")), "tenant B's webhook list holds tenant A's"
    elif kind == "campaign":
        for method, path in [("GET", ""), ("GET", "/stats"), ("POST", "/activate"), ("POST", "/pause"), ("POST", "/resume")]:
            _expect_not_found(_as(KEY_B, method, f"/v1/campaigns/{ident}{path}"), f"campaign ({method} …{path})")
        _expect_not_found(_as(KEY_B, "PATCH", f"/v1/campaigns/{ident}", body={"name": "taken"}), "campaign (PATCH)")
        event = {"event_id": f"cross-{ident}", "openid": "oCrossTenant", "paid_fen": 100, "occurred_at": "2026-01-01T00:00:00Z"}
        _expect_not_found(_as(KEY_B, "POST", f"/v1/campaigns/{ident}/events", body=event), "campaign (events)")
        sent = _as(KEY_B, "POST", "/v1/redpacks", body={"campaign": ident, "openid": "oCrossTenant"},
                   headers={"Idempotency-Key": f"cross-{ident}"})
        code = _problem(sent).get("code")
        assert sent.status_code == 422 and code == "campaign_refused", (
            f"tenant B's packet from tenant A's campaign: expected 422 campaign_refused, got {sent.status_code} {code}")
        assert ident not in _ids_in(_as(KEY_B, "GET", "/v1/campaigns")), "tenant B's campaign list holds tenant A's"
        assert _as(KEY_A, "GET", f"/v1/campaigns/{ident}").status_code == 200, "tenant A lost its campaign"
    usage = _json(_as(KEY_B, "GET", "/v1/usage")) or {}
    assert usage.get("spent_fen") == 0 and usage.get("payouts", {}).get("count") == 0, f"tenant B's usage counts payouts it never made: {usage}"
    return None
