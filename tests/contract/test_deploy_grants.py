"""The PostgreSQL grants in deploy/ are enough to run tracedesk, and no more."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from service import accounts
from service.adapters.database_addresses import asyncpg_dsn
from service.adapters.persistence import tables
from service.adapters.persistence.actors import SqlActorDirectory
from service.adapters.persistence.database import open_database
from service.adapters.persistence.schema import revision_of, upgrade
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.dependencies import Dependencies
from service.domain.access import Actor, ActorKind, Role
from service.domain.recovery import RecoveryCorrection
from service.item_photos import AttachPhoto, attach_photo, recovery_photos
from service.recoveries import RecordRecovery, correct_recovery, get_recovery, record_recovery
from service.serial_search import search_serials
from service.trace_requests import (
    Acknowledge,
    RequestTrace,
    Respond,
    act_on_trace_request,
    get_trace_request,
    post_message,
    request_trace,
)
from tests.builders import dependencies_for_tests, firearm, location, new_id
from tests.databases import fresh_postgres_database, postgres_server_url
from tests.pictures import png

GRANTS = Path(__file__).parents[2] / "deploy" / "postgres-grants.sql"
RECOVERED = datetime(2026, 10, 1, tzinfo=UTC)


async def test_the_application_runs_on_the_granted_role_and_cannot_delete_evidence() -> None:
    role = f"tracedesk_app_{uuid.uuid4().hex[:8]}"
    try:
        await _run_as(role)
    finally:
        # Roles belong to the whole cluster, not the throwaway database: always drop it
        # (unless the server was never reachable, which the test reports by itself).
        try:
            admin = await asyncpg.connect(asyncpg_dsn(postgres_server_url()), timeout=5)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            admin = None
        if admin is not None:
            try:
                await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
            finally:
                await admin.close()


async def _run_as(role: str) -> None:
    async with fresh_postgres_database() as owner_url:
        await upgrade(owner_url)
        owner = await asyncpg.connect(asyncpg_dsn(owner_url))
        try:
            await owner.execute(f'CREATE ROLE "{role}" LOGIN')
            await owner.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
            await owner.execute(GRANTS.read_text().replace("tracedesk_app", f'"{role}"'))
            forgotten = [
                table.name
                for table in tables.metadata.sorted_tables
                if not await owner.fetchval(
                    "SELECT has_table_privilege($1, $2, 'SELECT')", role, table.name
                )
            ]
            assert forgotten == [], f"no grant for {forgotten} in {GRANTS.name}"
            app_url = str(make_url(owner_url).set(username=role).render_as_string(False))
            database = await open_database(app_url)
            try:
                deps = dependencies_for_tests(
                    lambda: SqlUnitOfWork(database), actors=SqlActorDirectory(database)
                )
                agency = await accounts.register_agency(
                    deps=deps, name="Granted", country="FR", kind="police"
                )
                user = await accounts.register_user(
                    deps=deps,
                    agency_id=agency.id,
                    username="granted.investigator",
                    display_name="G",
                    roles=[Role.INVESTIGATOR.value],
                    password="a long enough password",
                )
                actor = user.as_actor()
                recorded = await record_recovery(
                    deps=deps,
                    actor=actor,
                    command=RecordRecovery(
                        "CASE-G",
                        RECOVERED,
                        location(),
                        "crime_scene",
                        [firearm(serial="GR 123")],  # type: ignore[arg-type]
                    ),
                )
                item = recorded.items[0].id
                await correct_recovery(
                    deps=deps,
                    actor=actor,
                    recovery_id=recorded.id,
                    expected_version=1,
                    correction=RecoveryCorrection(item_changes={item: {"serial": "GR 128"}}),
                    reason="re-read",
                )
                assert (
                    await get_recovery(deps=deps, actor=actor, recovery_id=recorded.id)
                ).version == 2
                found = await search_serials(deps=deps, actor=actor, serial="GR128")
                assert [m.candidate.item_id for m in found.matches] == [item]
                await _trace_exchange(deps, actor, recorded.id, item)
                photo = await attach_photo(
                    deps=deps, actor=actor, command=AttachPhoto(recorded.id, item, png())
                )
                assert await recovery_photos(deps=deps, actor=actor, recovery_id=recorded.id) == [
                    photo
                ]
                await accounts.sign_in(
                    deps=deps, username="granted.investigator", password="a long enough password"
                )
                await accounts.disable_user(deps=deps, user_id=user.id)
                async with database.connection() as connection:
                    assert (await revision_of(connection)).is_current
            finally:
                await database.dispose()

            app = await asyncpg.connect(asyncpg_dsn(app_url))
            try:
                for statement in (
                    "DELETE FROM recoveries",
                    "DELETE FROM recovery_corrections",
                    "UPDATE recovery_corrections SET reason = 'rewritten'",
                    "DROP TABLE users",
                    "ALTER TABLE recoveries ADD COLUMN x int",
                    "UPDATE audit_events SET reason = 'rewritten'",
                    "DELETE FROM audit_events",
                    "DELETE FROM audit_head",
                    "DELETE FROM trace_requests",
                    "UPDATE trace_transitions SET reason = 'rewritten'",
                    "DELETE FROM trace_responses",
                    "UPDATE trace_messages SET body = 'rewritten'",
                    "UPDATE item_photos SET sha256 = 'rewritten'",
                    "DELETE FROM item_photos",
                ):
                    with pytest.raises(asyncpg.InsufficientPrivilegeError):
                        await app.execute(statement)
            finally:
                await app.close()
        finally:
            await owner.execute(f'DROP OWNED BY "{role}"')
            await owner.close()


async def _trace_exchange(deps: Dependencies, asker: Actor, recovery_id: UUID, item: UUID) -> None:
    """A trace request asked, answered and discussed, all on the granted role."""
    answering = await accounts.register_agency(
        deps=deps, name="Granted tracing centre", country="BE", kind="national_tracing_centre"
    )
    officer = Actor(new_id(), ActorKind.USER, answering.id, frozenset({Role.TRACING_OFFICER}))
    request = await request_trace(
        deps=deps,
        actor=asker,
        command=RequestTrace(recovery_id, item, answering.id, "grounds", "use", "urgent", True),
    )
    for step in (Acknowledge(), Respond("not_traced", [])):
        request = await act_on_trace_request(
            deps=deps,
            actor=officer,
            request_id=request.id,
            expected_version=request.version,
            command=step,
        )
    await post_message(deps=deps, actor=officer, request_id=request.id, body="No record.")
    assert (await get_trace_request(deps=deps, actor=asker, request_id=request.id)).outcome
