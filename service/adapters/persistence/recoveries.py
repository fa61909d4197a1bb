"""Recoveries in SQL: each aggregate is read by one statement (a consistent snapshot
without a transaction) and written through the unit of work's staged operations."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.adapters.persistence import tables
from service.adapters.persistence.queries import prefixed, unprefixed
from service.adapters.persistence.recovery_rows import (
    Row,
    corrected_recovery_operations,
    new_recovery_operations,
    recovery_from_rows,
)
from service.adapters.persistence.writes import RowOperation
from service.domain.ports import RecoveryCursor, RecoveryFilter, RecoveryPage
from service.domain.recovery import Recovery

_R, _I, _X = "r_", "i_", "x_"
_IDENTIFIER_COLUMNS = ("role", "raw", "normalized", "skeleton")


def _with_items(recoveries: sa.FromClause) -> sa.Select[Any]:
    """Recoveries (from any subquery of the table) with their items and readings."""
    items, identifiers = tables.recovery_items, tables.item_identifiers
    return sa.select(
        *(c.label(_R + c.name) for c in recoveries.c),
        *prefixed(items, _I),
        *prefixed(identifiers, _X, _IDENTIFIER_COLUMNS),
    ).select_from(
        recoveries.outerjoin(items, items.c.recovery_id == recoveries.c.id).outerjoin(
            identifiers, identifiers.c.item_id == items.c.id
        )
    )


def _assemble(rows: Sequence[sa.RowMapping]) -> list[tuple[Row, list[tuple[Row, dict[str, Row]]]]]:
    """Group joined rows back into (recovery, [(item, {role: identifier})]) in row order."""
    recoveries: dict[UUID, tuple[Row, dict[UUID, tuple[Row, dict[str, Row]]]]] = {}
    for row in rows:
        recovery = unprefixed(row, _R)
        _, items = recoveries.setdefault(recovery["id"], (recovery, {}))
        item = unprefixed(row, _I)
        if item["id"] is None:
            continue
        _, identifiers = items.setdefault(item["id"], (item, {}))
        identifier = unprefixed(row, _X)
        if identifier["role"] is not None:
            identifiers[identifier["role"]] = identifier
    return [(recovery, list(items.values())) for recovery, items in recoveries.values()]


class SqlRecoveryRepository:
    def __init__(
        self,
        connection: Callable[[], Any],
        stage: Callable[[list[RowOperation]], None],
    ) -> None:
        self._connection = connection
        self._stage = stage
        self._loaded: dict[UUID, Recovery] = {}

    async def get(self, recovery_id: UUID) -> Recovery | None:
        connection: AsyncConnection = await self._connection()
        recoveries = tables.recoveries
        statement = _with_items(
            sa.select(recoveries).where(recoveries.c.id == recovery_id).subquery("r")
        ).order_by(sa.literal_column(_I + "position"), sa.literal_column(_X + "role"))
        rows = (await connection.execute(statement)).mappings().all()
        if not rows:
            return None
        ((recovery_row, items),) = _assemble(rows)
        corrections = tables.recovery_corrections
        history = (
            (
                await connection.execute(
                    sa.select(corrections)
                    .where(
                        corrections.c.recovery_id == recovery_id,
                        # Corrections are append-only: those up to the version read above are
                        # exactly this snapshot's history, whatever committed in between.
                        corrections.c.version <= recovery_row["version"],
                    )
                    .order_by(corrections.c.version)
                )
            )
            .mappings()
            .all()
        )
        recovery = recovery_from_rows(recovery_row, items, history)
        # The snapshot a later save() is compared with; fields are replaced, never
        # mutated in place, by a correction, so a shallow copy stays as loaded.
        self._loaded[recovery_id] = dataclasses.replace(recovery, events=[])
        return recovery

    def add(self, recovery: Recovery) -> None:
        self._stage(new_recovery_operations(recovery))

    def save(self, recovery: Recovery) -> None:
        loaded = self._loaded.get(recovery.id)
        if loaded is None:
            raise LookupError("save() is for recoveries loaded through this repository")
        self._stage(corrected_recovery_operations(loaded, recovery))

    async def page(
        self,
        *,
        agency_id: UUID,
        recovery_filter: RecoveryFilter,
        after: RecoveryCursor | None,
        limit: int,
    ) -> RecoveryPage:
        connection: AsyncConnection = await self._connection()
        r = tables.recoveries
        conditions = [r.c.agency_id == agency_id, *_filter_conditions(recovery_filter)]
        if after is not None:
            conditions.append(
                sa.tuple_(r.c.recovered_at, r.c.id)
                < sa.tuple_(after.recovered_at, after.recovery_id)
            )
        page = (
            sa.select(r)
            .where(*conditions)
            .order_by(r.c.recovered_at.desc(), r.c.id.desc())
            .limit(limit + 1)
            .subquery("r")
        )
        statement = _with_items(page).order_by(
            page.c.recovered_at.desc(),
            page.c.id.desc(),
            sa.literal_column(_I + "position"),
            sa.literal_column(_X + "role"),
        )
        rows = (await connection.execute(statement)).mappings().all()
        found = [recovery_from_rows(rec, items, ()) for rec, items in _assemble(rows)]
        more = len(found) > limit
        found = found[:limit]
        cursor = RecoveryCursor(found[-1].recovered_at, found[-1].id) if more else None
        return RecoveryPage(recoveries=found, next_cursor=cursor)


def _filter_conditions(f: RecoveryFilter) -> list[sa.ColumnElement[bool]]:
    r, items = tables.recoveries, tables.recovery_items
    conditions: list[sa.ColumnElement[bool]] = []
    if f.case_reference is not None:
        conditions.append(r.c.case_reference == f.case_reference)
    if f.country is not None:
        conditions.append(r.c.location_country == f.country)
    if f.recovered_from is not None:
        conditions.append(r.c.recovered_at >= f.recovered_from)
    if f.recovered_to is not None:
        conditions.append(r.c.recovered_at < f.recovered_to)
    item_conditions: list[sa.ColumnElement[bool]] = []
    if f.item_kind is not None:
        item_conditions.append(items.c.kind == f.item_kind.value)
    if f.make is not None:
        item_conditions.append(sa.func.coalesce(items.c.make_canonical, items.c.make_raw) == f.make)
    if f.calibre is not None:
        item_conditions.append(
            sa.func.coalesce(items.c.calibre_canonical, items.c.calibre_raw) == f.calibre
        )
    if item_conditions:
        # All item filters must hold for the same item.
        conditions.append(sa.exists().where(items.c.recovery_id == r.c.id, *item_conditions))
    return conditions
