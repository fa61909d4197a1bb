"""Trace requests and their threads in SQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Stage
from service.adapters.persistence.sql import Query, QueryShapes, Statement, one_of
from service.adapters.persistence.trace_rows import (
    changed_request_operations,
    message_from_row,
    message_values,
    new_request_operations,
    request_from_rows,
)
from service.adapters.persistence.types import UtcDateTime
from service.adapters.persistence.writes import InsertRows
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
from service.domain.trace_workflow import Outcome, Priority, TraceStatus

_T = tables.trace_requests


def _by_id(_: str, visible_to: bool) -> Statement:
    wanted = [_T.c.id == sa.bindparam("id")]
    if visible_to:
        agency = sa.bindparam("agency_id", type_=sa.Uuid())
        wanted.append(
            sa.or_(
                _T.c.requester_agency_id == agency,
                sa.and_(_T.c.addressee_agency_id == agency, _T.c.submitted_at.is_not(None)),
            )
        )
    return sa.select(_T).where(*wanted)


def _history(table: sa.Table, order: str) -> Query:
    # History is append-only: the rows up to the version read with the header are exactly
    # that snapshot's, whatever committed in between.
    return Query(
        lambda _: (
            sa.select(table)
            .where(
                table.c.request_id == sa.bindparam("id"),
                table.c.version <= sa.bindparam("version"),
            )
            .order_by(table.c[order])
        )
    )


_REQUEST = QueryShapes(_by_id)
_FOR_RECOVERY = Query(
    lambda _: (
        sa.select(tables.trace_requests.c.id)
        .where(tables.trace_requests.c.recovery_id == sa.bindparam("recovery_id", type_=sa.Uuid()))
        .order_by(tables.trace_requests.c.created_at, tables.trace_requests.c.id)
    )
)
_FOR_RECOVERIES = Query(
    lambda dialect: (
        sa.select(tables.trace_requests.c.recovery_id, tables.trace_requests.c.id)
        .where(one_of(tables.trace_requests.c.recovery_id, "ids", dialect))
        .order_by(tables.trace_requests.c.created_at, tables.trace_requests.c.id)
    )
)
_TRANSITIONS = _history(tables.trace_transitions, "version")
_RESPONSES = _history(tables.trace_responses, "number")


def _owner(box: Box) -> sa.ColumnElement[Any]:
    column: sa.ColumnElement[Any] = (
        _T.c.requester_agency_id if box is Box.OUTBOX else _T.c.addressee_agency_id
    )
    return column


def _page(dialect: str, shape: tuple[Box, frozenset[str]]) -> Statement:
    box, present = shape
    conditions: list[sa.ColumnElement[bool]] = [_owner(box) == sa.bindparam("agency_id")]
    if box is Box.INBOX:  # what was never sent is not in the addressee's inbox
        conditions.append(_T.c.submitted_at.is_not(None))
    if "statuses" in present:
        conditions.append(one_of(_T.c.status, "statuses", dialect))
    if "priority" in present:
        conditions.append(_T.c.priority == sa.bindparam("priority"))
    now = sa.bindparam("now", type_=UtcDateTime())
    if "overdue" in present:
        conditions.append(_T.c.due_at < now)
    if "not_overdue" in present:
        conditions.append(sa.or_(_T.c.due_at.is_(None), _T.c.due_at >= now))
    if "after" in present:
        position = sa.tuple_(
            sa.bindparam("after_time", type_=UtcDateTime()),
            sa.bindparam("after_id", type_=sa.Uuid()),
        )
        conditions.append(sa.tuple_(_T.c.created_at, _T.c.id) < position)
    return (
        sa.select(_T)
        .where(*conditions)
        .order_by(_T.c.created_at.desc(), _T.c.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )


_PAGES = QueryShapes(_page)


def _owed(_: str, box: Box) -> Statement:
    # Served by the partial (agency, due_at) indexes: the earliest deadlines first.
    return (
        sa.select(_T)
        .where(_owner(box) == sa.bindparam("agency_id"), _T.c.due_at.is_not(None))
        .order_by(_T.c.due_at, _T.c.id)
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )


_OWED = QueryShapes(_owed)


def _facts(_: str, box: Box) -> Statement:
    return sa.select(
        _T.c.addressee_agency_id,
        _T.c.priority,
        _T.c.status,
        _T.c.submitted_at,
        _T.c.acknowledged_at,
        _T.c.first_response_at,
        _T.c.respond_by,
        _T.c.outcome,
        _T.c.time_to_crime_days,
    ).where(
        _owner(box) == sa.bindparam("agency_id"),
        _T.c.submitted_at >= sa.bindparam("submitted_from", type_=UtcDateTime()),
        _T.c.submitted_at < sa.bindparam("submitted_to", type_=UtcDateTime()),
        # A request is created before it is submitted: this bounds the index range.
        _T.c.created_at < sa.bindparam("submitted_to", type_=UtcDateTime()),
    )


_FACTS = QueryShapes(_facts)


class SqlTraceRequestRepository:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage
        self._loaded: dict[UUID, TraceRequest] = {}

    async def ids_for_recovery(self, recovery_id: UUID) -> list[UUID]:
        rows = await (await self._connect()).fetch(_FOR_RECOVERY, recovery_id=recovery_id)
        return [row["id"] for row in rows]

    async def ids_for_recoveries(self, recovery_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
        if not recovery_ids:
            return {}
        rows = await (await self._connect()).fetch(_FOR_RECOVERIES, ids=list(recovery_ids))
        found: dict[UUID, list[UUID]] = {}
        for row in rows:
            found.setdefault(row["recovery_id"], []).append(row["id"])
        return found

    async def get(self, request_id: UUID, *, visible_to: UUID | None = None) -> TraceRequest | None:
        connection = await self._connect()
        if visible_to is None:
            rows = await connection.fetch(_REQUEST[False], id=request_id)
        else:
            rows = await connection.fetch(_REQUEST[True], id=request_id, agency_id=visible_to)
        if not rows:
            return None
        header = rows[0]
        version = header["version"]
        transitions = await connection.fetch(_TRANSITIONS, id=request_id, version=version)
        responses = await connection.fetch(_RESPONSES, id=request_id, version=version)
        request = request_from_rows(header, transitions, responses)
        # Fields are replaced, never mutated in place, by the workflow: a shallow copy
        # stays as loaded.
        self._loaded[request_id] = dataclasses.replace(request)
        return request

    def add(self, request: TraceRequest) -> None:
        self._stage(new_request_operations(request))
        self._stage.saw(request)

    def save(self, request: TraceRequest) -> None:
        loaded = self._loaded.get(request.id)
        if loaded is None:
            raise LookupError("save() is for requests loaded through this repository")
        self._stage(changed_request_operations(loaded, request))
        self._stage.saw(request)

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
        parameters: dict[str, Any] = {"agency_id": agency_id, "limit": limit + 1}
        present: set[str] = set()
        if f.statuses:
            present.add("statuses")
            parameters["statuses"] = sorted(s.value for s in f.statuses)
        if f.priority is not None:
            present.add("priority")
            parameters["priority"] = f.priority.value
        if f.overdue is not None:
            present.add("overdue" if f.overdue else "not_overdue")
            parameters["now"] = now
        if after is not None:
            present.add("after")
            parameters |= {"after_time": after.created_at, "after_id": after.request_id}
        connection = await self._connect()
        rows = await connection.fetch(_PAGES[(box, frozenset(present))], **parameters)
        found = [request_from_rows(row, None, None) for row in rows]
        more = len(found) > limit
        found = found[:limit]
        cursor = TraceRequestCursor(found[-1].created_at, found[-1].id) if more else None
        return TraceRequestPage(requests=found, next_cursor=cursor)

    async def owed(self, *, agency_id: UUID, box: Box, limit: int) -> list[TraceRequest]:
        connection = await self._connect()
        rows = await connection.fetch(_OWED[box], agency_id=agency_id, limit=limit)
        return [request_from_rows(row, None, None) for row in rows]

    async def facts(
        self, *, agency_id: UUID, box: Box, submitted_from: datetime, submitted_to: datetime
    ) -> list[TraceFacts]:
        connection = await self._connect()
        rows = await connection.fetch(
            _FACTS[box],
            agency_id=agency_id,
            submitted_from=submitted_from,
            submitted_to=submitted_to,
        )
        return [
            TraceFacts(
                addressee_agency_id=row["addressee_agency_id"],
                priority=Priority(row["priority"]),
                status=TraceStatus(row["status"]),
                submitted_at=row["submitted_at"],
                acknowledged_at=row["acknowledged_at"],
                first_response_at=row["first_response_at"],
                respond_by=row["respond_by"],
                outcome=Outcome(row["outcome"]) if row["outcome"] else None,
                time_to_crime_days=row["time_to_crime_days"],
            )
            for row in rows
        ]


_M = tables.trace_messages


def _thread(_: str, after: bool) -> Statement:
    conditions = [_M.c.request_id == sa.bindparam("request_id")]
    if after:
        position = sa.tuple_(
            sa.bindparam("after_time", type_=UtcDateTime()),
            sa.bindparam("after_id", type_=sa.Uuid()),
        )
        conditions.append(sa.tuple_(_M.c.posted_at, _M.c.id) > position)
    return (
        sa.select(_M)
        .where(*conditions)
        .order_by(_M.c.posted_at, _M.c.id)
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )


_THREAD = QueryShapes(_thread)
_THREAD_MESSAGE = Query(
    lambda _: sa.select(tables.trace_messages).where(
        tables.trace_messages.c.id == sa.bindparam("id", type_=sa.Uuid())
    )
)


class SqlTraceThread:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    def add(self, message: TraceMessage) -> None:
        self._stage([InsertRows(tables.trace_messages, [message_values(message)])])
        self._stage.saw(message)

    async def get(self, message_id: UUID) -> TraceMessage | None:
        rows = await (await self._connect()).fetch(_THREAD_MESSAGE, id=message_id)
        return message_from_row(rows[0]) if rows else None

    async def messages(
        self, request_id: UUID, *, after: MessageCursor | None, limit: int
    ) -> MessagePage:
        parameters: dict[str, Any] = {"request_id": request_id, "limit": limit + 1}
        if after is not None:
            parameters |= {"after_time": after.posted_at, "after_id": after.message_id}
        connection = await self._connect()
        rows = await connection.fetch(_THREAD[after is not None], **parameters)
        found = [message_from_row(row) for row in rows]
        more = len(found) > limit
        found = found[:limit]
        cursor = MessageCursor(found[-1].posted_at, found[-1].id) if more else None
        return MessagePage(messages=found, next_cursor=cursor)
