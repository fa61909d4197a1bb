"""Who is acting: the account behind a verified token, checked against storage.

PostgreSQL deployments remember active actors in memory and forget them when the
database announces a change (a trigger NOTIFYs on every update or delete of an
account), which removes a round trip from every request. The memory is used only while
the announcement channel is connected; entries also expire, as a second line.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Final
from uuid import UUID

import asyncpg
import sqlalchemy as sa
import structlog

from service.adapters.persistence import tables
from service.adapters.persistence.database import Database
from service.adapters.persistence.sql import Query
from service.domain.access import Actor, ActorKind, Role, Scope
from service.domain.ports.identity import ActorDirectory, TokenSubject

ACTOR_CHANGED_CHANNEL: Final = "tracedesk_actor_changed"
log = structlog.get_logger("tracedesk.actors")

_SERVICE_ACCOUNT_STANDING = Query(
    lambda _: (
        sa.select(tables.service_accounts.c.agency_id, tables.service_accounts.c.scopes)
        .select_from(
            tables.service_accounts.join(
                tables.api_keys,
                tables.api_keys.c.service_account_id == tables.service_accounts.c.id,
            )
        )
        .where(
            tables.service_accounts.c.id == sa.bindparam("id"),
            tables.api_keys.c.id == sa.bindparam("key"),
            sa.not_(tables.service_accounts.c.disabled),
            tables.api_keys.c.revoked_at.is_(None),
        )
    )
)

# The person's standing, and whether the sign-in a token was issued from has ended
# (signed out, or its refresh tokens revoked as stolen or by a password change); a token
# naming no sign-in (`session` NULL) has none to end.
_USER_STANDING = Query(
    lambda _: sa.select(
        tables.users.c.agency_id,
        tables.users.c.roles,
        tables.users.c.disabled,
        sa.exists()
        .where(
            tables.refresh_tokens.c.family_id == sa.bindparam("session"),
            tables.refresh_tokens.c.revoked_at.is_not(None),
        )
        .label("ended"),
    ).where(tables.users.c.id == sa.bindparam("id"))
)


class SqlActorDirectory:
    """Reads the account on every question."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def active_actor(self, subject: TokenSubject) -> Actor | None:
        if subject.kind is ActorKind.SERVICE_ACCOUNT:
            return await self._service_account(subject)
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                _USER_STANDING, id=subject.actor_id, session=subject.session_id
            )
        if not rows or rows[0]["disabled"] or rows[0]["ended"]:
            return None
        row = rows[0]
        return Actor(
            id=subject.actor_id,
            kind=ActorKind.USER,
            agency_id=row["agency_id"],
            roles=frozenset(Role(role) for role in row["roles"]),
        )

    async def _service_account(self, subject: TokenSubject) -> Actor | None:
        if subject.credential_id is None:
            return None
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                _SERVICE_ACCOUNT_STANDING, id=subject.actor_id, key=subject.credential_id
            )
        if not rows:
            return None
        return Actor(
            id=subject.actor_id,
            kind=ActorKind.SERVICE_ACCOUNT,
            agency_id=rows[0]["agency_id"],
            scopes=frozenset(Scope(scope) for scope in rows[0]["scopes"]),
        )

    def forget(self, actor_id: UUID) -> None:
        """Nothing is remembered."""


class RememberingActorDirectory:
    """Remembers active actors while told about every change to them."""

    MAX_ENTRIES: Final = 10_000

    def __init__(
        self,
        source: ActorDirectory,
        *,
        ttl_seconds: float = 30.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._ttl = ttl_seconds
        self._now = now
        self._entries: OrderedDict[TokenSubject, tuple[float, Actor]] = OrderedDict()
        self._informed = False

    @property
    def informed(self) -> bool:
        return self._informed

    def informed_of_changes(self, informed: bool) -> None:
        """Called by the change feed: remembering is safe only while it is connected."""
        self._informed = informed
        self._entries.clear()

    async def active_actor(self, subject: TokenSubject) -> Actor | None:
        key = subject
        if self._informed:
            found = self._entries.get(key)
            if found is not None and found[0] > self._now():
                return found[1]
        actor = await self._source.active_actor(subject)
        if actor is not None and self._informed:
            self._entries[key] = (self._now() + self._ttl, actor)
            if len(self._entries) > self.MAX_ENTRIES:
                self._entries.popitem(last=False)
        return actor

    def forget(self, actor_id: UUID) -> None:
        for subject in [s for s in self._entries if s.actor_id == actor_id]:
            del self._entries[subject]

    def remembers(self, actor_id: UUID) -> bool:
        return any(subject.actor_id == actor_id for subject in self._entries)

    def forget_everyone(self) -> None:
        self._entries.clear()


class ActorChangeFeed:
    """A dedicated PostgreSQL connection listening for account changes.

    While connected, the directory remembers; when the connection is lost it stops
    remembering at once, and the feed reconnects with backoff."""

    def __init__(
        self,
        dsn: str,
        directory: RememberingActorDirectory,
        *,
        connect: Callable[[str], Awaitable[asyncpg.Connection]] = asyncpg.connect,
    ) -> None:
        self._dsn = dsn
        self._directory = directory
        self._connect = connect
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="actor-change-feed")

    async def stop(self) -> None:
        self._directory.informed_of_changes(False)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def _changed(self, _connection: Any, _pid: int, _channel: str, payload: object) -> None:
        try:
            self._directory.forget(UUID(str(payload)))
        except ValueError:
            self._directory.forget_everyone()

    def _terminated(self, _connection: object) -> None:
        self._directory.informed_of_changes(False)
        self._lost.set()

    async def _run(self) -> None:
        delay = 0.5
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await self._connect(self._dsn)
                connection.add_termination_listener(self._terminated)
                await connection.add_listener(ACTOR_CHANGED_CHANNEL, self._changed)
                self._lost.clear()
                self._directory.informed_of_changes(True)
                delay = 0.5
                await self._lost.wait()
            except (
                TimeoutError,
                OSError,
                asyncpg.PostgresError,
                asyncpg.InterfaceError,
                # No host takes writes (a failover under way, with several hosts): the
                # announcements will come from whichever is promoted.
                asyncpg.exceptions.InternalClientError,
            ) as error:
                self._directory.informed_of_changes(False)
                log.warning("actor change feed unavailable", error=type(error).__name__)
            finally:
                if connection is not None and not connection.is_closed():
                    await connection.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
