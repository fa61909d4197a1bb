"""A read replica that cannot be reached is done without: a server whose replica is away
when it starts starts all the same, one that loses it on the way reads around it, and
either says so in one line and serves searches and listings from the primary."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import structlog

from service.adapters.api.app import create_app
from service.adapters.persistence.database import Database
from service.adapters.persistence.replica_routing import ReplicaRouting
from service.adapters.persistence.schema import SchemaStatus, upgrade
from service.adapters.settings import Settings
from service.dependencies import Dependencies
from service.domain.outbox import REGISTRY_CHECK, OutboxMessage
from tests.builders import NOW, fast_dependencies, new_id
from tests.databases import reset
from tests.e2e.servers import free_port
from tests.private_postgres import private_postgres


async def test_a_server_whose_replica_is_away_starts_reading_from_the_primary(
    postgresql_database: Database, tmp_path: Path
) -> None:
    await reset(postgresql_database)
    settings = Settings(
        database_url=postgresql_database.url,
        read_database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/tracedesk",
        worker="external",
        import_directory=tmp_path / "imports",
    )
    app = create_app(settings, dependencies=fast_dependencies)
    with structlog.testing.capture_logs() as logs:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as c:
                assert (await c.get("/readyz")).status_code == 200
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
        "read replica unreachable; searches and listings read from the primary"
    ]


async def _until(condition: Callable[[], bool], *, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not within the time allowed"
        await asyncio.sleep(0.1)


async def _waiting_in_reads(deps: Dependencies) -> int:
    async with deps.reading() as uow:
        return sum(entry.waiting for entry in await uow.outbox.backlog())


async def test_a_replica_that_goes_away_is_read_around_until_it_answers_again(
    postgresql_database: Database, tmp_path: Path
) -> None:
    """Searches and listings leave a replica that stops answering for the primary within
    about a second, the server staying ready, and go back once it answers again."""
    await reset(postgresql_database)
    with private_postgres() as replica:
        replica.sql("CREATE DATABASE tracedesk")
        await upgrade(replica.url("tracedesk"))
        settings = Settings(
            database_url=postgresql_database.url,
            read_database_url=replica.url("tracedesk"),
            worker="external",
            import_directory=tmp_path / "imports",
        )
        app = create_app(settings, dependencies=fast_dependencies)
        async with app.router.lifespan_context(app):
            deps, routing = app.state.deps, app.state.replica
            # Written to the primary only: reads show it only when they go there.
            async with deps.unit_of_work() as uow:
                uow.outbox.add(
                    OutboxMessage(new_id(), REGISTRY_CHECK, {"recovery_id": "x"}, created_at=NOW)
                )
                await uow.commit()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as c:
                assert (await c.get("/readyz")).json()["replica"] == "answering"
                assert await _waiting_in_reads(deps) == 0

                replica.stop("immediate")
                await _until(lambda: not routing.answering)
                ready = await c.get("/readyz")
                assert ready.status_code == 200
                assert ready.json()["replica"].startswith("away, reading from the primary")
                assert await _waiting_in_reads(deps) == 1

                replica.start()
                await _until(lambda: routing.answering)
                assert (await c.get("/readyz")).json()["replica"] == "answering"
                assert await _waiting_in_reads(deps) == 0


async def test_a_replica_behind_on_migrations_is_not_read_from() -> None:
    """Its tables would not be this release's: the primary serves until it catches up."""
    answers = [SchemaStatus(current="0016", head="0018")]
    routing = ReplicaRouting(lambda: _answer(answers[-1]))
    assert await routing.probe() is False
    assert routing.state().startswith("away, reading from the primary: schema not current")
    answers.append(SchemaStatus(current="0018", head="0018"))
    assert await routing.probe() is True and routing.state() == "answering"


async def _answer(schema: SchemaStatus) -> SchemaStatus:
    return schema
