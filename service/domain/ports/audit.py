"""The audit trail: appending to the chain, reading it, recording sensitive reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from service.domain.audit import AuditEvent, ChainedEvent
from service.domain.moments import check_period


@dataclass(frozen=True, slots=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    actor_id: UUID | None = None
    action: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    agency_id: UUID | None = None  # the acting agency; None means every agency

    def check(self) -> AuditFilter:
        """The filter, if its period ends after it starts; else InvalidValue."""
        check_period(
            self.occurred_from,
            self.occurred_to,
            start_field="occurred_from",
            end_field="occurred_to",
        )
        return self


@dataclass(frozen=True, slots=True)
class StoredAuditEvent:
    seq: int
    event: AuditEvent
    prev_hash: str
    hash: str


class AuditLog(Protocol):
    def append(self, event: AuditEvent) -> None:
        """Stage an event; it is chained and written with the change it records."""

    async def head(self) -> tuple[int, str]:
        """Position and hash of the last event (0 and the genesis hash when empty)."""
        ...

    async def chain(self, *, after_seq: int, limit: int) -> list[ChainedEvent]:
        """Stored events in chain order, for verification and export."""
        ...

    async def events(
        self, audit_filter: AuditFilter, *, after_seq: int | None, limit: int
    ) -> list[StoredAuditEvent]:
        """Matching events, newest first, before `after_seq` when given."""
        ...


class ReadRecorder(Protocol):
    """Records sensitive reads (searches, views across agencies) in the audit trail."""

    async def record(self, event: AuditEvent) -> None: ...
