"""Registry records held here, their lookup keys, and the hits of recoveries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.adapters.persistence.types import UtcDateTime, json_document, key_text


class RegistryRecordRow(SQLModel, table=True):
    """A record of a registry kept in tracedesk's database (`tracedesk registry import`)."""

    __tablename__ = "registry_records"
    __table_args__ = (
        sa.Index("ix_registry_records_normalized", "registry_name", "normalized"),
        sa.Index(
            "ix_registry_records_normalized_trgm",
            "normalized",
            postgresql_using="gin",
            postgresql_ops={"normalized": "gin_trgm_ops"},
            info={"only_on": "postgresql"},
        ),
    )

    registry_name: str = Field(max_length=64, primary_key=True)
    reference: str = Field(max_length=100, primary_key=True)
    status: str = Field(max_length=16)
    serial: str = Field(max_length=64)
    normalized: str = Field(sa_type=key_text(256))
    make_raw: str | None = Field(default=None, max_length=64)
    make_canonical: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=64)
    calibre_raw: str | None = Field(default=None, max_length=64)
    calibre_canonical: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=2)
    recorded_on: date | None = None
    details: dict[str, Any] = Field(sa_type=json_document())
    fingerprint: str = Field(max_length=64)


class RegistryKeyRow(SQLModel, table=True):
    """The lookup keys of a registry record (see SerialQuery.lookup_keys)."""

    __tablename__ = "registry_keys"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["registry_name", "reference"],
            ["registry_records.registry_name", "registry_records.reference"],
            ondelete="CASCADE",
        ),
    )

    key: str = Field(sa_type=key_text(256), primary_key=True)
    registry_name: str = Field(max_length=64, primary_key=True)
    reference: str = Field(max_length=100, primary_key=True)


class RegistryHitRow(SQLModel, table=True):
    __tablename__ = "registry_hits"
    __table_args__ = (
        sa.Index("ix_registry_hits_recovery", "recovery_id", "found_at"),
        sa.Index("ix_registry_hits_agency", "agency_id", "found_at"),
    )

    id: UUID = Field(primary_key=True)
    recovery_id: UUID = Field(foreign_key="recoveries.id")
    item_id: UUID
    agency_id: UUID
    registry_name: str = Field(max_length=64)
    reference: str = Field(max_length=100)
    status: str = Field(max_length=16)
    match_kind: str = Field(max_length=16)
    confidence: float
    record: dict[str, Any] = Field(sa_type=json_document())
    found_at: datetime = Field(sa_type=UtcDateTime)
    recovery_version: int
    cleared_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


registry_records = RegistryRecordRow.__table__  # type: ignore[attr-defined]
registry_keys = RegistryKeyRow.__table__  # type: ignore[attr-defined]
registry_hits = RegistryHitRow.__table__  # type: ignore[attr-defined]
