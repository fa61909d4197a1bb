"""Imports of recoveries: jobs, their reports of rejected rows, and what landed rows are
known by on a later import."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.adapters.persistence.types import UtcDateTime, key_text


class ImportJobRow(SQLModel, table=True):
    __tablename__ = "import_jobs"
    __table_args__ = (sa.Index("ix_import_jobs_agency", "agency_id", "created_at"),)

    id: UUID = Field(primary_key=True)
    agency_id: UUID = Field(foreign_key="agencies.id")
    created_by: UUID
    created_by_kind: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=UtcDateTime)
    source_name: str = Field(max_length=200)
    source_format: str = Field(max_length=8)
    source_size: int = Field(sa_type=sa.BigInteger)
    source_sha256: str = Field(max_length=64)
    all_or_nothing: bool
    mapping: str | None = Field(default=None, sa_type=sa.Text)
    state: str = Field(max_length=24)
    rows_read: int = Field(sa_type=sa.BigInteger)
    rows_imported: int = Field(sa_type=sa.BigInteger)
    rows_already_imported: int = Field(sa_type=sa.BigInteger)
    rows_rejected: int = Field(sa_type=sa.BigInteger)
    recoveries_imported: int = Field(sa_type=sa.BigInteger)
    batches: int
    bytes_read: int = Field(sa_type=sa.BigInteger)
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    failure: str | None = Field(default=None, max_length=2000)
    claimed_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    version: int


class ImportRejectRow(SQLModel, table=True):
    """A line of a job's report; a job started again writes its report afresh."""

    __tablename__ = "import_rejects"

    import_id: UUID = Field(foreign_key="import_jobs.id", primary_key=True)
    position: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    line: int = Field(sa_type=sa.BigInteger)
    column: str = Field(max_length=200)
    reason: str = Field(max_length=2000)


class ImportedKeyRow(SQLModel, table=True):
    """A recovery key or row an import landed, per agency: a later import of the same
    rows finds them here and changes nothing."""

    __tablename__ = "imported_keys"
    __table_args__ = (sa.Index("ix_imported_keys_recovery", "recovery_id"),)

    agency_id: UUID = Field(foreign_key="agencies.id", primary_key=True)
    key: str = Field(sa_type=key_text(420), primary_key=True)
    recovery_id: UUID = Field(foreign_key="recoveries.id")
    import_id: UUID = Field(foreign_key="import_jobs.id")
    # The batch that landed it: its registry checks are that batch's.
    batch: int


import_jobs = ImportJobRow.__table__  # type: ignore[attr-defined]
import_rejects = ImportRejectRow.__table__  # type: ignore[attr-defined]
imported_keys = ImportedKeyRow.__table__  # type: ignore[attr-defined]
