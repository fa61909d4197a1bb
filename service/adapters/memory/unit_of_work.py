"""The in-memory unit of work: reads see the store, writes are staged and applied at
commit, after every check has passed, or not at all."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from service.adapters.memory.accounts import InMemoryAgencyRepository, InMemoryUserRepository
from service.adapters.memory.audit_log import InMemoryAuditLog
from service.adapters.memory.credentials import (
    InMemoryApiKeyRepository,
    InMemoryConsoleSessions,
    InMemoryRefreshTokenRepository,
    InMemoryServiceAccountRepository,
    InMemorySignInAttempts,
)
from service.adapters.memory.imports import InMemoryBulkRecoveries, InMemoryImportJobs
from service.adapters.memory.networks import InMemoryNetworkGraph
from service.adapters.memory.outbox import InMemoryOutbox, InMemoryRegistryHits
from service.adapters.memory.photos import InMemoryPhotoRepository
from service.adapters.memory.received_exchanges import InMemoryReceivedExchanges
from service.adapters.memory.recoveries import (
    InMemoryRecoveryRepository,
    InMemoryReferenceUsage,
    InMemorySerialIndex,
)
from service.adapters.memory.registry import InMemoryRegistryRecords
from service.adapters.memory.staging import Staging
from service.adapters.memory.store import InMemoryStore
from service.adapters.memory.trace_requests import (
    InMemoryTraceRequestRepository,
    InMemoryTraceThread,
)
from service.domain.events import DomainEvent
from service.domain.ports.unit_of_work import Reaction


class InMemoryUnitOfWork:
    def __init__(self, store: InMemoryStore) -> None:
        staging = self._staging = Staging()
        self._reaction: Reaction | None = None
        self.recoveries = InMemoryRecoveryRepository(store, staging)
        self.photos = InMemoryPhotoRepository(store, staging)
        self.serials = InMemorySerialIndex(store)
        self.reference_usage = InMemoryReferenceUsage(store)
        self.agencies = InMemoryAgencyRepository(store, staging)
        self.users = InMemoryUserRepository(store, staging)
        self.audit = InMemoryAuditLog(store, staging)
        self.service_accounts = InMemoryServiceAccountRepository(store, staging)
        self.api_keys = InMemoryApiKeyRepository(store, staging)
        self.refresh_tokens = InMemoryRefreshTokenRepository(store, staging)
        self.sign_in_attempts = InMemorySignInAttempts(store)
        self.console_sessions = InMemoryConsoleSessions(store, staging)
        self.trace_requests = InMemoryTraceRequestRepository(store, staging)
        self.trace_thread = InMemoryTraceThread(store, staging)
        self.registry_records = InMemoryRegistryRecords(store, staging)
        self.outbox = InMemoryOutbox(store, staging)
        self.registry_hits = InMemoryRegistryHits(store, staging)
        self.received_exchanges = InMemoryReceivedExchanges(store, staging)
        self.networks = InMemoryNetworkGraph(store, staging)
        self.import_jobs = InMemoryImportJobs(store, staging)
        self.bulk_recoveries = InMemoryBulkRecoveries(store, staging)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._staging.clear()

    def record(self, *events: DomainEvent) -> None:
        self._staging.recorded.extend(events)

    def reacting_with(self, reaction: Reaction) -> Self:
        self._reaction = reaction
        return self

    async def commit(self) -> None:
        events = self._staging.events()
        if events and self._reaction is not None:
            await self._reaction(self, events)
        self._staging.apply()
