#!/usr/bin/env python3
"""Load test for /v1/stream: N WebSocket connections subscribed to one subject, steady ingestion, and
   the numbers issue 7 asks for: connections held, server resident memory per idle connection, and
   fan-out latency from the ingest request (so its commit included) to receipt by each client, p50/p99.

   Usage: python tools/stream_load.py --url http://127.0.0.1:18095 --pid SERVER_PID --user U --password P \
            [--connections 10000] [--batches 20] [--rate 2]
   The server needs VIGIL_STREAM_MAX_CONNECTIONS ≥ connections and both processes a high `ulimit -n`.
   Needs: pip install websockets. Client-side costs (one Python process receiving every message) are
   included in the latency; the numbers are an upper bound for the server's own fan-out time.
"""
import argparse
import asyncio
import json
import os
import statistics
import time
import urllib.request
import uuid

import websockets


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_ms(pid):
    """User + system CPU time of the server so far, in milliseconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def post(url, path, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request) as response:
        return json.load(response)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:18095")
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2.0, help="batches per second")
    args = parser.parse_args()
    token = post(args.url, "/v1/auth/token", {"username": args.user, "password": args.password})["access_token"]
    ws_url = args.url.replace("http://", "ws://") + "/v1/stream"

    received = {}  # cursor -> list of receipt times
    ready = 0
    sockets = []

    async def connect(index):
        nonlocal ready
        for attempt in range(5):
            try:
                ws = await websockets.connect(ws_url, additional_headers={"Authorization": f"Bearer {token}"},
                                              open_timeout=60, ping_interval=None, max_queue=None)
                break
            except Exception:
                await asyncio.sleep(0.5 * (attempt + 1))
        else:
            return
        await ws.send(json.dumps({"type": "subscribe", "subject": args.user}))
        sockets.append(ws)
        async for message in ws:
            now = time.monotonic()
            event = json.loads(message)
            if event.get("type") == "subscribed":
                ready += 1
            elif event.get("type") == "sample":
                received.setdefault(event["cursor"], []).append(now)

    baseline = rss_kib(args.pid)
    started = time.monotonic()
    tasks = []
    for start in range(0, args.connections, 500):
        tasks += [asyncio.create_task(connect(i)) for i in range(start, min(start + 500, args.connections))]
        await asyncio.sleep(0.2)
    while ready < args.connections and time.monotonic() - started < 300:
        await asyncio.sleep(0.5)
    connected = ready
    await asyncio.sleep(3)  # let the server settle before measuring
    held = rss_kib(args.pid)
    print(json.dumps({"connections_requested": args.connections, "connections_subscribed": connected,
                      "connect_seconds": round(time.monotonic() - started, 1),
                      "server_rss_before_kib": baseline, "server_rss_held_kib": held,
                      "kib_per_idle_connection": round((held - baseline) / max(connected, 1), 2)}))

    committed = {}
    cpu_before = cpu_ms(args.pid)
    for batch in range(args.batches):
        samples = [{"uuid": str(uuid.uuid4()), "type": "heart_rate", "value": 60 + batch % 40, "unit": "count/min",
                    "start": f"2026-11-20T{(batch // 60) % 24:02d}:{batch % 60:02d}:00Z"}]
        before = time.monotonic()
        post(args.url, f"/v1/subjects/{args.user}/samples", {"samples": samples}, token)
        committed[batch] = before  # the request starts the clock: latency includes the commit
        await asyncio.sleep(max(0, 1 / args.rate - (time.monotonic() - before)))
    await asyncio.sleep(10)
    server_cpu = cpu_ms(args.pid) - cpu_before
    cursors = sorted(received)[-args.batches:]
    latencies = []
    for batch, cursor in enumerate(cursors):
        latencies += [(t - committed[batch]) * 1000 for t in received[cursor]]
    latencies.sort()
    deliveries = len(latencies)
    print(json.dumps({"batches": args.batches, "deliveries": deliveries,
                      "expected_deliveries": args.batches * connected,
                      "fanout_p50_ms": round(latencies[deliveries // 2], 1) if latencies else None,
                      "fanout_p99_ms": round(latencies[int(deliveries * 0.99)], 1) if latencies else None,
                      "fanout_max_ms": round(latencies[-1], 1) if latencies else None,
                      "server_cpu_ms_during_fanout": round(server_cpu, 1),
                      "server_cpu_us_per_delivery": round(server_cpu * 1000 / max(deliveries, 1), 2)}))
    for ws in sockets:
        await ws.close()
    for task in tasks:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
