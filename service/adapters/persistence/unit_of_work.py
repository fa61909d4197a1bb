"""The SQL unit of work: reads go straight to the database, writes are staged and
applied together at commit, in one atomic step, or not at all."""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import cached_property
from types import TracebackType
from typing import Self

import asyncpg
import sqlalchemy.exc

from service.adapters.persistence.accounts import SqlAgencyRepository, SqlUserRepository
from service.adapters.persistence.audit_log import SqlAuditLog
from service.adapters.persistence.conflicts import lost_race
from service.adapters.persistence.credentials import (
    SqlApiKeyRepository,
    SqlConsoleSessions,
    SqlRefreshTokenRepository,
    SqlServiceAccountRepository,
    SqlSignInAttempts,
)
from service.adapters.persistence.database import Database, SqlConnection
from service.adapters.persistence.imports import SqlBulkRecoveries, SqlImportJobs
from service.adapters.persistence.networks import SqlNetworkGraph
from service.adapters.persistence.outbox import SqlOutbox, SqlRegistryHits
from service.adapters.persistence.photos import SqlPhotoRepository
from service.adapters.persistence.received_exchanges import SqlReceivedExchanges
from service.adapters.persistence.recoveries import SqlRecoveryRepository
from service.adapters.persistence.reference_usage import SqlReferenceUsage
from service.adapters.persistence.registry import SqlRegistryRecords
from service.adapters.persistence.serial_batches import SqlSerialIndexInBatches
from service.adapters.persistence.trace_requests import SqlTraceRequestRepository, SqlTraceThread
from service.adapters.persistence.writes import RowOperation
from service.domain.events import DomainEvent
from service.domain.ports.unit_of_work import EventSource, Reaction, take_events


class _Staging:
    """What a unit of work will write, and the aggregates whose events it will collect."""

    def __init__(self) -> None:
        self.operations: list[RowOperation] = []
        self.seen: list[EventSource] = []
        self.recorded: list[DomainEvent] = []

    def __call__(self, operations: list[RowOperation]) -> None:
        self.operations.extend(operations)

    def saw(self, aggregate: EventSource) -> None:
        self.seen.append(aggregate)

    def events(self) -> list[DomainEvent]:
        events = take_events(self.seen, self.recorded)
        self.seen.clear()
        return events

    def clear(self) -> None:
        self.operations.clear()
        self.seen.clear()
        self.recorded.clear()


class SqlUnitOfWork:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._exit = AsyncExitStack()
        self._connection: SqlConnection | None = None
        self._stage = _Staging()
        self._reaction: Reaction | None = None

    async def _connect(self) -> SqlConnection:
        # Taken from the pool on first use only: a unit of work that fails validation
        # before touching storage never holds a connection.
        if self._connection is None:
            self._connection = await self._exit.enter_async_context(self._database.connection())
        return self._connection

    # Repositories are made when first used: most units of work touch one or two.
    @cached_property
    def recoveries(self) -> SqlRecoveryRepository:
        return SqlRecoveryRepository(self._connect, self._stage)

    @cached_property
    def photos(self) -> SqlPhotoRepository:
        return SqlPhotoRepository(self._connect, self._stage)

    @cached_property
    def serials(self) -> SqlSerialIndexInBatches:
        return SqlSerialIndexInBatches(self._connect)

    @cached_property
    def reference_usage(self) -> SqlReferenceUsage:
        return SqlReferenceUsage(self._connect)

    @cached_property
    def agencies(self) -> SqlAgencyRepository:
        return SqlAgencyRepository(self._connect, self._stage)

    @cached_property
    def users(self) -> SqlUserRepository:
        return SqlUserRepository(self._connect, self._stage)

    @cached_property
    def audit(self) -> SqlAuditLog:
        return SqlAuditLog(self._connect, self._stage)

    @cached_property
    def service_accounts(self) -> SqlServiceAccountRepository:
        return SqlServiceAccountRepository(self._connect, self._stage)

    @cached_property
    def api_keys(self) -> SqlApiKeyRepository:
        return SqlApiKeyRepository(self._connect, self._stage)

    @cached_property
    def refresh_tokens(self) -> SqlRefreshTokenRepository:
        return SqlRefreshTokenRepository(self._connect, self._stage)

    @cached_property
    def sign_in_attempts(self) -> SqlSignInAttempts:
        return SqlSignInAttempts(self._connect)

    @cached_property
    def console_sessions(self) -> SqlConsoleSessions:
        return SqlConsoleSessions(self._connect, self._stage)

    @cached_property
    def trace_requests(self) -> SqlTraceRequestRepository:
        return SqlTraceRequestRepository(self._connect, self._stage)

    @cached_property
    def trace_thread(self) -> SqlTraceThread:
        return SqlTraceThread(self._connect, self._stage)

    @cached_property
    def registry_records(self) -> SqlRegistryRecords:
        return SqlRegistryRecords(self._connect, self._stage)

    @cached_property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self._connect, self._stage)

    @cached_property
    def registry_hits(self) -> SqlRegistryHits:
        return SqlRegistryHits(self._connect, self._stage)

    @cached_property
    def received_exchanges(self) -> SqlReceivedExchanges:
        return SqlReceivedExchanges(self._connect, self._stage)

    @cached_property
    def networks(self) -> SqlNetworkGraph:
        return SqlNetworkGraph(self._connect, self._stage)

    @cached_property
    def import_jobs(self) -> SqlImportJobs:
        return SqlImportJobs(self._connect, self._stage)

    @cached_property
    def bulk_recoveries(self) -> SqlBulkRecoveries:
        return SqlBulkRecoveries(self._connect, self._stage)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stage.clear()
        self._connection = None
        await self._exit.aclose()

    def record(self, *events: DomainEvent) -> None:
        self._stage.recorded.extend(events)

    def reacting_with(self, reaction: Reaction) -> Self:
        self._reaction = reaction
        return self

    async def commit(self) -> None:
        events = self._stage.events()
        if events and self._reaction is not None:
            await self._reaction(self, events)
        staged, self._stage.operations = self._stage.operations, []
        if not staged:
            return
        try:
            await self._database.apply(staged, self._connect)
        except (asyncpg.UniqueViolationError, sqlalchemy.exc.IntegrityError) as error:
            conflict = lost_race(error)
            if conflict is None:
                raise
            raise conflict from error
