"""Serial candidates in SQL: every match kind is an index lookup.

One statement unions the lookups, each tagged with a priority (cheap, confident kinds
first), keeps the agency's readings, and caps the result; the domain then decides.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Row
from service.adapters.persistence.recovery_rows import identifier_from_row
from service.adapters.persistence.sql import QueryShapes, Statement, one_of
from service.domain.items import IdentifierRole, ItemKind
from service.domain.matching import SerialQuery, StoredIdentifier
from service.domain.ports.recoveries import CandidateBatch
from service.domain.reference import Resolution


def _candidates(dialect: str, shape: frozenset[str]) -> Statement:
    """Index lookups for the kinds of key a query has, each yielding (item, role,
    priority), the agency's readings among them, best priority first, capped."""
    ident, deletions = tables.item_identifiers, tables.identifier_deletions
    lookups: list[sa.Select[Any]] = []

    def tagged(table: sa.Table, priority: int) -> sa.Select[Any]:
        return sa.select(table.c.item_id, table.c.role, sa.literal(priority).label("priority"))

    if "keys" in shape:
        # Equal normalized reading (exact, normalized) or one character shorter (edit).
        lookups.append(tagged(ident, 0).where(one_of(ident.c.normalized, "keys", dialect)))
    if "skeleton" in shape:
        lookups.append(tagged(ident, 1).where(ident.c.skeleton == sa.bindparam("skeleton")))
    if "edit_keys" in shape:
        # One character longer, or one substitution or swap away (edit).
        lookups.append(tagged(deletions, 2).where(one_of(deletions.c.variant, "keys", dialect)))
    if "anchors" in shape:
        lookups.append(tagged(ident, 3).where(one_of(ident.c.anchor, "anchors", dialect)))
    if "like" in shape:
        conditions = [
            sa.not_(ident.c.is_partial),
            ident.c.normalized.like(sa.bindparam("like"), escape="\\"),
        ]
        if "prefix" in shape:
            # A range on the B-tree narrows patterns with a known start on every database.
            conditions += [
                ident.c.normalized >= sa.bindparam("prefix"),
                ident.c.normalized < sa.bindparam("following"),
            ]
        lookups.append(tagged(ident, 4).where(*conditions))
    hits = sa.union_all(*lookups).subquery("hits")
    best = (
        sa.select(hits.c.item_id, hits.c.role, sa.func.min(hits.c.priority).label("priority"))
        .group_by(hits.c.item_id, hits.c.role)
        .subquery("best")
    )
    items, recoveries = tables.recovery_items, tables.recoveries
    matched = sa.and_(ident.c.item_id == best.c.item_id, ident.c.role == best.c.role)
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
            best.join(ident, matched)
            .join(items, items.c.id == ident.c.item_id)
            .join(recoveries, recoveries.c.id == ident.c.recovery_id)
        )
        .where(
            ident.c.agency_id == sa.bindparam("agency_id") if "agency_id" in shape else sa.true()
        )
        .order_by(best.c.priority, ident.c.item_id, ident.c.role)
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )


_CANDIDATES = QueryShapes(_candidates)


def candidate_parameters(query: SerialQuery) -> dict[str, Any]:
    """The lookup parameters a query has; their names are the shape of the statement."""
    parameters: dict[str, Any] = {}
    keys = sorted(query.normalized_keys)
    if keys:
        parameters["keys"] = keys
    if len(keys) > 1:
        parameters["edit_keys"] = True
    if query.skeleton_key is not None:
        parameters["skeleton"] = query.skeleton_key
    anchors = sorted(query.anchor_keys)
    if anchors:
        parameters["anchors"] = anchors
    if query.like_pattern is not None:
        parameters["like"] = query.like_pattern
        prefix = query.literal_prefix
        if prefix:
            parameters["prefix"] = prefix
            parameters["following"] = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return parameters


class SqlSerialIndex:
    def __init__(self, connect: Connect) -> None:
        self._connect = connect

    async def candidates(
        self, query: SerialQuery, *, agency_id: UUID | None, cap: int
    ) -> CandidateBatch:
        parameters = candidate_parameters(query)
        if not parameters:
            return CandidateBatch(candidates=[], truncated=False)
        if agency_id is not None:
            parameters["agency_id"] = agency_id
        shape = frozenset(parameters) - {"following"}
        parameters.pop("edit_keys", None)
        connection = await self._connect()
        rows = await connection.fetch(_CANDIDATES[shape], limit=cap + 1, **parameters)
        found = [_candidate(row) for row in rows[:cap]]
        return CandidateBatch(candidates=found, truncated=len(rows) > cap)


def _candidate(row: Row) -> StoredIdentifier:
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
