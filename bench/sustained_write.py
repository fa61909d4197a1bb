"""Sustained writes: POST /api/v1/recoveries with the background work each write causes
counted, next to the same server writing with that work left undone.

Every recorded recovery queues its registry checks and its case-network linking in the
outbox. bench/http_write.py measures the write alone (no worker runs: the outbox only
grows). Here the same load runs twice against `tracedesk serve` with one process per
core, alternately:

1. API only: TRACEDESK_WORKER=external and no worker, as http_write.py does;
2. deployed, twice: the worker inside each server process (the default), then
   `tracedesk worker` as a process of its own beside them (as compose.yaml and the
   Kubernetes manifests run it), checking every recovery against the demo registry and
   linking it into the case networks. The load
   stops after `--seconds`; the figure is every recovery written in that time divided by
   the time until the last of them was checked and linked (the outbox empty again): the
   rate the deployment sustains without its backlog growing. The lag from a recovery's
   write to the end of its last background work is read from the outbox (p50, p99).

The load posts recoveries shaped like an agency's (bench/recovery_bodies.py: makers'
serial runs, places and cases that recur now and then), each body once: what the
background work costs depends on what a recovery shares with those before it.

    .venv/bin/python -m bench.sustained_write [--seconds 60] [--rounds 2] [--processes 2]

Target (issue #18): the sustained rate at least 0.8 of the API-only rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Final

import asyncpg
import httpx

from bench import recovery_bodies
from bench.http_write import load
from bench.support import (
    BENCH_PASSWORD,
    RESULTS,
    ROOT,
    drop_database,
    dsn,
    free_port,
    migrated_with_investigator,
    process,
    recreate_database,
    sqlalchemy_url,
)

DATABASE: Final = "tracedesk_bench_sustained"
RATIO_MIN: Final = 0.8
DEMO_REGISTRIES: Final = ROOT / "service" / "adapters" / "registries" / "demo" / "registries.toml"


async def _count(query: str, *arguments: Any) -> int:
    connection = await asyncpg.connect(dsn(DATABASE))
    try:
        counted: int = await connection.fetchval(query, *arguments)
        return counted
    finally:
        await connection.close()


async def _outbox_waiting() -> int:
    return await _count("SELECT count(*) FROM outbox WHERE done_at IS NULL AND failed_at IS NULL")


async def _outbox_failed() -> int:
    """Messages set aside for good: work that was not done, which no figure may hide."""
    return await _count("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL")


async def _lags(since: float) -> list[float]:
    """Seconds from each recovery's write to the end of its last background work, for
    the recoveries written after `since` (a Unix time)."""
    connection = await asyncpg.connect(dsn(DATABASE))
    try:
        rows = await connection.fetch(
            """
            WITH work AS (
                SELECT substring(subject FROM 10)::uuid AS recovery_id, done_at
                FROM outbox WHERE subject LIKE 'recovery:%'
                UNION ALL
                SELECT (payload->>'recovery_id')::uuid, done_at
                FROM outbox WHERE topic = 'network.link' AND payload->>'recovery_id' IS NOT NULL
            )
            SELECT extract(epoch FROM max(w.done_at) - r.recorded_at) AS lag
            FROM recoveries r JOIN work w ON w.recovery_id = r.id
            WHERE r.recorded_at >= to_timestamp($1)
            GROUP BY r.id, r.recorded_at
            HAVING bool_and(w.done_at IS NOT NULL)
            """,
            since,
        )
        return sorted(float(row["lag"]) for row in rows)
    finally:
        await connection.close()


async def _written_since(since: float) -> int:
    return await _count(
        "SELECT count(*) FROM recoveries WHERE recorded_at >= to_timestamp($1)", since
    )


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(round(fraction * (len(values) - 1))))]


def _serve(env: dict[str, str], port: int, processes: int, log: Path) -> Any:
    return process(
        [
            sys.executable, "-m", "service.adapters.cli", "serve",
            "--port", str(port), "--host", "127.0.0.1", "--processes", str(processes),
        ],
        env,
        f"http://127.0.0.1:{port}/readyz",
        log,
    )  # fmt: skip


def _token(port: int) -> str:
    answer = httpx.post(
        f"http://127.0.0.1:{port}/api/v1/auth/token",
        data={"username": "bench", "password": BENCH_PASSWORD},
    )
    return str(answer.json()["access_token"])


def _bodies(args: argparse.Namespace, seed: int) -> Path:
    """Enough bodies that none is sent twice in a run (a rate of 2,500/s, warm-up included):
    each phase of each round its own, so that no weapon is recorded again by the load."""
    count = int((args.seconds + 2) * 2_500)
    return recovery_bodies.write(RESULTS / f"sustained_bodies_{seed}.ndjson", count, seed=seed)


def api_only(env: dict[str, str], args: argparse.Namespace, bodies: Path) -> dict[str, Any]:
    port = free_port()
    with _serve(
        env | {"TRACEDESK_WORKER": "external"}, port, args.processes, RESULTS / "sustained_api.log"
    ):
        result = load(
            port, "/api/v1/recoveries", _token(port), args.seconds, args.connections, bodies
        )
    # What this round queued stays undone: the next round must not inherit it.
    asyncio.run(_clear_outbox())
    return {"per_second": result["per_second"], "p99_ms": result["p99_ms"]}


async def _clear_outbox() -> None:
    connection = await asyncpg.connect(dsn(DATABASE))
    try:
        await connection.execute("UPDATE outbox SET done_at = now() WHERE done_at IS NULL")
    finally:
        await connection.close()


def _worker(env: dict[str, str]) -> Any:
    """`tracedesk worker`, as the compose file and the Kubernetes manifests run it."""
    log = (RESULTS / "sustained_worker.log").open("w")
    command = [sys.executable, "-m", "service.adapters.cli", "worker"]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)  # noqa: S603


def deployed(
    env: dict[str, str], args: argparse.Namespace, bodies: Path, *, worker: str
) -> dict[str, Any]:
    """Writes with their background work done: by a worker inside each server process
    (`in-process`, the default), or by `tracedesk worker` beside them (`external`)."""
    port = free_port()
    external = _worker(env | {"TRACEDESK_WORKER": "external"}) if worker == "external" else None
    try:
        return _deployed_load(env | {"TRACEDESK_WORKER": worker}, args, bodies, port)
    finally:
        if external is not None:
            external.send_signal(signal.SIGINT)
            external.wait(timeout=30)


def _deployed_load(
    env: dict[str, str], args: argparse.Namespace, bodies: Path, port: int
) -> dict[str, Any]:
    with _serve(env, port, args.processes, RESULTS / "sustained_deployed.log"):
        token = _token(port)
        started = time.time()
        result = load(port, "/api/v1/recoveries", token, args.seconds, args.connections, bodies)
        load_ended = time.time()
        while asyncio.run(_outbox_waiting()) > 0:
            if time.time() - load_ended > args.drain_limit:
                break
            time.sleep(0.5)
        finished = time.time()
        backlog = asyncio.run(_outbox_waiting())
    written = asyncio.run(_written_since(started))
    lags = asyncio.run(_lags(started))
    return {
        "written": written,
        "write_per_second": result["per_second"],
        "write_p99_ms": result["p99_ms"],
        "drain_seconds": round(finished - load_ended, 1),
        "left_undone": backlog,
        "failed": asyncio.run(_outbox_failed()),
        "sustained_per_second": round(written / (finished - started), 1),
        "lag_p50_s": round(_percentile(lags, 0.5), 2),
        "lag_p99_s": round(_percentile(lags, 0.99), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--drain-limit", type=float, default=600.0)
    args = parser.parse_args()

    recreate_database(DATABASE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEDESK_")}
    env |= {
        "TRACEDESK_DATABASE_URL": sqlalchemy_url(DATABASE),
        "TRACEDESK_JWT_SECRET": secrets.token_urlsafe(48),
        "TRACEDESK_ENVIRONMENT": "production",
        "TRACEDESK_LOG_LEVEL": "WARNING",
        "TRACEDESK_CONNECTIONS_FILE": str(DEMO_REGISTRIES),
    }
    migrated_with_investigator(env)
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    rounds: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = []
    try:
        for n in range(args.rounds):
            api = api_only(env, args, _bodies(args, seed=3 * n + 1))
            inside = deployed(env, args, _bodies(args, seed=3 * n + 2), worker="in-process")
            beside = deployed(env, args, _bodies(args, seed=3 * n + 3), worker="external")
            rounds.append((api, inside, beside))
    finally:
        drop_database(DATABASE)

    api_rate = statistics.median(r[0]["per_second"] for r in rounds)
    summary: dict[str, Any] = {
        "seconds": args.seconds,
        "rounds": args.rounds,
        "processes": args.processes,
        "connections": args.connections,
        "load_average": list(load_before),
        "api_only": [r[0] for r in rounds],
        "api_only_per_second": api_rate,
    }
    for index, worker in ((1, "in_process"), (2, "external")):
        runs = [r[index] for r in rounds]
        sustained = statistics.median(r["sustained_per_second"] for r in runs)
        summary[worker] = {
            "rounds": runs,
            "sustained_per_second": sustained,
            "ratio": round(sustained / api_rate, 2),
            "lag_p50_s": statistics.median(r["lag_p50_s"] for r in runs),
            "lag_p99_s": statistics.median(r["lag_p99_s"] for r in runs),
        }
    print(json.dumps(summary, indent=2))
    for worker, how in (("in_process", "worker in each server process"),
                        ("external", "tracedesk worker beside the servers")):  # fmt: skip
        figures = summary[worker]
        print(
            f"\n{how}: sustained {figures['sustained_per_second']:.0f}/s against "
            f"{api_rate:.0f}/s with the work left undone: {figures['ratio']:.2f} "
            f"(target >= {RATIO_MIN}); write to checked and linked p50 "
            f"{figures['lag_p50_s']} s, p99 {figures['lag_p99_s']} s"
        )
    (RESULTS / "sustained_write.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
