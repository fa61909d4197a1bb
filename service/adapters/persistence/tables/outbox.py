"""The transactional outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.adapters.persistence.types import UtcDateTime, json_document

_WAITING_TURN = "ordering_key IS NOT NULL AND done_at IS NULL AND failed_at IS NULL"


class OutboxRow(SQLModel, table=True):
    """Work recorded with the change that calls for it; done or failed rows are kept."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index(
            "ix_outbox_due",
            "available_at",
            "id",
            sqlite_where=sa.text("done_at IS NULL AND failed_at IS NULL"),
            postgresql_where=sa.text("done_at IS NULL AND failed_at IS NULL"),
        ),
        # What a claim takes first: due messages that wait for no earlier one.
        sa.Index(
            "ix_outbox_due_unkeyed",
            "available_at",
            "id",
            sqlite_where=sa.text("ordering_key IS NULL AND done_at IS NULL AND failed_at IS NULL"),
            postgresql_where=sa.text(
                "ordering_key IS NULL AND done_at IS NULL AND failed_at IS NULL"
            ),
        ),
        # Done messages too: a trace request's delivery state reads all of its own.
        sa.Index(
            "ix_outbox_ordering",
            "ordering_key",
            "created_at",
            "id",
            sqlite_where=sa.text("ordering_key IS NOT NULL"),
            postgresql_where=sa.text("ordering_key IS NOT NULL"),
        ),
        # Waiting messages only: whose turn it is within a key, whatever was done before.
        sa.Index(
            "ix_outbox_turns",
            "ordering_key",
            "created_at",
            "id",
            sqlite_where=sa.text(
                "ordering_key IS NOT NULL AND done_at IS NULL AND failed_at IS NULL"
            ),
            postgresql_where=sa.text(
                "ordering_key IS NOT NULL AND done_at IS NULL AND failed_at IS NULL"
            ),
        ),
        sa.Index(
            "ix_outbox_subject",
            "subject",
            "created_at",
            sqlite_where=sa.text("subject IS NOT NULL"),
            postgresql_where=sa.text("subject IS NOT NULL"),
        ),
    )

    id: UUID = Field(primary_key=True)
    topic: str = Field(max_length=64)
    # Messages with the same key are handled one after the other, in the order written.
    ordering_key: str | None = Field(default=None, max_length=64)
    subject: str | None = Field(default=None, max_length=64)
    payload: dict[str, Any] = Field(sa_type=json_document())
    created_at: datetime = Field(sa_type=UtcDateTime)
    available_at: datetime = Field(sa_type=UtcDateTime)
    attempts: int
    last_error: str | None = Field(default=None, max_length=2000)
    leased_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    failed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


outbox = OutboxRow.__table__  # type: ignore[attr-defined]
