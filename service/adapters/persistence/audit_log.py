"""The audit trail in SQL. Events are read back from their payload, the content the
chain vouches for; the columns beside it only make them searchable."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Row, Stage
from service.adapters.persistence.sql import Query, QueryShapes, Statement
from service.adapters.persistence.types import UtcDateTime
from service.adapters.persistence.writes import AppendAudit
from service.domain.audit import AuditEvent, ChainedEvent
from service.domain.ports.audit import AuditFilter, StoredAuditEvent

_SEARCHABLE = (
    "action",
    "entity_type",
    "entity_id",
    "actor_id",
    "actor_kind",
    "actor_agency_id",
    "reason",
    "request_id",
)

_HEAD = Query(lambda _: sa.select(tables.audit_head.c.seq, tables.audit_head.c.hash))
_CHAIN = Query(
    lambda _: (
        sa.select(tables.audit_events)
        .where(tables.audit_events.c.seq > sa.bindparam("after"))
        .order_by(tables.audit_events.c.seq)
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )
)

_FILTERS = {
    "entity_type": lambda c: c.entity_type == sa.bindparam("entity_type"),
    "entity_id": lambda c: c.entity_id == sa.bindparam("entity_id"),
    "actor_id": lambda c: c.actor_id == sa.bindparam("actor_id"),
    "action": lambda c: c.action == sa.bindparam("action"),
    "agency_id": lambda c: c.actor_agency_id == sa.bindparam("agency_id"),
    "occurred_from": lambda c: c.occurred_at >= sa.bindparam("occurred_from", type_=UtcDateTime()),
    "occurred_to": lambda c: c.occurred_at < sa.bindparam("occurred_to", type_=UtcDateTime()),
    "before_seq": lambda c: c.seq < sa.bindparam("before_seq"),
}


def _events(_: str, present: frozenset[str]) -> Statement:
    columns = tables.audit_events.c
    return (
        sa.select(tables.audit_events)
        .where(*(_FILTERS[name](columns) for name in sorted(present)))
        .order_by(columns.seq.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )


_EVENTS = QueryShapes(_events)


class SqlAuditLog:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    def append(self, event: AuditEvent) -> None:
        self._stage([AppendAudit([event])])

    async def head(self) -> tuple[int, str]:
        rows = await (await self._connect()).fetch(_HEAD)
        return int(rows[0]["seq"]), str(rows[0]["hash"])

    async def chain(self, *, after_seq: int, limit: int) -> list[ChainedEvent]:
        rows = await (await self._connect()).fetch(_CHAIN, after=after_seq, limit=limit)
        return [
            ChainedEvent(
                seq=row["seq"],
                payload=row["payload"],
                prev_hash=row["prev_hash"],
                hash=row["hash"],
                columns={name: row[name] for name in (*_SEARCHABLE, "id", "occurred_at")},
            )
            for row in rows
        ]

    async def events(
        self, audit_filter: AuditFilter, *, after_seq: int | None, limit: int
    ) -> list[StoredAuditEvent]:
        f = audit_filter
        values: dict[str, Any] = {
            "entity_type": f.entity_type,
            "entity_id": f.entity_id,
            "actor_id": f.actor_id,
            "action": f.action,
            "agency_id": f.agency_id,
            "occurred_from": f.occurred_from,
            "occurred_to": f.occurred_to,
            "before_seq": after_seq,
        }
        parameters = {k: v for k, v in values.items() if v is not None}
        rows = await (await self._connect()).fetch(
            _EVENTS[frozenset(parameters)], limit=limit, **parameters
        )
        return [_stored(row) for row in rows]


def _stored(row: Row) -> StoredAuditEvent:
    return StoredAuditEvent(
        seq=row["seq"],
        event=event_from_payload(row["payload"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def event_from_payload(payload: str) -> AuditEvent:
    recorded = json.loads(payload)

    def uuid_or_none(value: str | None) -> UUID | None:
        return UUID(value) if value else None

    return AuditEvent(
        id=UUID(recorded["id"]),
        occurred_at=datetime.fromisoformat(recorded["occurred_at"].replace("Z", "+00:00")),
        action=recorded["action"],
        entity_type=recorded["entity_type"],
        entity_id=recorded["entity_id"],
        actor_id=uuid_or_none(recorded["actor_id"]),
        actor_kind=recorded["actor_kind"],
        actor_agency_id=uuid_or_none(recorded["actor_agency_id"]),
        changes=recorded["changes"],
        reason=recorded["reason"],
        request_id=recorded["request_id"],
    )
