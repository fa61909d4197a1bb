"""The SQL unit of work: reads go straight to the database, writes are staged and
applied together at commit, in one atomic step, or not at all."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.adapters.persistence.accounts import SqlAgencyRepository, SqlUserRepository
from service.adapters.persistence.recoveries import SqlRecoveryRepository
from service.adapters.persistence.reference_usage import SqlReferenceUsage
from service.adapters.persistence.serial_index import SqlSerialIndex
from service.adapters.persistence.writes import (
    PostgresWriter,
    RowOperation,
    RowWriter,
    SqliteWriter,
)


class Database:
    """An engine and the writer that suits its dialect; one per process."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.writer: RowWriter = (
            PostgresWriter() if self.dialect == "postgresql" else SqliteWriter()
        )

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self)

    async def dispose(self) -> None:
        await self.engine.dispose()


class SqlUnitOfWork:
    recoveries: SqlRecoveryRepository
    serials: SqlSerialIndex
    reference_usage: SqlReferenceUsage
    agencies: SqlAgencyRepository
    users: SqlUserRepository

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection: AsyncConnection | None = None
        self._staged: list[RowOperation] = []

    async def _connect(self) -> AsyncConnection:
        # Taken from the pool on first use only: a unit of work that fails validation
        # before touching storage never holds a connection.
        if self._connection is None:
            self._connection = await self._database.engine.connect()
        return self._connection

    def _stage(self, operations: list[RowOperation]) -> None:
        self._staged.extend(operations)

    async def __aenter__(self) -> Self:
        self.recoveries = SqlRecoveryRepository(self._connect, self._stage)
        self.serials = SqlSerialIndex(self._connect)
        self.reference_usage = SqlReferenceUsage(self._connect)
        self.agencies = SqlAgencyRepository(self._connect, self._stage)
        self.users = SqlUserRepository(self._connect, self._stage)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._staged.clear()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def commit(self) -> None:
        staged, self._staged = self._staged, []
        if staged:
            await self._database.writer.apply(await self._connect(), staged)
