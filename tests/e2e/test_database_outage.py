"""Drills: the database goes away, or turns read-only, under a running `tracedesk serve`.

Every request gets an answer; every failure is a 503 problem with Retry-After, logged
once; every acknowledged write is stored; the service is ready again within two seconds
of the database, with no restart. The server is PostgreSQL of the test's own, so that
stopping it touches nothing else."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import production_environment, run, serving, signed_in
from tests.e2e.writers import Outcomes, recovery, write_until
from tests.private_postgres import PrivatePostgres, private_postgres

pytestmark = pytest.mark.e2e

WRITERS = 8


@pytest.fixture
def database() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        server.sql("CREATE DATABASE tracedesk")
        yield server


@pytest.fixture
def environment(database: PrivatePostgres) -> dict[str, str]:
    return production_environment(TRACEDESK_DATABASE_URL=database.url("tracedesk"))


async def ready_after(base: str, since: float) -> float:
    """Seconds from `since` until /readyz answers 200."""
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        while True:
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return time.monotonic() - since
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)


async def restart_under_load(
    base: str, auth: dict[str, str], database: PrivatePostgres
) -> tuple[Outcomes, float]:
    outcomes = Outcomes()
    stop = asyncio.Event()
    writers = [
        asyncio.create_task(write_until(base, auth, stop, outcomes, n, prefix="OUTAGE"))
        for n in range(WRITERS)
    ]
    await asyncio.sleep(1.5)
    await asyncio.to_thread(database.stop, "fast")
    await asyncio.sleep(3)
    await asyncio.to_thread(database.start)
    back = time.monotonic()
    readiness = await ready_after(base, back)
    await asyncio.sleep(1.5)  # writes land again
    stop.set()
    await asyncio.gather(*writers)
    return outcomes, readiness


def test_a_database_restart_under_write_load_answers_every_request(
    environment: dict[str, str], database: PrivatePostgres, tmp_path: Path
) -> None:
    log_path = tmp_path / "server.log"
    with serving(environment, log_path) as (base, _):
        auth = signed_in(environment, base, agency="Outage Police", username="outage.inv")
        outcomes, readiness = asyncio.run(restart_under_load(base, auth, database))

        assert not outcomes.unanswered, outcomes.unanswered[:5]
        assert not outcomes.other, [(r.status_code, r.text) for r in outcomes.other[:5]]
        assert outcomes.refused, "the outage was not seen: no request was refused"
        for refused in outcomes.refused:
            assert refused.headers["content-type"] == "application/problem+json"
            assert int(refused.headers["retry-after"]) > 0
            problem = refused.json()
            assert problem["type"] == "/problems/service-unavailable"
            assert problem["request_id"] == refused.headers["x-request-id"]
        assert readiness <= 2.0, f"ready {readiness:.1f} s after the database"

        # Every acknowledged write is there, once, as acknowledged.
        with httpx.Client(base_url=base, headers=auth, timeout=10) as client:
            for case, (recovery_id, _) in outcomes.acknowledged.items():
                stored = client.get(f"/api/v1/recoveries/{recovery_id}")
                assert stored.status_code == 200, (case, stored.text)
                assert stored.json()["case_reference"] == case
                found = client.get("/api/v1/recoveries", params={"case_reference": case})
                assert [r["id"] for r in found.json()["recoveries"]] == [recovery_id]
        assert any(case.endswith("-1") for case in outcomes.acknowledged), "none before"
        after = asyncio.run(write_once(base, auth, "AFTER-1"))
        assert after.status_code == 201, after.text

    verified = run(environment, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    lines = log_path.read_text().splitlines()
    assert not [line for line in lines if "Exception in ASGI application" in line]
    assert not [line for line in lines if "unhandled error" in line], "logged as a bug"
    # An outage is logged as lines, not tracebacks, by tracedesk and the libraries alike.
    assert not [line for line in lines if "Traceback" in line]
    assert [line for line in lines if "outbox paused: database unavailable" in line]
    warnings = [line for line in lines if "database unavailable" in line]
    assert len(warnings) >= len(outcomes.refused), "one line per refused request"


async def write_once(base: str, auth: dict[str, str], case: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=10) as client:
        return await client.post("/api/v1/recoveries", json=recovery(case))


def test_a_read_only_database_refuses_writes_and_keeps_serving_reads(
    environment: dict[str, str], database: PrivatePostgres, tmp_path: Path
) -> None:
    with serving(environment, tmp_path / "server.log") as (base, _):
        auth = signed_in(environment, base, agency="Failover Police", username="failover.inv")
        before = asyncio.run(write_once(base, auth, "BEFORE-1"))
        assert before.status_code == 201, before.text
        recovery_id = before.json()["id"]

        # What a primary turning into a standby, or an operator guarding a full disk, does.
        database.sql("ALTER SYSTEM SET default_transaction_read_only = on")
        database.sql("SELECT pg_reload_conf()")
        time.sleep(0.3)
        refused = asyncio.run(write_once(base, auth, "DURING-1"))
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"]
        assert "read-only" in refused.json()["detail"]
        with httpx.Client(base_url=base, headers=auth, timeout=10) as client:
            assert client.get(f"/api/v1/recoveries/{recovery_id}").status_code == 200
            listed = client.get("/api/v1/recoveries", params={"case_reference": "DURING-1"})
            assert listed.status_code == 200 and listed.json()["recoveries"] == []
            searched = client.get("/api/v1/search/serials", params={"serial": "BEFORE-1"})
            assert searched.status_code == 200, searched.text

        database.sql("ALTER SYSTEM RESET default_transaction_read_only")
        database.sql("SELECT pg_reload_conf()")
        time.sleep(0.3)
        after = asyncio.run(write_once(base, auth, "AFTER-1"))
        assert after.status_code == 201, after.text
