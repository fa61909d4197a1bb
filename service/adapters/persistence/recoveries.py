"""Recoveries in SQL: each aggregate is read by one statement (a consistent snapshot
without a transaction) and written through the unit of work's staged operations."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Row, Stage
from service.adapters.persistence.queries import prefixed
from service.adapters.persistence.recovery_rows import (
    corrected_recovery_operations,
    new_recovery_operations,
    recovery_from_rows,
)
from service.adapters.persistence.sql import Query, QueryShapes, Statement, one_of
from service.adapters.persistence.types import UtcDateTime
from service.domain.ports.recoveries import RecoveryCursor, RecoveryFilter, RecoveryPage
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


def _assemble(rows: Sequence[Row]) -> list[tuple[Row, list[tuple[Row, dict[str, Row]]]]]:
    """Group joined rows back into (recovery, [(item, {role: identifier})]) in row order.
    A recovery's and an item's columns repeat on each of their rows: each is read once."""
    if not rows:
        return []
    names = list(rows[0].keys())
    recovery_of, item_of, identifier_of = (_columns_of(names, p) for p in (_R, _I, _X))
    recovery_id, item_id, role = _R + "id", _I + "id", _X + "role"
    recoveries: dict[UUID, tuple[Row, dict[UUID, tuple[Row, dict[str, Row]]]]] = {}
    for row in rows:
        found = recoveries.get(row[recovery_id])
        if found is None:
            found = recoveries[row[recovery_id]] = (recovery_of(row), {})
        if row[item_id] is None:
            continue
        items = found[1]
        item = items.get(row[item_id])
        if item is None:
            item = items[row[item_id]] = (item_of(row), {})
        if row[role] is not None:
            item[1][row[role]] = identifier_of(row)
    return [(recovery, list(items.values())) for recovery, items in recoveries.values()]


def _columns_of(names: Sequence[str], prefix: str) -> Callable[[Row], dict[str, Any]]:
    """Reads one table's columns out of a joined row, under their own names."""
    wanted = [(name, name[len(prefix) :]) for name in names if name.startswith(prefix)]
    return lambda row: {short: row[name] for name, short in wanted}


def _recovery_by_id(_: str, of_agency: bool) -> Statement:
    recoveries = tables.recoveries
    wanted = [recoveries.c.id == sa.bindparam("id")]
    if of_agency:
        wanted.append(recoveries.c.agency_id == sa.bindparam("agency_id"))
    one = sa.select(recoveries).where(*wanted).subquery("r")
    return _with_items(one).order_by(
        sa.literal_column(_I + "position"), sa.literal_column(_X + "role")
    )


def _corrections_up_to(_: str) -> Statement:
    corrections = tables.recovery_corrections
    return (
        sa.select(corrections)
        .where(
            corrections.c.recovery_id == sa.bindparam("id"),
            # Corrections are append-only: those up to the version read with the recovery
            # are exactly that snapshot's history, whatever committed in between.
            corrections.c.version <= sa.bindparam("version"),
        )
        .order_by(corrections.c.version)
    )


def _recoveries_by_ids(dialect: str) -> Statement:
    recoveries = tables.recoveries
    some = sa.select(recoveries).where(one_of(recoveries.c.id, "ids", dialect)).subquery("r")
    return _with_items(some).order_by(
        some.c.id, sa.literal_column(_I + "position"), sa.literal_column(_X + "role")
    )


_RECOVERY = QueryShapes(_recovery_by_id)
_RECOVERIES = Query(_recoveries_by_ids)
_IDS_AFTER = Query(
    lambda _: (
        sa.select(tables.recoveries.c.id)
        .where(tables.recoveries.c.id > sa.bindparam("after", type_=sa.Uuid()))
        .order_by(tables.recoveries.c.id)
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )
)
_CORRECTIONS = Query(_corrections_up_to)

# The filters of the list, by parameter name; a page query exists per set present.
_FILTERS = (
    "case_reference",
    "country",
    "recovered_from",
    "recovered_to",
    "item_kind",
    "make",
    "calibre",
    "after",
)


def _page(_: str, present: frozenset[str]) -> Statement:
    r, items = tables.recoveries, tables.recovery_items
    conditions = [r.c.agency_id == sa.bindparam("agency_id")]
    if "case_reference" in present:
        conditions.append(r.c.case_reference == sa.bindparam("case_reference"))
    if "country" in present:
        conditions.append(r.c.location_country == sa.bindparam("country"))
    if "recovered_from" in present:
        conditions.append(r.c.recovered_at >= sa.bindparam("recovered_from", type_=UtcDateTime()))
    if "recovered_to" in present:
        conditions.append(r.c.recovered_at < sa.bindparam("recovered_to", type_=UtcDateTime()))
    if "after" in present:
        position = sa.tuple_(
            sa.bindparam("after_time", type_=UtcDateTime()),
            sa.bindparam("after_id", type_=sa.Uuid()),
        )
        conditions.append(sa.tuple_(r.c.recovered_at, r.c.id) < position)
    item_conditions: list[sa.ColumnElement[bool]] = []
    if "item_kind" in present:
        item_conditions.append(items.c.kind == sa.bindparam("item_kind"))
    if "make" in present:
        item_conditions.append(
            sa.func.coalesce(items.c.make_canonical, items.c.make_raw) == sa.bindparam("make")
        )
    if "calibre" in present:
        item_conditions.append(
            sa.func.coalesce(items.c.calibre_canonical, items.c.calibre_raw)
            == sa.bindparam("calibre")
        )
    if item_conditions:
        # All item filters must hold for the same item.
        conditions.append(sa.exists().where(items.c.recovery_id == r.c.id, *item_conditions))
    page = (
        sa.select(r)
        .where(*conditions)
        .order_by(r.c.recovered_at.desc(), r.c.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer()))
        .subquery("r")
    )
    return _with_items(page).order_by(
        page.c.recovered_at.desc(),
        page.c.id.desc(),
        sa.literal_column(_I + "position"),
        sa.literal_column(_X + "role"),
    )


_PAGES = QueryShapes(_page)


class SqlRecoveryRepository:
    def __init__(self, connect: Connect, stage: Stage) -> None:
        self._connect = connect
        self._stage = stage
        self._loaded: dict[UUID, Recovery] = {}

    async def get(self, recovery_id: UUID, *, of_agency: UUID | None = None) -> Recovery | None:
        connection = await self._connect()
        if of_agency is None:
            rows = await connection.fetch(_RECOVERY[False], id=recovery_id)
        else:
            rows = await connection.fetch(_RECOVERY[True], id=recovery_id, agency_id=of_agency)
        if not rows:
            return None
        ((recovery_row, items),) = _assemble(rows)
        history = await connection.fetch(
            _CORRECTIONS, id=recovery_id, version=recovery_row["version"]
        )
        recovery = recovery_from_rows(recovery_row, items, history)
        # The snapshot a later save() is compared with; fields are replaced, never
        # mutated in place, by a correction, so a shallow copy stays as loaded.
        self._loaded[recovery_id] = dataclasses.replace(recovery, events=[])
        return recovery

    async def ids_after(self, after: UUID | None, *, limit: int) -> list[UUID]:
        rows = await (await self._connect()).fetch(
            _IDS_AFTER, after=after or UUID(int=0), limit=limit
        )
        return [row["id"] for row in rows]

    async def get_many(self, recovery_ids: Sequence[UUID]) -> list[Recovery]:
        if not recovery_ids:
            return []
        connection = await self._connect()
        rows = await connection.fetch(_RECOVERIES, ids=list(recovery_ids))
        return [recovery_from_rows(rec, items, ()) for rec, items in _assemble(rows)]

    def add(self, recovery: Recovery) -> None:
        self._stage(new_recovery_operations(recovery))
        self._stage.saw(recovery)

    def save(self, recovery: Recovery) -> None:
        loaded = self._loaded.get(recovery.id)
        if loaded is None:
            raise LookupError("save() is for recoveries loaded through this repository")
        self._stage(corrected_recovery_operations(loaded, recovery))
        self._stage.saw(recovery)

    async def page(
        self,
        *,
        agency_id: UUID,
        recovery_filter: RecoveryFilter,
        after: RecoveryCursor | None,
        limit: int,
    ) -> RecoveryPage:
        f = recovery_filter
        values: dict[str, Any] = {
            "case_reference": f.case_reference,
            "country": f.country,
            "recovered_from": f.recovered_from,
            "recovered_to": f.recovered_to,
            "item_kind": f.item_kind.value if f.item_kind else None,
            "make": f.make,
            "calibre": f.calibre,
        }
        parameters = {k: v for k, v in values.items() if v is not None}
        if after is not None:
            parameters |= {"after_time": after.recovered_at, "after_id": after.recovery_id}
        present = frozenset(parameters) - {"after_time", "after_id"}
        if after is not None:
            present |= {"after"}
        query = _PAGES[present]
        connection = await self._connect()
        rows = await connection.fetch(query, agency_id=agency_id, limit=limit + 1, **parameters)
        found = [recovery_from_rows(rec, items, ()) for rec, items in _assemble(rows)]
        more = len(found) > limit
        found = found[:limit]
        cursor = RecoveryCursor(found[-1].recovered_at, found[-1].id) if more else None
        return RecoveryPage(recoveries=found, next_cursor=cursor)
