#!/usr/bin/env python3
"""HTTP fuzz campaign against a running Vigil server ("Nothing a client sends can crash, stall or
starve Vigil").

Standard library only (Python >= 3.11). Phases:

1. setup    log in once per role, collect fixture ids (grants, care teams, an analysis job, cursors)
2. campaign N generated/mutated requests over every route, method and query parameter, as every role,
            on `--concurrency` threads with one keep-alive http.client connection each
3. ws       a few WebSocket upgrade handshakes (valid and broken) followed by garbage frames
4. framing  malformed HTTP framing on raw sockets (bad Content-Length, chunking, huge headers,
            HTTP/0.9, slowloris, stalled bodies...)

Checks on every response: no 5xx except 503 with Retry-After (<= 0.1 %), every JSON error body has
exactly {"error": {"code", "message", "request_id", "details"?}} with request_id == X-Request-ID,
every response has X-Request-ID, nothing slower than --max-latency, no reset/timeout without a
response (except where the server documents a close), nothing that leaks internals, no 2xx where
the role may not have one (simple access oracle), the server (pid) alive and /health answering.

Requests are generated from (--seed, index) alone, so `--replay INDEX` re-sends one of them.
`--prepare` seeds a fresh server (grants, samples) and is what run.sh calls first.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import heapq
import http.client
import json
import os
import random
import re
import select
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid as uuidlib
from collections import Counter, deque
from dataclasses import dataclass, field

# --------------------------------------------------------------------------------------------
# Constants of the API (read from the Swift sources)

MAX_BODY = 8 * 1024 * 1024          # BodyReader.maxBodyBytes
SMALL_BODY = 64 * 1024              # BodyReader.json / decode limit (auth, grants, users, care teams, analyses)
MAX_BATCH = 10_000

SAMPLE_TYPES = {
    # name: (kind, {unit: factor-to-canonical | 'F'}, lo, hi)   ranges in the canonical unit, inclusive
    "heart_rate": ("q", {"count/min": 1.0, "bpm": 1.0}, 20, 300),
    "resting_heart_rate": ("q", {"count/min": 1.0, "bpm": 1.0}, 20, 250),
    "heart_rate_variability_sdnn": ("q", {"ms": 1.0, "s": 1000.0}, 0, 500),
    "oxygen_saturation": ("q", {"%": 1.0, "fraction": 100.0}, 50, 100),
    "respiratory_rate": ("q", {"count/min": 1.0}, 4, 60),
    "step_count": ("q", {"count": 1.0}, 0, 100_000),
    "activity_count": ("q", {"count": 1.0}, 0, 1_000_000),
    "active_energy_burned": ("q", {"kcal": 1.0, "kJ": 1 / 4.184}, 0, 10_000),
    "body_mass": ("q", {"kg": 1.0, "lb": 0.45359237}, 1, 650),
    "body_temperature": ("q", {"degC": 1.0, "degF": "F"}, 30, 45),
    "blood_glucose": ("q", {"mg/dL": 1.0, "mmol/L": 18.0156}, 10, 1000),
    "sleep_analysis": ("c", ["in_bed", "awake", "asleep_unspecified", "asleep_core", "asleep_deep", "asleep_rem"], 0, 0),
}
SOURCE_KEYS = ["name", "bundle_id", "device", "version", "os_version", "product_type"]

# ActigraphySettings+Ranges.swift: name -> (lower, lower inclusive, upper)
ACTI_RANGES = {
    "binarization_threshold": (0, True, 1e6),
    "l5_hours": (0, False, 24),
    "m10_hours": (0, False, 24),
    "cole_kripke_threshold": (0, True, 1e6),
    "sadeh_offset": (-1e6, True, 1e6),
    "sadeh_weights": (-1e6, True, 1e6),
    "sadeh_threshold": (-1e6, True, 1e6),
    "scripps_scale": (-1e6, True, 1e6),
    "scripps_threshold": (-1e6, True, 1e6),
    "oakley_threshold": (0, True, 1e6),
    "kr_frac": (0, False, 1),
    "roenneberg.trend_hours": (0, False, 17_520),
    "roenneberg.min_trend_hours": (0, True, 17_520),
    "roenneberg.threshold": (0, False, 1),
    "roenneberg.min_seed_minutes": (0, False, 1_440),
    "roenneberg.max_test_hours": (0, False, 48),
    "roenneberg.consecutive_below_minutes": (0, True, 1_440),
}
ACTI_DEFAULTS = {
    "binarization_threshold": 4, "l5_hours": 5, "m10_hours": 10, "cole_kripke_threshold": 1.0, "sadeh_offset": 7.601,
    "sadeh_threshold": 0, "scripps_scale": 0.204, "scripps_threshold": 1.0, "oakley_threshold": 40, "kr_frac": 0.3,
    "roenneberg.trend_hours": 24, "roenneberg.min_trend_hours": 12, "roenneberg.threshold": 0.15,
    "roenneberg.min_seed_minutes": 30, "roenneberg.max_test_hours": 12, "roenneberg.consecutive_below_minutes": 30,
}
ACTI_SETTINGS = list(ACTI_RANGES) + ["cole_kripke_rescoring"]
ALGORITHMS = ["cole_kripke", "sadeh", "scripps", "oakley", "roenneberg"]
AUDIT_ACTIONS = ["sample.read", "sample.write", "grant.create", "grant.list", "grant.revoke", "auth.login", "auth.refresh",
                 "auth.logout", "auth.token", "user.create", "user.list", "user.read", "user.disable", "care_team.create",
                 "care_team.read", "care_team.update", "care_team.delete", "audit.read", "analysis.read", "analysis.create",
                 "session.join"]

# Query parameters per route (for the coverage report).
ROUTE_PARAMS = {
    "GET /v1/subjects/{subject}/samples": ["type", "from", "to", "limit", "cursor"],
    "GET /v1/subjects/{subject}/actigraphy": ["from", "to", "include", "algorithm"] + ACTI_SETTINGS,
    "GET /v1/subjects/{subject}/actigraphy/actogram.svg": ["from", "to", "include", "algorithm"] + ACTI_SETTINGS,
    "GET /v1/audit-events": ["actor", "subject", "action", "outcome", "request_id", "from", "to", "limit", "cursor", "format"],
}

# --------------------------------------------------------------------------------------------
# Hostile values

LONG_DIGITS = "9" * 10_000
NUM_STRS = [
    "1e308", "-1e308", "1e309", "-1e309", "-0", "0", "NaN", "nan", "Infinity", "-Infinity", "inf", "-inf", "+inf",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551616",
    "1e18", "0x10", "0x1p3", "-0x1p-1074", "1_000", " 5", "5 ", "", "1e-320", "4.9e-324", "2.2250738585072014e-308",
    "-1", "1", "2", "0.5", "1.", ".5", "+5", "00001", "1e300", "-1e300", "1e999999999", "1e-999999999", "1,5", "1e", "e1",
    "-", "+", "0.1e1", "1E2", "\u0661\u0662", "\uff15", "true", "false", "null", "[]", "{}", "automatic", "Automatic",
    "1e16", "4294967296", "2147483648", "-2147483649", "65536", "1000000", "1000000.0000001", "17520", "17521", "48", "48.000001",
    "1440", "1441", "24", "24.0000001", "1.0000001", "0.0000001", "5e-324",
    LONG_DIGITS, "1" + "0" * 9_999, "0." + "0" * 9_998 + "1", "-" + LONG_DIGITS, "1e" + "9" * 10_000,
]
PCT_RAW = ["%ff%fe", "%c0%af", "%ed%a0%80", "%ed%b0%80%ed%a0%80", "%00", "a%00b", "%", "%z", "%zz", "%e2%82", "%%", "%25",
           "%2B5", "+5", "%20", "%0d%0a", "%0a", "%c3%28", "%f4%90%80%80", "%fe", "%ef%bb%bf1"]
TS_HOSTILE = [
    "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999999Z",
    "10000-01-01T00:00:00Z", "2026-03-01T00:00:00+99:99", "2026-03-01T00:00:00-24:00", "2026-03-01T00:00:00+24:00",
    "2026-03-01T00:00:00-99:59", "2026-03-01T00:00:00+00:60", "2016-12-31T23:59:60Z", "2016-12-31T23:59:60.5+00:00",
    "2026-03-01T00:00:00." + "1" * 30 + "Z", "2026-03-01T00:00:00." + "0" * 30 + "Z", "2026-03-01T00:00:00.1234567Z",
    "2026-03-01T00:00:00.Z", "2026-02-30T00:00:00Z", "2024-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
    "2026-03-00T00:00:00Z", "2026-03-01T24:00:00Z", "2026-03-01T23:60:00Z", "2026-03-01T23:59:61Z", "2026-03-01T00:00:00",
    "2026-03-01", "2026-03-01T00:00Z", "2026-03-01t00:00:00z", "2026-03-01 00:00:00Z", "2026-03-01T00:00:00+01",
    "2026-03-01T00:00:00+0100", "2026-03-01T00:00:00+01:00:00", "-2026-03-01T00:00:00Z", "+12026-03-01T00:00:00Z",
    "99999-03-01T00:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999999Z", "2262-04-11T23:47:16.854775807Z",
    "2262-04-12T00:00:00Z", "1677-09-21T00:12:43Z", "0000-00-00T00:00:00Z", "9999-99-99T99:99:99+99:99", "1767571200",
    "", "2026-03-01T00:00:00Zx", "\uff12026-03-01T00:00:00Z", "2026-03-01T00:00:00+01:00", "2026-03-01T00:00:00-00:00",
    "2026-03-01T00:00:00+14:00", "2026-03-01T00:00:00-12:00", "2026-03-01T00:00:00.000001Z", "0000-01-01T00:00:00-23:59",
    "9999-12-31T23:59:59+23:59", "0000-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "2026-03-01T00:00:00" + "+" * 100,
]
STR_HOSTILE = [
    "", " ", "a", "a" * 64, "a" * 65, "a" * 256, "a" * 4096, "\x00", "a\x00b", "../../etc/passwd", "' OR 1=1 --",
    "\"; DROP TABLE samples; --", "<script>alert(1)</script>", "\u202e", "\ufeff", "\U0001F600", "\ud800", "\udc00\ud800",
    "%s%s%n", "{{7*7}}", "${jndi:ldap://x}", "\r\n", "\\", "team:", "team:" + "9" * 40, "null", "true", "0", "-1",
    "\u0000\u0001\u001f\u007f\u0080\u009f", "é" * 40, "😀" * 40,
]
SUBJECT_MALFORMED = [
    "", "-abc", ".abc", "_abc", "a" * 65, "a" * 1000, "a%20b", "%00", "a%00", "%ff%fe", "%c0%af", "%ed%a0%80", "%C3%B1",
    "a%2Fb", "%2e%2e", "..", ".", "%", "%zz", "..%2f..%2fetc", "team:1", "a:b", "a@b", "a+b", "a%2Bb", "%E2%80%AE",
    "%F0%9F%98%80", "x" * 100_000,
]


class Raw(bytes):
    """A JSON fragment written as is (may be invalid JSON on purpose)."""


class Pairs(list):
    """A JSON object given as (key, value) pairs, so keys may repeat."""


JSON_HOSTILE = [
    None, True, False, 0, Raw(b"-0"), 1, -1, 0.5, 1e308, -1e308, Raw(b"1e309"), Raw(b"-1e309"), Raw(b"NaN"),
    Raw(b"Infinity"), Raw(b"-Infinity"), 9223372036854775807, 9223372036854775808, -9223372036854775809,
    18446744073709551616, 10 ** 18, Raw(LONG_DIGITS.encode()), Raw(b"0." + b"0" * 10_000 + b"1"), Raw(b"1e-400"),
    Raw(b"4.9e-324"), Raw(b"01"), Raw(b"1."), Raw(b".5"), Raw(b"+1"), Raw(b"0x10"), Raw(b"1_000"), Raw(b"1e" + b"9" * 400),
    "", "x", "a" * 300, "a" * 70_000, "\u0000", Raw(b'"\\ud800"'), Raw(b'"\\udc00\\ud800"'), Raw(b'"\\uDFFF\\uD800x"'),
    Raw(b'"\xff\xfe"'), Raw(b'"\xc0\xaf"'), Raw(b'"\xed\xa0\x80"'), Raw(b'"\x00"'), Raw(b'"\\u0000"'), Raw(b'"\\x41"'),
    Raw(b'"\\u12"'), "\u202e", "\U0001F600", [], {}, [1, 2, 3], {"a": 1}, Raw(b"[" * 50 + b"]" * 50),
    Raw(b'{"a":' * 50 + b"1" + b"}" * 50), "2026-03-01T00:00:00Z", "1e308", "NaN", "true", Raw(b"tru"), Raw(b"nul"),
    Raw(b'"unterminated'), Raw(b"'single'"),
]


# --------------------------------------------------------------------------------------------
# Small helpers

def jdump(value) -> bytes:
    """Serialises like json.dumps, but with Raw fragments, Pairs objects and lone surrogates kept."""
    if isinstance(value, Raw):
        return bytes(value)
    if isinstance(value, Pairs):
        return b"{" + b",".join(jdump(k) + b":" + jdump(v) for k, v in value) + b"}"
    if isinstance(value, dict):
        return b"{" + b",".join(jdump(k) + b":" + jdump(v) for k, v in value.items()) + b"}"
    if isinstance(value, (list, tuple)):
        return b"[" + b",".join(jdump(v) for v in value) + b"]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if isinstance(value, float):
        if value != value:
            return b"NaN"
        if value in (float("inf"), float("-inf")):
            return b"Infinity" if value > 0 else b"-Infinity"
        return repr(value).encode()
    return json.dumps(value).encode()


def jfast(value) -> bytes:
    """json.dumps for plain structures (no Raw/Pairs): the fast path for large valid batches."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def q(text: str) -> str:
    """Percent-encodes a query component (lone surrogates become their CESU bytes)."""
    return urllib.parse.quote(text.encode("utf-8", "surrogatepass"), safe="")


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def fingerprint(parts: list[str]) -> str:
    return hashlib.sha256("|".join(parts).encode()).digest()[:12].hex()


def swift_double(text: str):
    """Double(String) as Swift parses it (strtod over the whole string: decimal, hex floats, inf/nan; no spaces,
    underscores or non-ASCII digits). No regular expressions: those backtrack for seconds on 10,000 digits."""
    if not text or not text.isascii() or "_" in text or text != text.strip() or any(c.isspace() for c in text):
        return None
    body = text[1:] if text[0] in "+-" else text
    if body[:2].lower() == "0x":
        try:
            return float.fromhex(text)
        except (ValueError, OverflowError):
            return None
    try:
        return float(text)
    except ValueError:
        return None


def in_range(name: str, value: float) -> bool:
    lo, inclusive, hi = ACTI_RANGES[name]
    if value != value or value in (float("inf"), float("-inf")) or value > hi:
        return False
    return value >= lo if inclusive else value > lo


def sanitize_target(raw: bytes) -> str:
    """http.client accepts only printable ASCII without spaces in a request target: encode the rest."""
    return "".join(chr(b) if 0x21 <= b <= 0x7E else "%%%02X" % b for b in raw)


HEADER_NAME = re.compile(rb"[^:\s][^:\r\n]*")


def clean_header(name, value):
    name_b = name.encode("latin-1", "replace") if isinstance(name, str) else name
    value_b = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    if not HEADER_NAME.fullmatch(name_b):
        return None
    if name_b.lower() in (b"content-length", b"transfer-encoding"):
        return None
    value_b = value_b.replace(b"\r", b"").replace(b"\n", b"")
    return name_b.decode("latin-1"), value_b


def fmt_ts(micros: int, offset_min: int, frac_digits: int = 0) -> str:
    t = micros / 1e6 + offset_min * 60
    st = time.gmtime(int(t // 1))
    text = time.strftime("%Y-%m-%dT%H:%M:%S", st)
    if frac_digits:
        frac = str(int(micros % 1_000_000)).rjust(6, "0")[:frac_digits]
        text += "." + frac
    if offset_min == 0:
        return text + "Z"
    sign = "+" if offset_min > 0 else "-"
    return text + "%s%02d:%02d" % (sign, abs(offset_min) // 60, abs(offset_min) % 60)


# --------------------------------------------------------------------------------------------
# Requests

@dataclass
class Req:
    idx: int
    method: str
    target: str
    headers: list
    body: bytes | None
    route: str
    role: str
    desc: str
    expect_close: bool = False
    mutated: bool = False
    oracle: str | None = None       # which access rule a 2xx would break
    sent_request_id: str | None = None

    def describe(self, tokens: dict, limit: int = 240) -> str:
        target = self.target if len(self.target) <= limit else self.target[:limit] + "…(%d chars)" % len(self.target)
        hs = []
        for k, v in self.headers:
            v = v.decode("latin-1") if isinstance(v, bytes) else v
            for role, tok in tokens.items():
                if tok and tok in v:
                    v = v.replace(tok, "<%s token>" % role)
            if len(v) > 120:
                v = v[:120] + "…(%d bytes)" % len(v)
            hs.append("%s: %s" % (k, v))
        body = ""
        if self.body is not None:
            body = " body(%d bytes)=%r" % (len(self.body), self.body[:200])
        return "#%d %s %s role=%s [%s]\n      headers: %s\n     %s" % (
            self.idx, self.method, target, self.role, self.desc, "; ".join(hs) or "-", body or " no body")


@dataclass
class Ctx:
    host: str
    port: int
    users: dict                     # role -> username
    passwords: dict
    tokens: dict = field(default_factory=dict)       # role -> access token
    refresh: dict = field(default_factory=dict)      # role -> refresh token
    expires_at: float = 0.0
    protected_grants: set = field(default_factory=set)
    deletable_grants: list = field(default_factory=list)
    teams: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    sample_cursor: str | None = None
    audit_cursor: str | None = None
    existing_samples: list = field(default_factory=list)
    window: tuple = ("2026-01-05T00:00:00+01:00", "2026-01-07T00:00:00+01:00")
    spare_refresh: str | None = None

    @property
    def protected_users(self) -> set:
        return {u.lower() for u in self.users.values() if u}


ROLES = ["patient", "clinician", "admin", "auditor", "none", "badtoken"]
ROLE_WEIGHTS = [30, 20, 15, 10, 10, 15]


class Generator:
    def __init__(self, ctx: Ctx, seed: int, skip: set):
        self.ctx = ctx
        self.seed = seed
        self.skip = set(skip)
        self.route_filter = None
        self.skipped = Counter()
        self.big_budget = True          # cleared when --max-traffic-mb is used up
        self.routes = [
            # (label, method, weight, builder)
            ("POST /v1/auth/token", "POST", 4, self.b_login),
            ("POST /v1/auth/refresh", "POST", 3, self.b_refresh),
            ("POST /v1/auth/logout", "POST", 3, self.b_refresh),
            ("GET /health", "GET", 2, self.b_plain),
            ("GET /openapi.json", "GET", 1, self.b_plain),
            ("POST /v1/subjects/{subject}/samples", "POST", 16, self.b_ingest),
            ("GET /v1/subjects/{subject}/samples", "GET", 10, self.b_sample_query),
            ("GET /v1/subjects/{subject}/actigraphy", "GET", 10, self.b_actigraphy),
            ("GET /v1/subjects/{subject}/actigraphy/actogram.svg", "GET", 5, self.b_actigraphy),
            ("POST /v1/subjects/{subject}/analyses", "POST", 8, self.b_analysis),
            ("GET /v1/analyses/{id}", "GET", 3, self.b_analysis_get),
            ("GET /v1/admin/analyses", "GET", 1, self.b_plain),
            ("GET /v1/admin/realtime", "GET", 1, self.b_plain),
            ("GET /v1/stream", "GET", 1, self.b_plain),
            ("POST /v1/subjects/{subject}/grants", "POST", 4, self.b_grant),
            ("GET /v1/subjects/{subject}/grants", "GET", 3, self.b_subject_only),
            ("DELETE /v1/subjects/{subject}/grants/{id}", "DELETE", 2, self.b_grant_delete),
            ("GET /v1/me", "GET", 2, self.b_plain),
            ("GET /v1/users", "GET", 1, self.b_plain),
            ("POST /v1/users", "POST", 3, self.b_user_create),
            ("GET /v1/users/{username}", "GET", 2, self.b_user_path),
            ("DELETE /v1/users/{username}", "DELETE", 2, self.b_user_path),
            ("GET /v1/care-teams", "GET", 1, self.b_plain),
            ("POST /v1/care-teams", "POST", 3, self.b_team),
            ("PUT /v1/care-teams/{id}/members", "PUT", 2, self.b_team),
            ("DELETE /v1/care-teams/{id}", "DELETE", 1, self.b_team_delete),
            ("GET /v1/audit-events", "GET", 5, self.b_audit),
            ("* unknown path", "GET", 2, self.b_unknown),
        ]
        self.route_weights = [r[2] for r in self.routes]
        self.params_seen = set()

    # ---------------------------------------------------------------- entry points

    def make(self, idx: int) -> Req:
        for attempt in range(300 if self.route_filter else 30):
            rng = random.Random("%d:%d:%d" % (self.seed, idx, attempt))
            req = self._make(rng, idx)
            if self.route_filter and not self.route_filter.search(req.route):
                continue
            if unsafe(req, self.ctx):
                self.skipped["unsafe-for-fixtures"] += 1
                continue
            fams = families(req)
            skip = fams & self.skip
            if skip:
                self.skipped[sorted(skip)[0]] += 1
                continue
            if fams:
                req.desc += " {known:%s}" % ",".join(sorted(fams))
            return req
        return Req(idx, "GET", "/health", [], None, "GET /health", "none", "fallback")

    def _make(self, rng: random.Random, idx: int) -> Req:
        r = rng.random()
        req = self.structured(rng, idx)
        if r < 0.72:
            return req
        if r < 0.92:
            self.mutate(rng, req)
            return req
        other = self.structured(random.Random(rng.random()), idx)
        self.splice(rng, req, other)
        return req

    # ---------------------------------------------------------------- structure

    def structured(self, rng: random.Random, idx: int) -> Req:
        label, method, _, builder = rng.choices(self.routes, weights=self.route_weights)[0]
        role = rng.choices(ROLES, weights=ROLE_WEIGHTS)[0]
        req = Req(idx, method, "/", [], None, label, role, "")
        builder(rng, req)
        if rng.random() < 0.08:
            old = req.method
            req.method = rng.choice(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "FOO", "get",
                                     "PROPFIND", "QUERY", "M" * 100])
            if req.method != old:
                req.desc += " method=%s" % req.method[:10]
                req.oracle = None
        if rng.random() < 0.05 and req.method in ("GET", "DELETE", "HEAD"):
            req.body = jdump(rng.choice(JSON_HOSTILE))
            req.desc += " +body-on-%s" % req.method
        self.auth_header(rng, req)
        self.extra_headers(rng, req)
        if rng.random() < 0.15 and "?" not in req.target:
            req.target += "?" + self.junk_query(rng)
        return req

    def auth_header(self, rng, req: Req):
        tok = self.ctx.tokens
        if req.role == "none":
            return
        if req.role == "badtoken":
            valid = tok.get(rng.choice(["patient", "clinician", "admin", "auditor"])) or "x.y.z"
            head, _, rest = valid.partition(".")
            choices = [
                "Bearer", "Bearer ", "Bearer x", "Bearer a.b.c", "Bearer ....", "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
                "Bearer " + valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB"),
                "Bearer " + b64url('{"alg":"none","typ":"JWT"}') + "." + rest.partition(".")[0] + ".",
                "Bearer " + b64url('{"alg":"HS256","typ":"JWT"}') + "." + b64url(
                    '{"sub":"x","exp":99999999999,"iat":0,"role":"admin"}') + ".c2ln",
                "Bearer " + valid + "x", "Bearer " + valid[: len(valid) // 2], "Bearer " + "a" * 8192,
                "Bearer " + "%00", "Bearer \x00" + valid, "Token " + valid, valid, "",
                "Bearer " + b64url("{" * 5000) + ".e30.", "Bearer " + "." * 3000,
                "Bearer " + b64url('{"alg":"HS256"}') + "." + b64url('{"exp":1e309,"sub":' + '"a"' + "}") + ".x",
            ]
            if self.big_budget and rng.random() < 0.01:
                choices.append("Bearer " + "a" * 100_000)
            req.headers.append(("Authorization", rng.choice(choices)))
            return
        value = tok.get(req.role, "")
        r = rng.random()
        if r < 0.94:
            req.headers.append(("Authorization", "Bearer " + value))
        elif r < 0.96:
            req.headers.append(("Authorization", "bearer " + value))
            req.oracle = None
        elif r < 0.98:
            # two Authorization headers: the role's and another role's
            req.headers.append(("Authorization", "Bearer " + value))
            req.headers.append(("Authorization", "Bearer " + tok.get(rng.choice(["patient", "admin", "auditor"]), "")))
            req.desc += " dup-authorization"
            req.oracle = None
        else:
            req.headers.append(("Authorization", "Bearer  " + value))
            req.oracle = None

    def extra_headers(self, rng, req: Req):
        if rng.random() < 0.25:
            rid = rng.choice([
                "fuzz-%d" % req.idx, "a" * 128, "a" * 129, "x y", "ü", "", "a:b.c_d-e", "\x00", "../x", "a" * 5000,
                "%s" % uuidlib.UUID(int=rng.getrandbits(128)),
            ])
            req.headers.append(("X-Request-ID", rid))
            req.sent_request_id = rid
        if rng.random() < 0.08:
            name, value = rng.choice([
                ("User-Agent", "x" * rng.choice([1, 8192, 60_000])), ("Accept", "*/*;q=" + rng.choice(NUM_STRS[:20])),
                ("X-Forwarded-For", rng.choice(["1.2.3.4", "::1, 10.0.0.1", "garbage", "999.999.999.999", "x" * 2000])),
                ("Cookie", "a=" + "b" * 3000), ("Accept-Encoding", "gzip, deflate, br"), ("Expect", "100-continue"),
                ("Connection", "close"), ("Connection", "keep-alive, Upgrade"), ("Content-Encoding", "gzip"),
                ("Range", "bytes=0-1"), ("If-None-Match", "*"), ("Host", rng.choice(["", "evil.example", "x" * 300, "[::1"])),
                ("X-Request-ID", "first"), ("Content-Type", "application/json"), ("Origin", "null"),
                ("Upgrade", "websocket"), ("Upgrade", "h2c"), ("Authorization", "Bearer second"),
                ("X-Custom-" + "a" * 200, "1"), ("Max-Forwards", "0"), ("TE", "trailers"),
            ])
            req.headers.append((name, value))
            req.desc += " +hdr:%s" % name
            if name in ("Authorization",):
                req.oracle = None

    def junk_query(self, rng) -> str:
        k = rng.choice(["x", "", "limit", "a" * 300, "%00", "%ff", "callback", "format", "__proto__", "a[b]", "a.b", "%2e"])
        v = self.num_or_str(rng)
        return rng.choice(["%s=%s" % (q(k) if "%" not in k else k, v), "&&&", "=", "k", "k=", "=v", "k=1&k=2", "%s" % v])

    def num_or_str(self, rng) -> str:
        r = rng.random()
        if r < 0.55:
            return q(rng.choice(NUM_STRS))
        if r < 0.75:
            return rng.choice(PCT_RAW)
        if r < 0.95:
            return q(rng.choice(STR_HOSTILE))
        if self.big_budget:
            return "a" * rng.choice([20_000, 100_000])
        return "a" * 100

    def ts_value(self, rng, valid_window=False) -> str:
        """A query-string timestamp, encoded."""
        r = rng.random()
        if valid_window or r < 0.3:
            text = rng.choice(self.ctx.window)
        elif r < 0.85:
            text = rng.choice(TS_HOSTILE)
        else:
            return self.num_or_str(rng)
        if "+" in text and rng.random() < 0.3:
            return text.replace(":", "%3A")    # an unencoded '+' (arrives as a space)
        return q(text)

    # ---------------------------------------------------------------- subjects and paths

    def subject(self, rng, req: Req) -> str:
        own = self.ctx.users.get("patient") or "fuzz-patient"
        other = self.ctx.users.get("patient2") or "fuzz-patient2"
        r = rng.random()
        if r < 0.6:
            s = own
        elif r < 0.72:
            s = other
            if req.role in ("patient", "auditor"):
                req.oracle = "subject-not-readable"
        elif r < 0.78:
            s = "nobody-%d" % rng.randrange(1000)
        elif r < 0.82:
            s = own.upper()
        elif r < 0.85:
            s = "".join("%%%02X" % ord(c) for c in own)   # fully percent-encoded own id
        else:
            s = rng.choice(SUBJECT_MALFORMED)
            if len(s) > 1000 and not self.big_budget:
                s = "x" * 300
        if req.role in ("none", "badtoken"):
            req.oracle = "needs-auth"
        elif req.role == "auditor":
            req.oracle = "subject-not-readable"
        return s

    def set_target(self, req: Req, path: str, query: list | None = None):
        req.target = path
        if query:
            req.target += "?" + "&".join(query)

    # ---------------------------------------------------------------- body helpers

    def content_type(self, rng, req: Req):
        r = rng.random()
        if r < 0.9:
            req.headers.append(("Content-Type", "application/json"))
            return
        ct = rng.choice([None, "text/plain", "application/json; charset=latin1", "APPLICATION/JSON", "application/jsonx",
                         "application/json-patch+json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                         "", ";", "application/json;" + "a=b;" * 2000, " application/json ", "application/json\x00",
                         "application/*", "*/*", "application/json, text/plain"])
        if ct is not None:
            req.headers.append(("Content-Type", ct))
        req.desc += " ct=%r" % (ct[:30] if ct else ct)

    def body_wrap(self, rng, req: Req, body: bytes):
        """Random transport-level damage to an otherwise structured JSON body."""
        r = rng.random()
        if r < 0.03 and body:
            cut = rng.randrange(len(body))
            req.desc += " truncated@%d" % cut
            body = body[:cut]
        elif r < 0.045:
            req.desc += " utf8-bom"
            body = b"\xef\xbb\xbf" + body
        elif r < 0.05:
            req.desc += " utf16"
            try:
                body = "\ufeff".encode("utf-16-le") + body.decode("utf-8").encode("utf-16-le")
            except UnicodeDecodeError:
                body = b"\xff\xfe" + body
        elif r < 0.06:
            req.desc += " trailing-garbage"
            body = body + rng.choice([b" x", b"{}", b"\x00", b",", b"]"])
        elif r < 0.065:
            req.desc += " empty-body"
            body = b""
        req.body = body

    def nested(self, rng, small: bool) -> tuple[bytes, str]:
        n = rng.choice([1000, 10_000, 100_000] if (self.big_budget and not small) else [1000, 10_000, 30_000])
        kind = rng.choice(["arr-closed", "arr-open", "obj-closed", "obj-open", "mixed"])
        if kind == "arr-closed":
            inner = b"[" * n + b"]" * n
        elif kind == "arr-open":
            inner = b"[" * n
        elif kind == "obj-closed":
            inner = b'{"a":' * n + b"1" + b"}" * n
        elif kind == "obj-open":
            inner = b'{"a":' * n
        else:
            inner = b'[{"a":' * (n // 2) + b"1" + b"}]" * (n // 2)
        return inner, "nest-%s-%d" % (kind, n)

    def escapes_body(self, rng) -> tuple[bytes, str]:
        n = rng.choice([300_000, 100_000, 20_000, 20_000, 2_000, 2_000, 5_000])
        esc = rng.choice([b"\\n", b"\\u0041", b"\\ud800", b"\\\\", b'\\"'])
        return b'"' + esc * n + b'"', "escapes-%s-x%d" % (esc.decode(), n)

    # ---------------------------------------------------------------- samples

    def valid_sample(self, rng, type_name: str | None = None) -> dict:
        name = type_name or rng.choice([t for t in SAMPLE_TYPES])
        kind, units, lo, hi = SAMPLE_TYPES[name]
        start_us = rng.randrange(1_924_992_000, 2_082_758_400) * 1_000_000 + rng.randrange(1_000_000)  # 2031..2035
        offset = rng.randrange(-48, 57) * 15
        sample = {
            "uuid": str(uuidlib.UUID(int=rng.getrandbits(128))),
            "type": name,
            "start": fmt_ts(start_us, offset, rng.choice([0, 0, 3, 6])),
        }
        if rng.random() < 0.5:
            sample["end"] = fmt_ts(start_us + rng.randrange(0, 3_600_000_000), offset, rng.choice([0, 6]))
        if rng.random() < 0.5:
            sample["uuid"] = sample["uuid"].upper()
        if kind == "q":
            unit = rng.choice(list(units))
            factor = units[unit]
            r = rng.random()
            canon = lo if r < 0.05 else hi if r < 0.1 else rng.uniform(lo, hi)
            if factor == "F":
                value = canon * 9 / 5 + 32
                if r < 0.1:
                    unit, value = "degC", canon
            else:
                value = canon / factor
                if r < 0.1:
                    unit = list(units)[0]
                    value = canon
            if name in ("step_count", "activity_count") or rng.random() < 0.3:
                value = round(value) if name in ("step_count", "activity_count") else round(value, 2)
                if not lo <= value <= hi:
                    value = lo
            sample["value"] = value
            sample["unit"] = unit
        else:
            sample["category"] = rng.choice(units)
        if rng.random() < 0.4:
            sample["source"] = {k: rng.choice(["Apple Watch", "com.apple.health", "Watch7,1", "10.1"])
                                for k in rng.sample(SOURCE_KEYS, rng.randrange(1, 4))}
        if rng.random() < 0.3:
            sample["metadata"] = {"HKMetadataKeyHeartRateMotionContext": rng.randrange(3), "k": "v"}
        return sample

    def hostile_json(self, rng):
        r = rng.random()
        if r < 0.6:
            return rng.choice(JSON_HOSTILE)
        if r < 0.8:
            return rng.choice(TS_HOSTILE)
        if r < 0.95:
            return rng.choice(STR_HOSTILE)
        return rng.choice(NUM_STRS[:60])

    def mutate_sample(self, rng, sample: dict):
        """Replace, delete, duplicate or add one field of a valid sample (structured mutation)."""
        fields = ["uuid", "type", "start", "end", "value", "unit", "category", "source", "metadata", "source.name",
                  "source.bundle_id", "source.device", "source.version", "source.os_version", "source.product_type",
                  "metadata.k", "unknown"]
        f = rng.choice(fields)
        action = rng.choice(["replace", "replace", "replace", "delete", "dup"])
        value = self.hostile_json(rng)
        if f == "value" and rng.random() < 0.4:
            kind, units, lo, hi = SAMPLE_TYPES.get(sample.get("type"), ("q", {}, 0, 1))
            if kind == "q":
                value = rng.choice([lo, hi, lo - 1e-9, hi + 1e-9, -lo, hi * 10, float(hi) + 0.5, 1e-300])
        if f == "source" and rng.random() < 0.3:
            value = {k: "x" * rng.choice([255, 256, 1000, 100_000 if self.big_budget else 300]) for k in SOURCE_KEYS}
        if f == "metadata" and rng.random() < 0.4:
            value = rng.choice([{"k": "x" * 4090}, {"k": "x" * 5000}, {"k": 1e308}, {"k": Raw(b"NaN")}, {"": None},
                                {"k": [[[[[[[[]]]]]]]]}, {"a" * 5000: 1}, {"k": Raw(b'"\\ud800"')}])
        if "." in f:
            top, sub = f.split(".", 1)
            container = sample.setdefault(top, {})
            if not isinstance(container, dict):
                container = sample[top] = {}
            if action == "delete":
                container.pop(sub, None)
            else:
                container[sub] = value
            return "%s:%s" % (action, f)
        if f == "unknown":
            sample[rng.choice(["bogus", "", "UUID", "Type", "valu", "x" * 300, "\u0000"])] = value
            return "add:unknown"
        if action == "delete":
            sample.pop(f, None)
        elif action == "dup":
            return "dup:%s" % f   # handled by the caller via Pairs
        else:
            sample[f] = value
        return "%s:%s" % (action, f)

    def b_ingest(self, rng, req: Req):
        s = self.subject(rng, req)
        if req.role == "patient" and s == self.ctx.users.get("patient"):
            pass
        self.set_target(req, "/v1/subjects/%s/samples" % s)
        self.content_type(rng, req)
        r = rng.random()
        big = self.big_budget
        if r < 0.40:
            samples = [self.valid_sample(rng) for _ in range(rng.randrange(1, 6))]
            body = jfast({"samples": samples})
            req.desc = "valid batch of %d" % len(samples)
        elif r < 0.78:
            samples = [self.valid_sample(rng) for _ in range(rng.randrange(1, 4))]
            notes = []
            dup = None
            for _ in range(rng.randrange(1, 4)):
                k = rng.randrange(len(samples))
                note = self.mutate_sample(rng, samples[k])
                notes.append("#%d %s" % (k, note))
                if note.startswith("dup:"):
                    dup = (k, note[4:])
            items = []
            for k, sm in enumerate(samples):
                if dup and dup[0] == k:
                    pairs = Pairs(sm.items())
                    pairs.append((dup[1], self.hostile_json(rng)))
                    items.append(pairs)
                else:
                    items.append(sm)
            body = jdump({"samples": items})
            req.desc = "mutated batch " + ", ".join(notes)
        elif r < 0.84:
            existing = self.ctx.existing_samples
            if existing:
                sm = dict(rng.choice(existing))
                if rng.random() < 0.5:
                    sm["value"] = (sm.get("value") or 0) + 1
                    req.desc = "stored uuid with other content (409)"
                else:
                    req.desc = "stored sample re-sent (duplicate)"
                body = jdump({"samples": [sm, sm] if rng.random() < 0.3 else [sm]})
            else:
                sm = self.valid_sample(rng)
                other = dict(sm)
                other["value"] = 0 if "value" in sm else None
                body = jdump({"samples": [sm, other]})
                req.desc = "same uuid twice in batch"
        elif r < 0.92:
            shape = rng.randrange(9)
            if shape == 0:
                body, req.desc = jdump(self.hostile_json(rng)), "body is a hostile value"
            elif shape == 1:
                body, req.desc = jdump({"samples": self.hostile_json(rng)}), "samples is a hostile value"
            elif shape == 2:
                body = jdump(Pairs([("samples", []), ("samples", [self.valid_sample(rng)])]))
                req.desc = "duplicate samples key"
            elif shape == 3:
                body, req.desc = b"{}", "no samples"
            elif shape == 4:
                body, req.desc = b'{"samples":[]}', "empty batch"
            elif shape == 5:
                inner, d = self.nested(rng, small=False)
                body, req.desc = b'{"samples":' + inner + b"}", d
            elif shape == 6:
                inner, d = self.nested(rng, small=False)
                sm = jdump(self.valid_sample(rng))[:-1] + b',"metadata":' + inner + b"}"
                body, req.desc = b'{"samples":[' + sm + b"]}", "metadata " + d
            elif shape == 7:
                body = jdump({"samples": [self.hostile_json(rng) for _ in range(rng.randrange(1, 20))]})
                req.desc = "samples of hostile values"
            else:
                body = rng.choice([b"{", b"[", b'{"samples":[', b'{"samples":[{"uuid":', b"\x00", b"\xff\xfe", b"nul",
                                   b'{"samples":[],}', b"{'samples':[]}", b'{"samples":[]}' * 2, b"  ", b"\t\r\n",
                                   b'{"samples":[]/*c*/}', b'{"\xed\xa0\x80":1}', b'{"samples\x00":[]}'])
                req.desc = "broken JSON %r" % body[:20]
        elif r < 0.995 or not big:
            if rng.random() < 0.9 or not big:
                esc, d = self.escapes_body(rng) if big else (b'"' + b"\\n" * 2000 + b'"', "escapes-2000")
                sm = jdump(self.valid_sample(rng))[:-1] + b',"source":{"name":' + esc + b"}}"
                body, req.desc = b'{"samples":[' + sm + b"]}", "string of " + d
            else:
                n = rng.choice([100_000, 100_000, 1_000_000, 3_000_000])
                sm = jdump(self.valid_sample(rng))[:-1] + b',"bogus":"' + b"a" * n + b'"}'
                body, req.desc = b'{"samples":[' + sm + b"]}", "unknown key with %d-byte string" % n
        else:
            kind = rng.random()
            if kind < 0.35:
                n = MAX_BATCH + 1
                samples = [self.valid_sample(rng, "heart_rate") for _ in range(n)]
                body, req.desc = jfast({"samples": samples}), "10,001 samples (413)"
            elif kind < 0.6:
                samples = [self.valid_sample(rng, "heart_rate") for _ in range(MAX_BATCH)]
                samples[-1]["value"] = 1e308
                body, req.desc = jfast({"samples": samples}), "10,000 samples, last invalid (422)"
            elif kind < 0.65:
                samples = [self.valid_sample(rng, rng.choice(["heart_rate", "step_count", "body_mass"]))
                           for _ in range(MAX_BATCH)]
                body, req.desc = jfast({"samples": samples}), "10,000 valid samples"
            elif kind < 0.85:
                pad = MAX_BODY + 1 - len(b'{"samples":[],"pad":""}')
                body, req.desc = b'{"samples":[],"pad":"' + b"a" * pad + b'"}', "8 MiB + 1 body (413)"
                req.expect_close = True
            else:
                pad = MAX_BODY - len(b'{"samples":[]}')
                body, req.desc = b'{"samples":[]}' + b" " * pad, "exactly 8 MiB body"
        self.body_wrap(rng, req, body)
        if req.body is not None and len(req.body) > MAX_BODY:
            req.expect_close = True

    # ---------------------------------------------------------------- queries

    def b_sample_query(self, rng, req: Req):
        s = self.subject(rng, req)
        params = []
        for name in ["type", "from", "to", "limit", "cursor"]:
            if rng.random() < 0.35:
                self.params_seen.add((req.route, name))
                if name == "type":
                    v = q(rng.choice(list(SAMPLE_TYPES) + ["HEART_RATE", "heart-rate", "bogus"])) if rng.random() < 0.6 \
                        else self.num_or_str(rng)
                elif name in ("from", "to"):
                    v = self.ts_value(rng)
                elif name == "limit":
                    v = q(rng.choice(["1", "1000", "1001", "0", "-1", "100"])) if rng.random() < 0.4 else self.num_or_str(rng)
                else:
                    v = self.cursor_value(rng, s, params)
                params.append("%s=%s" % (name, v))
                if rng.random() < 0.05:
                    params.append("%s=%s" % (name, self.num_or_str(rng)))   # repeated key
        if rng.random() < 0.05:
            params.append("%s=%s" % (q(rng.choice(["Type", "limit ", "from[]", "cursor%00"])), "1"))
        self.set_target(req, "/v1/subjects/%s/samples" % s, params)
        req.desc = "sample query"

    def cursor_value(self, rng, subject: str, params: list) -> str:
        r = rng.random()
        if r < 0.2 and self.ctx.sample_cursor:
            return q(self.ctx.sample_cursor)
        if r < 0.55:
            limit = "100"
            for p in params:
                if p.startswith("limit="):
                    limit = urllib.parse.unquote(p[6:])
            fp = fingerprint([subject, "", "", "", limit])
            start = rng.choice(["9223372036854775807", "-9223372036854775808", "9223372036854775808", "0", "-1",
                                "1767571200000000", LONG_DIGITS[:40]])
            uid = rng.choice([str(uuidlib.UUID(int=rng.getrandbits(128))).upper(), "x", "", "'; --"])
            parts = rng.choice([["1", start, uid, fp], ["2", start, uid, fp], ["1", start, uid], ["1", start, uid, fp, "x"]])
            return b64url("|".join(parts))
        return rng.choice([q(""), "%%%", "=" * 10, "A" * 512, "A" * 513, "A" * 100_000 if self.big_budget else "A" * 600,
                           b64url("|||"), b64url("\x00" * 50), "-_-_", "%ff%fe", "AAAA====", "+/+/"])

    def setting_value(self, rng, name: str) -> str:
        if name == "cole_kripke_rescoring":
            return q(rng.choice(["true", "false", "TRUE", "1", "0", "yes", "", "null"]))
        if name == "sadeh_weights":
            r = rng.random()
            if r < 0.4:
                return q(",".join("%.4g" % rng.uniform(-2, 8) for _ in range(4)))
            if r < 0.7:
                return q(",".join(rng.choice(NUM_STRS[:50]) for _ in range(rng.choice([3, 4, 4, 5]))))
            return q(rng.choice(["a,b,c,d", "1,2,3", "1,2,3,4,5", ",,,", "1,,2,3", "1e308,1e308,1e308,1e308",
                                 "NaN,1,2,3", "1,2,3,4,", "-1e300,-1e300,-1e300,-1e300", ",".join(["1"] * 10_000)]))
        lo, inclusive, hi = ACTI_RANGES[name]
        r = rng.random()
        if r < 0.45:
            d = ACTI_DEFAULTS[name]
            v = rng.uniform(max(lo, d / 4 if d > 0 else lo), min(hi, d * 2 + 1 if d > 0 else hi))
            if not in_range(name, v):
                v = d
            return q(repr(round(v, 4)) if in_range(name, round(v, 4)) else repr(d))
        if r < 0.6:
            edge = [lo, hi, hi + 1e-9 * max(1, abs(hi)), lo - 1, hi * 2, (lo + hi) / 2, lo + 1e-12]
            return q(repr(rng.choice(edge)))
        if r < 0.7 and name == "oakley_threshold":
            return rng.choice(["automatic", "Automatic", "auto"])
        return self.num_or_str(rng)

    def b_actigraphy(self, rng, req: Req):
        s = self.subject(rng, req)
        params = []
        window = rng.random() < 0.6
        bounds = self.ctx.window
        if "actogram" in req.route and "actogram-long-window" in self.skip:
            bounds = SHORT_WINDOW
            window = window or rng.random() < 0.8
        for name in ["from", "to"]:
            if window or rng.random() < 0.3:
                params.append("%s=%s" % (name, self.ts_value(rng, valid_window=False) if not window else
                                         q(bounds[0 if name == "from" else 1])))
                self.params_seen.add((req.route, name))
        if rng.random() < 0.25:
            params.append("include=" + (q("scoring") if rng.random() < 0.7 else self.num_or_str(rng)))
            self.params_seen.add((req.route, "include"))
        if rng.random() < 0.25:
            params.append("algorithm=" + (q(rng.choice(ALGORITHMS)) if rng.random() < 0.7 else self.num_or_str(rng)))
            self.params_seen.add((req.route, "algorithm"))
        n = rng.choice([0, 0, 1, 1, 2, 3, len(ACTI_SETTINGS)])
        for name in rng.sample(ACTI_SETTINGS, n):
            params.append("%s=%s" % (name, self.setting_value(rng, name)))
            self.params_seen.add((req.route, name))
            if rng.random() < 0.05:
                params.append("%s=%s" % (name, self.setting_value(rng, name)))
        if rng.random() < 0.06:
            params.append(rng.choice(["roenneberg.bogus=1", "roenneberg=1", "bogus=1", "roenneberg.trend_hours.x=1",
                                      "ROENNEBERG.threshold=0.2", "l5_hours%00=5", ".=1", "roenneberg.=1", "sadeh_weights.0=1"]))
        self.set_target(req, req.route.split(" ", 1)[1].replace("{subject}", s), params)
        req.desc = "actigraphy %d params" % len(params)

    def b_audit(self, rng, req: Req):
        params = []
        names = ["actor", "subject", "action", "outcome", "request_id", "from", "to", "limit", "cursor", "format"]
        vals = {}
        for name in names:
            if rng.random() < 0.25:
                self.params_seen.add((req.route, name))
                if name in ("actor", "subject"):
                    v = q(rng.choice(list(self.ctx.users.values()))) if rng.random() < 0.5 else self.num_or_str(rng)
                elif name == "action":
                    v = q(rng.choice(AUDIT_ACTIONS)) if rng.random() < 0.6 else self.num_or_str(rng)
                elif name == "outcome":
                    v = q(rng.choice(["success", "denied", "error", "SUCCESS"])) if rng.random() < 0.6 else self.num_or_str(rng)
                elif name in ("from", "to"):
                    v = self.ts_value(rng)
                elif name == "limit":
                    v = q(rng.choice(["1", "1000", "1001", "0"])) if rng.random() < 0.4 else self.num_or_str(rng)
                elif name == "format":
                    v = q(rng.choice(["json", "fhir", "FHIR", "xml"])) if rng.random() < 0.7 else self.num_or_str(rng)
                elif name == "cursor":
                    continue
                else:
                    v = self.num_or_str(rng)
                vals[name] = v
                params.append("%s=%s" % (name, v))
        if rng.random() < 0.3:
            self.params_seen.add((req.route, "cursor"))
            r = rng.random()
            if r < 0.3 and self.ctx.audit_cursor:
                params.append("cursor=" + q(self.ctx.audit_cursor))
            elif r < 0.7 and "from" not in vals and "to" not in vals:
                dec = {k: urllib.parse.unquote(vals.get(k, "")) for k in names}
                fp = fingerprint([dec["actor"], dec["subject"], dec["request_id"], dec["action"], dec["outcome"], "", "",
                                  dec["limit"] or "100"])
                seq = rng.choice(["9223372036854775807", "-9223372036854775808", "9223372036854775808", "0", "-1"])
                params.append("cursor=" + b64url("|".join(rng.choice([["a1", seq, fp], ["1", seq, fp], ["a1", seq]]))))
            else:
                params.append("cursor=" + self.cursor_value(rng, "", []))
        if req.role in ("none", "badtoken"):
            req.oracle = "needs-auth"
        elif req.role != "auditor":
            req.oracle = "auditor-only"
        self.set_target(req, "/v1/audit-events", params)
        req.desc = "audit query"

    # ---------------------------------------------------------------- small JSON routes

    def small_body(self, rng, req: Req, obj, desc: str):
        """Sends obj (structured), or a hostile replacement of it."""
        self.content_type(rng, req)
        r = rng.random()
        if r < 0.82:
            body = jdump(obj)
            req.desc = desc
        elif r < 0.88:
            body, req.desc = jdump(self.hostile_json(rng)), "hostile body"
        elif r < 0.92:
            inner, d = self.nested(rng, small=True)
            body, req.desc = inner, d
        elif r < 0.95:
            if self.big_budget:
                esc, d = self.escapes_body(rng)
                if len(esc) > SMALL_BODY and rng.random() < 0.7:
                    esc, d = b'"' + b"\\n" * 30_000 + b'"', "escapes-\\n-x30000"
            else:
                esc, d = b'"' + b"\\n" * 2000 + b'"', "escapes-2000"
            key = next(iter(obj)) if isinstance(obj, dict) and obj else "x"
            body, req.desc = b'{"' + key.encode() + b'":' + esc + b"}", "string of " + d
        elif r < 0.97:
            n = SMALL_BODY + 1 if rng.random() < 0.5 else SMALL_BODY - 20
            body, req.desc = b'{"x":"' + b"a" * n + b'"}', "body of %d bytes" % (n + 8)
        else:
            body = rng.choice([b"{", b"", b"null", b"[]", b'{"a":1,"a":2}', b"\xef\xbb\xbf{}", b'{"username":}',
                               b'{"\xff":1}', b'{"refresh_token":"\xed\xa0\x80"}'])
            req.desc = "broken %r" % body[:20]
        self.body_wrap(rng, req, body)

    def field_mutate(self, rng, obj: dict, desc: str) -> tuple[object, str]:
        """Replaces/deletes/duplicates one field of a dict, or adds an unknown one."""
        if not obj or rng.random() < 0.45:
            return obj, desc
        keys = list(obj)
        k = rng.choice(keys + ["bogus"])
        action = rng.choice(["replace", "replace", "delete", "dup"])
        if action == "delete":
            obj.pop(k, None)
        elif action == "dup":
            pairs = Pairs(obj.items())
            pairs.append((k, self.hostile_json(rng)))
            return pairs, "%s dup:%s" % (desc, k)
        else:
            obj[k] = self.hostile_json(rng)
        return obj, "%s %s:%s" % (desc, action, k)

    def b_login(self, rng, req: Req):
        self.set_target(req, "/v1/auth/token")
        users = list(self.ctx.users.values())
        obj = {"username": rng.choice(users + ["nobody", "ADMIN", "fuzz-admin ", ""]) if rng.random() < 0.7
               else self.hostile_json(rng),
               "password": rng.choice(["wrong-password", "", "a" * 72, "a" * 73, "\u0000" * 8]) if rng.random() < 0.7
               else self.hostile_json(rng)}
        obj, d = self.field_mutate(rng, obj, "login")
        self.small_body(rng, req, obj, d)
        req.role = "none" if req.role in ("none", "badtoken") else req.role

    def b_refresh(self, rng, req: Req):
        self.set_target(req, req.route.split(" ", 1)[1])
        r = rng.random()
        if r < 0.05 and self.ctx.spare_refresh:
            tok = self.ctx.spare_refresh          # spare login: first use rotates, later uses are reuse
        elif r < 0.2 and self.ctx.spare_refresh:
            t = bytearray(self.ctx.spare_refresh.encode())
            t[rng.randrange(len(t))] ^= 1 << rng.randrange(7)
            tok = t.decode("latin-1")
        elif r < 0.7:
            tok = rng.choice(["", "x", "a" * 64, "a" * 10_000, "\u0000", str(uuidlib.UUID(int=rng.getrandbits(128))),
                              self.ctx.tokens.get("patient", "")[:40], b64url("x" * 48)])
        else:
            tok = self.hostile_json(rng)
        obj, d = self.field_mutate(rng, {"refresh_token": tok}, "refresh")
        self.small_body(rng, req, obj, d)

    def b_plain(self, rng, req: Req):
        path = req.route.split(" ", 1)[1]
        self.set_target(req, path)
        req.desc = "plain"
        if path.startswith("/v1/") and req.role in ("none", "badtoken"):
            req.oracle = "needs-auth"
        elif path.startswith("/v1/admin/") or path == "/v1/users":
            if req.role in ("patient", "clinician", "auditor"):
                req.oracle = "admin-only"

    def b_subject_only(self, rng, req: Req):
        s = self.subject(rng, req)
        if req.role in ("patient",) and s.lower() == (self.ctx.users.get("patient") or "").lower():
            req.oracle = None
        elif req.oracle == "subject-not-readable":
            req.oracle = "grants-not-visible"
        self.set_target(req, "/v1/subjects/%s/grants" % s)
        req.desc = "grant list"

    def b_grant(self, rng, req: Req):
        s = self.subject(rng, req)
        if req.oracle == "subject-not-readable":
            req.oracle = "grants-not-visible"
        self.set_target(req, "/v1/subjects/%s/grants" % s)
        grantees = [self.ctx.users.get("clinician2"), self.ctx.users.get("admin"), self.ctx.users.get("auditor"),
                    self.ctx.users.get("patient"), "nobody"] + ["team:%s" % t for t in self.ctx.teams] + ["team:", "team:x"]
        obj = {"grantee": rng.choice([g for g in grantees if g]) if rng.random() < 0.7 else self.hostile_json(rng),
               "scope": rng.choice(["read", "read_write", "READ", "write", ""]) if rng.random() < 0.7 else self.hostile_json(rng)}
        if rng.random() < 0.5:
            obj["expires_at"] = rng.choice(["2099-01-01T00:00:00Z", "2000-01-01T00:00:00Z"] + TS_HOSTILE) \
                if rng.random() < 0.8 else self.hostile_json(rng)
        obj, d = self.field_mutate(rng, obj, "grant")
        self.small_body(rng, req, obj, d)

    def b_grant_delete(self, rng, req: Req):
        s = self.subject(rng, req)
        if req.oracle == "subject-not-readable":
            req.oracle = "grants-not-visible"
        ids = self.ctx.deletable_grants + [str(uuidlib.UUID(int=rng.getrandbits(128)))]
        gid = rng.choice(ids) if rng.random() < 0.6 else rng.choice(SUBJECT_MALFORMED[:27] + ["0", "-1", LONG_DIGITS[:30]])
        self.set_target(req, "/v1/subjects/%s/grants/%s" % (s, gid))
        req.desc = "grant revoke"

    def b_user_create(self, rng, req: Req):
        self.set_target(req, "/v1/users")
        obj = {"username": ("fz-%x" % rng.getrandbits(40)) if rng.random() < 0.5 else rng.choice(
                   list(self.ctx.users.values()) + SUBJECT_MALFORMED[:10]) if rng.random() < 0.8 else self.hostile_json(rng),
               "password": rng.choice(["p" * 7, "p" * 8, "p" * 72, "p" * 73, "é" * 36, "é" * 37, "\u0000" * 8, "😀" * 18,
                                       "😀" * 19]) if rng.random() < 0.8 else self.hostile_json(rng),
               "role": rng.choice(["patient", "clinician", "admin", "auditor", "root", "ADMIN"]) if rng.random() < 0.8
               else self.hostile_json(rng)}
        obj, d = self.field_mutate(rng, obj, "user create")
        self.small_body(rng, req, obj, d)
        if req.role in ("none", "badtoken"):
            req.oracle = "needs-auth"
        elif req.role != "admin":
            req.oracle = "admin-only"

    def b_user_path(self, rng, req: Req):
        users = list(self.ctx.users.values())
        if req.method == "DELETE":
            name = ("fz-%x" % rng.getrandbits(40)) if rng.random() < 0.5 else rng.choice(SUBJECT_MALFORMED)
        else:
            name = rng.choice(users) if rng.random() < 0.6 else rng.choice(SUBJECT_MALFORMED + ["nobody"])
        if len(name) > 1000 and not self.big_budget:
            name = "x" * 200
        self.set_target(req, "/v1/users/%s" % name)
        req.desc = "user"
        if req.role in ("none", "badtoken"):
            req.oracle = "needs-auth"
        elif req.role != "admin":
            req.oracle = "admin-only"

    def b_team(self, rng, req: Req):
        members_pool = [self.ctx.users.get(r) for r in ("clinician2", "admin", "clinician", "patient", "auditor")]
        members_pool = [m for m in members_pool if m] + ["nobody"]
        members = rng.sample(members_pool, rng.randrange(0, 3)) if rng.random() < 0.8 else self.hostile_json(rng)
        if rng.random() < 0.02:
            members = ["m%d" % i for i in range(rng.choice([1000, 5000]))]
        if req.method == "PUT":
            tid = rng.choice(self.ctx.teams + ["nope"]) if rng.random() < 0.7 else rng.choice(SUBJECT_MALFORMED[:27])
            self.set_target(req, "/v1/care-teams/%s/members" % tid)
            obj = {"members": members}
        else:
            self.set_target(req, "/v1/care-teams")
            obj = {"name": rng.choice(["team-%d" % rng.randrange(10 ** 6), "", "a" * 200, "a" * 201, "é" * 200, "\u0000"])
                   if rng.random() < 0.8 else self.hostile_json(rng), "members": members}
        obj, d = self.field_mutate(rng, obj, "care team")
        self.small_body(rng, req, obj, d)
        if req.role in ("none", "badtoken"):
            req.oracle = "needs-auth"
        elif req.role != "admin":
            req.oracle = "admin-only"

    def b_team_delete(self, rng, req: Req):
        tid = rng.choice(self.ctx.teams + ["nope", str(uuidlib.UUID(int=rng.getrandbits(128)))]) if rng.random() < 0.7 \
            else rng.choice(SUBJECT_MALFORMED[:27])
        self.set_target(req, "/v1/care-teams/%s" % tid)
        req.desc = "care team delete"
        if req.role in ("none", "badtoken"):
            req.oracle = "needs-auth"
        elif req.role != "admin":
            req.oracle = "admin-only"

    def b_analysis(self, rng, req: Req):
        s = self.subject(rng, req)
        self.set_target(req, "/v1/subjects/%s/analyses" % s)
        kind = rng.choice(["actigraphy_report"] * 5 + ["pat_embedding"] * 2) if rng.random() < 0.85 else self.hostile_json(rng)
        obj: dict = {"kind": kind}
        r = rng.random()
        if r < 0.5:
            obj["from"], obj["to"] = self.ctx.window
        elif r < 0.65:
            obj["from"], obj["to"] = "2026-01-05T00:00:00+01:00", "2026-01-12T00:00:00+01:00"
        elif r < 0.9:
            for k in ("from", "to"):
                if rng.random() < 0.7:
                    obj[k] = rng.choice(TS_HOSTILE) if rng.random() < 0.7 else self.hostile_json(rng)
        if rng.random() < 0.8:
            obj["options"] = self.analysis_options(rng, kind)
        elif rng.random() < 0.5:
            obj["options"] = self.hostile_json(rng)
        if rng.random() < 0.05:
            obj[rng.choice(["bogus", "subject", "status", ""])] = self.hostile_json(rng)
        obj, d = self.field_mutate(rng, obj, "analysis")
        self.small_body(rng, req, obj, d)

    def analysis_options(self, rng, kind) -> object:
        if kind == "pat_embedding" and rng.random() < 0.7:
            opts = {"standardization": rng.choice(["none", "zscore", "cohort", "ZSCORE", ""]) if rng.random() < 0.7
                    else self.hostile_json(rng)}
            if rng.random() < 0.1:
                opts["bogus"] = 1
            return opts
        opts: dict = {}
        if rng.random() < 0.3:
            opts["include_scoring"] = rng.choice([True, False]) if rng.random() < 0.7 else self.hostile_json(rng)
        n = rng.choice([0, 1, 2, 3, len(ACTI_SETTINGS)])
        for name in rng.sample(ACTI_SETTINGS, n):
            if name == "cole_kripke_rescoring":
                v = rng.choice([True, False]) if rng.random() < 0.6 else self.hostile_json(rng)
            elif name == "sadeh_weights":
                v = [rng.uniform(-2, 8) for _ in range(4)] if rng.random() < 0.5 else \
                    rng.choice([[1, 2, 3], [1e308] * 4, [Raw(b"NaN")] * 4, "1,2,3,4", [1, 2, 3, 4, 5], [[1], 2, 3, 4]])
            else:
                s = urllib.parse.unquote(self.setting_value(rng, name))
                v = swift_double(s)
                if v is None:
                    v = s
                elif v != v or v in (float("inf"), float("-inf")):
                    v = Raw(s.encode()) if rng.random() < 0.5 else s
                if rng.random() < 0.15:
                    v = self.hostile_json(rng)
            if name.startswith("roenneberg."):
                sub = opts.setdefault("roenneberg", {})
                if isinstance(sub, dict):
                    sub[name.split(".", 1)[1]] = v
            else:
                opts[name] = v
        if rng.random() < 0.1:
            opts.update(rng.choice([{"roenneberg": {"bogus": 1}}, {"bogus": 1}, {"roenneberg": 1}, {"roenneberg": []},
                                    {"roenneberg": {"threshold": {"x": 1}}}, {"oakley_threshold": "automatic"},
                                    {"oakley_threshold": "manual"}, {"standardization": "zscore"},
                                    {"roenneberg": {"roenneberg": {"threshold": 0.1}}}]))
        return opts

    def b_analysis_get(self, rng, req: Req):
        jid = rng.choice(self.ctx.jobs + [str(uuidlib.UUID(int=rng.getrandbits(128)))]) if rng.random() < 0.7 \
            else rng.choice(SUBJECT_MALFORMED + ["0", "-1", "'"])
        self.set_target(req, "/v1/analyses/%s" % jid)
        req.desc = "analysis status"
        if req.role in ("none", "badtoken"):
            req.oracle = "needs-auth"

    def b_unknown(self, rng, req: Req):
        port = self.ctx.port
        path = rng.choice(["/", "/v1", "/v1/", "/v2/me", "/v1/subjects", "/v1/subjects/", "/v1/subjects/x",
                           "/v1/me/", "//v1/me", "/v1/./me", "/v1/../v1/me", "/%2e%2e/%2e%2e/etc/passwd", "/health/",
                           "/HEALTH", "/health/live", "/health/ready", "/metrics", "/.well-known/jwks.json", "*",
                           "http://127.0.0.1:%d/v1/me" % port, "/v1/subjects/x/samples/y", "/v1/users/a/b",
                           "/v1/care-teams/x/members/y", "/v1/stream/x", "/openapi.json/", "/v1/%00", "/v1/me%00",
                           "/v1/me;a=b", "/v1/me#frag", "/" + "a" * 8000, "/v1/" + "a/" * 2000, "/fhir/R4/metadata",
                           "/app", "/v1/subjects/%2F/samples", "/v1/analyses/", "/v1/admin"])
        self.set_target(req, path)
        req.desc = "unknown path"

    # ---------------------------------------------------------------- random mutation

    def mutate(self, rng, req: Req):
        req.mutated = True
        req.oracle = None
        targets = ["target"] + (["body"] * 3 if req.body else []) + (["header"] if req.headers else [])
        where = rng.choice(targets)
        n = rng.randrange(1, 5)
        if where == "body":
            req.body = mutate_bytes(rng, req.body, n)
        elif where == "target":
            req.target = sanitize_target(mutate_bytes(rng, req.target.encode(), n))
            if not req.target.startswith("/") and rng.random() < 0.8:
                req.target = "/" + req.target
        else:
            k = rng.randrange(len(req.headers))
            name, value = req.headers[k]
            vb = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
            req.headers[k] = (name, mutate_bytes(rng, vb, n))
        req.desc += " ~mutated:%s×%d" % (where, n)

    def splice(self, rng, req: Req, other: Req):
        req.mutated = True
        req.oracle = None
        kind = rng.randrange(4)
        if kind == 0 and req.body and other.body:
            a = rng.randrange(len(req.body) + 1)
            b = rng.randrange(len(other.body) + 1)
            req.body = req.body[:a] + other.body[b:]
        elif kind == 1:
            req.body = other.body
            req.headers = [h for h in req.headers if h[0].lower() != "content-type"] + \
                [h for h in other.headers if h[0].lower() == "content-type"]
        elif kind == 2:
            path = req.target.split("?", 1)[0]
            query = other.target.split("?", 1)[1] if "?" in other.target else ""
            req.target = path + ("?" + query if query else "")
        else:
            req.headers = [h for h in req.headers if h[0].lower() != "authorization"] + \
                [h for h in other.headers if h[0].lower() == "authorization"]
            req.role = other.role + "*"
        req.desc += " ~spliced(%d) with [%s %s]" % (kind, other.method, other.route)
        if req.body is not None and len(req.body) > MAX_BODY:
            req.expect_close = True


INTERESTING = [b'"', b"{", b"}", b"[", b"]", b"\\u0000", b"\\ud800", b"1e309", b"-", b",", b":", b"null", b"\x00",
               b"\xff", b"%", b"%00", b"&", b"=", b"..", b"/", b"\\", b"%ff%fe", b"NaN", b"9" * 30, b"\xc0\xaf", b"?", b"#"]


def mutate_bytes(rng: random.Random, data: bytes, n: int) -> bytes:
    buf = bytearray(data)
    for _ in range(n):
        op = rng.randrange(8)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            p = rng.randrange(len(buf))
            buf[p] ^= 1 << rng.randrange(8)
        elif op == 1 and buf:
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        elif op == 2:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        elif op == 3 and buf:
            end = min(len(buf), pos + rng.randrange(1, 32))
            del buf[pos:end]
        elif op == 4 and buf:
            end = min(len(buf), pos + rng.randrange(1, 64))
            buf[pos:pos] = buf[pos:end] * rng.randrange(1, 4)
        elif op == 5:
            buf[pos:pos] = rng.choice(INTERESTING)
        elif op == 6 and len(buf) > 1:
            del buf[rng.randrange(len(buf)):]
        else:
            if buf:
                p = rng.randrange(len(buf))
                if 48 <= buf[p] <= 57:
                    buf[p:p + 1] = rng.choice([b"9" * 20, b"-", b"0", b"1e400", b"."])
    return bytes(buf)


# --------------------------------------------------------------------------------------------
# Fixture protection and known families

def _segments(target: str) -> list[str]:
    path = target.split("?", 1)[0]
    segs = []
    for s in path.split("/"):
        s = urllib.parse.unquote(urllib.parse.unquote(s, errors="replace"), errors="replace").strip().lower()
        if s and s != ".":
            segs.append(s)
    return segs


def unsafe(req: Req, ctx: Ctx) -> bool:
    """Requests that would destroy the campaign's own fixtures (its role users, the clinician's grant)."""
    method = req.method.upper()
    segs = _segments(req.target)
    if method == "DELETE":
        protected = ctx.protected_users | {g.lower() for g in ctx.protected_grants}
        if any(s in protected or s.rstrip(".") in protected for s in segs):
            return True
    body = req.body or b""
    clin = (ctx.users.get("clinician") or "").lower().encode()
    if clin and "grants" in segs and method not in ("GET", "HEAD", "DELETE"):
        if b'"' + clin + b'"' in body.lower():
            return True
        if b"\\" in body:
            def strings(x):
                if isinstance(x, str):
                    yield x
                elif isinstance(x, dict):
                    for k, v in x.items():
                        yield k
                        yield from strings(v)
                elif isinstance(x, list):
                    for v in x:
                        yield from strings(v)
            try:
                doc = json.loads(body.decode("utf-8", "surrogateescape"))
            except Exception:  # noqa: BLE001 - unparsable: the server refuses it too
                doc = None
            try:
                if any(sv.lower() == clin.decode() for sv in strings(doc)):
                    return True
            except RecursionError:
                return True
    for tok in list(ctx.refresh.values()):
        if tok and (tok.encode() in body or tok in req.target):
            return True
    # keep the seeded actigraphy window regular: no fuzz activity_count samples inside it
    if "samples" in segs and b"activity_count" in body and b"2026-01-0" in body:
        return True
    return False


def known_family(req: Req) -> str | None:
    """The two families of known server bugs --skip-known leaves out.

    actigraphy-setting-out-of-range: an actigraphy setting (query parameter of …/actigraphy or
      …/actogram.svg, or an option of an analysis body) given a finite number outside its valid range
      (e.g. roenneberg.trend_hours=1e300).
    json-many-escapes: a JSON body with more than 10,000 backslash escapes (e.g. a string of 300,000 \\n).
    """
    body = req.body or b""
    if body.count(b"\\") > 10_000:
        return "json-many-escapes"
    segs = _segments(req.target)
    if any("actigraphy" in s or "actogram" in s for s in segs) and "?" in req.target:
        query = req.target.split("?", 1)[1]
        for part in query.split("&"):
            name, _, value = part.partition("=")
            name = urllib.parse.unquote_plus(name, errors="replace")
            value = urllib.parse.unquote_plus(value, errors="replace")
            if name not in ACTI_RANGES:
                continue
            for piece in (value.split(",") if name == "sadeh_weights" else [value]):
                v = swift_double(piece)
                if v is not None and v == v and v not in (float("inf"), float("-inf")) and not in_range(name, v):
                    return "actigraphy-setting-out-of-range"
    if "analyses" in segs and body and any(k in body for k in (b"hours", b"threshold", b"frac", b"offset", b"weights",
                                                             b"scale", b"minutes", b"\\u")):
        found = []

        def hook(pairs):
            for k, v in pairs:
                found.append((k, v))
            return dict(pairs)

        try:
            json.loads(body.decode("utf-8", "surrogateescape"), object_pairs_hook=hook)
        except Exception:  # noqa: BLE001
            return None
        nested = {n.split(".", 1)[1]: n for n in ACTI_RANGES if n.startswith("roenneberg.")}
        for k, v in found:
            names = [n for n in (k, nested.get(k)) if n in ACTI_RANGES]
            for name in names:
                values = v if (name == "sadeh_weights" and isinstance(v, list)) else [v]
                for x in values:
                    if isinstance(x, (int, float)) and not isinstance(x, bool):
                        try:
                            fx = float(x)
                        except OverflowError:
                            fx = float("inf")
                        if not in_range(name, fx):
                            return "actigraphy-setting-out-of-range"
    return None


KNOWN_FAMILIES = {"actigraphy-setting-out-of-range", "json-many-escapes"}
OTHER_FAMILIES = {"invalid-http", "upgrade-header", "actogram-long-window", "roenneberg-short-seed"}
SHORT_WINDOW = ("2026-01-05T06:00:00+01:00", "2026-01-05T12:00:00+01:00")


def parse_ts(text: str):
    try:
        from datetime import datetime
        return datetime.fromisoformat(text.replace("z", "Z").replace(" ", "+", 1) if text.count(" ") == 1 and
                                      text.index(" ") > 12 else text).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def short_seed(req: Req) -> bool:
    """roenneberg.min_seed_minutes under 2 (a seed of at most one 1-minute epoch): traps in
    RoennebergDetection.run, on the report, the actogram and analysis jobs alike."""
    segs = _segments(req.target)
    if any("actigraphy" in seg or "actogram" in seg for seg in segs) and "?" in req.target:
        for part in req.target.split("?", 1)[1].split("&"):
            name, _, value = part.partition("=")
            if urllib.parse.unquote_plus(name, errors="replace") == "roenneberg.min_seed_minutes":
                v = swift_double(urllib.parse.unquote_plus(value, errors="replace"))
                if v is not None and v == v and v < 2:
                    return True
    body = req.body or b""
    if "analyses" in segs and b"min_seed_minutes" in body:
        found = []

        def hook(pairs):
            found.extend(pairs)
            return dict(pairs)

        try:
            json.loads(body.decode("utf-8", "surrogateescape"), object_pairs_hook=hook)
        except Exception:  # noqa: BLE001
            return False
        for k, v in found:
            if k == "min_seed_minutes" and isinstance(v, (int, float)) and not isinstance(v, bool):
                try:
                    if float(v) < 2:
                        return True
                except OverflowError:
                    pass
    return False


def actogram_long(req: Req) -> bool:
    """An actogram over more than 12 hours (or over all of the subject's data)."""
    if not any("actogram" in seg for seg in _segments(req.target)):
        return False
    query = req.target.split("?", 1)[1] if "?" in req.target else ""
    bounds = {}
    for part in query.split("&"):
        name, _, value = part.partition("=")
        name = urllib.parse.unquote_plus(name, errors="replace")
        if name in ("from", "to") and name not in bounds:
            bounds[name] = parse_ts(urllib.parse.unquote_plus(value, errors="replace"))
    if bounds.get("from") is None or bounds.get("to") is None:
        return True
    return bounds["to"] - bounds["from"] > 12 * 3600
# Methods the server's HTTP/1 parser (llhttp) knows; anything else is a parse error.
HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PROPFIND", "PROPPATCH",
                "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE",
                "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PURGE", "MKCALENDAR", "LINK", "UNLINK", "SOURCE",
                "QUERY", "ACL", "BIND", "REBIND", "UNBIND"}
TCHAR = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
BAD_VALUE_BYTE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def families(req: Req) -> set:
    """Every family of found server bugs a request belongs to (see --skip / --skip-known)."""
    found = set()
    k = known_family(req)
    if k:
        found.add(k)
    head = len(req.method) + len(req.target) + 12
    for name, value in req.headers:
        nb = name.encode("latin-1") if isinstance(name, str) else name
        vb = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
        head += len(nb) + len(vb) + 4
        if not TCHAR.fullmatch(nb) or BAD_VALUE_BYTE.search(vb.strip(b" \t")):
            found.add("invalid-http")
        if nb.lower() == b"upgrade":
            found.add("upgrade-header")
    if req.method not in HTTP_METHODS or head > 80 * 1024:
        found.add("invalid-http")
    if not (req.target.startswith("/") or req.target == "*" or req.target.lower().startswith("http://")):
        found.add("invalid-http")
    if actogram_long(req):
        found.add("actogram-long-window")
    if short_seed(req):
        found.add("roenneberg-short-seed")
    return found


# --------------------------------------------------------------------------------------------
# Checking responses

LEAK = re.compile(r"(?i)(\.swift\b|sqlite|postgres(ql)?\s*(error|:)|\bselect\b[^\n]{0,200}?\bfrom\b|fatal error|stack trace|"
                  r"DecodingError|NIOCore|Swift\.|/Sources/|0x[0-9a-f]{8,})")


@dataclass
class Outcome:
    kind: str                # "response", "reset", "timeout", "refused", "error"
    status: int = 0
    headers: dict | None = None
    body: bytes = b""
    latency: float = 0.0
    detail: str = ""
    ended: float = field(default_factory=time.monotonic)


def check_error_shape(body: bytes, request_id: str | None) -> str | None:
    try:
        doc = json.loads(body)
    except Exception:  # noqa: BLE001
        return None
    if not isinstance(doc, dict) or set(doc) != {"error"} or not isinstance(doc["error"], dict):
        return "top level is not exactly {\"error\": {...}}: %r" % body[:160]
    inner = doc["error"]
    keys = set(inner)
    if not {"code", "message", "request_id"} <= keys or not keys <= {"code", "message", "request_id", "details"}:
        return "error keys %s" % sorted(keys)
    for k in ("code", "message", "request_id"):
        if not isinstance(inner[k], str):
            return "error.%s is not a string" % k
    if "details" in inner:
        d = inner["details"]
        if not isinstance(d, list) or not all(isinstance(x, dict) for x in d):
            return "error.details is not a list of objects"
        for x in d:
            if not set(x) <= {"index", "field", "reason"}:
                return "detail keys %s" % sorted(x)
    if request_id is None or inner["request_id"] != request_id:
        return "request_id %r != X-Request-ID %r" % (inner["request_id"], request_id)
    return None


# --------------------------------------------------------------------------------------------
# The campaign


class Stats:
    def __init__(self, max_latency: float):
        self.lock = threading.Lock()
        self.max_latency = max_latency
        self.count = 0
        self.status = Counter()
        self.routes = Counter()
        self.failures = Counter()          # kind -> count
        self.failure_sigs = Counter()      # (kind, route, status) -> count
        self.repro = []                    # first reproducers
        self.latencies = []
        self.slowest = []                  # heap of (latency, idx, desc)
        self.retry_503 = 0
        self.non_json_errors = Counter()
        self.non_json_examples = []
        self.documented_closes = 0
        self.retries = 0
        self.client_stalled_slow = 0
        self.bytes_sent = 0
        self.known_sent = Counter()

    def fail(self, kind: str, req: Req, out: Outcome | None, detail: str, tokens: dict):
        with self.lock:
            self.failures[kind] += 1
            self.failure_sigs[(kind, req.route, out.status if out else 0)] += 1
            if len(self.repro) < 20:
                self.repro.append("[%s] %s\n      -> %s" % (
                    kind, req.describe(tokens), detail if len(detail) < 400 else detail[:400] + "…"))


def http_conn(ctx: Ctx, timeout: float) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(ctx.host, ctx.port, timeout=timeout)


def simple(ctx: Ctx, method: str, path: str, body=None, token=None, timeout=30.0):
    conn = http_conn(ctx, timeout)
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = None
        return resp.status, doc, dict((k.lower(), v) for k, v in resp.getheaders())
    finally:
        conn.close()


def server_alive(pid: int | None) -> bool | None:
    if not pid:
        return None
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False


class Campaign:
    def __init__(self, args, ctx: Ctx, gen: Generator):
        self.args = args
        self.ctx = ctx
        self.gen = gen
        self.stats = Stats(args.max_latency)
        self.next_idx = 0
        self.idx_lock = threading.Lock()
        self.stop = threading.Event()
        self.crash = None
        self.in_flight = {}
        self.recent = deque(maxlen=32)
        self.health_lat = []
        self.client_stalls = []
        self.deadline = time.monotonic() + args.seconds if args.seconds else None

    def take(self) -> int | None:
        with self.idx_lock:
            if self.stop.is_set() or self.next_idx >= self.args.requests:
                return None
            if self.deadline and time.monotonic() > self.deadline:
                return None
            i = self.next_idx
            self.next_idx += 1
            return self.args.start + i

    def send(self, conn_holder: list, req: Req) -> Outcome:
        """Sends on the worker's keep-alive connection, reconnecting when the server closed it."""
        for attempt in range(2):
            conn = conn_holder[0]
            fresh = conn is None
            if conn is None:
                conn = http_conn(self.ctx, self.args.timeout)
                try:
                    conn.connect()
                except ConnectionRefusedError:
                    return Outcome("refused", detail="connection refused")
                except OSError as e:
                    return Outcome("error", detail="connect: %r" % e)
                conn_holder[0] = conn
            t0 = time.monotonic()
            send_error = None
            try:
                host_given = any(k.lower() == "host" for k, _ in req.headers)
                conn.putrequest(req.method, req.target, skip_host=host_given, skip_accept_encoding=True)
                for k, v in req.headers:
                    conn.putheader(k, v)
                if req.body is not None:
                    conn.putheader("Content-Length", str(len(req.body)))
                elif req.method in ("POST", "PUT", "PATCH"):
                    conn.putheader("Content-Length", "0")
                conn.endheaders(req.body if req.body else None)
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as e:
                send_error = e
            except (socket.timeout, TimeoutError):
                conn.close()
                conn_holder[0] = None
                return Outcome("timeout", latency=time.monotonic() - t0, detail="timed out while sending")
            except (http.client.HTTPException, ValueError, UnicodeError) as e:
                conn.close()
                conn_holder[0] = None
                return Outcome("error", detail="client could not send: %r" % e)
            try:
                resp = conn.getresponse()
                data = resp.read()
                lat = time.monotonic() - t0
                headers = {}
                for k, v in resp.getheaders():
                    headers.setdefault(k.lower(), v)
                if resp.will_close:
                    conn.close()
                    conn_holder[0] = None
                return Outcome("response", resp.status, headers, data, lat)
            except (socket.timeout, TimeoutError):
                conn.close()
                conn_holder[0] = None
                return Outcome("timeout", latency=time.monotonic() - t0, detail="no response within %.0f s" % self.args.timeout)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError,
                    http.client.IncompleteRead, http.client.BadStatusLine, http.client.ResponseNotReady,
                    http.client.CannotSendRequest, OSError) as e:
                conn.close()
                conn_holder[0] = None
                lat = time.monotonic() - t0
                if not fresh and attempt == 0 and not isinstance(e, http.client.IncompleteRead):
                    with self.stats.lock:
                        self.stats.retries += 1
                    continue         # a keep-alive connection the server had closed: retry once on a new one
                return Outcome("reset", latency=lat, detail="%s%s" % (
                    type(e).__name__, (" (while sending: %s)" % type(send_error).__name__) if send_error else ""))
        return Outcome("reset", detail="unreachable")

    def worker(self, wid: int):
        conn_holder = [None]
        while True:
            idx = self.take()
            if idx is None:
                break
            req = self.gen.make(idx)
            size = len(req.body or b"") + len(req.target)
            with self.stats.lock:
                self.stats.bytes_sent += size
                if self.stats.bytes_sent > self.args.max_traffic_mb * 1_000_000:
                    self.gen.big_budget = False
            self.in_flight[wid] = req
            out = self.send(conn_holder, req)
            self.in_flight[wid] = None
            self.recent.append(req)
            if out.kind == "refused":
                self.check_crash(req)
                if self.crash:
                    break
            self.record(req, out)
        if conn_holder[0]:
            conn_holder[0].close()

    def check_crash(self, req: Req | None):
        alive = server_alive(self.args.server_pid)
        if alive is None:
            try:
                socket.create_connection((self.ctx.host, self.ctx.port), timeout=2).close()
                alive = True
            except OSError:
                alive = False
        if not alive and not self.crash:
            suspects = [r for r in self.in_flight.values() if r] + list(self.recent)[-8:]
            self.crash = {"time": time.time(), "after_requests": self.stats.count, "suspects": suspects}
            self.stop.set()

    def record(self, req: Req, out: Outcome):
        st = self.stats
        tokens = self.ctx.tokens
        label = req.route
        fam = "{known:" in req.desc
        with st.lock:
            st.count += 1
            st.routes[label] += 1
            if fam:
                for f in req.desc.split("{known:")[1].split("}")[0].split(","):
                    st.known_sent[f] += 1
        if out.kind != "response":
            if out.kind == "refused" and self.crash:
                return
            if out.kind == "reset" and req.expect_close:
                with st.lock:
                    st.documented_closes += 1
                    st.status["closed(413-documented)"] += 1
                return
            with st.lock:
                st.status[out.kind] += 1
            st.fail(out.kind, req, out, out.detail, tokens)
            if out.latency:
                self.note_latency(req, out.latency)
            return
        s = out.status
        with st.lock:
            st.status[s] += 1
        self.note_latency(req, out.latency)
        rid = out.headers.get("x-request-id")
        if rid is None:
            st.fail("missing-x-request-id", req, out, "status %d, headers %s" % (s, sorted(out.headers)), tokens)
        else:
            sent = [v for k, v in req.headers if k.lower() == "x-request-id"]
            sent_s = sent[0].decode("latin-1") if sent and isinstance(sent[0], bytes) else (sent[0] if sent else None)
            if len(sent) == 1 and re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", sent_s or "") and rid != sent_s:
                st.fail("request-id-not-echoed", req, out, "sent %r got %r" % (sent_s, rid), tokens)
        if s >= 500:
            if s == 503 and "retry-after" in out.headers:
                with st.lock:
                    st.retry_503 += 1
            else:
                st.fail("5xx", req, out, "status %d body %r" % (s, out.body[:300]), tokens)
        if s == 429 and "retry-after" not in out.headers:
            st.fail("429-without-retry-after", req, out, "body %r" % out.body[:200], tokens)
        if s >= 400 and req.method != "HEAD":
            ctype = out.headers.get("content-type", "")
            looks_json = "json" in ctype or out.body[:1] in (b"{", b"[")
            if looks_json:
                problem = check_error_shape(out.body, rid)
                if problem:
                    st.fail("shape", req, out, "status %d: %s" % (s, problem), tokens)
                else:
                    try:
                        msg = json.loads(out.body)["error"]["message"]
                    except Exception:  # noqa: BLE001
                        msg = ""
                    if LEAK.search(msg):
                        st.fail("leak", req, out, "status %d message %r" % (s, msg[:300]), tokens)
            else:
                with st.lock:
                    st.non_json_errors[s] += 1
                    if len(st.non_json_examples) < 5:
                        st.non_json_examples.append("status %d ctype=%r body=%r  <- %s %s" % (
                            s, ctype, out.body[:80], req.method, req.target[:100]))
        if 200 <= s < 300 and req.oracle and not req.mutated:
            st.fail("access:" + req.oracle, req, out, "status %d body %r" % (s, out.body[:200]), tokens)
        if out.latency > self.args.max_latency:
            stalled = self.client_stall_within(out.ended - out.latency, out.ended)
            if out.latency - stalled > self.args.max_latency:
                st.fail("slow", req, out, "%.3f s (status %d; client stalled %.2f s of it)" % (out.latency, s, stalled),
                        tokens)
            else:
                with st.lock:
                    st.client_stalled_slow += 1

    def note_latency(self, req: Req, lat: float):
        st = self.stats
        with st.lock:
            st.latencies.append(lat)
            item = (lat, req.idx, "%s %s [%s] %s" % (req.method, req.target[:120], req.role, req.desc[:140]))
            if len(st.slowest) < 10:
                heapq.heappush(st.slowest, item)
            elif lat > st.slowest[0][0]:
                heapq.heapreplace(st.slowest, item)

    def monitor(self):
        last_progress = time.monotonic()
        started = time.monotonic()
        while not self.stop.wait(0.5):
            if self.args.server_pid and server_alive(self.args.server_pid) is False:
                self.check_crash(None)
                return
            now = time.monotonic()
            if now - getattr(self, "_last_health", 0) > 5:
                self._last_health = now
                t0 = time.monotonic()
                try:
                    status, _, _ = simple(self.ctx, "GET", "/health", timeout=self.args.timeout)
                    lat = time.monotonic() - t0
                    self.health_lat.append(lat)
                    if status != 200 or lat > self.args.max_latency:
                        dummy = Req(-1, "GET", "/health", [], None, "GET /health (monitor)", "none", "health probe")
                        self.stats.fail("health-probe", dummy, None, "status %d after %.3f s" % (status, lat),
                                        self.ctx.tokens)
                except OSError as e:
                    self.check_crash(None)
                    if self.crash:
                        return
                    dummy = Req(-1, "GET", "/health", [], None, "GET /health (monitor)", "none", "health probe")
                    self.stats.fail("health-probe", dummy, None, repr(e), self.ctx.tokens)
            if self.ctx.expires_at and time.time() > self.ctx.expires_at - 120:
                refresh_tokens(self.ctx)
            if now - last_progress >= self.args.progress:
                last_progress = now
                st = self.stats
                rate = st.count / max(1e-9, now - started)
                print("  … %d/%d requests, %.0f req/s, %d failures, statuses %s" % (
                    st.count, self.args.requests, rate, sum(st.failures.values()),
                    dict(sorted(((str(k), v) for k, v in st.status.items()), key=lambda x: -x[1])[:8])),
                    file=sys.stderr, flush=True)

    def ticker(self):
        """Records stretches in which this client itself could not run (GIL held by a generator, host overload),
        so a slow answer can be told from a slow client."""
        last = time.monotonic()
        while not self.stop.is_set():
            time.sleep(0.01)
            now = time.monotonic()
            if now - last > 0.06:
                with self.stats.lock:
                    self.client_stalls.append((last, now))
            last = now

    def client_stall_within(self, start: float, end: float) -> float:
        with self.stats.lock:
            return sum(max(0.0, min(b, end) - max(a, start)) for a, b in self.client_stalls[-200:])

    def run(self):
        threading.Thread(target=self.ticker, daemon=True).start()
        threads = [threading.Thread(target=self.worker, args=(w,), daemon=True) for w in range(self.args.concurrency)]
        mon = threading.Thread(target=self.monitor, daemon=True)
        t0 = time.monotonic()
        for t in threads:
            t.start()
        mon.start()
        for t in threads:
            t.join()
        self.stop.set()
        mon.join(timeout=5)
        self.elapsed = time.monotonic() - t0


# --------------------------------------------------------------------------------------------
# Setup


def login(ctx: Ctx, role: str) -> bool:
    user, pw = ctx.users.get(role), ctx.passwords.get(role)
    if not user:
        return False
    status, doc, headers = simple(ctx, "POST", "/v1/auth/token", {"username": user, "password": pw})
    if status != 200:
        print("setup: login of %s (%s) failed: %d %s" % (role, user, status, doc), file=sys.stderr)
        return False
    ctx.tokens[role] = doc["access_token"]
    ctx.refresh[role] = doc["refresh_token"]
    ctx.expires_at = time.time() + float(doc.get("expires_in", 900)) if not ctx.expires_at else \
        min(ctx.expires_at, time.time() + float(doc.get("expires_in", 900)))
    return True


_refresh_lock = threading.Lock()


def refresh_tokens(ctx: Ctx):
    with _refresh_lock:
        if time.time() < ctx.expires_at - 120:
            return
        soonest = None
        for role, tok in list(ctx.refresh.items()):
            if role == "spare":
                continue
            status, doc, _ = simple(ctx, "POST", "/v1/auth/refresh", {"refresh_token": tok})
            if status == 200:
                ctx.tokens[role] = doc["access_token"]
                ctx.refresh[role] = doc["refresh_token"]
                exp = time.time() + float(doc.get("expires_in", 900))
                soonest = exp if soonest is None else min(soonest, exp)
            else:
                print("refresh of %s failed: %d %s" % (role, status, doc), file=sys.stderr)
        ctx.expires_at = soonest or (time.time() + 600)


def setup(ctx: Ctx, need_all=True) -> None:
    for role in ("patient", "clinician", "admin", "auditor"):
        if not login(ctx, role) and need_all:
            sys.exit("setup: cannot log in as %s; run with --prepare first or pass the credentials" % role)
    if ctx.users.get("spare"):
        st, doc, _ = simple(ctx, "POST", "/v1/auth/token",
                            {"username": ctx.users["spare"], "password": ctx.passwords["spare"]})
        if st == 200:
            ctx.spare_refresh = doc["refresh_token"]
    patient = ctx.users["patient"]
    tok = ctx.tokens
    st, doc, _ = simple(ctx, "GET", "/v1/subjects/%s/grants" % patient, token=tok["patient"])
    if st == 200:
        for g in doc.get("grants", []):
            if g.get("grantee", "").lower() == ctx.users["clinician"].lower():
                ctx.protected_grants.add(g["id"])
            else:
                ctx.deletable_grants.append(g["id"])
    for i in range(3):
        members = [ctx.users["clinician2"]] if ctx.users.get("clinician2") else []
        st, doc, _ = simple(ctx, "POST", "/v1/care-teams", {"name": "fuzz-team-%d" % i, "members": members},
                            token=tok["admin"])
        if st == 201:
            ctx.teams.append(doc["id"])
    st, doc, _ = simple(ctx, "POST", "/v1/subjects/%s/analyses" % patient,
                        {"kind": "actigraphy_report", "from": ctx.window[0], "to": ctx.window[1]}, token=tok["patient"])
    if st == 202:
        ctx.jobs.append(doc["id"])
    st, doc, _ = simple(ctx, "GET", "/v1/subjects/%s/samples?limit=1" % patient, token=tok["patient"])
    if st == 200:
        ctx.sample_cursor = doc.get("next_cursor")
    st, doc, _ = simple(ctx, "GET", "/v1/subjects/%s/samples?type=activity_count&limit=20" % patient, token=tok["patient"])
    if st == 200:
        ctx.existing_samples = doc.get("samples", [])
    st, doc, _ = simple(ctx, "GET", "/v1/audit-events?limit=1", token=tok["auditor"])
    if st == 200:
        ctx.audit_cursor = doc.get("next_cursor")
    print("setup: roles %s, protected grants %d, deletable grants %d, teams %d, jobs %d, stored samples seen %d" % (
        sorted(ctx.tokens), len(ctx.protected_grants), len(ctx.deletable_grants), len(ctx.teams), len(ctx.jobs),
        len(ctx.existing_samples)), file=sys.stderr)


def prepare(ctx: Ctx) -> int:
    """Seeds a fresh server: the patient's grants (read_write to clinician, read to clinician2) and samples."""
    for role in ("patient", "patient2"):
        if not login(ctx, role):
            return 1
    patient, tok = ctx.users["patient"], ctx.tokens
    for grantee, scope in ((ctx.users["clinician"], "read_write"), (ctx.users.get("clinician2"), "read")):
        if not grantee:
            continue
        st, doc, _ = simple(ctx, "POST", "/v1/subjects/%s/grants" % patient, {"grantee": grantee, "scope": scope},
                            token=tok["patient"])
        print("prepare: grant %s -> %s (%s): %d" % (patient, grantee, scope, st), file=sys.stderr)
        if st != 201:
            return 1
    # Two days of 1-minute activity_count epochs in +01:00 with a day/night rhythm, plus some heart rates.
    rng = random.Random(7)
    base = 1_767_567_600  # 2026-01-05T00:00:00+01:00
    samples = []
    for m in range(2 * 1440):
        minute_of_day = m % 1440
        awake = 7 * 60 <= minute_of_day < 23 * 60
        value = max(0, int(rng.gauss(300 if awake else 8, 120 if awake else 10)))
        t = base + m * 60
        samples.append({"uuid": str(uuidlib.UUID(int=rng.getrandbits(128))), "type": "activity_count",
                        "start": fmt_ts(t * 1_000_000, 60), "end": fmt_ts((t + 60) * 1_000_000, 60), "value": value,
                        "unit": "count"})
    for h in range(48):
        t = base + h * 3600
        samples.append({"uuid": str(uuidlib.UUID(int=rng.getrandbits(128))), "type": "heart_rate",
                        "start": fmt_ts(t * 1_000_000, 60), "value": 55 + rng.randrange(40), "unit": "count/min"})
    st, doc, _ = simple(ctx, "POST", "/v1/subjects/%s/samples" % patient, {"samples": samples}, token=tok["patient"],
                        timeout=120)
    print("prepare: seeded %d samples for %s: %d %s" % (len(samples), patient, st, doc), file=sys.stderr)
    if st != 200:
        return 1
    other = ctx.users["patient2"]
    hr = [{"uuid": str(uuidlib.UUID(int=rng.getrandbits(128))), "type": "heart_rate",
           "start": fmt_ts((base + h * 3600) * 1_000_000, 0), "value": 70, "unit": "bpm"} for h in range(24)]
    st, doc, _ = simple(ctx, "POST", "/v1/subjects/%s/samples" % other, {"samples": hr}, token=tok["patient2"])
    print("prepare: seeded %d samples for %s: %d" % (len(hr), other, st), file=sys.stderr)
    st, doc, _ = simple(ctx, "GET", "/v1/subjects/%s/actigraphy?from=%s&to=%s" % (
        patient, q(ctx.window[0]), q(ctx.window[1])), token=tok["patient"], timeout=120)
    print("prepare: actigraphy over the seeded window: %d %s" % (
        st, (list(doc.get("metrics", {}).items())[:4] if isinstance(doc, dict) and st == 200 else doc)), file=sys.stderr)
    return 0 if st == 200 else 1


# --------------------------------------------------------------------------------------------
# Raw-socket phases: WebSocket handshakes and malformed framing


def recv_until(sock: socket.socket, cap: float, stop_on_head=False, quiet_after: float | None = None):
    """Reads until the peer closes or `cap` seconds pass. Returns (data, first_byte_time, closed, close_time)."""
    t0 = time.monotonic()
    data = b""
    first = None
    closed = False
    close_t = None
    last = None
    sock.setblocking(False)
    while True:
        now = time.monotonic()
        if now - t0 >= cap:
            break
        if quiet_after is not None and last is not None and now - last >= quiet_after:
            break
        wait = cap - (now - t0)
        if quiet_after is not None and last is not None:
            wait = min(wait, quiet_after - (now - last))
        r, _, _ = select.select([sock], [], [], max(0.01, min(wait, 0.5)))
        if not r:
            continue
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, ConnectionAbortedError):
            closed, close_t = True, time.monotonic() - t0
            break
        except BlockingIOError:
            continue
        if not chunk:
            closed, close_t = True, time.monotonic() - t0
            break
        if first is None:
            first = time.monotonic() - t0
        last = time.monotonic()
        data += chunk
        if stop_on_head and b"\r\n\r\n" in data:
            break
    return data, first, closed, close_t


def parse_head(data: bytes):
    head = data.split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    status_line = lines[0].decode("latin-1") if lines and lines[0] else ""
    m = re.match(r"HTTP/\d\.\d (\d{3})", status_line)
    headers = {}
    for line in lines[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            headers.setdefault(k.strip().lower().decode("latin-1"), v.strip().decode("latin-1"))
    body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    return (int(m.group(1)) if m else None), status_line, headers, body


def ws_frame(opcode: int, payload: bytes, mask=True, fin=True, rsv=0, length=None) -> bytes:
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload) if length is None else length
    if n < 126:
        head = bytes([b0, (0x80 if mask else 0) | n])
    elif n < 65536:
        head = bytes([b0, (0x80 if mask else 0) | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, (0x80 if mask else 0) | 127]) + struct.pack(">Q", n)
    if mask:
        key = os.urandom(4)
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + payload


def ws_parse(data: bytes):
    """Server frames: list of (opcode, payload-summary)."""
    out = []
    i = 0
    while i + 2 <= len(data):
        op = data[i] & 0x0F
        n = data[i + 1] & 0x7F
        j = i + 2
        if n == 126:
            if j + 2 > len(data):
                break
            n = struct.unpack(">H", data[j:j + 2])[0]
            j += 2
        elif n == 127:
            if j + 8 > len(data):
                break
            n = struct.unpack(">Q", data[j:j + 8])[0]
            j += 8
        payload = data[j:j + n]
        if op == 8:
            code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
            out.append(("close", code, payload[2:60].decode("utf-8", "replace")))
        elif op == 1:
            out.append(("text", payload[:120].decode("utf-8", "replace")))
        else:
            out.append(("op%d" % op, len(payload)))
        i = j + n
    return out


def ws_cases(ctx: Ctx):
    tok = ctx.tokens.get("patient", "")
    key = base64.b64encode(os.urandom(16)).decode()
    good = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % key
    auth = "Authorization: Bearer %s\r\n" % tok
    ping = ws_frame(1, b'{"type":"ping","id":"p1"}')
    return [
        # name, handshake, frames to send after 101, seconds to listen, check
        ("valid + ping", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth, [ping], 2, "pong"),
        ("garbage bytes", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth, [os.urandom(1024)], 3, None),
        ("unmasked text frame", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth,
         [ws_frame(1, b'{"type":"ping"}', mask=False)], 3, None),
        ("length 2^63-1", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth,
         [ws_frame(1, b"", length=2 ** 63 - 1) + b"xxxx"], 3, None),
        ("rsv bits", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth, [ws_frame(1, b"{}", rsv=7)], 3, None),
        ("close 1-byte payload", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth, [ws_frame(8, b"\x03")], 3, None),
        ("text invalid UTF-8", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth,
         [ws_frame(1, b'{"type":"\xff\xfe\xed\xa0\x80"}')], 3, None),
        ("text 200 KB", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth, [ws_frame(1, b'"' + b"a" * 200_000 + b'"')], 3,
         None),
        ("continuation without start", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth,
         [ws_frame(0, b"abc")], 3, None),
        ("300 fragments", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth,
         [ws_frame(1, b"[", fin=False)] + [ws_frame(0, b"[", fin=False) for _ in range(300)] + [ws_frame(0, b"]", fin=True)],
         3, None),
        ("nested JSON 50k", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth,
         [ws_frame(1, b"[" * 50_000 + b"]" * 50_000)], 3, None),
        ("hostile subscribe", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth,
         [ws_frame(1, b'{"type":"subscribe","subject":"\\u0000","since":1e308,"types":[1e309]}'),
          ws_frame(1, b'{"type":"subscribe","subject":"' + ctx.users["patient"].encode() + b'","since":-9223372036854775809}'),
          ws_frame(1, b'{"type":"session.join","session":"' + b"a" * 5000 + b'"}'),
          ws_frame(1, b'{"type":"text","session":"x:y","text":"' + b"\\n" * 5000 + b'"}')], 3, None),
        ("bad audio frame", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth,
         [ws_frame(2, b"\x02\x00"), ws_frame(2, b"\x01\xff" + b"a" * 10), ws_frame(2, b"")], 3, None),
        ("ping 126 bytes", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + auth, [ws_frame(9, b"a" * 126)], 3, None),
        ("no auth, bad auth message", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good,
         [ws_frame(1, b'{"type":"auth","token":"garbage"}'), ws_frame(1, b'{"type":"status"}')], 3, "no-status"),
        ("token in URL only", "GET /v1/stream?access_token=%s&token=%s HTTP/1.1\r\nHost: x\r\n%s" % (tok, tok, good),
         [ws_frame(1, b'{"type":"status"}')], 3, "no-status"),
        ("no auth, silent (auth timeout)", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good, [], 7, "closed"),
        ("bad bearer", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good + "Authorization: Bearer garbage\r\n", [], 2, "refused"),
        ("missing key", "GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\n" + auth, [], 2, "refused"),
        ("version 99", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good.replace("Version: 13", "Version: 99") + auth, [], 2,
         "refused"),
        ("upgrade on unknown path", "GET /v1/streamx HTTP/1.1\r\nHost: x\r\n" + good + auth, [], 2, "refused"),
        ("upgrade with POST", "POST /v1/stream HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n" + good + auth, [], 2, "refused"),
        ("key 10 KB", "GET /v1/stream HTTP/1.1\r\nHost: x\r\n" + good.replace(key, "A" * 10_000) + auth, [], 2, None),
    ]


def run_ws(ctx: Ctx, results: list, stats: Stats):
    for name, head, frames, listen, check in ws_cases(ctx):
        row = {"case": name, "status": None, "server_frames": [], "closed": False, "verdict": "ok", "note": ""}
        try:
            s = socket.create_connection((ctx.host, ctx.port), timeout=5)
        except OSError as e:
            row.update(verdict="FAIL", note="connect: %r" % e)
            results.append(row)
            continue
        try:
            s.sendall((head + "\r\n").encode("latin-1"))
            data, first, closed, _ = recv_until(s, 5, stop_on_head=True)
            status, line, headers, rest = parse_head(data)
            row["status"] = status
            if status is None and closed:
                row.update(verdict="VIOLATION", note="closed without an answer (%r)" % data[:60], closed=True)
            elif status is None:
                row.update(verdict="FAIL", note="no handshake answer within 5 s (got %r)" % data[:60])
            elif status >= 500 and not (status == 503 and "retry-after" in headers):
                row.update(verdict="FAIL", note="5xx: %s" % line)
            elif status != 101:
                extra, _, closed2, _ = recv_until(s, 1.0, quiet_after=0.3)
                body = rest + extra
                clen = int(headers.get("content-length", "0") or 0) if headers.get("content-length", "").isdigit() else None
                if clen is not None:
                    body = body[:clen]
                rid = headers.get("x-request-id")
                problems = []
                if rid is None:
                    problems.append("no X-Request-ID")
                if body[:1] == b"{":
                    p = check_error_shape(body, rid)
                    if p:
                        problems.append(p)
                row["closed"] = closed or closed2
                row["note"] = "%s %s" % (line, ("; " + "; ".join(problems)) if problems else "")
                if problems:
                    row["verdict"] = "VIOLATION"
                if check not in ("refused", None):
                    row["verdict"] = "FAIL"
                    row["note"] += " (expected an upgrade)"
            else:
                if check == "refused":
                    row.update(verdict="VIOLATION", note="upgraded although it should be refused; ")
                for f in frames:
                    try:
                        s.sendall(f)
                    except OSError:
                        break
                data2, _, closed, ct = recv_until(s, listen, quiet_after=None if check == "closed" else 1.5)
                frames_in = ws_parse(rest + data2)
                row["server_frames"] = frames_in[:6]
                row["closed"] = closed
                texts = " ".join(str(x) for x in frames_in)
                if check == "pong" and "pong" not in texts:
                    row.update(verdict="FAIL", note="no pong")
                if check == "no-status" and '"status"' in texts and '"subscriptions"' in texts:
                    row.update(verdict="FAIL", note="answered status without authentication")
                if check == "closed" and not closed and not any(f[:2] == ("close", 4001) for f in frames_in):
                    row.update(verdict="FAIL", note="neither a 4001 close nor a closed socket after the auth timeout")
                row["note"] = (row["note"] + texts)[:160]
        except OSError as e:
            row["note"] = "socket error %r" % e
            row["closed"] = True
        finally:
            s.close()
        results.append(row)


def framing_cases(ctx: Ctx):
    H = "Host: %s:%d\r\n" % (ctx.host, ctx.port)
    logout = "POST /v1/auth/logout HTTP/1.1\r\n" + H + "Content-Type: application/json\r\n"
    body = b'{"refresh_token":"x"}'
    many = "".join("X-H%d: %d\r\n" % (i, i) for i in range(200))
    return [
        # name, payload (bytes) or (first part, second part or None), mode, tolerate a normal answer
        ("Content-Length 99999999999999999999", (logout + "Content-Length: 99999999999999999999\r\n\r\n").encode() + body,
         "normal", False),
        ("Content-Length -1", (logout + "Content-Length: -1\r\n\r\n").encode() + body, "normal", False),
        ("two different Content-Length", (logout + "Content-Length: 21\r\nContent-Length: 5\r\n\r\n").encode() + body,
         "normal", False),
        ("Content-Length + chunked", (logout + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
         + b"15\r\n" + body + b"\r\n0\r\n\r\n", "normal", False),
        ("chunk size ffffffffffffffffffff", (logout + "Transfer-Encoding: chunked\r\n\r\n").encode()
         + b"ffffffffffffffffffff\r\n" + body + b"\r\n0\r\n\r\n", "normal", False),
        ("non-hex chunk size", (logout + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"zz\r\n" + body + b"\r\n0\r\n\r\n",
         "normal", False),
        ("Transfer-Encoding: chunked, identity", (logout + "Transfer-Encoding: chunked, identity\r\n\r\n").encode()
         + b"15\r\n" + body + b"\r\n0\r\n\r\n", "normal", True),
        ("200 headers", ("GET /health HTTP/1.1\r\n" + H + many + "\r\n").encode(), "normal", True),
        ("one 100 KB header", ("GET /health HTTP/1.1\r\n" + H + "X-Big: " + "a" * 100_000 + "\r\n\r\n").encode(),
         "normal", True),
        ("100 KB request target", ("GET /health?" + "a" * 100_000 + " HTTP/1.1\r\n" + H + "\r\n").encode(), "normal", True),
        ("garbage request line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage \xff\xfe\r\n\r\n", "normal", False),
        ("HTTP/0.9 request line", b"GET /health\r\n\r\n", "normal", False),
        ("HTTP/2.0 request line", ("GET /health HTTP/2.0\r\n" + H + "\r\n").encode(), "normal", False),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "normal", False),
        ("bare \\n line endings", ("GET /health HTTP/1.1\n" + H.replace("\r\n", "\n") + "\n").encode(), "normal", True),
        ("raw NUL and invalid UTF-8 in target", ("GET /v1/me\x00\xff\xfe%ff HTTP/1.1\r\n" + H + "\r\n").encode("latin-1"),
         "normal", False),
        ("space in method", ("G ET /health HTTP/1.1\r\n" + H + "\r\n").encode(), "normal", False),
        ("obs-fold header", ("GET /health HTTP/1.1\r\n" + H + "X-A: a\r\n folded\r\n\r\n").encode(), "normal", True),
        ("header without colon", ("GET /health HTTP/1.1\r\n" + H + "NoColonHere\r\n\r\n").encode(), "normal", False),
        ("slowloris: half the headers, then silence", (("GET /health HTTP/1.1\r\n" + H + "X-A: 1\r\n").encode(), None),
         "stall", False),
        ("stalled body: announce 1000, send 10", ((logout + "Content-Length: 1000\r\n\r\n").encode() + b'{"refresh_', None),
         "stall", False),
        ("idle connection: nothing sent", (b"", None), "stall", False),
    ]


def read_one_response(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Reads one response with a Content-Length body (the warm-up request of a keep-alive connection)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    m = re.search(rb"(?i)content-length:\s*(\d+)", head)
    need = int(m.group(1)) if m else 0
    while len(rest) < need:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return data


def run_framing_case(ctx: Ctx, case, cap: float, long_cap: float, after_request: bool, row: dict):
    name, payload, mode, tolerate = case
    row.update({"case": name + (" [2nd request]" if after_request else ""), "status": None, "ttfb": None,
                "closed": False, "close_time": None, "verdict": "ok", "note": ""})
    try:
        s = socket.create_connection((ctx.host, ctx.port), timeout=5)
    except OSError as e:
        row.update(verdict="FAIL", note="connect: %r" % e)
        return
    try:
        if after_request:
            try:
                s.sendall(("GET /health HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (ctx.host, ctx.port)).encode())
                warm = read_one_response(s)
                if not warm.startswith(b"HTTP/1.1 200"):
                    row.update(verdict="FAIL", note="warm-up request failed: %r" % warm[:40])
                    return
            except OSError as e:
                row.update(verdict="FAIL", note="warm-up request failed: %r" % e)
                return
        first = payload[0] if isinstance(payload, tuple) else payload
        try:
            if first:
                s.sendall(first)
        except OSError as e:
            row["note"] = "send: %s; " % type(e).__name__
        if mode == "stall":
            data, ttfb, closed, ct = recv_until(s, long_cap)
        else:
            data, ttfb, closed, ct = recv_until(s, cap, quiet_after=3.0)
        status, line, headers, _ = parse_head(data) if data else (None, "", {}, b"")
        row.update(status=status, ttfb=ttfb, closed=closed, close_time=ct, line=line[:60],
                   request_id=headers.get("x-request-id"))
        answered_at = ttfb if ttfb is not None else ct
        if status is not None and status >= 500:
            row.update(verdict="FAIL", note="5xx: %s" % line)
        elif mode == "stall":
            waited = ct if closed else (ttfb if status else None)
            if waited is None:
                row.update(verdict="FAIL", note="no answer and not closed within %.0f s (hang)" % long_cap)
            elif waited > cap and tolerate:
                row["note"] = "closed after %.1f s (an idle keep-alive connection, not a stalled request)" % waited
            elif waited > cap:
                row.update(verdict="FAIL", note="closed only after %.1f s (cap %.0f s)%s" % (
                    waited, cap, (" with " + line) if line else ""))
            elif status not in (None, 408) and not (400 <= (status or 0) < 500):
                row.update(verdict="DEVIATION", note="stalled request answered %s" % line)
            else:
                row["note"] = "closed after %.1f s%s" % (waited, (" with " + line) if line else "")
        elif status is None and not closed:
            row.update(verdict="FAIL", note="no answer and not closed within %.0f s (hang)" % cap)
        else:
            notes = []
            if status is None:
                notes.append("closed without a status line")
            elif not 400 <= status < 500 and not tolerate:
                notes.append("answered %s" % line)
            if answered_at is not None and answered_at > 2.0:
                notes.append("took %.1f s" % answered_at)
            if not closed and not tolerate:
                notes.append("connection kept open")
            if status is not None and "x-request-id" not in headers:
                notes.append("no X-Request-ID")
            if status is not None and 400 <= status and b"{" not in data:
                notes.append("non-JSON error body")
            if notes:
                row.update(verdict="DEVIATION", note="; ".join(notes))
    finally:
        s.close()


def run_framing(ctx: Ctx, cap: float, long_cap: float) -> list:
    jobs = []
    for c in framing_cases(ctx):
        jobs.append((c, False))
        if not c[0].startswith("idle connection"):
            jobs.append((c, True))
    jobs.append((("idle keep-alive connection after a request", (b"", None), "stall", True), True))
    rows = [dict() for _ in jobs]
    threads = [threading.Thread(target=run_framing_case, args=(ctx, c, cap, long_cap, after, rows[i]), daemon=True)
               for i, (c, after) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(long_cap + 20)
    return rows


# --------------------------------------------------------------------------------------------
# Main


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--requests", type=int, default=100_000, help="requests in the campaign (default 100000)")
    p.add_argument("--seconds", type=float, default=0, help="time budget for the campaign (0 = none)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--start", type=int, default=0, help="first request index (to resume or shard)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--timeout", type=float, default=30.0, help="socket timeout per request (a hang)")
    p.add_argument("--max-latency", type=float, default=1.0, help="slowest acceptable request (s)")
    p.add_argument("--max-503-rate", type=float, default=0.001)
    p.add_argument("--max-unechoed-rate", type=float, default=0.0,
                   help="fraction of responses allowed to carry a fresh request id instead of the client's")
    p.add_argument("--max-traffic-mb", type=float, default=1500, help="after this many MB sent, no more large bodies")
    p.add_argument("--skip-known", action="store_true",
                   help="leave out the two known crash/stall families (out-of-range actigraphy settings; "
                        "JSON bodies with >10,000 backslash escapes)")
    p.add_argument("--skip", default="", metavar="FAMILY,…",
                   help="leave out more families of found bugs: invalid-http (requests the HTTP/1 parser rejects: "
                        "unknown methods, control bytes in header values, non-token header names, heads over 80 KB, "
                        "request targets that do not start with '/'), upgrade-header (an Upgrade header on an "
                        "ordinary request), actogram-long-window (GET …/actogram.svg over more than 12 h or all "
                        "data: its cost grows quadratically), roenneberg-short-seed (roenneberg.min_seed_minutes < 2, "
                        "query or job option: crashes the server)")
    p.add_argument("--routes", default="", metavar="REGEX", help="only routes whose label matches (e.g. actigraphy)")
    p.add_argument("--server-pid", type=int, default=0, help="pid of the server (liveness is checked through /proc)")
    p.add_argument("--json", metavar="FILE", help="also write the summary as JSON")
    p.add_argument("--no-framing", action="store_true")
    p.add_argument("--no-ws", action="store_true")
    p.add_argument("--framing-only", action="store_true")
    p.add_argument("--framing-cap", type=float, default=30.0, help="slowest acceptable close of a stalled request")
    p.add_argument("--framing-measure", type=float, default=90.0,
                   help="how long a stalled connection is watched to measure when it is closed")
    p.add_argument("--progress", type=float, default=15.0, help="seconds between progress lines")
    p.add_argument("--replay", type=int, action="append", help="send only request INDEX (repeatable) and print it")
    p.add_argument("--print", dest="print_only", action="store_true", help="with --replay: print, do not send")
    p.add_argument("--prepare", action="store_true", help="seed a fresh server (grants, samples) and exit")
    for role, default in (("patient", "fuzz-patient"), ("patient2", "fuzz-patient2"), ("clinician", "fuzz-clinician"),
                          ("clinician2", "fuzz-clinician2"), ("admin", "fuzz-admin"), ("auditor", "fuzz-auditor"),
                          ("spare", "fuzz-spare")):
        p.add_argument("--" + role, default=default + ":fuzz-password-1234", metavar="USER:PASSWORD")
    return p.parse_args(argv)


def percentile(values, p):
    if not values:
        return 0.0
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    users, passwords = {}, {}
    for role in ("patient", "patient2", "clinician", "clinician2", "admin", "auditor", "spare"):
        u, _, pw = getattr(args, role).partition(":")
        users[role], passwords[role] = u, pw
    ctx = Ctx(args.host, args.port, users, passwords)

    if args.prepare:
        return prepare(ctx)

    summary: dict = {"target": "%s:%d" % (args.host, args.port), "seed": args.seed, "skip_known": args.skip_known}
    failed = False
    if not args.framing_only:
        setup(ctx)
        skip = {f for f in args.skip.split(",") if f} | (KNOWN_FAMILIES if args.skip_known else set())
        unknown = skip - KNOWN_FAMILIES - OTHER_FAMILIES
        if unknown:
            sys.exit("unknown --skip families: %s" % sorted(unknown))
        gen = Generator(ctx, args.seed, skip)
        if args.routes:
            gen.route_filter = re.compile(args.routes)
        summary["skipped_families"] = sorted(skip)
        if args.replay:
            for idx in args.replay:
                req = gen.make(idx)
                print(req.describe(ctx.tokens, limit=2000))
                if not args.print_only:
                    camp = Campaign(args, ctx, gen)
                    out = camp.send([None], req)
                    print("  -> %s %s %.3f s %s\n     %r" % (out.kind, out.status, out.latency,
                                                            out.headers or out.detail, out.body[:600]))
            return 0
        camp = Campaign(args, ctx, gen)
        print("campaign: %d requests, concurrency %d, seed %d%s" % (
            args.requests, args.concurrency, args.seed, ", skipping " + ",".join(sorted(skip)) if skip else ""),
            file=sys.stderr)
        camp.run()
        st = camp.stats
        lat = st.latencies
        crashes = 1 if camp.crash else 0
        # A response that carries a fresh request id instead of the client's (sane) one: tolerated up to
        # --max-unechoed-rate and still reported. CI saw 1 in 100,000 (a GET with a body and a bad token),
        # under investigation (docs/RELIABILITY.md, known gaps).
        unechoed = st.failures.get("request-id-not-echoed", 0)
        if unechoed and unechoed / max(1, st.count) <= args.max_unechoed_rate:
            st.failures.pop("request-id-not-echoed")
            summary["request_id_not_echoed_tolerated"] = unechoed
        n5xx = st.failures.get("5xx", 0)
        shape = st.failures.get("shape", 0) + st.failures.get("missing-x-request-id", 0) + \
            st.failures.get("request-id-not-echoed", 0) + st.failures.get("429-without-retry-after", 0)
        rate503 = st.retry_503 / max(1, st.count)
        if rate503 > args.max_503_rate:
            st.failures["503-rate"] += 1
        summary["campaign"] = {
            "requests": st.count, "elapsed_s": round(camp.elapsed, 1), "crashes": crashes, "5xx": n5xx,
            "shape_violations": shape, "503_with_retry_after": st.retry_503, "503_rate": rate503,
            "max_latency_s": round(max(lat), 4) if lat else 0, "p99_latency_s": round(percentile(lat, 99), 4),
            "p50_latency_s": round(percentile(lat, 50), 4),
            "failures": dict(st.failures), "statuses": {str(k): v for k, v in sorted(st.status.items(), key=str)},
            "routes": dict(sorted(st.routes.items())), "slowest": [
                {"latency_s": round(l, 4), "index": i, "request": d} for l, i, d in sorted(st.slowest, reverse=True)],
            "documented_closes": st.documented_closes, "keepalive_retries": st.retries,
            "slow_but_client_stalled": st.client_stalled_slow,
            "client_stall_max_s": round(max((b - a for a, b in camp.client_stalls), default=0), 3),
            "non_json_error_bodies": {str(k): v for k, v in st.non_json_errors.items()},
            "skipped": dict(gen.skipped), "known_family_sent": dict(st.known_sent),
            "bytes_sent_mb": round(st.bytes_sent / 1e6, 1),
            "failure_signatures": ["%s %s -> %s: %d" % (k[0], k[1], k[2], v) for k, v in st.failure_sigs.most_common(40)],
            "reproducers": st.repro,
            "health_probe_max_s": round(max(camp.health_lat), 3) if camp.health_lat else None,
        }
        coverage = {r: sorted(set(ps) - {p for (rr, p) in gen.params_seen if rr == r}) for r, ps in ROUTE_PARAMS.items()}
        summary["campaign"]["params_not_exercised"] = {r: m for r, m in coverage.items() if m}
        if camp.crash:
            summary["campaign"]["crash"] = {
                "after_requests": camp.crash["after_requests"],
                "suspects": [r.describe(ctx.tokens) for r in camp.crash["suspects"]][:12]}
        if st.failures or crashes:
            failed = True

        if not args.no_ws and not camp.crash:
            ws_rows = []
            run_ws(ctx, ws_rows, st)
            summary["websocket"] = ws_rows
            if any(r["verdict"] in ("FAIL", "VIOLATION") for r in ws_rows):
                failed = True
    if not args.no_framing and not summary.get("campaign", {}).get("crash"):
        rows = run_framing(ctx, args.framing_cap, max(args.framing_cap, args.framing_measure))
        summary["framing"] = rows
        summary["framing_cap"] = args.framing_cap
        if any(r.get("verdict") == "FAIL" for r in rows):
            failed = True
    # the server must still answer
    try:
        status, doc, _ = simple(ctx, "GET", "/health", timeout=10)
        summary["health_after"] = status
    except OSError as e:
        summary["health_after"] = repr(e)
    if summary["health_after"] != 200:
        failed = True
    alive = server_alive(args.server_pid)
    summary["server_alive"] = alive
    if alive is False:
        failed = True
    summary["ok"] = not failed
    print_summary(summary)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2, default=str)
    return 0 if not failed else 1


def print_summary(s: dict):
    out = []
    c = s.get("campaign")
    fr = s.get("framing", [])
    ws = s.get("websocket", [])
    fr_fail = sum(1 for r in fr if r.get("verdict") == "FAIL")
    fr_dev = sum(1 for r in fr if r.get("verdict") == "DEVIATION")
    out.append("=" * 100)
    if c:
        out.append("http-fuzz: %d requests, %d crashes, %d 5xx, %d shape violations, max %.2f s, p99 %.3f s; "
                   "framing: %d cases, %d failures (%d deviations); websocket: %d cases, %d failures" % (
                       c["requests"], c["crashes"], c["5xx"], c["shape_violations"], c["max_latency_s"], c["p99_latency_s"],
                       len(fr), fr_fail, fr_dev, len(ws), sum(1 for r in ws if r["verdict"] in ("FAIL", "VIOLATION"))))
        out.append("  elapsed %.0f s (%.0f req/s), p50 %.3f s, 503+Retry-After %d (%.3f %%), documented 413 closes %d, "
                   "keep-alive retries %d, sent %.0f MB, /health probe max %s s" % (
                       c["elapsed_s"], c["requests"] / max(1, c["elapsed_s"]), c["p50_latency_s"], c["503_with_retry_after"],
                       100 * c["503_rate"], c["documented_closes"], c["keepalive_retries"], c["bytes_sent_mb"],
                       c["health_probe_max_s"]))
        out.append("  client-side stalls: longest %.2f s; %d answers over the limit only because the client itself "
                   "was stalled (not counted)" % (c["client_stall_max_s"], c["slow_but_client_stalled"]))
        out.append("  failures by kind: %s" % (c["failures"] or "none"))
        out.append("  statuses: %s" % ", ".join("%s=%d" % kv for kv in c["statuses"].items()))
        out.append("  routes: " + ", ".join("%s=%d" % kv for kv in c["routes"].items()))
        if c["skipped"]:
            out.append("  regenerated (not sent): %s" % c["skipped"])
        if c["known_family_sent"]:
            out.append("  known-bug families sent: %s" % c["known_family_sent"])
        if c["non_json_error_bodies"]:
            out.append("  4xx/5xx with a non-JSON body (not checked for shape): %s" % c["non_json_error_bodies"])
        if c.get("params_not_exercised"):
            out.append("  query parameters not exercised: %s" % c["params_not_exercised"])
        out.append("  slowest:")
        for x in c["slowest"]:
            out.append("    %.3f s  #%d %s" % (x["latency_s"], x["index"], x["request"][:200]))
        if c.get("crash"):
            out.append("  SERVER CRASHED after %d requests; requests in flight / just before:" % c["crash"]["after_requests"])
            for d in c["crash"]["suspects"]:
                out.append("    " + d.replace("\n", "\n    "))
        if c["failure_signatures"]:
            out.append("  failure signatures (kind route -> status: count):")
            for sig in c["failure_signatures"][:25]:
                out.append("    " + sig)
        if c["reproducers"]:
            out.append("  first %d failures (re-send one with: fuzz.py --port P --seed %s%s --replay INDEX; fixture ids "
                       "differ between servers):" % (len(c["reproducers"]), s.get("seed"),
                                                     (" --skip " + ",".join(s["skipped_families"]))
                                                     if s.get("skipped_families") else ""))
            for r in c["reproducers"]:
                out.append("    " + r.replace("\n", "\n    "))
    if ws:
        out.append("  websocket handshakes:")
        for r in ws:
            out.append("    %-30s %-5s %-9s closed=%-5s %s" % (r["case"], r["status"], r["verdict"], r["closed"],
                                                             (r["note"] or "")[:110]))
    if fr:
        out.append("  framing (a stalled request must be closed within %s s):" % s.get("framing_cap", 30))
        out.append("    %-56s %-6s %-8s %-7s %-8s %-9s %s" % ("case", "status", "ttfb_s", "closed", "close_s", "verdict", "note"))
        for r in fr:
            out.append("    %-56s %-6s %-8s %-7s %-8s %-9s %s" % (
                r.get("case", "?")[:56], r.get("status"), "%.3f" % r["ttfb"] if r.get("ttfb") is not None else "-",
                r.get("closed"), "%.2f" % r["close_time"] if r.get("close_time") is not None else "-", r.get("verdict"),
                (r.get("note") or "")[:90]))
    out.append("  server: /health after the campaign -> %s; process alive: %s" % (s.get("health_after"), s.get("server_alive")))
    out.append("RESULT: %s" % ("PASS" if s.get("ok") else "FAIL"))
    out.append("=" * 100)
    print("\n".join(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
