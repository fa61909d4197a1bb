"""`GET /api/v1/search/serials` end to end: a real `tracedesk serve` process (uvicorn,
one process), signed in as the benchmark's investigator, every search authenticated and
recorded in the audit trail, driven by `bench/loadgen.py` in a process of its own at 1,
8 and 32 concurrent clients."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx

from bench.serial_queries import KEY_KINDS, Query
from bench.support import BENCH_PASSWORD, BENCH_USER, RESULTS, ROOT, free_port, process

CLIENTS = (1, 8, 32)
# The mix the end-to-end target is for; the others are measured at one client.
KEY_MIX = "exact, normalized, skeleton, edit"


def _paths(sets: dict[str, list[Query]], shapes: list[str]) -> list[str]:
    """The shapes' queries, interleaved, as request paths."""
    mixed = [q for turn in zip(*(sets[s] for s in shapes), strict=False) for q in turn]
    return [f"/api/v1/search/serials?serial={quote(q.text)}" for q in mixed]


def _load(port: int, token: str, paths: Path, seconds: float, clients: int) -> dict:
    output = subprocess.run(  # noqa: S603 - our own load generator
        [
            sys.executable,
            str(ROOT / "bench" / "loadgen.py"),
            *("--port", str(port), "--token", token, "--get-paths", str(paths)),
            *("--seconds", str(seconds), "--connections", str(clients), "--warmup", "2"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout)


def measure_http(env: dict[str, str], sets: dict[str, list[Query]], seconds: float) -> dict:
    """p50, p99 and requests/s per query mix and client count."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    mixes = {
        KEY_MIX: list(KEY_KINDS),
        "transliterated": ["transliterated"],
        "patterns (10?46, 10*46)": ["pattern, two runs of 2 (10?46)", "pattern, * inside (10*46)"],
    }
    port = free_port()
    command = [sys.executable, "-m", "service.adapters.cli", "serve"]
    command += ["--port", str(port), "--host", "127.0.0.1"]
    results: dict[str, dict[int, dict]] = {}
    with process(
        command, env, f"http://127.0.0.1:{port}/readyz", RESULTS / "serial_http_tracedesk.log"
    ):
        token = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/token",
            data={"username": BENCH_USER, "password": BENCH_PASSWORD},
        ).json()["access_token"]
        for mix, shapes in mixes.items():
            paths = RESULTS / "serial_http_paths.txt"
            paths.write_text("\n".join(_paths(sets, shapes)) + "\n")
            clients = CLIENTS if mix == KEY_MIX else (1,)
            results[mix] = {}
            for count in clients:
                measured = _load(port, token, paths, seconds, count)
                if set(measured["statuses"]) != {"200"}:
                    raise RuntimeError(f"{mix}: answers other than 200: {measured['statuses']}")
                results[mix][count] = measured
    return results


def report_http(results: dict, target_p99_ms: float) -> list[str]:
    """Printed lines; a missed target is marked MISS."""
    lines = ["\nGET /api/v1/search/serials over HTTP (authenticated, audited), one server process"]
    lines.append(f"{'queries':36} {'clients':>7} {'req/s':>7} {'p50':>8} {'p99':>8}  target p99")
    for mix, by_clients in results.items():
        for clients, r in by_clients.items():
            target = ""
            if clients == 1 and mix == KEY_MIX:
                ok = r["p99_ms"] <= target_p99_ms
                target = f"<= {target_p99_ms:.0f} ms {'ok' if ok else 'MISS'}"
            lines.append(
                f"{mix:36} {clients:>7} {r['per_second']:7.0f} {r['p50_ms']:6.2f}ms {r['p99_ms']:6.2f}ms  {target}"
            )
    return lines
