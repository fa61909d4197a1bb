"""The two databases tracedesk runs on, behind one small connection interface.

PostgreSQL (production) is reached through an asyncpg pool; SQLite (the embedded
default) through SQLAlchemy and aiosqlite. Both work in autocommit: reads need no
transaction (each aggregate is read by one statement) and writes open exactly the
transaction they need when a unit of work commits.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import unquote

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from service.adapters.availability import DatabaseFileReplaced
from service.adapters.database_addresses import asyncpg_dsn
from service.adapters.persistence.connecting import HostByHost
from service.adapters.persistence.group_commit import GroupCommit
from service.adapters.persistence.sql import POSTGRES, SQLITE, Query
from service.adapters.persistence.statistics import StatisticsKeeper
from service.adapters.persistence.writes import (
    PostgresWriter,
    RowOperation,
    SqliteWriter,
    insert_only,
)
from service.domain.ports.unit_of_work import EventSource

if TYPE_CHECKING:
    from service.adapters.persistence.writes import Driver

# A result row: an asyncpg Record or a SQLAlchemy RowMapping, read by column name.
Row = Mapping[Any, Any]


@dataclass(frozen=True, slots=True)
class PoolSettings:
    size: int = 10
    timeout_seconds: float = 10.0


class SqlConnection(Protocol):
    dialect: str

    async def fetch(self, query: Query, **parameters: Any) -> Sequence[Row]: ...

    async def apply(self, operations: Sequence[RowOperation]) -> None:
        """Apply row operations atomically, or none of them."""


# How repositories reach storage: a connection (taken on first use) and a place to stage
# row operations until the unit of work commits.
Connect = Callable[[], Awaitable[SqlConnection]]


class Stage(Protocol):
    def __call__(self, operations: list[RowOperation]) -> None:
        """Row operations to apply at commit."""

    def saw(self, aggregate: EventSource) -> None:
        """An aggregate added or saved: its events are collected at commit."""


class Database(Protocol):
    dialect: str
    url: str

    def connection(self) -> AbstractAsyncContextManager[SqlConnection]: ...

    async def apply(self, operations: Sequence[RowOperation], connect: Connect) -> None:
        """Apply a unit of work's row operations atomically, or none of them; `connect`
        gives the unit of work's own connection, should they need it."""

    async def dispose(self) -> None: ...

    def pool_usage(self) -> tuple[int, int] | None:
        """Connections open and idle in the serving pool; None without a pool."""


class PostgresConnection:
    dialect = POSTGRES

    def __init__(self, driver: Driver) -> None:
        self._driver = driver

    async def fetch(self, query: Query, **parameters: Any) -> Sequence[Row]:
        sql = query.postgres()
        try:
            records = await self._driver.fetch(sql.text, *sql.arguments(parameters))
        except asyncpg.ReadOnlySQLTransactionError:
            self._discard()
            raise
        return cast(Sequence[Row], records)

    async def apply(self, operations: Sequence[RowOperation]) -> None:
        try:
            await PostgresWriter().apply(self._driver, operations)
        except asyncpg.ReadOnlySQLTransactionError:
            self._discard()
            raise

    def _discard(self) -> None:
        # The server turned read-only under this connection: a primary demoted while it
        # stayed up. Closed, so that the pool's next connection is made afresh and, with
        # target_session_attrs=read-write, reaches the server that now takes writes.
        self._driver.terminate()


class PostgresDatabase:
    dialect = POSTGRES

    def __init__(self, url: str, pool: asyncpg.Pool, group_commit: GroupCommit) -> None:
        self.url = url
        self._pool = pool
        self._group_commit = group_commit
        self.statistics = StatisticsKeeper(pool)

    @classmethod
    async def open(cls, url: str, settings: PoolSettings) -> PostgresDatabase:
        # One connector for both pools: once a failover has been followed, every new
        # connection goes to the new primary first.
        connect = HostByHost()

        async def pool(size: int, *, opened: int) -> asyncpg.Pool:
            return await asyncpg.create_pool(
                asyncpg_dsn(url),
                connect=connect,
                min_size=opened,
                max_size=size,
                timeout=settings.timeout_seconds,
                init=_init_postgres_connection,
                reset=_keep_session,
                # Every tracedesk statement is an index lookup with parameters, prepared
                # once per connection. PostgreSQL otherwise keeps re-planning some of them
                # (custom plans for array parameters), and planning costs more than
                # executing.
                server_settings={"plan_cache_mode": "force_generic_plan"},
            )

        # Group commit's connection is opened by the first write: most commands never write.
        return cls(url, await pool(settings.size, opened=1), GroupCommit(await pool(1, opened=0)))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[SqlConnection]:
        async with self._pool.acquire() as driver:
            yield PostgresConnection(driver)

    async def apply(self, operations: Sequence[RowOperation], connect: Connect) -> None:
        run = insert_only(operations)
        if run is not None:
            await self._group_commit.write(run)
        else:
            await (await connect()).apply(operations)
        self.statistics.wrote(operations)

    async def dispose(self) -> None:
        await self.statistics.close()
        await self._group_commit.close()
        await self._pool.close()

    def pool_usage(self) -> tuple[int, int] | None:
        return self._pool.get_size(), self._pool.get_idle_size()


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Nothing to reset when a connection goes back to the pool.

    asyncpg still rolls back a transaction left open; its default reset would also run
    RESET ALL, UNLISTEN and advisory unlocks, a round trip on every release. tracedesk
    changes no session state (no SET, LISTEN or advisory locks) so that work is waste.
    """


async def _init_postgres_connection(connection: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await connection.set_type_codec(
            kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


class SqliteConnection:
    dialect = SQLITE

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def fetch(self, query: Query, **parameters: Any) -> Sequence[Row]:
        result = await self._connection.execute(query.statement(SQLITE), parameters)
        return result.mappings().all()

    async def apply(self, operations: Sequence[RowOperation]) -> None:
        await SqliteWriter().apply(self._connection, operations)


class SqliteDatabase:
    dialect = SQLITE

    def __init__(self, url: str, engine: AsyncEngine) -> None:
        self.url = url
        self.engine = engine
        self._file = _OpenedFile(sqlite_file(url))

    @classmethod
    def open(cls, url: str) -> SqliteDatabase:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return cls(url, engine)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[SqlConnection]:
        self._file.check()
        async with self.engine.connect() as connection:
            self._file.opened()
            yield SqliteConnection(connection)

    async def apply(self, operations: Sequence[RowOperation], connect: Connect) -> None:
        await (await connect()).apply(operations)

    async def dispose(self) -> None:
        await self.engine.dispose()

    def pool_usage(self) -> tuple[int, int] | None:
        return None


class _OpenedFile:
    """The SQLite file the server opened, told apart from whatever is at its path now.

    A connection keeps writing to a file deleted or moved under it, and a new one would
    create an empty file there: either way acknowledged writes would be lost. So every
    connection first checks that the path still names the file first opened (device and
    inode, one stat), and the server answers 503 until restarted when it does not."""

    def __init__(self, path: str | None) -> None:
        self._path = path  # None for an in-memory database: it has no file to lose
        self._identity: tuple[int, int] | None = None

    def opened(self) -> None:
        if self._path is not None and self._identity is None:
            self._identity = _identity(self._path)

    def check(self) -> None:
        if self._path is not None and self._identity is not None:
            if _identity(self._path) != self._identity:
                raise DatabaseFileReplaced(self._path)


def sqlite_file(url: str) -> str | None:
    """The file a SQLite URL names, also as a `file:` URI; None when it names memory."""
    address = make_url(url)
    path = address.database
    if not path or path == ":memory:" or address.query.get("mode") == "memory":
        return None
    if path.startswith("file:"):
        path = unquote(path.removeprefix("file:").removeprefix("//"))
    return path or None


def _identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer commits; FULL sync because a recovery is
    # evidence and must survive a power cut once acknowledged.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


async def open_database(url: str, pool: PoolSettings | None = None) -> Database:
    backend = make_url(url).get_backend_name()
    if backend == POSTGRES:
        return await PostgresDatabase.open(url, pool or PoolSettings())
    if backend == SQLITE:
        return SqliteDatabase.open(url)
    raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")


def migration_engine(url: str) -> AsyncEngine:
    """A short-lived SQLAlchemy engine for Alembic and schema checks.

    On SQLite, foreign keys are not enforced while migrating: a batch migration rebuilds
    a table by copying it, and a referenced table cannot be dropped while enforced. The
    upgrade checks every foreign key once it is done (`check_foreign_keys`).

    On PostgreSQL, SQLAlchemy is handed connections made as the pool makes them, from
    the same DSN: host by host when there are several, and with what the URL asks of
    the server, such as sslmode, which SQLAlchemy would pass to asyncpg.connect as a
    keyword argument it refuses."""
    if make_url(url).get_backend_name() == POSTGRES:
        dsn, connect = asyncpg_dsn(url), HostByHost()

        async def connection() -> asyncpg.Connection:
            return await connect(dsn)

        return create_async_engine(
            "postgresql+asyncpg://", poolclass=NullPool, async_creator=connection
        )
    engine = create_async_engine(url, poolclass=NullPool)
    if make_url(url).get_backend_name() == SQLITE:
        event.listen(engine.sync_engine, "connect", _configure_sqlite_for_migrations)
    return engine


def _configure_sqlite_for_migrations(dbapi_connection: Any, record: Any) -> None:
    _configure_sqlite(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()
