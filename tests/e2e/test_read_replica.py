"""A read replica for searches and listings: on a pg_auto_failover formation, tracedesk
writes to the primary and, given TRACEDESK_READ_DATABASE_URL with
target_session_attrs=prefer-standby, searches and lists on the standby; a recovery read
by its id right after it was recorded is read from the primary."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.e2e.servers import production_environment, serving, signed_in
from tests.e2e.test_database_outage import recovery
from tests.ha_formation import Formation, ha_formation

pytestmark = pytest.mark.e2e


@pytest.fixture
def formation() -> Iterator[Formation]:
    with ha_formation() as made:
        yield made


async def tracedesk_sessions(port: int) -> int:
    """Sessions on the tracedesk database of the node on `port`, other than this one."""
    connection = await asyncpg.connect(
        host="127.0.0.1", port=port, user="postgres", database="tracedesk", timeout=10
    )
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'tracedesk' "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return count
    finally:
        await connection.close()


def test_searches_and_listings_read_from_the_standby(formation: Formation, tmp_path: Path) -> None:
    replica = formation.url.replace(
        "target_session_attrs=read-write", "target_session_attrs=prefer-standby"
    )
    environment = production_environment(
        TRACEDESK_DATABASE_URL=formation.url, TRACEDESK_READ_DATABASE_URL=replica
    )
    with serving(environment, tmp_path / "server.log") as (base, _):
        auth = signed_in(environment, base, agency="Replica Police", username="replica.inv")
        with httpx.Client(base_url=base, headers=auth, timeout=10) as client:
            recorded = client.post("/api/v1/recoveries", json=recovery("REPLICA-1"))
            assert recorded.status_code == 201, recorded.text
            recovery_id = recorded.json()["id"]
            # Read back at once by its id: from the primary, never missing.
            assert client.get(f"/api/v1/recoveries/{recovery_id}").status_code == 200

            # The standby has it a moment later (synchronous replication flushes it there,
            # applying it follows).
            deadline = time.monotonic() + 10
            while True:
                listed = client.get("/api/v1/recoveries", params={"case_reference": "REPLICA-1"})
                assert listed.status_code == 200, listed.text
                if [r["id"] for r in listed.json()["recoveries"]] == [recovery_id]:
                    break
                assert time.monotonic() < deadline, "the standby never listed the recovery"
                time.sleep(0.1)
            searched = client.get("/api/v1/search/serials", params={"serial": "REPLICA-1"})
            assert searched.status_code == 200, searched.text
            assert [m["recovery_id"] for m in searched.json()["matches"]] == [recovery_id]

        # The replica's pool is on the standby.
        assert asyncio.run(tracedesk_sessions(formation.secondary_port)) > 0
