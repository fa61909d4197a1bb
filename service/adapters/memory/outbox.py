"""The outbox and registry hits in memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from service.adapters.memory.staging import Staging
from service.adapters.memory.store import InMemoryStore, QueuedMessage
from service.domain.outbox import OutboxEntry, OutboxMessage
from service.domain.ports.background import OutboxBacklog
from service.domain.registry_hits import RegistryHit


class InMemoryOutbox:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    def add(self, message: OutboxMessage) -> None:
        self._staging.write(
            lambda: self._store.outbox.__setitem__(
                message.id, QueuedMessage(message, available_at=message.created_at)
            )
        )

    async def claim(
        self, *, topics: Sequence[str], now: datetime, lease: timedelta, limit: int
    ) -> list[OutboxMessage]:
        due = sorted(
            (
                q
                for q in self._store.outbox.values()
                if q.done_at is None
                and q.failed_at is None
                and q.message.topic in topics
                and q.available_at <= now
                and (q.leased_until is None or q.leased_until < now)
                and not self._waits_its_turn(q)
            ),
            key=lambda q: (q.available_at, q.message.id),
        )[:limit]
        for queued in due:
            queued.leased_until = now + lease
        return [q.message for q in due]

    def _waits_its_turn(self, queued: QueuedMessage) -> bool:
        key = queued.message.ordering_key
        turn = (queued.message.created_at, queued.message.id)
        return key is not None and any(
            q.message.ordering_key == key
            and q.done_at is None
            and q.failed_at is None
            and (q.message.created_at, q.message.id) < turn
            for q in self._store.outbox.values()
        )

    async def troubles(self, *, limit: int) -> list[OutboxEntry]:
        troubled = [
            q for q in self._store.outbox.values() if q.done_at is None and q.message.attempts
        ]
        troubled.sort(key=lambda q: q.failed_at or q.available_at, reverse=True)
        return [q.entry() for q in troubled[:limit]]

    async def entry(self, message_id: UUID) -> OutboxEntry | None:
        queued = self._store.outbox.get(message_id)
        return queued.entry() if queued else None

    def release(self, message_id: UUID) -> None:
        def give_back() -> None:
            self._store.outbox[message_id].leased_until = None

        self._staging.write(give_back)

    def requeue(self, message_id: UUID, *, at: datetime) -> None:
        def again() -> None:
            queued = self._store.outbox[message_id]
            queued.message = dataclasses.replace(queued.message, attempts=0)
            queued.failed_at, queued.available_at = None, at

        self._staging.write(again)

    async def about(self, subject: str) -> list[OutboxEntry]:
        found = [q for q in self._store.outbox.values() if q.message.subject == subject]
        found.sort(key=lambda q: (q.message.created_at, q.message.id))
        return [q.entry() for q in found]

    async def by_key(self, ordering_key: str) -> list[OutboxEntry]:
        keyed = [q for q in self._store.outbox.values() if q.message.ordering_key == ordering_key]
        keyed.sort(key=lambda q: (q.message.created_at, q.message.id))
        return [q.entry() for q in keyed]

    async def next_in_turn(self, after: OutboxMessage, *, limit: int) -> list[OutboxMessage]:
        if after.ordering_key is None:
            return []
        behind = sorted(
            (
                queued
                for queued in self._store.outbox.values()
                if queued.message.ordering_key == after.ordering_key
                and queued.done_at is None
                and queued.failed_at is None
                and (queued.message.created_at, queued.message.id) > (after.created_at, after.id)
            ),
            key=lambda queued: (queued.message.created_at, queued.message.id),
        )
        return [queued.message for queued in behind[:limit]]

    async def hasten(self, topic: str, *, now: datetime) -> int:
        waiting = [
            queued
            for queued in self._store.outbox.values()
            if queued.message.topic == topic
            and queued.done_at is None
            and queued.failed_at is None
            and queued.message.attempts > 0
            and queued.available_at > now
        ]
        for queued in waiting:
            queued.available_at = now
        return len(waiting)

    async def extend_leases(self, message_ids: Sequence[UUID], *, until: datetime) -> None:
        for message_id in message_ids:
            queued = self._store.outbox[message_id]
            if queued.done_at is None and queued.failed_at is None:
                queued.leased_until = until

    def done(self, message_id: UUID, *, at: datetime) -> None:
        def exists() -> None:
            if message_id not in self._store.outbox:
                raise LookupError("row not found")

        self._staging.check(exists)

        def mark() -> None:
            self._store.outbox[message_id].done_at = at

        self._staging.write(mark)

    def retry(
        self,
        message: OutboxMessage,
        *,
        error: str,
        at: datetime,
        not_before: datetime,
        behind_others: bool = False,
    ) -> None:
        def again() -> None:
            queued = self._store.outbox[message.id]
            queued.message = dataclasses.replace(
                message,
                attempts=message.attempts + 1,
                last_error=error,
                created_at=at if behind_others else message.created_at,
            )
            queued.available_at, queued.leased_until = not_before, None

        self._staging.write(again)

    def give_up(self, message: OutboxMessage, *, error: str, at: datetime) -> None:
        def stop() -> None:
            queued = self._store.outbox[message.id]
            queued.message = dataclasses.replace(
                message, attempts=message.attempts + 1, last_error=error
            )
            queued.failed_at, queued.leased_until = at, None

        self._staging.write(stop)

    async def backlog(self) -> list[OutboxBacklog]:
        topics = sorted({q.message.topic for q in self._store.outbox.values()})
        backlog = []
        for topic in topics:
            of_topic = [q for q in self._store.outbox.values() if q.message.topic == topic]
            waiting = [q for q in of_topic if q.done_at is None and q.failed_at is None]
            failed = [q for q in of_topic if q.failed_at is not None]
            if waiting or failed:
                oldest = min((q.message.created_at for q in waiting), default=None)
                backlog.append(OutboxBacklog(topic, len(waiting), len(failed), oldest))
        return backlog


class InMemoryRegistryHits:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    async def for_recoveries(self, recovery_ids: Sequence[UUID]) -> list[RegistryHit]:
        wanted = set(recovery_ids)
        return sorted(
            (h for h in self._store.registry_hits.values() if h.recovery_id in wanted),
            key=lambda h: (h.found_at, h.id),
        )

    async def recent_of_agency(
        self, agency_id: UUID, *, since: datetime, limit: int
    ) -> list[RegistryHit]:
        found = [
            h
            for h in self._store.registry_hits.values()
            if h.agency_id == agency_id and h.found_at >= since
        ]
        return sorted(found, key=lambda h: (h.found_at, h.id), reverse=True)[:limit]

    def add(self, hit: RegistryHit) -> None:
        self._staging.write(lambda: self._store.registry_hits.__setitem__(hit.id, hit))

    def update(self, hit: RegistryHit) -> None:
        self._staging.write(lambda: self._store.registry_hits.__setitem__(hit.id, hit))
