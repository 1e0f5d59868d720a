"""Load against a running server: does it answer fast or shed, never fail?

    python bench/load.py [--url http://127.0.0.1:8765] [--concurrency 64] [--seconds 20]
                         [--path /api/ask] [--api-key KEY] [--max-p99 1.0] [--polite]
    python bench/load.py --idle 5000 [--trickle]

With --idle N: open N connections that send nothing (or, with --trickle, a request line and
then one header byte a second: slowloris), then ask /api/health on a fresh connection every
half second while they stay open; prints its latency and how many of the N the server closed.
Exit status 1 when a health check took more than 1 s or failed. The client needs N file
descriptors (ulimit -n).

Closed loop: `concurrency` clients each send a question (the dev set, in turn, so answers are
not all cache hits), wait for the reply and send the next at once, for `seconds`; a 503 is
counted and the client goes on at once, or with --polite waits its Retry-After first (what the
OpenAI client and browsers do). Prints the answered requests' latency percentiles, throughput,
and how many got 503 (with or without Retry-After), 500 or anything else. Exit status 1 when a
request got a 5xx other than 503, or the answered p99 is above --max-p99 seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tests" / "data" / "dev_questions.jsonl"


@dataclass
class Tally:
    """What the clients saw."""

    answered: list[float] = field(default_factory=list)
    inside: list[float] = field(default_factory=list)  # the app's own time (Server-Timing app)
    shed: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    retry_after: int = 0
    errors: Counter[str] = field(default_factory=Counter)


def questions(path: Path) -> list[str]:
    """The questions of a JSONL question file."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line)["question"] for line in f if line.strip()]


def body_for(path: str, question: str) -> dict[str, Any]:
    if path.startswith("/v1/"):
        return {"model": "plan-rag", "messages": [{"role": "user", "content": question}]}
    return {"question": question}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values; nan when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


class Connection:
    """One kept-alive HTTP/1.1 connection speaking just enough of the protocol for this bench:
    a fraction of httpx's CPU, which matters when client and server share two cores."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, dict[str, str]]:
        if self.writer is None or self.reader is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{self.extra}\r\n"
        )
        self.writer.write(head.encode() + body)
        try:
            status_line = await self.reader.readuntil(b"\r\n")
            raw = await self.reader.readuntil(b"\r\n\r\n")
            headers = {}
            for line in raw.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if value:
                    headers[name.strip().lower()] = value.strip()
            await self.reader.readexactly(int(headers.get("content-length", "0")))
        except (asyncio.IncompleteReadError, ConnectionError):
            self.writer.close()
            self.writer = None
            raise
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        return int(status_line.split()[1]), headers


async def client(
    conn: Connection,
    path: str,
    asked: list[str],
    start: int,
    until: float,
    tally: Tally,
    polite: bool,
) -> None:
    n = start
    while time.monotonic() < until:
        body = json.dumps(body_for(path, asked[n % len(asked)])).encode()
        n += 1
        began = time.perf_counter()
        try:
            status, headers = await conn.post(path, body)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            tally.errors[type(exc).__name__] += 1
            continue
        took = time.perf_counter() - began
        tally.statuses[status] += 1
        if status == 200:
            tally.answered.append(took)
            app = re.search(r"app;dur=([\d.]+)", headers.get("server-timing", ""))
            if app:
                tally.inside.append(float(app.group(1)) / 1000)
        elif status == 503:
            tally.shed.append(took)
            tally.retry_after += "retry-after" in headers
            if polite:
                await asyncio.sleep(float(headers.get("retry-after", "1")))


async def run(args: argparse.Namespace) -> Tally:
    asked = questions(args.questions)
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    host, _, port = args.url.removeprefix("http://").partition(":")
    async with httpx.AsyncClient(base_url=args.url, headers=headers) as http:
        health = await http.get("/api/health")
        health.raise_for_status()
        for _ in range(4):  # warm-up, not counted
            await http.post(args.path, json=body_for(args.path, asked[0]))
    conns = [Connection(host, int(port or 80), headers) for _ in range(args.concurrency)]
    tally = Tally()
    until = time.monotonic() + args.seconds
    step = max(1, len(asked) // args.concurrency)
    await asyncio.gather(
        *(
            client(conn, args.path, asked, i * step, until, tally, args.polite)
            for i, conn in enumerate(conns)
        )
    )
    for conn in conns:
        if conn.writer is not None:
            conn.writer.close()
    return tally


async def idle(args: argparse.Namespace) -> int:
    """N idle (or trickling) connections, and /api/health timed on a fresh one meanwhile."""
    host, _, port = args.url.removeprefix("http://").partition(":")
    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    began = time.monotonic()
    for first in range(0, args.idle, 500):
        batch = await asyncio.gather(
            *(
                asyncio.open_connection(host, int(port or 80))
                for _ in range(first, min(first + 500, args.idle))
            ),
            return_exceptions=True,
        )
        opened += [b for b in batch if not isinstance(b, BaseException)]
    failed_to_open = args.idle - len(opened)
    print(
        f"opened {len(opened)} idle connections in {time.monotonic() - began:.1f} s "
        f"({failed_to_open} failed to open)"
    )
    if args.trickle:
        for _, writer in opened:
            writer.write(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
    checks: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=args.url, timeout=10) as http:
        for _ in range(int(args.seconds * 2)):
            t = time.perf_counter()
            try:
                r = await http.get("/api/health", headers={"Connection": "close"})
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            checks.append(time.perf_counter() - t)
            errors += not ok
            if args.trickle:
                for _, writer in opened:
                    if not writer.is_closing():
                        writer.write(b"X")
            await asyncio.sleep(0.5)
    closed = 0
    for reader, _ in opened:
        try:
            data = await asyncio.wait_for(reader.read(1024), 0.001)
            closed += data == b"" or data.startswith(b"HTTP/1.1 408")
        except ConnectionError:
            closed += 1
        except TimeoutError:
            pass
    for _, writer in opened:
        writer.close()
    print(
        f"/api/health during it: {len(checks)} checks, {errors} failed, "
        f"p50 {percentile(checks, 50) * 1000:.0f} ms, max {max(checks) * 1000:.0f} ms; "
        f"the server closed {closed} of the {len(opened)} idle connections"
    )
    return 1 if errors or max(checks) > 1.0 else 0


def report(tally: Tally, args: argparse.Namespace) -> int:
    total = sum(tally.statuses.values()) + sum(tally.errors.values())
    ans = tally.answered
    server_errors = sum(n for code, n in tally.statuses.items() if code >= 500 and code != 503)
    print(f"{args.path} at concurrency {args.concurrency} for {args.seconds:g} s: {total} requests")
    print(
        f"  answered {len(ans)} ({len(ans) / args.seconds:.1f}/s): "
        f"p50 {percentile(ans, 50) * 1000:.0f} ms, p95 {percentile(ans, 95) * 1000:.0f} ms, "
        f"p99 {percentile(ans, 99) * 1000:.0f} ms, "
        f"max {max(ans, default=float('nan')) * 1000:.0f} ms"
    )
    inside = tally.inside
    print(
        f"  inside the app (slot wait + answer): p50 {percentile(inside, 50) * 1000:.0f} ms, "
        f"p99 {percentile(inside, 99) * 1000:.0f} ms; the rest is event loop, network, client"
    )
    print(
        f"  503 {len(tally.shed)} (with Retry-After {tally.retry_after}), "
        f"p50 {percentile(tally.shed, 50) * 1000:.0f} ms, "
        f"p99 {percentile(tally.shed, 99) * 1000:.0f} ms"
    )
    internal = tally.statuses.get(500, 0)
    print(f"  500 {internal}, other 5xx {server_errors - internal}")
    others = {c: n for c, n in sorted(tally.statuses.items()) if c not in (200, 503) and c < 500}
    if others or tally.errors:
        print(f"  other statuses {others}, transport errors {dict(tally.errors)}")
    failed = server_errors > 0 or (bool(ans) and percentile(ans, 99) > args.max_p99)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--path", default="/api/ask")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--questions", type=Path, default=DEV)
    parser.add_argument("--api-key", default="")
    parser.add_argument("--max-p99", type=float, default=1.0, help="seconds (exit 1 above it)")
    parser.add_argument("--polite", action="store_true", help="wait Retry-After after a 503")
    parser.add_argument("--idle", type=int, default=0, help="idle connections to hold open")
    parser.add_argument("--trickle", action="store_true", help="idle ones send a byte a second")
    args = parser.parse_args(argv)
    if args.idle:
        return asyncio.run(idle(args))
    tally = asyncio.run(run(args))
    return report(tally, args)


if __name__ == "__main__":
    sys.exit(main())
