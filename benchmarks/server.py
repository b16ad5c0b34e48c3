"""Load test of `tieng serve` over loopback, bounded in time, with an asynchronous client
(httpx.AsyncClient) on the same machine.

For each payload (one sentence and fifty sentences, with 64 connections; a batch of 1,000
sentences, with words and offsets and with `text_only`, with 4 connections) the client keeps
its requests in flight for --seconds and reports requests/s, syllables/s, p50/p99 latency,
errors, the server's RSS before and after (memory should stay flat), and the CPU time a
request costs the server and the client: they share the machine's cores, so what the
server alone could serve is about one request per its CPU time.
With --tag the payloads go to /v1/tag (words with their parts of speech) instead.
Usage: python benchmarks/server.py [--seconds 30] [--connections 64] [--workers 1] [--tag]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time

import httpx

SENTENCE = "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm trong năm tới."
SYLLABLES = len(SENTENCE.split())


def rss_mb(pid: int) -> float:
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(x.split()[1]) for x in f if x.startswith("VmRSS:"))
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, StopIteration):
            pass
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its children that exited."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in fields[11:15]) / ticks  # utime stime cutime cstime


async def load(url: str, body: dict, seconds: float, connections: int, path: str = "/v1/segment"):
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        stop = time.perf_counter() + seconds

        async def worker():
            nonlocal errors
            while time.perf_counter() < stop:
                t = time.perf_counter()
                try:
                    r = await client.post(path, json=body)
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - t)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - t0
    return latencies, errors, elapsed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument(
        "--tag", action="store_true", help="the same payloads to /v1/tag (parts of speech)"
    )
    args = p.parse_args()
    path = "/v1/tag" if args.tag else "/v1/segment"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "tieng", "serve", "--port", str(port), "--no-access-log"]
    server = subprocess.Popen([*cmd, "--workers", str(args.workers)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}; server workers: {args.workers}; {path}")  # fmt: skip
        batch = [SENTENCE] * 1000
        cases = [
            ("1 sentence", 1, {"text": SENTENCE}, args.connections),
            ("50 sentences", 50, {"text": " ".join([SENTENCE] * 50)}, args.connections),
            # Batches: a few connections, as a batch client would use (the service takes
            # --in-flight requests at once; more would only queue).
            ("1,000-sentence batch, words and offsets", 1000, {"texts": batch}, 4),
            ("1,000-sentence batch, text_only", 1000, {"texts": batch, "text_only": True}, 4),
        ]
        for name, n, body, connections in cases:
            asyncio.run(load(url, body, 2, connections, path))  # warm-up
            before = rss_mb(server.pid)
            cpu0, own0 = cpu_seconds(server.pid), time.process_time()
            lat, errors, elapsed = asyncio.run(load(url, body, args.seconds, connections, path))
            cpu = cpu_seconds(server.pid) - cpu0
            own = time.process_time() - own0
            after = rss_mb(server.pid)
            lat.sort()
            rps = len(lat) / elapsed
            print(
                f"{name}: {len(lat)} requests in {elapsed:.1f} s = {rps:,.0f} req/s "
                f"({rps * n * SYLLABLES:,.0f} syllables/s), p50 "
                f"{statistics.median(lat) * 1000:.1f} ms, p99 "
                f"{lat[int(0.99 * (len(lat) - 1))] * 1000:.1f} ms, errors {errors}, "
                f"server RSS {before:.0f} -> {after:.0f} MB; CPU a request: server "
                f"{cpu / max(len(lat), 1) * 1000:.1f} ms, "
                f"client {own / max(len(lat), 1) * 1000:.1f} ms",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
