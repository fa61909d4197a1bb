"""One command's unit of work: its repositories, its events, one commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Protocol, Self

from service.domain.events import DomainEvent
from service.domain.ports.audit import AuditLog
from service.domain.ports.background import Outbox
from service.domain.ports.identity import (
    AgencyRepository,
    ApiKeyRepository,
    ConsoleSessions,
    RefreshTokenRepository,
    ServiceAccountRepository,
    SignInAttempts,
    UserRepository,
)
from service.domain.ports.imports import BulkRecoveries, ImportJobs
from service.domain.ports.networks import NetworkGraph
from service.domain.ports.photos import PhotoRepository
from service.domain.ports.recoveries import RecoveryRepository, ReferenceUsage, SerialIndex
from service.domain.ports.registries import RegistryHits, RegistryRecords
from service.domain.ports.tracing import ReceivedExchanges, TraceRequestRepository, TraceThread


class EventSource(Protocol):
    """An aggregate that records what happened to it, for the unit of work to collect."""

    @property
    def events(self) -> list[DomainEvent]: ...


def take_events(seen: Sequence[EventSource], recorded: list[DomainEvent]) -> list[DomainEvent]:
    """What a unit of work hands over at commit: the events of the aggregates it saw,
    in the order it saw them, then those recorded with it; each taken once."""
    events: list[DomainEvent] = []
    for aggregate in seen:
        events += aggregate.events
        aggregate.events.clear()
    events += recorded
    recorded.clear()
    return events


# What a unit of work calls at commit with the events it collected: it stages in the unit
# of work what they call for, to be written with the change.
Reaction = Callable[["UnitOfWork", Sequence[DomainEvent]], Awaitable[None]]


class UnitOfWork(Protocol):
    # Read-only properties, so each adapter may expose its own repository classes.
    @property
    def recoveries(self) -> RecoveryRepository: ...

    @property
    def photos(self) -> PhotoRepository: ...

    @property
    def serials(self) -> SerialIndex: ...

    @property
    def reference_usage(self) -> ReferenceUsage: ...

    @property
    def agencies(self) -> AgencyRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def service_accounts(self) -> ServiceAccountRepository: ...

    @property
    def api_keys(self) -> ApiKeyRepository: ...

    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...

    @property
    def sign_in_attempts(self) -> SignInAttempts: ...

    @property
    def console_sessions(self) -> ConsoleSessions: ...

    @property
    def trace_requests(self) -> TraceRequestRepository: ...

    @property
    def trace_thread(self) -> TraceThread: ...

    @property
    def registry_records(self) -> RegistryRecords: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def registry_hits(self) -> RegistryHits: ...

    @property
    def received_exchanges(self) -> ReceivedExchanges: ...

    @property
    def networks(self) -> NetworkGraph: ...

    @property
    def import_jobs(self) -> ImportJobs: ...

    @property
    def bulk_recoveries(self) -> BulkRecoveries: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Discard whatever was staged and not committed."""

    def record(self, *events: DomainEvent) -> None:
        """Events that belong to no aggregate (a refused sign-in, a registry's answer),
        handled at commit after those of the aggregates added or saved."""

    def reacting_with(self, reaction: Reaction) -> Self:
        """Have `reaction` stage, at commit, what the collected events call for."""
        ...

    async def commit(self) -> None:
        """Hand the events of the aggregates added or saved, and those recorded, to the
        reaction; then write everything staged, atomically, or nothing."""
