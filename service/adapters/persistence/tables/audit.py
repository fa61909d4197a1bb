"""The audit trail: an append-only chain, and its head."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.adapters.persistence.types import UtcDateTime


class AuditEventRow(SQLModel, table=True):
    """Append-only: database triggers refuse UPDATE, DELETE and TRUNCATE."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_entity", "entity_type", "entity_id", "seq"),
        sa.Index("ix_audit_events_actor", "actor_id", "seq"),
        sa.Index("ix_audit_events_agency", "actor_agency_id", "seq"),
        sa.Index("ix_audit_events_action", "action", "seq"),
    )

    seq: int = Field(
        sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    id: UUID = Field(sa_column_kwargs={"unique": True})
    occurred_at: datetime = Field(sa_type=UtcDateTime)
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    actor_id: UUID | None = None
    actor_kind: str | None = Field(default=None, max_length=16)
    actor_agency_id: UUID | None = None
    reason: str | None = Field(default=None, max_length=2000)
    request_id: str | None = Field(default=None, max_length=128)
    payload: str = Field(sa_type=sa.Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHeadRow(SQLModel, table=True):
    """The last event's position and hash; one row, moved forward by every append."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(sa_type=sa.BigInteger)
    hash: str = Field(max_length=64)


audit_events = AuditEventRow.__table__  # type: ignore[attr-defined]
audit_head = AuditHeadRow.__table__  # type: ignore[attr-defined]
