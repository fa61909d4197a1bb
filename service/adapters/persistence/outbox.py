"""The outbox and registry hits in SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Row, Stage
from service.adapters.persistence.sql import POSTGRES, Query, Statement, one_of
from service.adapters.persistence.types import UtcDateTime
from service.adapters.persistence.writes import InsertRows, UpdateRow
from service.domain.matching import MatchKind
from service.domain.outbox import OutboxEntry, OutboxMessage
from service.domain.ports.background import OutboxBacklog
from service.domain.registry import RegistryStatus
from service.domain.registry_hits import RegistryHit

_O = tables.outbox


def _claim(dialect: str) -> Statement:
    now = sa.bindparam("now", type_=UtcDateTime())
    limit = sa.bindparam("limit", type_=sa.Integer())
    waiting = (_O.c.done_at.is_(None), _O.c.failed_at.is_(None))
    free = _lease_free(_O.c.leased_until, now)
    if dialect != POSTGRES:
        # An embedded database's outbox is small: one pass, each keyed message asking
        # whether an earlier one of its key still waits.
        due = (
            sa.select(_O.c.id)
            .where(
                *waiting,
                _O.c.available_at <= now,
                free,
                one_of(_O.c.topic, "topics", dialect),
                sa.or_(_O.c.ordering_key.is_(None), ~_waits_its_turn()),
            )
            .order_by(_O.c.available_at, _O.c.id)
            .limit(limit)
        )
    else:
        due = (
            sa.select(_O.c.id)
            .where(
                _O.c.id.in_(_claimable(dialect, now, limit)),
                *waiting,
                _O.c.available_at <= now,
                free,
            )
            .order_by(_O.c.available_at, _O.c.id)
            .limit(limit)
            # Concurrent workers skip what another is leasing instead of queueing behind it.
            .with_for_update(skip_locked=True)
        )
    return (
        sa.update(_O)
        .where(_O.c.id.in_(due.scalar_subquery()))
        .values(leased_until=sa.bindparam("until", type_=UtcDateTime()))
        .returning(*_O.c)
    )


def _claimable(dialect: str, now: Any, limit: Any) -> sa.Select[tuple[UUID]]:
    """Two short reads instead of a walk over every waiting message: the first due
    messages without a key (their own index), and the first waiting message of each key
    (the index of waiting messages by key, one entry per key), if it is due. A keyed
    message behind another of its key is never a candidate: it is not its key's first."""
    free = _lease_free(_O.c.leased_until, now)
    topics = one_of(_O.c.topic, "topics", dialect)
    unkeyed = (
        sa.select(_O.c.id)
        .where(
            _O.c.ordering_key.is_(None),
            _O.c.done_at.is_(None),
            _O.c.failed_at.is_(None),
            _O.c.available_at <= now,
            free,
            topics,
        )
        .order_by(_O.c.available_at, _O.c.id)
        .limit(limit)
    )
    firsts = (
        sa.select(_O.c.id, _O.c.available_at, _O.c.leased_until, _O.c.topic)
        .ext(distinct_on(_O.c.ordering_key))
        .where(_O.c.ordering_key.is_not(None), _O.c.done_at.is_(None), _O.c.failed_at.is_(None))
        .order_by(_O.c.ordering_key, _O.c.created_at, _O.c.id)
        .subquery("firsts")
    )
    heads = sa.select(firsts.c.id).where(
        firsts.c.available_at <= now,
        _lease_free(firsts.c.leased_until, now),
        one_of(firsts.c.topic, "topics", dialect),
    )
    candidates = sa.union_all(sa.select(unkeyed.subquery("unkeyed").c.id), heads)
    return sa.select(candidates.subquery("candidates").c.id)


def _lease_free(leased_until: sa.ColumnElement[Any], now: Any) -> sa.ColumnElement[bool]:
    """Never leased, or its lease has run out."""
    return sa.or_(leased_until.is_(None), leased_until < now)


def _waits_its_turn() -> sa.Exists:
    """An earlier message with the same ordering key is still to be handled."""
    earlier = _O.alias("earlier")
    return sa.exists().where(
        earlier.c.ordering_key == _O.c.ordering_key,
        earlier.c.done_at.is_(None),
        earlier.c.failed_at.is_(None),
        # A row comparison, which the index of waiting messages by key answers with one
        # probe (the same condition written with OR made PostgreSQL scan the table).
        sa.tuple_(earlier.c.created_at, earlier.c.id) < sa.tuple_(_O.c.created_at, _O.c.id),
    )


def _troubles(_: str) -> Statement:
    return (
        sa.select(_O)
        .where(_O.c.done_at.is_(None), _O.c.attempts > 0)
        .order_by(sa.func.coalesce(_O.c.failed_at, _O.c.available_at).desc(), _O.c.id)
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )


def _by_key(_: str) -> Statement:
    return (
        sa.select(_O)
        .where(_O.c.ordering_key == sa.bindparam("key", type_=sa.String()))
        .order_by(_O.c.created_at, _O.c.id)
    )


def _backlog(_: str) -> Statement:
    waiting = sa.and_(_O.c.done_at.is_(None), _O.c.failed_at.is_(None))
    return (
        sa.select(
            _O.c.topic,
            sa.func.count().filter(waiting).label("waiting"),
            sa.func.count().filter(_O.c.failed_at.is_not(None)).label("failed"),
            sa.func.min(_O.c.created_at).filter(waiting).label("oldest"),
        )
        .where(_O.c.done_at.is_(None))
        .group_by(_O.c.topic)
        .order_by(_O.c.topic)
    )


def _about(_: str) -> Statement:
    return (
        sa.select(_O)
        .where(_O.c.subject == sa.bindparam("subject", type_=sa.String()))
        .order_by(_O.c.created_at, _O.c.id)
    )


def _extend(dialect: str) -> Statement:
    return (
        sa.update(_O)
        .where(one_of(_O.c.id, "ids", dialect), _O.c.done_at.is_(None), _O.c.failed_at.is_(None))
        .values(leased_until=sa.bindparam("until", type_=UtcDateTime()))
        .returning(_O.c.id)
    )


def _next_in_turn(_: str) -> Statement:
    created = sa.bindparam("created_at", type_=UtcDateTime())
    after = sa.bindparam("after_id", type_=sa.Uuid())
    return (
        sa.select(_O)
        .where(
            _O.c.ordering_key == sa.bindparam("key", type_=sa.String()),
            _O.c.done_at.is_(None),
            _O.c.failed_at.is_(None),
            sa.tuple_(_O.c.created_at, _O.c.id) > sa.tuple_(created, after),
        )
        .order_by(_O.c.created_at, _O.c.id)
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )


def _hasten(_: str) -> Statement:
    now = sa.bindparam("now", type_=UtcDateTime())
    return (
        sa.update(_O)
        .where(
            _O.c.topic == sa.bindparam("of_topic", type_=sa.String()),
            _O.c.done_at.is_(None),
            _O.c.failed_at.is_(None),
            _O.c.attempts > 0,
            _O.c.available_at > now,
        )
        .values(available_at=now)
        .returning(_O.c.id)
    )


_CLAIM = Query(_claim)
_HASTEN = Query(_hasten)
_NEXT_IN_TURN = Query(_next_in_turn)
_EXTEND = Query(_extend)
_ABOUT = Query(_about)
_TROUBLES = Query(_troubles)
_BY_KEY = Query(_by_key)
_ENTRY = Query(lambda _: sa.select(_O).where(_O.c.id == sa.bindparam("id", type_=sa.Uuid())))
_BACKLOG = Query(_backlog)


class SqlOutbox:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    def add(self, message: OutboxMessage) -> None:
        self._stage(
            [
                InsertRows(
                    _O,
                    [
                        {
                            "id": message.id,
                            "topic": message.topic,
                            "payload": dict(message.payload),
                            "created_at": message.created_at,
                            "available_at": message.created_at,
                            "attempts": message.attempts,
                            "last_error": None,
                            "leased_until": None,
                            "done_at": None,
                            "failed_at": None,
                            "ordering_key": message.ordering_key,
                            "subject": message.subject,
                        }
                    ],
                )
            ]
        )

    async def claim(
        self, *, topics: Sequence[str], now: datetime, lease: timedelta, limit: int
    ) -> list[OutboxMessage]:
        connection = await self._connect()
        rows = await connection.fetch(
            _CLAIM, topics=list(topics), now=now, until=now + lease, limit=limit
        )
        messages = [_message(row) for row in rows]
        messages.sort(key=lambda m: (m.created_at, m.id))
        return messages

    async def next_in_turn(self, after: OutboxMessage, *, limit: int) -> list[OutboxMessage]:
        if after.ordering_key is None:
            return []
        connection = await self._connect()
        rows = await connection.fetch(
            _NEXT_IN_TURN,
            key=after.ordering_key,
            created_at=after.created_at,
            after_id=after.id,
            limit=limit,
        )
        return [_message(row) for row in rows]

    async def hasten(self, topic: str, *, now: datetime) -> int:
        connection = await self._connect()
        return len(await connection.fetch(_HASTEN, of_topic=topic, now=now))

    async def extend_leases(self, message_ids: Sequence[UUID], *, until: datetime) -> None:
        connection = await self._connect()
        await connection.fetch(_EXTEND, ids=list(message_ids), until=until)

    def done(self, message_id: UUID, *, at: datetime) -> None:
        self._stage([UpdateRow(_O, key={"id": message_id}, values={"done_at": at})])

    def retry(
        self,
        message: OutboxMessage,
        *,
        error: str,
        at: datetime,
        not_before: datetime,
        behind_others: bool = False,
    ) -> None:
        values: dict[str, Any] = {
            "attempts": message.attempts + 1,
            "last_error": error[:2000],
            "available_at": not_before,
            "leased_until": None,
        }
        if behind_others:
            values["created_at"] = at
        self._stage([UpdateRow(_O, key={"id": message.id}, values=values)])

    def give_up(self, message: OutboxMessage, *, error: str, at: datetime) -> None:
        self._stage(
            [
                UpdateRow(
                    _O,
                    key={"id": message.id},
                    values={
                        "attempts": message.attempts + 1,
                        "last_error": error[:2000],
                        "failed_at": at,
                        "leased_until": None,
                    },
                )
            ]
        )

    async def troubles(self, *, limit: int) -> list[OutboxEntry]:
        rows = await (await self._connect()).fetch(_TROUBLES, limit=limit)
        return [_entry(row) for row in rows]

    async def by_key(self, ordering_key: str) -> list[OutboxEntry]:
        rows = await (await self._connect()).fetch(_BY_KEY, key=ordering_key)
        return [_entry(row) for row in rows]

    async def about(self, subject: str) -> list[OutboxEntry]:
        rows = await (await self._connect()).fetch(_ABOUT, subject=subject)
        return [_entry(row) for row in rows]

    async def entry(self, message_id: UUID) -> OutboxEntry | None:
        rows = await (await self._connect()).fetch(_ENTRY, id=message_id)
        return _entry(rows[0]) if rows else None

    def release(self, message_id: UUID) -> None:
        self._stage([UpdateRow(_O, key={"id": message_id}, values={"leased_until": None})])

    def requeue(self, message_id: UUID, *, at: datetime) -> None:
        self._stage(
            [
                UpdateRow(
                    _O,
                    key={"id": message_id},
                    values={"failed_at": None, "attempts": 0, "available_at": at},
                )
            ]
        )

    async def backlog(self) -> list[OutboxBacklog]:
        connection = await self._connect()
        rows = await connection.fetch(_BACKLOG)
        return [
            OutboxBacklog(row["topic"], row["waiting"], row["failed"], row["oldest"])
            for row in rows
        ]


def _entry(row: Row) -> OutboxEntry:
    return OutboxEntry(
        message=_message(row),
        available_at=row["available_at"],
        done_at=row["done_at"],
        failed_at=row["failed_at"],
    )


def _message(row: Row) -> OutboxMessage:
    payload = row["payload"]
    return OutboxMessage(
        id=row["id"],
        topic=row["topic"],
        payload=json.loads(payload) if isinstance(payload, str) else payload,
        created_at=row["created_at"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        ordering_key=row["ordering_key"],
        subject=row["subject"],
    )


_H = tables.registry_hits


def _hits(dialect: str) -> Statement:
    return (
        sa.select(_H)
        .where(one_of(_H.c.recovery_id, "ids", dialect))
        .order_by(_H.c.found_at, _H.c.id)
    )


_HITS = Query(_hits)


# Served by ix_registry_hits_agency (agency_id, found_at).
_RECENT_HITS = Query(
    lambda _: (
        sa.select(_H)
        .where(
            _H.c.agency_id == sa.bindparam("agency_id"),
            _H.c.found_at >= sa.bindparam("since", type_=UtcDateTime()),
        )
        .order_by(_H.c.found_at.desc(), _H.c.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )
)


class SqlRegistryHits:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    async def for_recoveries(self, recovery_ids: Sequence[UUID]) -> list[RegistryHit]:
        if not recovery_ids:
            return []
        connection = await self._connect()
        return [_hit(row) for row in await connection.fetch(_HITS, ids=list(recovery_ids))]

    async def recent_of_agency(
        self, agency_id: UUID, *, since: datetime, limit: int
    ) -> list[RegistryHit]:
        connection = await self._connect()
        rows = await connection.fetch(_RECENT_HITS, agency_id=agency_id, since=since, limit=limit)
        return [_hit(row) for row in rows]

    def add(self, hit: RegistryHit) -> None:
        self._stage([InsertRows(_H, [_hit_values(hit)])])

    def update(self, hit: RegistryHit) -> None:
        values = _hit_values(hit)
        self._stage(
            [
                UpdateRow(
                    _H,
                    key={"id": hit.id},
                    values={
                        k: values[k]
                        for k in (
                            "status",
                            "match_kind",
                            "confidence",
                            "record",
                            "recovery_version",
                            "cleared_at",
                        )
                    },
                )
            ]
        )


def _hit_values(hit: RegistryHit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "recovery_id": hit.recovery_id,
        "item_id": hit.item_id,
        "agency_id": hit.agency_id,
        "registry_name": hit.registry,
        "reference": hit.reference,
        "status": hit.status.value,
        "match_kind": hit.match_kind.value,
        "confidence": hit.confidence,
        "record": dict(hit.record),
        "found_at": hit.found_at,
        "recovery_version": hit.recovery_version,
        "cleared_at": hit.cleared_at,
    }


def _hit(row: Row) -> RegistryHit:
    record = row["record"]
    return RegistryHit(
        id=row["id"],
        recovery_id=row["recovery_id"],
        item_id=row["item_id"],
        agency_id=row["agency_id"],
        registry=row["registry_name"],
        reference=row["reference"],
        status=RegistryStatus(row["status"]),
        match_kind=MatchKind(row["match_kind"]),
        confidence=row["confidence"],
        record=json.loads(record) if isinstance(record, str) else record,
        found_at=row["found_at"],
        recovery_version=row["recovery_version"],
        cleared_at=row["cleared_at"],
    )
