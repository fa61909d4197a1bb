"""Photos' records in SQL: inserted, never updated or deleted (the app role may not)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Row, Stage
from service.adapters.persistence.sql import Query
from service.adapters.persistence.writes import InsertRows
from service.domain.photos import ItemPhoto, PhotoMediaType

_P = tables.item_photos

# Served by ix_item_photos_recovery (recovery_id, attached_at).
_OF_RECOVERY = Query(
    lambda _: (
        sa.select(_P)
        .where(_P.c.recovery_id == sa.bindparam("recovery_id", type_=sa.Uuid()))
        .order_by(_P.c.attached_at, _P.c.id)
    )
)
_BY_ID = Query(lambda _: sa.select(_P).where(_P.c.id == sa.bindparam("id", type_=sa.Uuid())))


def photo_values(photo: ItemPhoto) -> dict[str, Any]:
    return {
        "id": photo.id,
        "recovery_id": photo.recovery_id,
        "item_id": photo.item_id,
        "sha256": photo.sha256,
        "media_type": photo.media_type.value,
        "byte_size": photo.byte_size,
        "width": photo.width,
        "height": photo.height,
        "thumbnail_sha256": photo.thumbnail_sha256,
        "caption": photo.caption,
        "attached_at": photo.attached_at,
        "attached_by": photo.attached_by,
    }


def photo_from_row(row: Row) -> ItemPhoto:
    return ItemPhoto(
        id=row["id"],
        recovery_id=row["recovery_id"],
        item_id=row["item_id"],
        sha256=row["sha256"],
        media_type=PhotoMediaType(row["media_type"]),
        byte_size=row["byte_size"],
        width=row["width"],
        height=row["height"],
        thumbnail_sha256=row["thumbnail_sha256"],
        caption=row["caption"],
        attached_at=row["attached_at"],
        attached_by=row["attached_by"],
    )


class SqlPhotoRepository:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage

    def add(self, photo: ItemPhoto) -> None:
        self._stage([InsertRows(_P, [photo_values(photo)])])
        self._stage.saw(photo)

    async def of_recovery(self, recovery_id: UUID) -> list[ItemPhoto]:
        rows = await (await self._connect()).fetch(_OF_RECOVERY, recovery_id=recovery_id)
        return [photo_from_row(row) for row in rows]

    async def get(self, photo_id: UUID) -> ItemPhoto | None:
        rows = await (await self._connect()).fetch(_BY_ID, id=photo_id)
        return photo_from_row(rows[0]) if rows else None
