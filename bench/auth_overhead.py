"""What authentication costs a request: token verification, the account check and the
policy decision, on GET /api/v1/recoveries/{id}, PostgreSQL, in one process.

The same application is measured twice, alternately: as served, and with the actor
dependency replaced by a fixed actor (FastAPI dependency_overrides, inside this
benchmark process only; no setting of tracedesk can switch authentication off).

    .venv/bin/python -m bench.auth_overhead [--requests 3000]

Target (issue: identity): at most 1 ms added at p50.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import time

import httpx
import structlog

from bench.support import (
    BENCH_PASSWORD,
    RESULTS,
    drop_database,
    migrated_with_investigator,
    percentile,
    recreate_database,
    sqlalchemy_url,
)
from service.adapters.api.app import create_app
from service.adapters.api.dependencies import current_actor
from service.adapters.persistence.actors import SqlActorDirectory
from service.adapters.settings import Settings

DATABASE = "tracedesk_bench_auth"
PASSWORD = BENCH_PASSWORD
ADDED_MAX_MS = 1.0  # what authentication may add at p50


async def measure(requests: int) -> dict[str, list[float]]:
    settings = Settings(database_url=sqlalchemy_url(DATABASE), jwt_secret="b" * 48)
    served, unremembered, bypassed = (
        create_app(settings),
        create_app(settings),
        create_app(settings),
    )
    latencies: dict[str, list[float]] = {
        "authenticated": [],
        "account read every time": [],
        "authentication bypassed": [],
    }
    async with (
        served.router.lifespan_context(served),
        unremembered.router.lifespan_context(unremembered),
        bypassed.router.lifespan_context(bypassed),
    ):
        # As on SQLite, or while the change feed is down: the account is read every time.
        unremembered.state.deps = dataclasses.replace(
            unremembered.state.deps, actors=SqlActorDirectory(unremembered.state.database)
        )
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            token = (
                await client.post(
                    "/api/v1/auth/token", data={"username": "bench", "password": PASSWORD}
                )
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            body = {
                "case_reference": "AUTH-1",
                "recovered_at": "2026-11-01T10:30:00Z",
                "location": {"description": "x", "country": "FR"},
                "circumstances": "crime_scene",
                "items": [{"kind": "firearm", "make": "Glock", "serial": "AUTH 1"}],
            }
            recovery = (await client.post("/api/v1/recoveries", json=body, headers=headers)).json()
            deps = served.state.deps
            actor = await deps.actors.active_actor(deps.tokens.verify(token, now=deps.clock.now()))

        async def fixed_actor() -> object:
            return actor

        bypassed.dependency_overrides[current_actor] = fixed_actor
        clients = {
            name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
            for name, app in zip(latencies, (served, unremembered, bypassed), strict=True)
        }
        url = f"/api/v1/recoveries/{recovery['id']}"
        for round_ in range(2):  # the first round warms both up
            for _ in range(requests):
                for name, client in clients.items():
                    started = time.perf_counter()
                    response = await client.get(url, headers=headers)
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, response.text
                    if round_:
                        latencies[name].append(elapsed)
        for client in clients.values():
            await client.aclose()
    return {name: sorted(values) for name, values in latencies.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    # Request logging costs the same in every series; keep it out of the figures.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    recreate_database(DATABASE)
    env = {**os.environ, "TRACEDESK_DATABASE_URL": sqlalchemy_url(DATABASE)}
    try:
        migrated_with_investigator(env)
        results = asyncio.run(measure(args.requests))
    finally:
        drop_database(DATABASE)
    print(f"GET /api/v1/recoveries/{{id}}, {args.requests} requests each, interleaved, PostgreSQL")
    for name, values in results.items():
        print(
            f"  {name:24} p50 {percentile(values, 0.5):6.3f} ms   p99 {percentile(values, 0.99):6.3f} ms"
        )
    baseline = percentile(results["authentication bypassed"], 0.5)
    for name in ("authenticated", "account read every time"):
        added = percentile(results[name], 0.5) - baseline
        print(f"{name}: adds {added:.3f} ms at p50 (target: at most {ADDED_MAX_MS:g} ms)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "auth_overhead.json").write_text(
        json.dumps(
            {
                "requests": args.requests,
                "p50_ms": {name: percentile(v, 0.5) for name, v in results.items()},
                "p99_ms": {name: percentile(v, 0.99) for name, v in results.items()},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
