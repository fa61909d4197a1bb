"""Group commit on PostgreSQL: insert-only changes that arrive together are written by
one statement, yet each succeeds or fails on its own, keeps its audit events together,
and is not written when its unit of work gives up while waiting."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from service.adapters.database_addresses import asyncpg_dsn
from service.adapters.persistence import group_commit, tables
from service.adapters.persistence.database import Database, open_database
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.adapters.persistence.writes import AppendAudit, InsertRows
from service.audit_trail import verify_audit_trail
from service.dependencies import Dependencies
from service.domain.access import Role
from service.domain.errors import Conflict
from service.domain.recovery import Recovery
from service.recoveries import RecordRecovery, record_recovery
from tests.builders import actor, dependencies_for_tests, firearm, location
from tests.databases import reset, terminate_sessions

INVESTIGATOR = actor(Role.INVESTIGATOR)


def command(serial: str) -> RecordRecovery:
    return RecordRecovery(
        "CASE-G",
        datetime(2026, 10, 1, tzinfo=UTC),
        location(),
        "crime_scene",  # type: ignore[arg-type]
        [firearm(serial=serial)],
    )


@pytest.fixture
async def deps(postgresql_database: Database) -> Dependencies:
    await reset(postgresql_database)
    return dependencies_for_tests(lambda: SqlUnitOfWork(postgresql_database))


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many audited changes each statement the group commit made carried: batches
    and changes written alone."""
    sent: list[int] = []
    batch_statement, alone = group_commit.insert_statement, group_commit.insert_run

    def audited(run: Any) -> int:
        return sum(1 for op in run if isinstance(op, AppendAudit))

    def counted_batch(run: Any) -> Any:
        sent.append(audited(run))
        return batch_statement(run)

    async def counted_alone(driver: Any, run: Any) -> None:
        sent.append(audited(run))
        await alone(driver, run)

    monkeypatch.setattr(group_commit, "insert_statement", counted_batch)
    monkeypatch.setattr(group_commit, "insert_run", counted_alone)
    return sent


async def stored(deps: Dependencies, recovery_id: Any) -> Recovery | None:
    async with deps.unit_of_work() as uow:
        return await uow.recoveries.get(recovery_id)


async def record(deps: Dependencies, serial: str) -> Recovery:
    return await record_recovery(deps=deps, actor=INVESTIGATOR, command=command(serial))


async def test_changes_arriving_together_share_a_statement(
    deps: Dependencies, statements: list[int]
) -> None:
    recorded = await asyncio.gather(*(record(deps, f"G {i:03d}") for i in range(30)))

    assert sum(statements) == 30
    assert len(statements) < 30, statements
    for recovery in recorded:
        assert await stored(deps, recovery.id) is not None
    trail = await verify_audit_trail(deps=deps, actor=None)
    assert trail.ok and trail.count == 30 and trail.head_seq == 30


async def test_a_change_the_database_refuses_fails_alone(
    deps: Dependencies, statements: list[int]
) -> None:
    first = await record(deps, "DUP 1")

    async def again() -> None:
        # The same recovery a second time: its primary key is taken.
        async with deps.unit_of_work() as uow:
            uow.recoveries.add(first)
            await uow.commit()

    outcomes = await asyncio.gather(
        *(record(deps, f"OK {i}") for i in range(5)),
        again(),
        *(record(deps, f"OK {i}") for i in range(5, 10)),
        return_exceptions=True,
    )

    assert max(statements) > 1  # the refused change was in a batch, written again alone
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    # Told as a lost race (409), with the driver's refusal as its cause.
    assert len(refused) == 1 and isinstance(refused[0], Conflict)
    assert isinstance(refused[0].__cause__, asyncpg.UniqueViolationError)
    for recovery in outcomes:
        if isinstance(recovery, Recovery):
            assert await stored(deps, recovery.id) is not None
    trail = await verify_audit_trail(deps=deps, actor=None)
    assert trail.ok and trail.count == 11 and trail.head_seq == 11


async def test_a_change_no_statement_can_carry_fails_alone(
    postgresql_database: Database, deps: Dependencies, head_held: asyncio.Event
) -> None:
    async def unwritable() -> None:
        # A time without a zone: refused before anything is sent, as it would lose its zone.
        naive = datetime(2026, 11, 1, 10, 30)  # noqa: DTZ001 - the point of the test
        row = {"id": uuid.uuid4(), "topic": "t", "payload": {}, "created_at": naive}

        async def no_connection() -> Any:
            raise AssertionError("an insert-only change needs no connection of its own")

        await postgresql_database.apply([InsertRows(tables.outbox, [row])], no_connection)

    in_flight = asyncio.create_task(record(deps, "FIRST 2"))
    await until_blocked(postgresql_database)
    queued = [
        asyncio.create_task(record(deps, "BATCH 1")),
        asyncio.create_task(unwritable()),
        asyncio.create_task(record(deps, "BATCH 2")),
    ]
    await asyncio.sleep(0.05)
    head_held.set()

    await in_flight
    outcomes = await asyncio.gather(*queued, return_exceptions=True)
    refused = outcomes[1]
    assert isinstance(refused, TypeError), refused
    assert "naive" in str(refused.__cause__ or refused)
    for recovery in (outcomes[0], outcomes[2]):
        assert isinstance(recovery, Recovery)
        assert await stored(deps, recovery.id) is not None
    trail = await verify_audit_trail(deps=deps, actor=None)
    assert trail.ok and trail.count == 3


@pytest.fixture
async def head_held(postgresql_database: Database) -> AsyncIterator[asyncio.Event]:
    """Another session holding the audit head: every audited write waits for it until
    the event is set."""
    connection = await asyncpg.connect(asyncpg_dsn(postgresql_database.url))
    release = asyncio.Event()
    transaction = connection.transaction()
    await transaction.start()
    await connection.execute("SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE")

    async def hold() -> None:
        await release.wait()
        await transaction.rollback()

    holder = asyncio.create_task(hold())
    try:
        yield release
    finally:
        release.set()
        await holder
        await connection.close()


async def until_blocked(database: Database) -> None:
    """Until a statement waits for the audit head's lock."""
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        for _ in range(200):
            waiting = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if waiting:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("no statement waited for the audit head")
    finally:
        await connection.close()


async def test_a_change_cancelled_while_waiting_is_not_written(
    postgresql_database: Database, deps: Dependencies, head_held: asyncio.Event
) -> None:
    in_flight = asyncio.create_task(record(deps, "FIRST 1"))
    await until_blocked(postgresql_database)
    waiting = asyncio.create_task(record(deps, "WAITING 1"))
    await asyncio.sleep(0.05)  # staged and queued behind the batch in flight
    waiting.cancel()
    head_held.set()

    first = await in_flight
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await stored(deps, first.id) is not None
    trail = await verify_audit_trail(deps=deps, actor=None)
    assert trail.ok and trail.count == 1


async def test_closing_the_database_writes_what_waits(
    postgresql_database: Database, deps: Dependencies, head_held: asyncio.Event
) -> None:
    own = await open_database(postgresql_database.url)
    closing_deps = dependencies_for_tests(lambda: SqlUnitOfWork(own))
    writes = [asyncio.create_task(record(closing_deps, "CLOSING 1"))]
    await until_blocked(postgresql_database)
    writes.append(asyncio.create_task(record(closing_deps, "CLOSING 2")))
    await asyncio.sleep(0.05)

    closing = asyncio.create_task(own.dispose())
    await asyncio.sleep(0.05)
    assert not closing.done()
    head_held.set()
    await closing

    recorded = [await write for write in writes]
    for recovery in recorded:
        assert await stored(deps, recovery.id) is not None


async def test_writes_go_on_after_the_database_drops_the_connection(
    postgresql_database: Database, deps: Dependencies
) -> None:
    await record(deps, "BEFORE 1")
    await terminate_sessions(postgresql_database.url)

    # The change in flight when a connection dies fails (whether it was stored cannot be
    # known); the next ones find a new connection.
    outcomes = [await _attempt(deps, f"AFTER {i}") for i in range(3)]
    assert all(isinstance(o, Recovery) for o in outcomes[1:]), outcomes
    for recovery in outcomes:
        if isinstance(recovery, Recovery):
            assert await stored(deps, recovery.id) is not None
    assert (await verify_audit_trail(deps=deps, actor=None)).ok


async def _attempt(deps: Dependencies, serial: str) -> Recovery | Exception:
    try:
        return await record(deps, serial)
    except Exception as failure:  # noqa: BLE001 - whichever way asyncpg reports it
        return failure
