"""Storing trace requests and their threads; carrying them to other instances."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from service.domain.federation import ReceivedExchange, TraceExchange
from service.domain.trace_request import TraceRequest
from service.domain.trace_statistics import TraceFacts
from service.domain.trace_thread import TraceMessage
from service.domain.trace_workflow import Priority, TraceStatus


class Box(StrEnum):
    """Which trace requests of an agency: those it sent, or those addressed to it."""

    OUTBOX = "outbox"
    INBOX = "inbox"


@dataclass(frozen=True, slots=True)
class TraceRequestFilter:
    """Filters of a trace-request list; all given filters must hold."""

    statuses: frozenset[TraceStatus] = frozenset()
    priority: Priority | None = None
    overdue: bool | None = None


@dataclass(frozen=True, slots=True)
class TraceRequestCursor:
    """Newest request first; id breaks ties."""

    created_at: datetime
    request_id: UUID


@dataclass(frozen=True, slots=True)
class TraceRequestPage:
    requests: list[TraceRequest]  # without their history
    next_cursor: TraceRequestCursor | None


class TraceRequestRepository(Protocol):
    async def ids_for_recovery(self, recovery_id: UUID) -> list[UUID]:
        """The requests made about a recovery's items, oldest first."""
        ...

    async def ids_for_recoveries(self, recovery_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
        """The requests made about each of these recoveries, oldest first (one read)."""
        ...

    async def get(self, request_id: UUID, *, visible_to: UUID | None = None) -> TraceRequest | None:
        """The request with its whole history; with `visible_to`, only if that agency
        stands on one of its sides (another's is found exactly as fast as none)."""
        ...

    def add(self, request: TraceRequest) -> None:
        """Stage a new request; written when the unit of work commits."""

    def save(self, request: TraceRequest) -> None:
        """Stage the transitions and responses made since it was loaded here; the write
        fails with StaleVersion if someone else changed it in between."""

    async def page(
        self,
        *,
        agency_id: UUID,
        box: Box,
        request_filter: TraceRequestFilter,
        now: datetime,
        after: TraceRequestCursor | None,
        limit: int,
    ) -> TraceRequestPage:
        """An agency's outbox (every request it made, drafts included) or inbox (requests
        addressed to it that were submitted), newest first."""
        ...

    async def owed(self, *, agency_id: UUID, box: Box, limit: int) -> list[TraceRequest]:
        """The box's requests on which a step is owed (to the agency in its inbox, by the
        addressee in its outbox), the earliest deadline first; without their history."""
        ...

    async def facts(
        self, *, agency_id: UUID, box: Box, submitted_from: datetime, submitted_to: datetime
    ) -> list[TraceFacts]:
        """What the statistics need of the box's requests submitted in [from, to)."""
        ...


@dataclass(frozen=True, slots=True)
class MessageCursor:
    """Oldest message first: a thread reads in order."""

    posted_at: datetime
    message_id: UUID


@dataclass(frozen=True, slots=True)
class MessagePage:
    messages: list[TraceMessage]
    next_cursor: MessageCursor | None


class TraceThread(Protocol):
    def add(self, message: TraceMessage) -> None: ...

    async def get(self, message_id: UUID) -> TraceMessage | None: ...

    async def messages(
        self, request_id: UUID, *, after: MessageCursor | None, limit: int
    ) -> MessagePage: ...


class ReceivedExchanges(Protocol):
    """The exchange messages taken from peers, by message id."""

    async def get(self, message_id: UUID) -> ReceivedExchange | None: ...

    def add(self, received: ReceivedExchange) -> None: ...


class TraceChannel(Protocol):
    """Carries exchange messages to the tracedesk instance named `peer`."""

    async def deliver(self, peer: str, exchange: TraceExchange) -> None:
        """Returns once the peer has taken the message (or already had it); raises
        DeliveryFailed otherwise."""
        ...

    async def returned(self) -> list[str]:
        """Peers not known to answer (they failed, or nothing was sent since this process
        started) that answer now; each asked at most about once a second."""
        ...
