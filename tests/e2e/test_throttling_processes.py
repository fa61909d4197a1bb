"""Guessing against two server processes sharing one PostgreSQL: the sign-in limit is
counted in the database, so concurrent attempts spread over both processes cannot pass
it together, for passwords and for API-key secrets alike."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import create_postgres_database, drop_postgres_database
from tests.e2e.servers import (
    PASSWORD,
    production_environment,
    run,
    server_processes,
    serving,
    signed_in,
)

pytestmark = pytest.mark.e2e
LIMIT = 5  # ThrottlePolicy.account_limit


@pytest.fixture
def postgres_environment() -> Iterator[dict[str, str]]:
    env = production_environment()
    url = asyncio.run(create_postgres_database())
    env["TRACEDESK_DATABASE_URL"] = url
    try:
        yield env
    finally:
        asyncio.run(drop_postgres_database(url))


async def _together(base: str, forms: list[dict[str, str]]) -> Counter[int]:
    """Each attempt on its own connection, all at once, so both processes take some."""

    async def attempt(form: dict[str, str]) -> int:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            return (await client.post("/api/v1/auth/token", data=form)).status_code

    return Counter(await asyncio.gather(*(attempt(form) for form in forms)))


def test_the_limit_holds_for_attempts_spread_over_two_processes(
    postgres_environment: dict[str, str], tmp_path: Path
) -> None:
    env = postgres_environment
    with serving(env, tmp_path / "server.log", "--processes", "2") as (base, process):
        assert len(server_processes(process.pid)) == 2
        signed_in(env, base, agency="Throttled", username="e2e.guessed")
        guesses = [{"username": "e2e.guessed", "password": f"guess-{n:04}"} for n in range(15)]
        assert asyncio.run(_together(base, guesses)) == {401: LIMIT, 429: 15 - LIMIT}
        right = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "e2e.guessed", "password": PASSWORD}
        )
        assert right.status_code == 429 and int(right.headers["retry-after"]) > 0

        created = run(
            env,
            *("admin", "create-service-account", "--agency", "Throttled"),
            *("--name", "lab", "--scope", "recoveries:read"),
        )
        assert created.returncode == 0, created.stderr
        account_id = re.search(r"[0-9a-f-]{36}", created.stdout)
        assert account_id is not None, created.stdout
        key = run(env, "admin", "create-api-key", "--service-account", account_id.group(0))
        assert key.returncode == 0, key.stderr
        client_id = re.search(r"tdk_\w+", key.stdout)
        assert client_id is not None, key.stdout
        secrets = [
            {
                "grant_type": "client_credentials",
                "client_id": client_id.group(0),
                "client_secret": f"wrong-{n}",
            }
            for n in range(12)
        ]
        assert asyncio.run(_together(base, secrets)) == {401: LIMIT, 429: 12 - LIMIT}
