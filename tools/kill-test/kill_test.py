#!/usr/bin/env python3
"""Crash-durability test for Vigil: SIGKILL the real server while several connections ingest.

Runs the real `vigil` binary, ingests batches of heart_rate samples from several connections, kills
the server with SIGKILL at random moments (--kills times), restarts it on the same database, and at
the end checks through the HTTP API that

  (a) every sample of every batch answered `200` is stored, with the value and start that were sent;
  (b) no batch is partially stored (a batch without a `200` is either all there or not there at all);
  (c) nothing is stored that was never sent;

then stops the server (SIGTERM) and requires `vigil audit verify` to exit 0 with only "ok" lines.
Re-sent acknowledged batches must be answered `200` with every sample counted as a duplicate.

Python >= 3.11, standard library only. See README.md next to this file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

JWT_SECRET = "kill-test-jwt-secret-0123456789-abcdefghij"  # >= 32 bytes, fixed: tokens survive restarts
OFFSETS = [dt.timezone.utc, dt.timezone(dt.timedelta(hours=1)), dt.timezone(dt.timedelta(hours=-5)),
           dt.timezone(dt.timedelta(hours=5, minutes=30))]
START_BASE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
MAX_VIOLATIONS_SHOWN = 20


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------------------------------
# Bookkeeping


@dataclass
class Batch:
    index: int
    cycle: int
    worker: int
    request_id: str
    body: bytes
    samples: list[tuple[str, str, float]]  # (UUID upper-case, start as sent, value as sent)
    outcome: str = "pending"  # "ack" (200), "status" (another status), "no_answer" (connection error)
    status: int | None = None
    detail: str = ""


@dataclass
class Ledger:
    lock: threading.Lock = field(default_factory=threading.Lock)
    batches: list[Batch] = field(default_factory=list)
    acked: list[int] = field(default_factory=list)  # indices of acknowledged batches (for re-sends)
    resends_ok: int = 0
    resends_no_answer: int = 0
    violations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    next_start: int = 0

    def starts(self, n: int) -> int:
        with self.lock:
            first = self.next_start
            self.next_start += n
            return first

    def add(self, batch: Batch) -> None:
        with self.lock:
            batch.index = len(self.batches)
            self.batches.append(batch)

    def violation(self, text: str) -> None:
        with self.lock:
            self.violations.append(text)

    def warning(self, text: str) -> None:
        with self.lock:
            self.warnings.append(text)


# --------------------------------------------------------------------------------------------------
# The server process


class Harness:
    def __init__(self, args: argparse.Namespace, workdir: str, database: str) -> None:
        self.args = args
        self.workdir = workdir
        self.database = database
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
        self.env.update({
            "VIGIL_DATABASE_URL": database,
            "VIGIL_DATA_DIR": os.path.join(workdir, "data"),
            "VIGIL_JWT_SECRET": JWT_SECRET,
            "VIGIL_ENV": "test",
            "VIGIL_BCRYPT_COST": "4",
            "VIGIL_LOG_LEVEL": args.log_level,
            "VIGIL_HOST": "127.0.0.1",
        })
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.run_no = 0
        self.out_path = self.err_path = ""

    def cli(self, argv: list[str], stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([self.args.vigil, *argv], input=stdin, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def start(self) -> None:
        self.run_no += 1
        self.port = free_port()
        env = dict(self.env, VIGIL_PORT=str(self.port))
        self.out_path = os.path.join(self.workdir, f"serve-{self.run_no:03d}.out")
        self.err_path = os.path.join(self.workdir, f"serve-{self.run_no:03d}.err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([self.args.vigil, "serve"], env=env, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err)
        deadline = time.monotonic() + self.args.startup_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Fatal(f"the server exited with status {self.proc.returncode} while starting "
                            f"(run {self.run_no})\n{self.tails()}")
            try:
                status, body = self.request("GET", "/health", timeout=2)
                if status == 200:
                    return
                last = f"{status} {body[:200]!r}"
            except (OSError, http.client.HTTPException) as error:
                last = repr(error)
            time.sleep(0.05)
        self.kill()
        raise Fatal(f"the server did not answer GET /health with 200 within {self.args.startup_timeout} s "
                    f"(last: {last}; run {self.run_no})\n{self.tails()}")

    def request(self, method: str, path: str, body: bytes | None = None, token: str | None = None,
                timeout: float = 30) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def login(self, username: str, password: str) -> str:
        body = json.dumps({"username": username, "password": password}).encode()
        status, data = self.request("POST", "/v1/auth/token", body)
        if status != 200:
            raise Fatal(f"login as {username} answered {status}: {data[:300]!r}")
        return json.loads(data)["access_token"]

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=60)

    def terminate(self, timeout: float = 60) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Fatal(f"the server did not stop within {timeout} s of SIGTERM\n{self.tails()}")

    def tails(self, lines: int = 30) -> str:
        parts = []
        for label, path in (("stderr", self.err_path), ("stdout", self.out_path)):
            try:
                with open(path, errors="replace") as f:
                    text = f.read().splitlines()[-lines:]
            except OSError:
                text = []
            parts.append(f"--- server {label} ({path}), last {len(text)} lines:\n" + "\n".join(text))
        return "\n".join(parts)


class Fatal(Exception):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------------
# Ingestion


def make_batch(rng: random.Random, ledger: Ledger, cycle: int, worker: int, n: int, max_size: int) -> Batch:
    roll = rng.random()
    size = 1 if roll < 0.15 else max_size if roll < 0.35 else rng.randint(1, max_size)
    first = ledger.starts(size)
    samples, wire = [], []
    for k in range(size):
        u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        sample_uuid = u.upper() if rng.random() < 0.5 else u  # uuids compare case-insensitively
        start = (START_BASE + dt.timedelta(seconds=first + k)).astimezone(rng.choice(OFFSETS))
        start_text = start.isoformat()
        value = round(rng.uniform(20, 300), rng.choice([0, 1, 2]))
        if value == int(value) and rng.random() < 0.5:
            value = int(value)
        wire.append({"uuid": sample_uuid, "type": "heart_rate", "start": start_text, "value": value,
                     "unit": rng.choice(["count/min", "bpm"]),
                     "source": {"name": "kill-test", "device": f"worker{worker}"}})
        samples.append((u.upper(), start_text, float(value)))
    request_id = f"kill-c{cycle}-w{worker}-{n}"
    return Batch(-1, cycle, worker, request_id, json.dumps({"samples": wire}).encode(), samples)


def worker_loop(h: Harness, ledger: Ledger, subject: str, token: str, cycle: int, worker: int, seed: int,
                stop: threading.Event, resend_probability: float) -> None:
    rng = random.Random(seed)
    path = f"/v1/subjects/{subject}/samples"
    conn: http.client.HTTPConnection | None = None
    n = 0
    while not stop.is_set():
        resend: Batch | None = None
        with ledger.lock:
            if ledger.acked and rng.random() < resend_probability:
                resend = ledger.batches[rng.choice(ledger.acked)]
        if resend is None:
            batch = make_batch(rng, ledger, cycle, worker, n, h.args.batch_size)
            ledger.add(batch)
            body, request_id = batch.body, batch.request_id
        else:
            body, request_id = resend.body, f"kill-c{cycle}-w{worker}-{n}-resend-{resend.index}"
        n += 1
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", h.port, timeout=h.args.request_timeout)
            conn.request("POST", path, body=body, headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {token}", "X-Request-ID": request_id})
            response = conn.getresponse()
            status, data = response.status, response.read()
            if response.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as error:
            if conn is not None:
                conn.close()
                conn = None
            if resend is None:
                batch.outcome, batch.detail = "no_answer", f"{type(error).__name__}: {error}"
            else:
                with ledger.lock:
                    ledger.resends_no_answer += 1
            if not stop.is_set():
                time.sleep(0.005)
            continue
        try:
            answer = json.loads(data) if data else {}
        except ValueError:
            answer = {"unparsable": data[:200].decode(errors="replace")}
        if resend is not None:
            expected = {"accepted": 0, "duplicates": len(resend.samples)}
            if status != 200 or {k: answer.get(k) for k in expected} != expected:
                ledger.violation(f"re-send of acknowledged batch #{resend.index} ({request_id}) answered {status} "
                                 f"{json.dumps(answer)[:300]}, expected 200 {json.dumps(expected)}")
            else:
                with ledger.lock:
                    ledger.resends_ok += 1
            continue
        batch.status = status
        if status == 200:
            expected = {"accepted": len(batch.samples), "duplicates": 0}
            if {k: answer.get(k) for k in expected} != expected:
                ledger.violation(f"batch #{batch.index} ({request_id}) answered 200 {json.dumps(answer)[:300]}, "
                                 f"expected {json.dumps(expected)}")
            batch.outcome = "ack"
            with ledger.lock:
                ledger.acked.append(batch.index)
        else:
            batch.outcome, batch.detail = "status", json.dumps(answer)[:300]
    if conn is not None:
        conn.close()


def run_cycle(h: Harness, ledger: Ledger, subject: str, password: str, cycle: int, rng: random.Random) -> dict:
    h.start()
    token = h.login(subject, password)
    before = len(ledger.batches)
    stop = threading.Event()
    threads = [threading.Thread(target=worker_loop, daemon=True, name=f"worker-{w}",
                                args=(h, ledger, subject, token, cycle, w, rng.getrandbits(64), stop,
                                      h.args.resend_probability))
               for w in range(h.args.connections)]
    delay = rng.uniform(h.args.min_delay, h.args.max_delay)
    for t in threads:
        t.start()
    time.sleep(delay)
    crashed = h.proc.poll()
    if crashed is not None:
        stop.set()
        raise Fatal(f"cycle {cycle}: the server exited by itself (status {crashed}) before the kill\n{h.tails()}")
    h.proc.send_signal(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join(timeout=h.args.request_timeout + 30)
        if t.is_alive():
            raise Fatal(f"cycle {cycle}: {t.name} still busy long after the kill")
    status = h.proc.wait(timeout=60)
    if status != -signal.SIGKILL:
        ledger.warning(f"cycle {cycle}: server exit status {status}, expected -9 (SIGKILL)")
    batches = ledger.batches[before:]
    counts = {k: sum(1 for b in batches if b.outcome == k) for k in ("ack", "status", "no_answer", "pending")}
    if counts["pending"]:
        raise Fatal(f"cycle {cycle}: {counts['pending']} batches without an outcome (internal error)")
    return {"delay": delay, **counts}


# --------------------------------------------------------------------------------------------------
# Read back and check


def read_all(h: Harness, subject: str, token: str) -> tuple[dict[str, dict], int]:
    stored: dict[str, dict] = {}
    duplicates_in_listing = 0
    cursor = None
    pages = 0
    while True:
        query = {"limit": "1000"}
        if cursor:
            query["cursor"] = cursor
        status, data = h.request("GET", f"/v1/subjects/{subject}/samples?{urllib.parse.urlencode(query)}",
                                 token=token, timeout=120)
        if status != 200:
            raise Fatal(f"reading samples (page {pages + 1}) answered {status}: {data[:300]!r}")
        page = json.loads(data)
        pages += 1
        for sample in page["samples"]:
            key = sample["uuid"].upper()
            if key in stored:
                duplicates_in_listing += 1
            stored[key] = sample
        cursor = page.get("next_cursor")
        if not cursor:
            return stored, duplicates_in_listing
        if pages > 100_000:
            raise Fatal("more than 100,000 pages: the cursor does not advance")


def same_start(sent: str, returned: str) -> bool:
    try:
        a = dt.datetime.fromisoformat(sent)
        b = dt.datetime.fromisoformat(returned.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return a == b and a.utcoffset() == b.utcoffset()


def check(ledger: Ledger, stored: dict[str, dict]) -> dict:
    sent: set[str] = set()
    result = {"acked": 0, "acked_samples": 0, "unacked": 0, "unacked_full": 0, "unacked_absent": 0,
              "unacked_partial": 0, "other_status": 0}

    def content_ok(batch: Batch) -> bool:
        ok = True
        for u, start, value in batch.samples:
            s = stored.get(u)
            if s is None:
                continue
            problems = []
            if s.get("type") != "heart_rate":
                problems.append(f"type {s.get('type')!r}")
            if not isinstance(s.get("value"), (int, float)) or abs(s["value"] - value) > 1e-6:
                problems.append(f"value {s.get('value')!r} (sent {value})")
            if s.get("unit") not in (None, "count/min"):
                problems.append(f"unit {s.get('unit')!r}")
            if not same_start(start, str(s.get("start"))):
                problems.append(f"start {s.get('start')!r} (sent {start})")
            if problems:
                ok = False
                ledger.violation(f"batch #{batch.index} ({batch.request_id}): sample {u} stored with " + ", ".join(problems))
        return ok

    for batch in ledger.batches:
        uuids = [u for u, _, _ in batch.samples]
        sent.update(uuids)
        present = [u for u in uuids if u in stored]
        if batch.outcome == "ack":
            result["acked"] += 1
            result["acked_samples"] += len(uuids)
            if len(present) != len(uuids):
                missing = [u for u in uuids if u not in stored]
                ledger.violation(f"LOST: batch #{batch.index} ({batch.request_id}, cycle {batch.cycle}) got 200 but "
                                 f"{len(missing)} of {len(uuids)} samples are missing: {missing[:5]}")
            content_ok(batch)
            continue
        result["unacked"] += 1
        if batch.outcome == "status":
            result["other_status"] += 1
        if not present:
            result["unacked_absent"] += 1
        elif len(present) == len(uuids):
            result["unacked_full"] += 1
            content_ok(batch)
            if batch.outcome == "status":
                text = (f"batch #{batch.index} ({batch.request_id}) answered {batch.status} {batch.detail} "
                        f"but is stored")
                (ledger.violation if batch.status is not None and batch.status < 500 else ledger.warning)(text)
        else:
            result["unacked_partial"] += 1
            absent = [u for u in uuids if u not in stored]
            ledger.violation(f"PARTIAL: batch #{batch.index} ({batch.request_id}, cycle {batch.cycle}, "
                             f"{batch.outcome} {batch.status or ''} {batch.detail}) has {len(present)} of "
                             f"{len(uuids)} samples: present {present[:3]}, absent {absent[:3]}")
    unknown = [u for u in stored if u not in sent]
    if unknown:
        ledger.violation(f"{len(unknown)} stored samples were never sent: {unknown[:5]}")
    return result


# --------------------------------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vigil", required=True, help="the vigil executable")
    p.add_argument("--database", help="sqlite:PATH or postgres://… URL of a database the test may use freely "
                                      "(default: a fresh SQLite file in a temporary directory)")
    p.add_argument("--kills", type=int, default=20, help="SIGKILLs to deliver (default 20)")
    p.add_argument("--min-kills", type=int, default=None,
                   help="fewer kills than this within the time budget is a failure (default 20, at most --kills)")
    p.add_argument("--connections", type=int, default=6, help="concurrent ingesting connections (default 6)")
    p.add_argument("--batch-size", type=int, default=50, help="largest batch; sizes 1…B are mixed (default 50)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    p.add_argument("--seconds", type=float, default=180, help="time budget for the kill cycles (default 180)")
    p.add_argument("--min-delay", type=float, default=0.2, help="shortest time from load start to SIGKILL (s)")
    p.add_argument("--max-delay", type=float, default=1.5, help="longest time from load start to SIGKILL (s)")
    p.add_argument("--resend-probability", type=float, default=0.05,
                   help="chance that a request re-sends an acknowledged batch (default 0.05)")
    p.add_argument("--startup-timeout", type=float, default=60, help="wait for GET /health (s, default 60)")
    p.add_argument("--request-timeout", type=float, default=30, help="socket timeout per request (s)")
    p.add_argument("--log-level", default="error", help="VIGIL_LOG_LEVEL for the server (default error)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (kept anyway on failure)")
    args = p.parse_args()
    if args.min_kills is None:
        args.min_kills = min(20, args.kills)
    if not (1 <= args.batch_size <= 10_000) or args.connections < 1 or args.kills < 1:
        p.error("--batch-size must be 1…10000, --connections and --kills at least 1")
    if not os.access(args.vigil, os.X_OK):
        p.error(f"--vigil {args.vigil}: not an executable")
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), "big")

    began = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="vigil-kill-test-")
    database = args.database or f"sqlite:{os.path.join(workdir, 'vigil.sqlite')}"
    backend = "sqlite" if database.startswith("sqlite:") else "postgresql"
    shown_db = urllib.parse.urlsplit(database)._replace(netloc=urllib.parse.urlsplit(database).netloc.split("@")[-1]).geturl() \
        if backend == "postgresql" else database
    log(f"kill-test: seed {args.seed}, {backend} {shown_db}, {args.kills} kills, {args.connections} connections, "
        f"batches of 1…{args.batch_size}, budget {args.seconds:g} s, logs in {workdir}")

    rng = random.Random(args.seed)
    h = Harness(args, workdir, database)
    ledger = Ledger()
    subject = f"kill-{os.urandom(5).hex()}"  # unique: a database may be reused
    password = f"kill test password {os.urandom(6).hex()}"
    kills = 0
    failure = None
    try:
        added = h.cli(["users", "add", "--username", subject, "--role", "patient"], stdin=password + "\n")
        if added.returncode != 0:
            raise Fatal(f"vigil users add exited {added.returncode}: {added.stdout}{added.stderr}")
        cycle_times: list[float] = []
        while kills < args.kills:
            elapsed = time.monotonic() - began
            typical = max(cycle_times) if cycle_times else 0
            if elapsed + typical > args.seconds:
                log(f"kill-test: time budget of {args.seconds:g} s spent after {kills} kills")
                break
            t0 = time.monotonic()
            c = run_cycle(h, ledger, subject, password, kills + 1, rng)
            kills += 1
            cycle_times.append(time.monotonic() - t0)
            log(f"  kill {kills:3d} after {c['delay']:.2f} s of load: {c['ack']} batches acknowledged, "
                f"{c['no_answer']} without answer, {c['status']} other status")

        # Restart once more and read everything back.
        h.start()
        token = h.login(subject, password)
        stored, listed_twice = read_all(h, subject, token)
        if listed_twice:
            ledger.violation(f"{listed_twice} samples listed more than once by the paged query")
        stop_status = h.terminate()
        if stop_status != 0:
            ledger.warning(f"the server exited {stop_status} after SIGTERM")
        result = check(ledger, stored)

        verify = h.cli(["audit", "verify"])
        lines = [line for line in verify.stdout.splitlines() if line.strip()]
        audit_ok = verify.returncode == 0 and lines and all(line.startswith("ok") for line in lines)
        if not audit_ok:
            ledger.violation(f"vigil audit verify exited {verify.returncode}: {verify.stdout.strip()} "
                             f"{verify.stderr.strip()[-2000:]}")
        else:
            log("  audit verify: " + "; ".join(lines))
        if kills < args.min_kills:
            ledger.violation(f"only {kills} kills within the {args.seconds:g} s budget (--min-kills {args.min_kills})")
        if result["acked"] == 0:
            ledger.violation("no batch was acknowledged: the test proved nothing")
    except Fatal as error:
        failure = str(error)
        result = None
        audit_ok = False
    except subprocess.TimeoutExpired as error:
        failure = f"timed out: {error}"
        result = None
        audit_ok = False
    finally:
        if h.proc and h.proc.poll() is None:
            h.proc.kill()
            h.proc.wait()

    duration = time.monotonic() - began
    for w in ledger.warnings[:MAX_VIOLATIONS_SHOWN]:
        log(f"warning: {w}")
    for v in ledger.violations[:MAX_VIOLATIONS_SHOWN]:
        log(f"VIOLATION: {v}")
    if len(ledger.violations) > MAX_VIOLATIONS_SHOWN:
        log(f"… and {len(ledger.violations) - MAX_VIOLATIONS_SHOWN} more violations")
    if failure:
        log(f"ERROR: {failure}")
        log(f"kill-test: FAILED after {kills} kills: {failure.splitlines()[0]} ({backend}, {duration:.1f} s, "
            f"seed {args.seed}, logs in {workdir})")
        return 1
    r = result
    ok = not ledger.violations
    line = (f"{kills} kills survived, {r['acked']} batches acknowledged ({r['acked_samples']} samples) "
            f"{'all present' if ok else 'checked'}, {r['unacked']} unacknowledged batches: {r['unacked_full']} fully "
            f"present, {r['unacked_absent']} absent, {r['unacked_partial']} partial "
            f"({r['other_status']} answered another status); {ledger.resends_ok} re-sent batches all duplicates; "
            f"audit verify {'ok' if audit_ok else 'FAILED'} ({backend}, {duration:.1f} s, seed {args.seed})")
    if ok:
        log(f"kill-test: {line}")
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        return 0
    log(f"kill-test: FAILED ({len(ledger.violations)} violations): {line}; logs in {workdir}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
