"""Drill: two server processes killed with SIGKILL in the middle of concurrent writes,
then started again. Every acknowledged recovery is there as acknowledged, none twice,
the audit chain verifies, and the outbox work the dead processes held is done within
30 seconds of the restart (their leases run out; nothing waits minutes)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import create_postgres_database, drop_postgres_database
from tests.e2e.servers import (
    TRACEDESK,
    free_port,
    production_environment,
    run,
    server_processes,
    serving,
    signed_in,
)

pytestmark = pytest.mark.e2e

WRITERS = 8
# What a recovery is as recorded (registry alerts come later, from the outbox).
RECORDED = (
    "id", "agency_id", "case_reference", "recovered_at", "location", "circumstances",
    "items", "version", "created_at", "created_by", "corrections",
)  # fmt: skip


@pytest.fixture
def environment() -> Iterator[dict[str, str]]:
    url = asyncio.run(create_postgres_database())
    try:
        yield production_environment(TRACEDESK_DATABASE_URL=url)
    finally:
        asyncio.run(drop_postgres_database(url))


@dataclass
class Outcomes:
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    unanswered: list[str] = field(default_factory=list)
    other: list[tuple[int, str]] = field(default_factory=list)


def recovery(case: str) -> dict[str, Any]:
    return {
        "case_reference": case,
        "recovered_at": "2026-11-01T10:30:00+01:00",
        "circumstances": "seizure",
        "location": {"description": "Quai de Seine", "country": "FR"},
        "items": [{"kind": "firearm", "make": "Glock", "model": "17", "serial": f"K{case}"}],
    }


async def write_until_killed(
    base: str, auth: dict[str, str], outcomes: Outcomes, writer: int
) -> None:
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=10) as client:
        for number in range(1, 10_000):
            case = f"CRASH-{writer}-{number}"
            try:
                answer = await client.post("/api/v1/recoveries", json=recovery(case))
            except httpx.TransportError:
                outcomes.unanswered.append(case)
                return  # the server is gone
            if answer.status_code == 201:
                outcomes.acknowledged[case] = answer.json()
            else:
                outcomes.other.append((answer.status_code, answer.text))


def start(environment: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [*TRACEDESK, "serve", "--migrate", "--port", str(port), "--processes", "2"],
        env=environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)


async def load_then_kill(
    base: str, auth: dict[str, str], process: subprocess.Popen[bytes]
) -> Outcomes:
    outcomes = Outcomes()
    writers = [
        asyncio.create_task(write_until_killed(base, auth, outcomes, n)) for n in range(WRITERS)
    ]
    await asyncio.sleep(2)
    victims = [process.pid, *server_processes(process.pid)]
    assert len(victims) == 3
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    await asyncio.gather(*writers)
    process.wait(timeout=10)
    return outcomes


def test_a_killed_server_loses_nothing_it_acknowledged(
    environment: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    # Killed, the server cannot remove its metrics directory: one of the test's own.
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    killed_environment = {**environment, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    process = start(killed_environment, port, tmp_path / "killed.log")
    base = f"http://127.0.0.1:{port}"
    try:
        auth = signed_in(environment, base, agency="Crash Police", username="crash.inv")
        outcomes = asyncio.run(load_then_kill(base, auth, process))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert not outcomes.other, outcomes.other[:5]
    assert len(outcomes.acknowledged) > 20, "too little was written to mean anything"
    assert len(outcomes.unanswered) == WRITERS  # each writer's last request, cut off

    with serving(environment, tmp_path / "restarted.log", "--processes", "2") as (base, _):
        restarted = time.monotonic()
        with httpx.Client(base_url=base, headers=auth, timeout=10) as client:
            for case, acknowledged in outcomes.acknowledged.items():
                stored = client.get(f"/api/v1/recoveries/{acknowledged['id']}").json()
                for key in RECORDED:
                    assert stored[key] == acknowledged[key], (case, key)
            for case in [*outcomes.acknowledged, *outcomes.unanswered]:
                found = client.get("/api/v1/recoveries", params={"case_reference": case})
                stored_times = len(found.json()["recoveries"])
                # An acknowledged write once; one cut off in flight once or not at all.
                assert stored_times == 1 if case in outcomes.acknowledged else stored_times <= 1

        # What the dead processes had leased is taken up once their leases run out.
        while True:
            status = run(environment, "outbox", "status")
            if status.returncode == 0 and "nothing waiting" in status.stdout:
                break
            drained_in = time.monotonic() - restarted
            assert drained_in < 30, f"still waiting {drained_in:.0f} s after:\n{status.stdout}"
            time.sleep(0.5)

    verified = run(environment, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
