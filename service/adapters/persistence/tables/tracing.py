"""Trace requests, their history, answers and threads, and the messages taken from peers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.adapters.persistence.types import UtcDateTime, json_document


class TraceRequestRow(SQLModel, table=True):
    """A trace request. The item columns are the snapshot sent, never updated; `due_at`
    is derived (the deadline of the step owed next) so that lists can filter overdue."""

    __tablename__ = "trace_requests"
    __table_args__ = (
        sa.Index("ix_trace_requests_outbox", "requester_agency_id", "created_at", "id"),
        sa.Index(
            "ix_trace_requests_outbox_status", "requester_agency_id", "status", "created_at", "id"
        ),
        sa.Index(
            "ix_trace_requests_outbox_due",
            "requester_agency_id",
            "due_at",
            sqlite_where=sa.text("due_at IS NOT NULL"),
            postgresql_where=sa.text("due_at IS NOT NULL"),
        ),
        sa.Index("ix_trace_requests_inbox", "addressee_agency_id", "created_at", "id"),
        sa.Index(
            "ix_trace_requests_inbox_status", "addressee_agency_id", "status", "created_at", "id"
        ),
        sa.Index("ix_trace_requests_recovery", "recovery_id"),
        sa.Index(
            "ix_trace_requests_inbox_due",
            "addressee_agency_id",
            "due_at",
            sqlite_where=sa.text("due_at IS NOT NULL"),
            postgresql_where=sa.text("due_at IS NOT NULL"),
        ),
    )

    id: UUID = Field(primary_key=True)
    requester_agency_id: UUID = Field(foreign_key="agencies.id")
    addressee_agency_id: UUID = Field(foreign_key="agencies.id")
    # The requester's recovery and item: here, or on the peer the request came from.
    recovery_id: UUID
    item_id: UUID
    item_recovered_at: datetime = Field(sa_type=UtcDateTime)
    item_country: str = Field(max_length=2)
    item_circumstances: str = Field(max_length=32)
    item_description: dict[str, Any] = Field(sa_type=json_document())
    legal_justification: str = Field(max_length=4000)
    intended_use: str = Field(max_length=2000)
    priority: str = Field(max_length=16)
    status: str = Field(max_length=16)
    version: int
    created_at: datetime = Field(sa_type=UtcDateTime)
    created_by: UUID
    updated_at: datetime = Field(sa_type=UtcDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    first_response_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acknowledge_by: datetime | None = Field(default=None, sa_type=UtcDateTime)
    respond_by: datetime | None = Field(default=None, sa_type=UtcDateTime)
    info_requested_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    outcome: str | None = Field(default=None, max_length=24)
    time_to_crime_days: int | None = None


class TraceTransitionRow(SQLModel, table=True):
    """Append-only: the history of a request, one row per version."""

    __tablename__ = "trace_transitions"

    request_id: UUID = Field(foreign_key="trace_requests.id", primary_key=True)
    version: int = Field(primary_key=True)
    action: str = Field(max_length=16)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    at: datetime = Field(sa_type=UtcDateTime)
    by_id: UUID
    by_agency_id: UUID
    reason: str | None = Field(default=None, max_length=4000)


class TraceResponseRow(SQLModel, table=True):
    """Append-only: every answer, first and supplementary; `version` is the request's
    version the answer made, so a read can take exactly one snapshot's answers."""

    __tablename__ = "trace_responses"
    __table_args__ = (sa.UniqueConstraint("request_id", "number"),)

    id: UUID = Field(primary_key=True)
    request_id: UUID = Field(foreign_key="trace_requests.id")
    number: int
    version: int
    outcome: str = Field(max_length=24)
    chain_of_custody: list[dict[str, Any]] = Field(sa_type=json_document())
    notes: str | None = Field(default=None, max_length=10_000)
    time_to_crime_days: int | None = None
    responded_at: datetime = Field(sa_type=UtcDateTime)
    responded_by: UUID
    responder_agency_id: UUID


class TraceMessageRow(SQLModel, table=True):
    """Append-only: the thread between the two sides."""

    __tablename__ = "trace_messages"
    __table_args__ = (sa.Index("ix_trace_messages_thread", "request_id", "posted_at", "id"),)

    id: UUID = Field(primary_key=True)
    request_id: UUID = Field(foreign_key="trace_requests.id")
    author_id: UUID
    author_agency_id: UUID
    side: str = Field(max_length=16)
    body: str = Field(max_length=10_000)
    attachments: list[dict[str, Any]] = Field(sa_type=json_document())
    posted_at: datetime = Field(sa_type=UtcDateTime)


class ReceivedExchangeRow(SQLModel, table=True):
    """A message taken from a peer: remembered so a second delivery changes nothing."""

    __tablename__ = "received_exchanges"
    __table_args__ = (sa.Index("ix_received_exchanges_request", "request_id", "received_at"),)

    message_id: UUID = Field(primary_key=True)
    request_id: UUID = Field(foreign_key="trace_requests.id")
    action: str = Field(max_length=16)
    peer: str = Field(max_length=64)
    sender_agency_id: UUID = Field(foreign_key="agencies.id")
    received_at: datetime = Field(sa_type=UtcDateTime)
    status_after: str = Field(max_length=16)


trace_requests = TraceRequestRow.__table__  # type: ignore[attr-defined]
trace_transitions = TraceTransitionRow.__table__  # type: ignore[attr-defined]
trace_responses = TraceResponseRow.__table__  # type: ignore[attr-defined]
trace_messages = TraceMessageRow.__table__  # type: ignore[attr-defined]
received_exchanges = ReceivedExchangeRow.__table__  # type: ignore[attr-defined]
