"""The audit trail on every storage adapter: chained with each change, append-only in
the database, and any tampering found by verification."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service import accounts
from service.adapters.persistence.actors import SqlActorDirectory
from service.adapters.persistence.database import Database
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.audit_trail import verify_audit_trail
from service.dependencies import Dependencies
from service.domain.access import Role
from service.domain.audit import Break
from service.domain.errors import ValidationFailed
from service.domain.ports.audit import AuditFilter
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.recovery import RecoveryCorrection
from service.recoveries import RecordRecovery, correct_recovery, record_recovery
from tests.builders import actor, dependencies_for_tests, firearm, location
from tests.databases import AGENCIES, FOREIGN_KEY_REFUSED, migration_engine, reset

RECOVERED = datetime(2026, 10, 1, tzinfo=UTC)


def command(serial: str = "ABC 123") -> RecordRecovery:
    return RecordRecovery("CASE-A", RECOVERED, location(), "crime_scene", [firearm(serial=serial)])  # type: ignore[arg-type]


async def changes(deps: Dependencies, count: int) -> None:
    investigator = actor(Role.INVESTIGATOR)
    for i in range(count):
        recorded = await record_recovery(
            deps=deps, actor=investigator, command=command(f"ABC {i:04d}")
        )
        await correct_recovery(
            deps=deps,
            actor=investigator,
            recovery_id=recorded.id,
            expected_version=1,
            correction=RecoveryCorrection(case_reference=f"CASE-{i}"),
            reason="typo",
        )


async def test_every_change_is_chained_and_verifies(unit_of_work: Callable[[], UnitOfWork]) -> None:
    deps = dependencies_for_tests(unit_of_work)
    await changes(deps, 3)
    result = await verify_audit_trail(deps=deps, actor=None)
    assert result.ok and result.count == 6
    async with unit_of_work() as uow:
        assert (await uow.audit.head())[0] == 6
        recorded = await uow.audit.events(
            AuditFilter(action="recovery.corrected"),
            after_seq=None,
            limit=10,
        )
    assert [e.event.reason for e in recorded] == ["typo"] * 3
    assert recorded[0].event.changes == {
        "version": 2,
        "fields": {"case_reference": {"before": "CASE-A", "after": "CASE-2"}},
    }


async def test_a_change_that_fails_records_no_event(database: Database) -> None:
    deps = dependencies_for_tests(lambda: SqlUnitOfWork(database))
    outsider = actor(Role.INVESTIGATOR, agency=uuid.uuid4())  # no such agency
    with pytest.raises(FOREIGN_KEY_REFUSED):
        await record_recovery(deps=deps, actor=outsider, command=command())
    async with SqlUnitOfWork(database) as uow:
        assert await uow.audit.head() == (0, "0" * 64)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET reason = 'x'", "DELETE FROM audit_events", "DELETE FROM audit_head"],
)
async def test_the_database_refuses_to_change_the_trail_even_for_its_owner(
    database: Database, statement: str
) -> None:
    await changes(dependencies_for_tests(lambda: SqlUnitOfWork(database)), 1)
    engine = migration_engine(database.url)
    try:
        async with engine.begin() as connection:
            with pytest.raises(sa.exc.DBAPIError, match="append-only|only moves forward"):
                await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


async def tamper(database: Database, *statements: str) -> None:
    """Change the stored trail as someone with full database access would: around the
    triggers (they are there to stop mistakes and the application role, not the owner)."""
    engine = migration_engine(database.url)
    try:
        async with engine.begin() as connection:
            if database.dialect == "postgresql":
                await connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
                for statement in statements:
                    await connection.exec_driver_sql(statement)
            else:
                triggers = (
                    await connection.exec_driver_sql(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                    )
                ).all()
                for name, _ in triggers:
                    await connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
                for statement in statements:
                    await connection.exec_driver_sql(statement)
                for _, sql in triggers:
                    await connection.exec_driver_sql(sql)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("statements", "broken_at", "problem"),
    [
        (
            ["UPDATE audit_events SET payload = replace(payload, 'typo', 'nothing') WHERE seq = 4"],
            4,
            Break.CHANGED,
        ),
        (["UPDATE audit_events SET action = 'recovery.viewed' WHERE seq = 3"], 3, Break.CHANGED),
        (["DELETE FROM audit_events WHERE seq = 2"], 2, Break.MISSING),
        (
            [
                "UPDATE audit_events SET seq = 100 WHERE seq = 3",
                "UPDATE audit_events SET seq = 3 WHERE seq = 4",
                "UPDATE audit_events SET seq = 4 WHERE seq = 100",
            ],
            3,
            Break.REORDERED,
        ),
        (["DELETE FROM audit_events WHERE seq >= 5"], 5, Break.MISSING),
    ],
    ids=["changed payload", "changed column", "deleted", "swapped", "truncated"],
)
async def test_verification_finds_the_first_tampered_event(
    database: Database, statements: list[str], broken_at: int, problem: Break
) -> None:
    deps = dependencies_for_tests(lambda: SqlUnitOfWork(database))
    await changes(deps, 3)
    assert (await verify_audit_trail(deps=deps, actor=None)).ok
    await tamper(database, *statements)
    result = await verify_audit_trail(deps=deps, actor=None)
    assert (result.ok, result.broken_at, result.problem) == (False, broken_at, problem)


async def test_events_written_while_the_chain_is_read_do_not_break_it(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    """Read records land in the background, each with its head: one that lands between
    reading the chain and reading the head is read and checked too, never reported as a
    break (found by CI: 'the chain ends at 22 but its head is at 23')."""
    deps = dependencies_for_tests(unit_of_work)
    await changes(deps, 2)
    writes = asyncio.Event()

    def reading() -> UnitOfWork:
        uow = unit_of_work()
        chain = uow.audit.chain

        async def chain_then_a_change(*, after_seq: int, limit: int) -> list:  # type: ignore[type-arg]
            page = await chain(after_seq=after_seq, limit=limit)
            if not writes.is_set():
                writes.set()
                await changes(deps, 1)  # committed by another unit of work meanwhile
            return page

        uow.audit.chain = chain_then_a_change  # type: ignore[method-assign]
        return uow

    result = await verify_audit_trail(deps=dependencies_for_tests(reading), actor=None)
    assert result.ok and result.count == 6 and result.head_seq == 6


async def test_concurrent_writers_make_one_chain_without_gaps_or_forks(
    postgresql_database: Database,
) -> None:
    await reset(postgresql_database)
    deps = dependencies_for_tests(lambda: SqlUnitOfWork(postgresql_database))
    investigator = actor(Role.INVESTIGATOR)
    await asyncio.gather(
        *(
            record_recovery(deps=deps, actor=investigator, command=command(f"P {i:03d}"))
            for i in range(50)
        )
    )
    result = await verify_audit_trail(deps=deps, actor=None)
    assert result.ok and result.count == 50 and result.head_seq == 50


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    plan=st.lists(
        st.sampled_from(["record", "correct", "noop", "user", "disable", "fail"]), max_size=12
    )
)
async def test_random_commands_leave_a_chain_that_verifies_with_one_event_per_change(
    backend: Database, plan: list[str]
) -> None:
    await reset(backend)
    deps = dependencies_for_tests(lambda: SqlUnitOfWork(backend), actors=SqlActorDirectory(backend))
    investigator = actor(Role.INVESTIGATOR, agency=AGENCIES["a"][0])
    recorded, users, expected = [], [], 0
    for step, command_name in enumerate(plan):
        if command_name == "record":
            recorded.append(
                await record_recovery(
                    deps=deps, actor=investigator, command=command(f"R {step:03d}")
                )
            )
            expected += 1
        elif command_name == "correct" and recorded:
            target = recorded[-1]
            target = await correct_recovery(
                deps=deps,
                actor=investigator,
                recovery_id=target.id,
                expected_version=target.version,
                correction=RecoveryCorrection(case_reference=f"C-{step}"),
                reason="step",
            )
            recorded[-1] = target
            expected += 1
        elif command_name == "noop" and recorded:
            target = recorded[-1]
            await correct_recovery(
                deps=deps,
                actor=investigator,
                recovery_id=target.id,
                expected_version=target.version,
                correction=RecoveryCorrection(case_reference=target.case_reference),
                reason="nothing to change",
            )
        elif command_name == "user":
            users.append(
                await accounts.register_user(
                    deps=deps,
                    agency_id=AGENCIES["a"][0],
                    username=f"user{step}",
                    display_name="U",
                    roles=["investigator"],
                    password="a long enough password",
                )
            )
            expected += 1
        elif command_name == "disable" and users:
            await accounts.disable_user(deps=deps, user_id=users.pop().id)
            expected += 1
        elif command_name == "fail":
            with pytest.raises(ValidationFailed):  # a refused command
                await record_recovery(deps=deps, actor=investigator, command=command("A\x00"))
    result = await verify_audit_trail(deps=deps, actor=None)
    assert result.ok and result.count == expected
