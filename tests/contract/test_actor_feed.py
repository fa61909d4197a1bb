"""On PostgreSQL, a change to an account made anywhere reaches every server's memory."""

from __future__ import annotations

import asyncio

import asyncpg

from service import accounts
from service.adapters.database_addresses import asyncpg_dsn
from service.adapters.persistence.actors import (
    ActorChangeFeed,
    RememberingActorDirectory,
    SqlActorDirectory,
)
from service.adapters.persistence.database import Database
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.domain.access import ActorKind
from service.domain.ports.identity import TokenSubject
from tests.builders import dependencies_for_tests
from tests.databases import AGENCIES, reset, terminate_sessions


async def eventually(condition, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def test_an_account_disabled_by_hand_in_sql_is_forgotten(
    postgresql_database: Database,
) -> None:
    database = postgresql_database
    await reset(database)
    deps = dependencies_for_tests(lambda: SqlUnitOfWork(database))
    user = await accounts.register_user(
        deps=deps,
        agency_id=AGENCIES["a"][0],
        username="watched",
        display_name="Watched",
        roles=["investigator"],
        password="a long enough password",
    )
    directory = RememberingActorDirectory(SqlActorDirectory(database))
    feed = ActorChangeFeed(asyncpg_dsn(database.url), directory)
    feed.start()
    try:
        await eventually(lambda: directory.informed)
        who = TokenSubject(user.id, ActorKind.USER)
        assert await directory.active_actor(who) is not None
        admin = await asyncpg.connect(asyncpg_dsn(database.url))
        try:
            await admin.execute("UPDATE users SET disabled = true WHERE id = $1", user.id)
        finally:
            await admin.close()
        await eventually(lambda: not directory.remembers(user.id))
        assert await directory.active_actor(who) is None
    finally:
        await feed.stop()


async def test_a_sign_in_ended_in_the_database_is_forgotten_with_its_access_tokens(
    postgresql_database: Database,
) -> None:
    database = postgresql_database
    await reset(database)
    deps = dependencies_for_tests(lambda: SqlUnitOfWork(database))
    await accounts.register_user(
        deps=deps,
        agency_id=AGENCIES["a"][0],
        username="signing.out",
        display_name="Signing Out",
        roles=["investigator"],
        password="a long enough password",
    )
    signed_in = await accounts.sign_in(
        deps=deps, username="signing.out", password="a long enough password"
    )
    directory = RememberingActorDirectory(SqlActorDirectory(database))
    feed = ActorChangeFeed(asyncpg_dsn(database.url), directory)
    feed.start()
    try:
        await eventually(lambda: directory.informed)
        who = deps.tokens.verify(signed_in.access.token, now=deps.clock.now())
        assert who.session_id is not None
        assert await directory.active_actor(who) is not None
        assert directory.remembers(signed_in.actor.id)
        # Another server signs the person out: this one hears of it and forgets.
        assert signed_in.refresh is not None
        await accounts.revoke_refresh(deps=deps, refresh_token=signed_in.refresh)
        await eventually(lambda: not directory.remembers(signed_in.actor.id))
        assert await directory.active_actor(who) is None
        # A sign-in of its own is unaffected.
        again = await accounts.sign_in(
            deps=deps, username="signing.out", password="a long enough password"
        )
        other = deps.tokens.verify(again.access.token, now=deps.clock.now())
        assert await directory.active_actor(other) is not None
    finally:
        await feed.stop()


async def test_the_feed_stops_remembering_when_its_connection_dies(
    postgresql_database: Database,
) -> None:
    directory = RememberingActorDirectory(SqlActorDirectory(postgresql_database))
    feed = ActorChangeFeed(asyncpg_dsn(postgresql_database.url), directory)
    feed.start()
    try:
        await eventually(lambda: directory.informed)
        await terminate_sessions(postgresql_database.url, "query LIKE 'LISTEN%'")
        await eventually(lambda: not directory.informed)
        await eventually(lambda: directory.informed)  # and it comes back by itself
    finally:
        await feed.stop()
