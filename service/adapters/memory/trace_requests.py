"""Trace requests and their threads in memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from service.adapters.memory.staging import Staging
from service.adapters.memory.store import InMemoryStore, kept
from service.domain.errors import StaleVersion
from service.domain.ports.tracing import (
    Box,
    MessageCursor,
    MessagePage,
    TraceRequestCursor,
    TraceRequestFilter,
    TraceRequestPage,
)
from service.domain.trace_request import TraceRequest
from service.domain.trace_statistics import TraceFacts
from service.domain.trace_thread import TraceMessage


class InMemoryTraceRequestRepository:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging
        self._loaded_versions: dict[UUID, int] = {}

    async def ids_for_recovery(self, recovery_id: UUID) -> list[UUID]:
        found = [
            r for r in self._store.trace_requests.values() if r.item.recovery_id == recovery_id
        ]
        return [r.id for r in sorted(found, key=lambda r: (r.created_at, r.id))]

    async def ids_for_recoveries(self, recovery_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
        found: dict[UUID, list[UUID]] = {}
        for recovery_id in recovery_ids:
            ids = await self.ids_for_recovery(recovery_id)
            if ids:
                found[recovery_id] = ids
        return found

    async def get(self, request_id: UUID, *, visible_to: UUID | None = None) -> TraceRequest | None:
        found = self._store.trace_requests.get(request_id)
        if found is None or (visible_to is not None and not found.side_of(visible_to)):
            return None
        self._loaded_versions[request_id] = found.version
        return kept(found)

    def add(self, request: TraceRequest) -> None:
        self._staging.saw(request)
        self._staging.write(
            lambda: self._store.trace_requests.__setitem__(request.id, kept(request))
        )

    def save(self, request: TraceRequest) -> None:
        loaded = self._loaded_versions[request.id]

        def unchanged_since_read() -> None:
            current = self._store.trace_requests[request.id].version
            if current != loaded:
                raise StaleVersion("trace request", loaded, current)

        self._staging.check(unchanged_since_read)
        self.add(request)

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
        f = request_filter
        chosen = [
            r
            for r in self._store.trace_requests.values()
            if _in_box(r, agency_id, box)
            and (not f.statuses or r.status in f.statuses)
            and (f.priority is None or r.priority == f.priority)
            and (f.overdue is None or r.overdue(now) == f.overdue)
        ]
        chosen.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        if after is not None:
            position = (after.created_at, after.request_id)
            chosen = [r for r in chosen if (r.created_at, r.id) < position]
        page = [
            dataclasses.replace(r, transitions=(), responses=(), history_loaded=False, events=[])
            for r in chosen[:limit]
        ]
        more = len(chosen) > limit
        cursor = TraceRequestCursor(page[-1].created_at, page[-1].id) if more and page else None
        return TraceRequestPage(requests=page, next_cursor=cursor)

    async def owed(self, *, agency_id: UUID, box: Box, limit: int) -> list[TraceRequest]:
        owing = [
            r
            for r in self._store.trace_requests.values()
            if _in_box(r, agency_id, box) and r.due_at is not None
        ]
        owing.sort(key=lambda r: (r.due_at, r.id))
        return [
            dataclasses.replace(r, transitions=(), responses=(), history_loaded=False, events=[])
            for r in owing[:limit]
        ]

    async def facts(
        self, *, agency_id: UUID, box: Box, submitted_from: datetime, submitted_to: datetime
    ) -> list[TraceFacts]:
        return [
            _facts(r)
            for r in self._store.trace_requests.values()
            if _in_box(r, agency_id, box)
            and r.submitted_at is not None
            and submitted_from <= r.submitted_at < submitted_to
        ]


def _facts(request: TraceRequest) -> TraceFacts:
    if request.submitted_at is None:
        raise ValueError("only submitted requests have tracing facts")
    return TraceFacts(
        addressee_agency_id=request.addressee_agency_id,
        priority=request.priority,
        status=request.status,
        submitted_at=request.submitted_at,
        acknowledged_at=request.acknowledged_at,
        first_response_at=request.first_response_at,
        respond_by=request.respond_by,
        outcome=request.outcome,
        time_to_crime_days=request.time_to_crime_days,
    )


def _in_box(request: TraceRequest, agency_id: UUID, box: Box) -> bool:
    if box is Box.OUTBOX:
        return request.requester_agency_id == agency_id
    return request.addressee_agency_id == agency_id and request.submitted_at is not None


class InMemoryTraceThread:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    def add(self, message: TraceMessage) -> None:
        self._staging.saw(message)
        self._staging.write(lambda: self._store.trace_messages.append(kept(message)))

    async def get(self, message_id: UUID) -> TraceMessage | None:
        return next((m for m in self._store.trace_messages if m.id == message_id), None)

    async def messages(
        self, request_id: UUID, *, after: MessageCursor | None, limit: int
    ) -> MessagePage:
        chosen = sorted(
            (m for m in self._store.trace_messages if m.request_id == request_id),
            key=lambda m: (m.posted_at, m.id),
        )
        if after is not None:
            position = (after.posted_at, after.message_id)
            chosen = [m for m in chosen if (m.posted_at, m.id) > position]
        page, more = chosen[:limit], len(chosen) > limit
        cursor = MessageCursor(page[-1].posted_at, page[-1].id) if more and page else None
        return MessagePage(messages=page, next_cursor=cursor)
