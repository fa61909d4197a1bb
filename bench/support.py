"""Helpers shared by the benchmarks: throwaway PostgreSQL databases and server processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

import asyncpg
import httpx

from service import accounts
from service.dependencies import Dependencies

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "bench" / "results"
SERVER = os.environ.get("TRACEDESK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def dsn(database: str) -> str:
    return SERVER.rsplit("/", 1)[0] + f"/{database}"


def sqlalchemy_url(database: str) -> str:
    return dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)


def recreate_database(name: str) -> None:
    async def run() -> None:
        admin = await asyncpg.connect(SERVER)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    asyncio.run(run())


def database_exists(name: str) -> bool:
    async def run() -> bool:
        admin = await asyncpg.connect(SERVER)
        try:
            return bool(await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
        finally:
            await admin.close()

    return asyncio.run(run())


def drop_database(name: str) -> None:
    async def run() -> None:
        admin = await asyncpg.connect(SERVER)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(run())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def tracedesk(env: dict[str, str], *arguments: str, stdin: str | None = None) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "service.adapters.cli", *arguments],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"tracedesk {' '.join(arguments)} failed:\n{result.stderr}")
    return result.stdout


@contextmanager
def process(command: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[None]:
    """A server process, waited for until `ready_url` answers, stopped afterwards."""
    with log.open("w") as output:
        child = subprocess.Popen(  # noqa: S603 - our own commands
            command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(ready_url, timeout=1).status_code < 500:
                        break
                except httpx.TransportError:
                    pass
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command} did not start; see {log}")
                time.sleep(0.2)
            yield
        finally:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


BENCH_USER = "bench"
BENCH_PASSWORD = "a benchmark password"  # noqa: S105 - throwaway account, throwaway database


def migrated_with_investigator(env: dict[str, str]) -> None:
    """Migrate the benchmark database and create the investigator `bench` (password
    BENCH_PASSWORD) in an agency, through the console as an operator would."""
    tracedesk(env, "db", "upgrade")
    tracedesk(env, "admin", "create-agency", "--name", "Bench Police", "--country", "FR")
    tracedesk(
        env,
        *("admin", "create-user", "--agency", "Bench Police", "--username", BENCH_USER),
        *("--display-name", "Bench", "--role", "investigator", "--password-stdin"),
        stdin=BENCH_PASSWORD,
    )


async def register_agencies(deps: Dependencies, count: int) -> list[UUID]:
    """`count` police agencies in France, named Agency 00, Agency 01...; their ids."""
    return [
        (
            await accounts.register_agency(
                deps=deps, name=f"Agency {n:02d}", country="FR", kind="police"
            )
        ).id
        for n in range(count)
    ]
