"""A small HTTP/1.1 load generator: N keep-alive connections, each sending the next
request as soon as the previous answer arrived, for a fixed time. Run as its own process
so the client's cost is the same for every server measured.

    python bench/loadgen.py --port 8000 --path /api/v1/recoveries --token T --seconds 10
    python bench/loadgen.py --port 8000 --get-paths paths.txt --token T   # GET, one path a line
    python bench/loadgen.py --port 8000 --bodies recoveries.ndjson --token T  # POST each line once

With --bodies every request takes the next body of the file, whichever connection sends
it: no body is sent twice until all were (bench/recovery_bodies.py writes such files).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from collections import Counter
from collections.abc import Callable


def get_requests(args: argparse.Namespace) -> list[bytes]:
    with open(args.get_paths, encoding="utf-8") as lines:
        paths = [line.strip() for line in lines if line.strip()]
    headers = [f"Host: 127.0.0.1:{args.port}"]
    if args.token:
        headers.append(f"Authorization: Bearer {args.token}")
    return [
        ("\r\n".join([f"GET {path} HTTP/1.1", *headers]) + "\r\n\r\n").encode() for path in paths
    ]


def post_request(args: argparse.Namespace, body: bytes) -> bytes:
    headers = [
        f"POST {args.path} HTTP/1.1",
        f"Host: 127.0.0.1:{args.port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if args.token:
        headers.append(f"Authorization: Bearer {args.token}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


def build_requests(args: argparse.Namespace, count: int) -> list[bytes]:
    if args.get_paths:
        return get_requests(args)
    if args.bodies:
        with open(args.bodies, "rb") as lines:
            return [post_request(args, line.rstrip(b"\n")) for line in lines if line.strip()]
    requests = []
    for i in range(count):
        body = json.dumps(
            {
                "case_reference": f"BENCH-{i:06d}",
                "recovered_at": "2026-11-01T10:30:00Z",
                "location": {
                    "description": "Rue X, Paris",
                    "country": "FR",
                    "lat": 48.85,
                    "lon": 2.35,
                },
                "circumstances": "crime_scene",
                "items": [
                    {
                        "kind": "firearm",
                        "make": "GLOCK GmbH",
                        "model": "17",
                        "calibre": "9mm Luger",
                        "serial": f"{'ABCDEFGHJK'[i % 10]}{'LMNPRSTUVW'[(i // 10) % 10]}X {i:07d}",
                        "type": "pistol",
                        "country_of_manufacture": "AT",
                    }
                ],
            }
        ).encode()
        requests.append(post_request(args, body))
    return requests


def strided(offset: int) -> Callable[[], int]:
    """A connection's own walk through the requests."""
    walk = itertools.count(offset, 7)
    return lambda: next(walk)


async def connection(
    port: int, requests: list[bytes], turn: Callable[[], int], stop: float, out: dict
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            started = time.perf_counter()
            if started >= stop:
                return
            writer.write(requests[turn() % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            out["latencies"].append(time.perf_counter() - started)
            out["statuses"][status] += 1
    finally:
        writer.close()


async def main(args: argparse.Namespace) -> None:
    requests = build_requests(args, 5000)
    # Bodies are each sent once, in order, whichever connection is free (one counter).
    shared = itertools.count()
    turns: Callable[[int], Callable[[], int]] = (
        (lambda _: lambda: next(shared)) if args.bodies else strided
    )
    out: dict = {"latencies": [], "statuses": Counter()}
    if args.warmup:
        warm: dict = {"latencies": [], "statuses": Counter()}
        stop = time.perf_counter() + args.warmup
        await asyncio.gather(
            *(
                connection(args.port, requests, turns(c * 97), stop, warm)
                for c in range(args.connections)
            )
        )
    started = time.perf_counter()
    stop = started + args.seconds
    await asyncio.gather(
        *(
            connection(args.port, requests, turns(c * 131 + 1), stop, out)
            for c in range(args.connections)
        )
    )
    elapsed = time.perf_counter() - started
    latencies = sorted(out["latencies"])

    def percentile(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0
        )

    json.dump(
        {
            "requests": len(latencies),
            "per_second": len(latencies) / elapsed,
            "p50_ms": percentile(0.50),
            "p99_ms": percentile(0.99),
            "statuses": dict(out["statuses"]),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/api/v1/recoveries")
    parser.add_argument("--get-paths", default="", help="a file of paths to GET, one a line")
    parser.add_argument("--bodies", default="", help="a file of JSON bodies to POST, one a line")
    parser.add_argument("--token", default="")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    arguments = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(arguments))
