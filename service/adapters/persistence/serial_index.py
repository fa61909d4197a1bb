"""Serial candidates in SQL: every match kind is an index lookup.

One statement unions the lookups, each tagged with a priority (cheap, confident kinds
first), keeps the agency's readings, and caps the result; the domain then decides.
Each lookup names the one index meant to serve it: equality on `normalized`, `skeleton`,
`anchor` and the key tables' primary keys; ranges on `normalized` (a known start) and
`reversed` (a known end); trigrams on `reversed` only, so no equality can drift there.
`bench/serial_search.py` checks on PostgreSQL that the plans use exactly these.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Row
from service.adapters.persistence.recovery_rows import identifier_from_row
from service.adapters.persistence.sql import QueryShapes, Statement, one_of
from service.domain.identifiers import reversed_key
from service.domain.items import IdentifierRole, ItemKind
from service.domain.matching import SerialQuery, StoredIdentifier
from service.domain.pattern_lookup import MAX_PATTERN_SCAN, PatternLookup, PatternSource
from service.domain.ports import CandidateBatch
from service.domain.reference import Resolution

# Lookups in the order their candidates are kept when there are too many: the confident
# kinds first. A pattern's range lookup that reached its bound marks its next entry.
_NORMALIZED, _SKELETON, _SPELLING, _EDIT, _ANCHOR, _PATTERN = range(6)


def _candidates(dialect: str, shape: frozenset[str]) -> Statement:
    """Index lookups for the kinds of key a query has, each yielding (item, role,
    priority, beyond), the agency's readings among them, best priority first, capped."""
    ident, deletions = tables.item_identifiers, tables.identifier_deletions
    spellings = tables.identifier_transliterations
    lookups: list[sa.Select[Any]] = []

    def tagged(table: sa.FromClause, priority: int) -> sa.Select[Any]:
        return sa.select(
            table.c.item_id, table.c.role, sa.literal(priority).label("priority"), _WITHIN
        )

    if "keys" in shape:
        # Equal normalized reading (exact, normalized, transliterated from the query's
        # side) or one character shorter (edit).
        lookups.append(
            tagged(ident, _NORMALIZED).where(one_of(ident.c.normalized, "keys", dialect))
        )
        lookups.append(
            tagged(spellings, _SPELLING).where(one_of(spellings.c.transliterated, "keys", dialect))
        )
    if "skeleton" in shape:
        lookups.append(tagged(ident, _SKELETON).where(ident.c.skeleton == sa.bindparam("skeleton")))
    if "edit_keys" in shape:
        # One character longer, or one substitution or swap away (edit).
        lookups.append(tagged(deletions, _EDIT).where(one_of(deletions.c.variant, "keys", dialect)))
    if "anchors" in shape:
        lookups.append(tagged(ident, _ANCHOR).where(one_of(ident.c.anchor, "anchors", dialect)))
    lookups += _pattern_lookups(dialect, shape)
    hits = sa.union_all(*lookups).subquery("hits")
    best = (
        sa.select(
            hits.c.item_id,
            hits.c.role,
            sa.func.min(hits.c.priority).label("priority"),
            sa.func.max(hits.c.beyond).label("beyond"),
        )
        .group_by(hits.c.item_id, hits.c.role)
        .subquery("best")
    )
    items, recoveries = tables.recovery_items, tables.recoveries
    matched = sa.and_(ident.c.item_id == best.c.item_id, ident.c.role == best.c.role)
    visible: sa.ColumnElement[bool] = sa.true()
    if "agency_id" in shape:
        visible = ident.c.agency_id == sa.bindparam("agency_id")
        if "start" in shape or "end" in shape:
            # The entry past a range's bound says the answer was cut, whoever it is.
            visible = sa.or_(visible, best.c.beyond == 1)
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
            best.c.beyond,
        )
        .select_from(
            best.join(ident, matched)
            .join(items, items.c.id == ident.c.item_id)
            .join(recoveries, recoveries.c.id == ident.c.recovery_id)
        )
        .where(visible)
        .order_by(best.c.priority, ident.c.item_id, ident.c.role)
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )


_WITHIN = sa.literal(0).label("beyond")


def _pattern_lookups(dialect: str, shape: frozenset[str]) -> list[sa.Select[Any]]:
    """The complete readings a pattern may fit, through the one lookup the domain chose
    (`PatternLookup`); each keeps only readings LIKE the pattern before any join."""
    ident, deletions = tables.item_identifiers, tables.identifier_deletions
    fits = ident.c.normalized.like(sa.bindparam("like"), escape="\\")
    pattern = sa.literal(_PATTERN).label("priority")
    if "pattern_keys" in shape:
        found = sa.select(ident.c.item_id, ident.c.role, pattern, _WITHIN).join_from(
            deletions,
            ident,
            sa.and_(ident.c.item_id == deletions.c.item_id, ident.c.role == deletions.c.role),
        )
        return [found.where(one_of(deletions.c.variant, "pattern_keys", dialect), fits)]
    if "run" in shape:
        # Trigrams of the run, read backwards on the reversed key (where equality never
        # looks), then the whole pattern.
        within = ident.c.reversed.like(sa.bindparam("run"), escape="\\")
        return [sa.select(ident.c.item_id, ident.c.role, pattern, _WITHIN).where(within, fits)]
    for side, key in (("start", ident.c.normalized), ("end", ident.c.reversed)):
        if side not in shape:
            continue
        conditions = []
        if f"{side}_from" in shape:
            conditions = [key >= sa.bindparam(f"{side}_from"), key < sa.bindparam(f"{side}_to")]
        # Read at most `scan` entries of the range, in index order, numbered; keep those
        # that fit, and the entry past the bound (numbered scan + 1) as a sign.
        scanned = (
            sa.select(
                ident.c.item_id,
                ident.c.role,
                ident.c.normalized,
                sa.func.row_number().over(order_by=key).label("n"),
            )
            .where(*conditions)
            .order_by(key)
            .limit(sa.bindparam("scan_limit", type_=sa.Integer()))
            .subquery("scanned")
        )
        beyond = scanned.c.n > sa.bindparam("scan", type_=sa.Integer())
        return [
            sa.select(
                scanned.c.item_id,
                scanned.c.role,
                pattern,
                sa.case((beyond, 1), else_=0).label("beyond"),
            ).where(sa.or_(scanned.c.normalized.like(sa.bindparam("like"), escape="\\"), beyond))
        ]
    return []


_CANDIDATES = QueryShapes(_candidates)
_LIKE = {"%": "\\%", "_": "\\_", "\\": "\\\\"}


def _literal(text: str) -> str:
    return "".join(_LIKE.get(c, c) for c in text)


def _following(prefix: str) -> str:
    """The least string greater than every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


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
    lookup = query.pattern_lookup
    if lookup is not None:
        parameters["like"] = query.like_pattern
        parameters |= _pattern_parameters(lookup)
    return parameters


def _pattern_parameters(lookup: PatternLookup) -> dict[str, Any]:
    if lookup.source is PatternSource.DELETIONS:
        return {"pattern_keys": list(lookup.keys)}
    (known,) = lookup.keys
    if lookup.source is PatternSource.TRIGRAMS:
        return {"run": f"%{_literal(reversed_key(known))}%"}
    side = "start" if lookup.source is PatternSource.START else "end"
    parameters: dict[str, Any] = {
        side: True,
        "scan": MAX_PATTERN_SCAN,
        "scan_limit": MAX_PATTERN_SCAN + 1,
    }
    if known:
        edge = known if side == "start" else reversed_key(known)
        parameters |= {f"{side}_from": edge, f"{side}_to": _following(edge)}
    return parameters


# Parameters that only shape the statement, or that every shape binds alike.
_SHAPE_ONLY = frozenset({"edit_keys", "start", "end"})
_NOT_SHAPE = frozenset({"start_to", "end_to", "scan", "scan_limit", "like"})


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
        shape = frozenset(parameters) - _NOT_SHAPE
        for name in _SHAPE_ONLY:
            parameters.pop(name, None)
        connection = await self._connect()
        rows = await connection.fetch(_CANDIDATES[shape], limit=cap + 1, **parameters)
        # The entry past a pattern's bound is a sign that the range went on, not a
        # candidate (it may be another agency's).
        cut = any(row["beyond"] for row in rows)
        found = [_candidate(row) for row in rows[:cap] if not row["beyond"]]
        return CandidateBatch(candidates=found, truncated=cut or len(rows) > cap)


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
