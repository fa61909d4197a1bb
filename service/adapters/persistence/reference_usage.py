"""Which raw makes and calibres are stored without a canonical value."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect
from service.adapters.persistence.sql import QueryShapes, Statement
from service.domain.ports.recoveries import UnresolvedValue


def _unresolved(_: str, per_agency: bool) -> Statement:
    items, recoveries = tables.recovery_items, tables.recoveries

    def counts(field: str, raw: sa.Column[Any], canonical: sa.Column[Any]) -> sa.Select[Any]:
        statement = (
            sa.select(
                sa.literal(field).label("field"), raw.label("raw"), sa.func.count().label("n")
            )
            .where(raw.is_not(None), canonical.is_(None))
            .group_by(raw)
        )
        if per_agency:
            statement = statement.join(recoveries, recoveries.c.id == items.c.recovery_id).where(
                recoveries.c.agency_id == sa.bindparam("agency_id")
            )
        return statement

    return sa.union_all(
        counts("make", items.c.make_raw, items.c.make_canonical),
        counts("calibre", items.c.calibre_raw, items.c.calibre_canonical),
    )


_UNRESOLVED = QueryShapes(_unresolved)


class SqlReferenceUsage:
    def __init__(self, connect: Connect) -> None:
        self._connect = connect

    async def unresolved(self, *, agency_id: UUID | None) -> list[UnresolvedValue]:
        query = _UNRESOLVED[agency_id is not None]
        parameters = {} if agency_id is None else {"agency_id": agency_id}
        rows = await (await self._connect()).fetch(query, **parameters)
        return [UnresolvedValue(field=r["field"], raw=r["raw"], count=r["n"]) for r in rows]
