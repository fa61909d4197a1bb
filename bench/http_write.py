"""POST /api/v1/recoveries throughput over loopback, next to a raw asyncpg endpoint.

Both servers run as real processes (uvicorn, one worker each) on the same PostgreSQL,
and are driven alternately by the same load generator in a third process:

    .venv/bin/python -m bench.http_write [--seconds 10] [--rounds 4] [--processes 1]

Target (issue: walking skeleton): tracedesk keeps at least 50% of the raw endpoint's
throughput, with p99 under 60 ms at 32 concurrent clients.

tracedesk runs with TRACEDESK_WORKER=external and no worker: each write still queues its
outbox messages, which wait for a worker afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
from pathlib import Path

import asyncpg

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

DATABASE = "tracedesk_bench_http"
PASSWORD = BENCH_PASSWORD
RATIO_MIN = 0.50  # tracedesk's throughput over the raw endpoint's
P99_MAX_MS = 60.0


def load(
    port: int, path: str, token: str, seconds: float, connections: int, bodies: Path | None = None
) -> dict:
    """One load generator run; with `bodies` (NDJSON), each request posts the next one."""
    output = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(ROOT / "bench" / "loadgen.py"),
            "--port",
            str(port),
            "--path",
            path,
            "--token",
            token,
            "--seconds",
            str(seconds),
            "--connections",
            str(connections),
            *(["--bodies", str(bodies)] if bodies else []),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    # Alternating rounds let both servers see the same machine; on a noisy one, two
    # rounds gave ratios from 0.31 to 0.46 for the same code.
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--processes", type=int, default=1, help="server processes for both servers (default 1)"
    )
    args = parser.parse_args()

    recreate_database(DATABASE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEDESK_")}
    env |= {
        "TRACEDESK_DATABASE_URL": sqlalchemy_url(DATABASE),
        "TRACEDESK_JWT_SECRET": secrets.token_urlsafe(48),
        "TRACEDESK_ENVIRONMENT": "production",
        "RAW_ENDPOINT_DSN": dsn(DATABASE),
        # The write path alone: the outbox work each write queues (case-network linking,
        # registry checks) is left to `tracedesk worker`, not run here, as on servers
        # configured that way. Run in the server, it would go on linking in the background
        # through the raw endpoint's rounds too; bench/case_networks.py measures it.
        "TRACEDESK_WORKER": "external",
    }
    migrated_with_investigator(env)

    async def raw_table() -> None:
        connection = await asyncpg.connect(dsn(DATABASE))
        await connection.execute(
            "CREATE TABLE raw_recoveries (id uuid PRIMARY KEY, case_reference text, "
            "recovered_at timestamptz, country text, serial text)"
        )
        await connection.close()

    asyncio.run(raw_table())
    RESULTS.mkdir(parents=True, exist_ok=True)
    tracedesk_port, raw_port = free_port(), free_port()
    uvicorn = [
        sys.executable,
        "-m",
        "uvicorn",
        "--workers",
        str(args.processes),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    try:
        with (
            process(
                [
                    sys.executable,
                    "-m",
                    "service.adapters.cli",
                    "serve",
                    "--port",
                    str(tracedesk_port),
                    "--host",
                    "127.0.0.1",
                    "--processes",
                    str(args.processes),
                ],
                env,
                f"http://127.0.0.1:{tracedesk_port}/readyz",
                RESULTS / "http_write_tracedesk.log",
            ),
            process(
                [*uvicorn, "--port", str(raw_port), "bench.raw_endpoint:app"],
                env,
                f"http://127.0.0.1:{raw_port}/docs",
                RESULTS / "http_write_raw.log",
            ),
        ):
            import httpx

            token = httpx.post(
                f"http://127.0.0.1:{tracedesk_port}/api/v1/auth/token",
                data={"username": "bench", "password": PASSWORD},
            ).json()["access_token"]
            runs: dict[str, list[dict]] = {
                "raw asyncpg endpoint": [],
                "tracedesk POST /api/v1/recoveries": [],
            }
            for _ in range(args.rounds):
                runs["raw asyncpg endpoint"].append(
                    load(raw_port, "/raw/recoveries", "", args.seconds, args.connections)
                )
                runs["tracedesk POST /api/v1/recoveries"].append(
                    load(
                        tracedesk_port, "/api/v1/recoveries", token, args.seconds, args.connections
                    )
                )
    finally:
        drop_database(DATABASE)

    summary = {}
    for name, results in runs.items():
        bad = {s: n for r in results for s, n in r["statuses"].items() if s not in ("201",)}
        summary[name] = {
            "per_second": statistics.median(r["per_second"] for r in results),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "non_201": bad,
        }
    raw, ours = summary["raw asyncpg endpoint"], summary["tracedesk POST /api/v1/recoveries"]
    ratio = ours["per_second"] / raw["per_second"]
    print(f"{'':38} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, figures in summary.items():
        print(
            f"{name:38} {figures['per_second']:8.0f} {figures['p50_ms']:8.2f} {figures['p99_ms']:8.2f}  {figures['non_201'] or ''}"
        )
    print(
        f"\ntracedesk / raw throughput: {ratio:.2f} (target >= {RATIO_MIN:.2f}); "
        f"tracedesk p99 {ours['p99_ms']:.1f} ms (target < {P99_MAX_MS:.0f} ms) at {args.connections} connections, "
        f"{args.processes} server process(es) each"
    )
    (RESULTS / "http_write.json").write_text(
        json.dumps(
            {
                "processes": args.processes,
                "connections": args.connections,
                "rounds": args.rounds,
                "seconds": args.seconds,
                "summary": summary,
                "ratio": ratio,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
