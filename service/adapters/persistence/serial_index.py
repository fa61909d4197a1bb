"""Serial candidates in SQL: every match kind is an index lookup.

One statement unions the lookups, each tagged with a priority (cheap, confident kinds
first), keeps the agency's readings, and caps the result; the domain then decides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.adapters.persistence import tables
from service.adapters.persistence.recovery_rows import identifier_from_row
from service.domain.items import IdentifierRole, ItemKind
from service.domain.matching import SerialQuery, StoredIdentifier
from service.domain.ports import CandidateBatch
from service.domain.reference import Resolution


def candidate_lookups(query: SerialQuery) -> list[sa.Select[Any]]:
    """The index lookups for a query, each yielding (item_id, role, priority)."""
    ident, deletions = tables.item_identifiers, tables.identifier_deletions
    lookups: list[sa.Select[Any]] = []

    def tagged(table: sa.Table, priority: int) -> sa.Select[Any]:
        return sa.select(table.c.item_id, table.c.role, sa.literal(priority).label("priority"))

    keys = sorted(query.normalized_keys)
    if keys:
        # Equal normalized reading (exact, normalized) or one character shorter (edit).
        lookups.append(tagged(ident, 0).where(ident.c.normalized.in_(keys)))
    if query.skeleton_key is not None:
        lookups.append(tagged(ident, 1).where(ident.c.skeleton == query.skeleton_key))
    if keys and len(keys) > 1:
        # One character longer, or one substitution or swap away (edit).
        lookups.append(tagged(deletions, 2).where(deletions.c.variant.in_(keys)))
    anchors = sorted(query.anchor_keys)
    if anchors:
        lookups.append(tagged(ident, 3).where(ident.c.anchor.in_(anchors)))
    if query.like_pattern is not None:
        conditions = [
            sa.not_(ident.c.is_partial),
            ident.c.normalized.like(query.like_pattern, escape="\\"),
        ]
        prefix = query.literal_prefix
        if prefix:
            # A range on the B-tree narrows patterns with a known start on every database.
            following = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            conditions += [ident.c.normalized >= prefix, ident.c.normalized < following]
        lookups.append(tagged(ident, 4).where(*conditions))
    return lookups


def candidate_statement(query: SerialQuery, agency_id: UUID, cap: int) -> sa.Select[Any] | None:
    lookups = candidate_lookups(query)
    if not lookups:
        return None
    hits = sa.union_all(*lookups).subquery("hits")
    best = (
        sa.select(hits.c.item_id, hits.c.role, sa.func.min(hits.c.priority).label("priority"))
        .group_by(hits.c.item_id, hits.c.role)
        .subquery("best")
    )
    ident, items, recoveries = tables.item_identifiers, tables.recovery_items, tables.recoveries
    return (
        sa.select(
            ident.c.item_id,
            ident.c.role,
            ident.c.recovery_id,
            ident.c.agency_id,
            ident.c.raw,
            ident.c.normalized,
            ident.c.skeleton,
            items.c.kind,
            items.c.make_raw,
            items.c.make_canonical,
            items.c.model,
            items.c.calibre_raw,
            items.c.calibre_canonical,
            recoveries.c.recovered_at,
            recoveries.c.case_reference,
        )
        .select_from(
            best.join(
                ident, sa.and_(ident.c.item_id == best.c.item_id, ident.c.role == best.c.role)
            )
            .join(items, items.c.id == ident.c.item_id)
            .join(recoveries, recoveries.c.id == ident.c.recovery_id)
        )
        .where(ident.c.agency_id == agency_id)
        .order_by(best.c.priority, ident.c.item_id, ident.c.role)
        .limit(cap + 1)
    )


class SqlSerialIndex:
    def __init__(self, connection: Callable[[], Any]) -> None:
        self._connection = connection

    async def candidates(self, query: SerialQuery, *, agency_id: UUID, cap: int) -> CandidateBatch:
        statement = candidate_statement(query, agency_id, cap)
        if statement is None:
            return CandidateBatch(candidates=[], truncated=False)
        connection: AsyncConnection = await self._connection()
        rows = (await connection.execute(statement)).mappings().all()
        found = [_candidate(row) for row in rows[:cap]]
        return CandidateBatch(candidates=found, truncated=len(rows) > cap)


def _candidate(row: sa.RowMapping) -> StoredIdentifier:
    return StoredIdentifier(
        recovery_id=row["recovery_id"],
        item_id=row["item_id"],
        agency_id=row["agency_id"],
        item_kind=ItemKind(row["kind"]),
        role=IdentifierRole(row["role"]),
        identifier=identifier_from_row(row),
        make=Resolution(row["make_raw"], row["make_canonical"]) if row["make_raw"] else None,
        model=row["model"],
        calibre=Resolution(row["calibre_raw"], row["calibre_canonical"])
        if row["calibre_raw"]
        else None,
        recovered_at=row["recovered_at"],
        case_reference=row["case_reference"],
    )
