"""The transactional outbox: work recorded with the change that calls for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from service.domain.outbox import OutboxEntry, OutboxMessage


class Outbox(Protocol):
    def add(self, message: OutboxMessage) -> None:
        """Stage a message; it exists once the unit of work commits, with its change."""

    async def claim(
        self, *, topics: Sequence[str], now: datetime, lease: timedelta, limit: int
    ) -> list[OutboxMessage]:
        """Lease up to `limit` due messages of these topics, oldest first, for `lease`.
        Written at once: two workers never hold the same message."""
        ...

    async def next_in_turn(self, after: OutboxMessage, *, limit: int) -> list[OutboxMessage]:
        """The messages of `after`'s ordering key waiting behind it (neither done nor
        failed), in order, up to `limit`. While `after` is being handled no worker can
        claim them, so its handler may take them along and mark them done with it."""
        ...

    async def hasten(self, topic: str, *, now: datetime) -> int:
        """Make the messages of `topic` waiting after a failed attempt due at `now` (their
        counts of attempts kept); written at once. How many there were."""
        ...

    async def extend_leases(self, message_ids: Sequence[UUID], *, until: datetime) -> None:
        """Keep leasing messages still being handled until `until`; written at once. A
        worker that stops doing this (it crashed) loses them when the lease runs out."""

    def done(self, message_id: UUID, *, at: datetime) -> None: ...

    def retry(
        self,
        message: OutboxMessage,
        *,
        error: str,
        at: datetime,
        not_before: datetime,
        behind_others: bool = False,
    ) -> None:
        """Stage a failed attempt: the message is due again at `not_before`; with
        `behind_others`, it also takes its turn after every message of its key waiting
        now (as if written `at`)."""

    def give_up(self, message: OutboxMessage, *, error: str, at: datetime) -> None:
        """Stage a message set aside after its last attempt (kept, never deleted)."""

    def release(self, message_id: UUID) -> None:
        """Stage a lease given back unworked (the database went away while the message
        was being handled): due again at once, no attempt counted."""

    async def backlog(self) -> list[OutboxBacklog]: ...

    async def troubles(self, *, limit: int) -> list[OutboxEntry]:
        """Messages not done that failed at least once, most recently failed first."""
        ...

    async def by_key(self, ordering_key: str) -> list[OutboxEntry]:
        """Every message of one ordering key, in order, whatever its state."""
        ...

    async def about(self, subject: str) -> list[OutboxEntry]:
        """Every message about one subject (`recovery:<id>`), oldest first, whatever
        its state."""
        ...

    async def entry(self, message_id: UUID) -> OutboxEntry | None: ...

    def requeue(self, message_id: UUID, *, at: datetime) -> None:
        """Stage a message set aside as failed to be tried again from `at`, its count of
        attempts started afresh (the last error is kept until the next attempt)."""


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    topic: str
    waiting: int
    failed: int
    oldest_waiting: datetime | None
