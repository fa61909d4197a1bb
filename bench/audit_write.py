"""What the audit trail costs a write, on PostgreSQL.

1. The append's cost per write: record_recovery run sequentially with and without its
   audit event (wall time per write and CPU of this process per write).
2. POST /api/v1/recoveries throughput: `tracedesk serve` next to the same application
   whose unit of work drops audit events (bench/unaudited_app.py), both real processes,
   driven alternately by the same load generator.

    .venv/bin/python -m bench.audit_write [--seconds 10] [--rounds 2]

Target (issue: audit trail): the audited write keeps at least 80% of the unaudited
throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime

import httpx

from bench.http_write import load
from bench.support import (
    BENCH_PASSWORD,
    RESULTS,
    drop_database,
    free_port,
    migrated_with_investigator,
    percentile,
    process,
    recreate_database,
    sqlalchemy_url,
)
from bench.unaudited_app import without_audit
from service.adapters.bootstrap import build_dependencies, open_database
from service.adapters.settings import Settings
from service.domain.geography import LocationReport
from service.domain.items import FirearmReport
from service.domain.recovery import Circumstances
from service.recoveries import RecordRecovery, record_recovery

DATABASE = "tracedesk_bench_audit"
PASSWORD = BENCH_PASSWORD
RATIO_MIN = 0.80  # audited throughput over unaudited


async def append_cost(writes: int) -> dict[str, tuple[float, float, float]]:
    settings = Settings(database_url=sqlalchemy_url(DATABASE))
    database = await open_database(settings)
    deps = build_dependencies(database, settings)
    async with deps.unit_of_work() as uow:
        user = await uow.users.by_username("bench")
    assert user is not None
    actor = user.as_actor()
    variants = {
        "with audit event": deps,
        "without audit event": dataclasses.replace(deps, side_effects=without_audit),
    }
    timings: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, float] = dict.fromkeys(variants, 0.0)
    for round_ in range(2):
        for i in range(writes):
            for name, variant in variants.items():
                command = RecordRecovery(
                    f"AUDIT-{round_}-{i}",
                    datetime(2026, 11, 1, tzinfo=UTC),
                    LocationReport("x", "FR"),
                    Circumstances.CRIME_SCENE,
                    [FirearmReport(make="Glock", serial=f"AU {round_}{i:06d}")],
                )
                started, started_cpu = time.perf_counter(), time.thread_time()
                await record_recovery(deps=variant, actor=actor, command=command)
                if round_:
                    timings[name].append((time.perf_counter() - started) * 1000)
                    cpu[name] += time.thread_time() - started_cpu
    await database.dispose()
    return {
        name: (percentile(sorted(v), 0.5), percentile(sorted(v), 0.99), cpu[name] / writes * 1000)
        for name, v in timings.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--writes", type=int, default=1000)
    args = parser.parse_args()
    recreate_database(DATABASE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEDESK_")}
    env |= {
        "TRACEDESK_DATABASE_URL": sqlalchemy_url(DATABASE),
        "TRACEDESK_JWT_SECRET": secrets.token_urlsafe(48),
        "TRACEDESK_ENVIRONMENT": "production",
    }
    os.environ.update(env)
    audited_port, unaudited_port = free_port(), free_port()
    try:
        migrated_with_investigator(env)
        cost = asyncio.run(append_cost(args.writes))
        uvicorn = [
            sys.executable,
            "-m",
            "uvicorn",
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        with (
            process(
                [
                    sys.executable,
                    "-m",
                    "service.adapters.cli",
                    "serve",
                    "--port",
                    str(audited_port),
                    "--host",
                    "127.0.0.1",
                ],
                env,
                f"http://127.0.0.1:{audited_port}/readyz",
                RESULTS / "audit_write_audited.log",
            ),
            process(
                [
                    *uvicorn,
                    "--port",
                    str(unaudited_port),
                    "--factory",
                    "bench.unaudited_app:create",
                ],
                env,
                f"http://127.0.0.1:{unaudited_port}/readyz",
                RESULTS / "audit_write_unaudited.log",
            ),
        ):
            token = httpx.post(
                f"http://127.0.0.1:{audited_port}/api/v1/auth/token",
                data={"username": "bench", "password": PASSWORD},
            ).json()["access_token"]
            runs: dict[str, list[dict]] = {"audited": [], "unaudited": []}
            for _ in range(args.rounds):
                runs["unaudited"].append(
                    load(unaudited_port, "/api/v1/recoveries", token, args.seconds, 32)
                )
                runs["audited"].append(
                    load(audited_port, "/api/v1/recoveries", token, args.seconds, 32)
                )
    finally:
        drop_database(DATABASE)

    print(f"record_recovery, sequential, {args.writes} writes each, interleaved:")
    for name, (p50, p99, cpu_ms) in cost.items():
        print(f"  {name:20} p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  CPU {cpu_ms:6.3f} ms/write")
    added = cost["with audit event"][0] - cost["without audit event"][0]
    print(f"  the audit append adds {added:.3f} ms per write at p50")
    print("\nPOST /api/v1/recoveries, 32 connections:")
    summary, http = {}, {}
    for name, results in runs.items():
        summary[name] = statistics.median(r["per_second"] for r in results)
        p99 = statistics.median(r["p99_ms"] for r in results)
        bad = {s: n for r in results for s, n in r["statuses"].items() if s != "201"}
        print(f"  {name:10} {summary[name]:7.0f} requests/s  p99 {p99:6.1f} ms  {bad or ''}")
        http[name] = {"per_second": summary[name], "p99_ms": p99}
    print(
        f"audited / unaudited throughput: {summary['audited'] / summary['unaudited']:.2f} (target >= {RATIO_MIN:.2f})"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "audit_write.json").write_text(
        json.dumps(
            {
                "writes": args.writes,
                "rounds": args.rounds,
                "seconds": args.seconds,
                "cost": cost,
                "http": http,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
