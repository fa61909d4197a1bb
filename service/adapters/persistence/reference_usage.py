"""Which raw makes and calibres are stored without a canonical value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.adapters.persistence import tables
from service.domain.ports import UnresolvedValue


class SqlReferenceUsage:
    def __init__(self, connection: Callable[[], Any]) -> None:
        self._connection = connection

    async def unresolved(self, *, agency_id: UUID | None) -> list[UnresolvedValue]:
        items, recoveries = tables.recovery_items, tables.recoveries

        def counts(field: str, raw: sa.Column[Any], canonical: sa.Column[Any]) -> sa.Select[Any]:
            statement = (
                sa.select(
                    sa.literal(field).label("field"), raw.label("raw"), sa.func.count().label("n")
                )
                .where(raw.is_not(None), canonical.is_(None))
                .group_by(raw)
            )
            if agency_id is not None:
                statement = statement.join(
                    recoveries, recoveries.c.id == items.c.recovery_id
                ).where(recoveries.c.agency_id == agency_id)
            return statement

        statement = sa.union_all(
            counts("make", items.c.make_raw, items.c.make_canonical),
            counts("calibre", items.c.calibre_raw, items.c.calibre_canonical),
        )
        connection: AsyncConnection = await self._connection()
        rows = (await connection.execute(statement)).all()
        return [UnresolvedValue(field=row[0], raw=row[1], count=row[2]) for row in rows]
