"""Recoveries, their items, and the keys their serial readings are found by."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.adapters.persistence.types import UtcDateTime, json_document, key_text

# Covered by the serial lookups' indexes on PostgreSQL, so a lookup reads no table page.
_FOUND = ["item_id", "role"]


class RecoveryRow(SQLModel, table=True):
    __tablename__ = "recoveries"
    __table_args__ = (
        sa.Index("ix_recoveries_agency_recovered_at", "agency_id", "recovered_at", "id"),
        sa.Index("ix_recoveries_agency_case_reference", "agency_id", "case_reference"),
    )

    id: UUID = Field(primary_key=True)
    agency_id: UUID = Field(foreign_key="agencies.id")
    case_reference: str = Field(max_length=64)
    recovered_at: datetime = Field(sa_type=UtcDateTime)
    location_description: str = Field(max_length=500)
    location_country: str = Field(max_length=2)
    location_lat: float | None = None
    location_lon: float | None = None
    circumstances: str = Field(max_length=32)
    version: int
    recorded_at: datetime = Field(sa_type=UtcDateTime)
    recorded_by: UUID
    updated_at: datetime = Field(sa_type=UtcDateTime)
    reference_version: str = Field(max_length=32)
    # The possessor, when one is recorded (personal data: shown only to the agency).
    possessor_name: str | None = Field(default=None, max_length=200)
    possessor_born_on: date | None = None
    possessor_nationality: str | None = Field(default=None, max_length=2)
    possessor_document_number: str | None = Field(default=None, max_length=64)
    possessor_document_country: str | None = Field(default=None, max_length=2)


class RecoveryItemRow(SQLModel, table=True):
    """One row per item, whatever its kind; columns a kind does not have stay NULL."""

    __tablename__ = "recovery_items"
    __table_args__ = (
        sa.Index("ix_recovery_items_recovery", "recovery_id", "position"),
        sa.Index("ix_recovery_items_make_canonical", "make_canonical"),
        sa.Index("ix_recovery_items_calibre_canonical", "calibre_canonical"),
    )

    id: UUID = Field(primary_key=True)
    recovery_id: UUID = Field(foreign_key="recoveries.id")
    position: int
    kind: str = Field(max_length=16)
    make_raw: str | None = Field(default=None, max_length=64)
    make_canonical: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=64)
    calibre_raw: str | None = Field(default=None, max_length=64)
    calibre_canonical: str | None = Field(default=None, max_length=100)
    serial_state: str | None = Field(default=None, max_length=16)
    firearm_type: str | None = Field(default=None, max_length=32)
    country_of_manufacture: str | None = Field(default=None, max_length=2)
    import_marking_text: str | None = Field(default=None, max_length=64)
    import_marking_country: str | None = Field(default=None, max_length=2)
    import_marking_year: int | None = None
    other_markings: str | None = Field(default=None, max_length=1000)
    headstamp: str | None = Field(default=None, max_length=64)
    quantity: int | None = None
    component_category: str | None = Field(default=None, max_length=8)
    part_number: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=1000)


class ItemIdentifierRow(SQLModel, table=True):
    """A serial or lot reading with its derived search keys. The raw text lives here and
    only here; agency and recovery are repeated so a search needs no join to filter.

    Equality and known starts are served by the B-tree on `normalized`, known ends by
    the B-tree on `reversed`; the trigram index is on `reversed` too, where no equality
    or range lookup can pick it by mistake (pg_trgm answers `=` as well, and with common
    trigrams that plan is a hundred times slower). It takes new rows at once rather than
    in a pending list (`fastupdate`), which every search would read until a vacuum
    merged it, and which made the planner prefer scanning the table after a load."""

    __tablename__ = "item_identifiers"
    __table_args__ = (
        sa.Index("ix_item_identifiers_normalized", "normalized", postgresql_include=_FOUND),
        sa.Index("ix_item_identifiers_skeleton", "skeleton"),
        sa.Index(
            "ix_item_identifiers_reversed", "reversed", postgresql_include=["normalized", *_FOUND]
        ),
        sa.Index(
            "ix_item_identifiers_reversed_trgm",
            "reversed",
            postgresql_using="gin",
            postgresql_ops={"reversed": "gin_trgm_ops"},
            postgresql_with={"fastupdate": "off"},
            info={"only_on": "postgresql"},
        ),
    )

    item_id: UUID = Field(foreign_key="recovery_items.id", primary_key=True)
    role: str = Field(max_length=8, primary_key=True)
    recovery_id: UUID
    agency_id: UUID
    raw: str = Field(max_length=64)
    normalized: str = Field(sa_type=key_text(256))
    skeleton: str = Field(sa_type=key_text(256))
    is_partial: bool
    reversed: str = Field(sa_type=key_text(256))


class IdentifierDeletionRow(SQLModel, table=True):
    """The one-deletion neighbourhood of a complete reading's spellings: one-edit matches
    (and patterns with one or two `?`) become index equality. The primary key leads with
    the variant so lookups are index-only."""

    __tablename__ = "identifier_deletions"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["item_id", "role"],
            ["item_identifiers.item_id", "item_identifiers.role"],
            ondelete="CASCADE",
        ),
    )

    variant: str = Field(sa_type=key_text(256), primary_key=True)
    item_id: UUID = Field(primary_key=True)
    role: str = Field(max_length=8, primary_key=True)


class IdentifierTransliterationRow(SQLModel, table=True):
    """The spellings a reading is filed under besides its normalized form
    (`matching.filed_spellings`): the Latin spellings of its Cyrillic or Greek letters
    that look like no Latin one (`БЖ9735`: `BZH9735`, `BJ9735`), and its form without
    the zeros padding its runs of digits (`GLK-00731`: `GLK731`). Index-only lookups, as
    for deletions. (The table keeps the name it had when it held transliterations only.)"""

    __tablename__ = "identifier_transliterations"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["item_id", "role"],
            ["item_identifiers.item_id", "item_identifiers.role"],
            ondelete="CASCADE",
        ),
    )

    transliterated: str = Field(sa_type=key_text(256), primary_key=True)
    item_id: UUID = Field(primary_key=True)
    role: str = Field(max_length=8, primary_key=True)


class IdentifierAnchorRow(SQLModel, table=True):
    """The anchors of a partial reading (`?`, `*`): the stretches of its legible runs, or
    its known start and end, that any reading it may be shows too. Index-only lookups,
    as for deletions."""

    __tablename__ = "identifier_anchors"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["item_id", "role"],
            ["item_identifiers.item_id", "item_identifiers.role"],
            ondelete="CASCADE",
        ),
    )

    anchor: str = Field(sa_type=key_text(256), primary_key=True)
    item_id: UUID = Field(primary_key=True)
    role: str = Field(max_length=8, primary_key=True)


class RecoveryCorrectionRow(SQLModel, table=True):
    __tablename__ = "recovery_corrections"

    recovery_id: UUID = Field(foreign_key="recoveries.id", primary_key=True)
    version: int = Field(primary_key=True)
    corrected_at: datetime = Field(sa_type=UtcDateTime)
    corrected_by: UUID
    reason: str = Field(max_length=2000)
    changes: list[dict[str, Any]] = Field(sa_type=json_document())


class ItemPhotoRow(SQLModel, table=True):
    """A photo of an item's markings; the image and its thumbnail are kept by the photo
    store under their SHA-256."""

    __tablename__ = "item_photos"
    __table_args__ = (sa.Index("ix_item_photos_recovery", "recovery_id", "attached_at"),)

    id: UUID = Field(primary_key=True)
    recovery_id: UUID = Field(foreign_key="recoveries.id")
    item_id: UUID = Field(foreign_key="recovery_items.id")
    sha256: str = Field(max_length=64)
    media_type: str = Field(max_length=16)
    byte_size: int
    width: int
    height: int
    thumbnail_sha256: str = Field(max_length=64)
    caption: str | None = Field(default=None, max_length=200)
    attached_at: datetime = Field(sa_type=UtcDateTime)
    attached_by: UUID


recoveries = RecoveryRow.__table__  # type: ignore[attr-defined]
recovery_items = RecoveryItemRow.__table__  # type: ignore[attr-defined]
item_identifiers = ItemIdentifierRow.__table__  # type: ignore[attr-defined]
identifier_deletions = IdentifierDeletionRow.__table__  # type: ignore[attr-defined]
identifier_transliterations = IdentifierTransliterationRow.__table__  # type: ignore[attr-defined]
identifier_anchors = IdentifierAnchorRow.__table__  # type: ignore[attr-defined]
recovery_corrections = RecoveryCorrectionRow.__table__  # type: ignore[attr-defined]
item_photos = ItemPhotoRow.__table__  # type: ignore[attr-defined]
