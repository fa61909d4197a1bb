"""Serial candidates in SQL: every match kind is an index lookup.

One statement unions the lookups, each tagged with a priority (cheap, confident kinds
first), keeps the agency's readings, and caps the result; the domain then decides.
Each lookup names the one index meant to serve it: equality on `normalized`, `skeleton`
and the key tables' primary keys (deletions, spellings, anchors); ranges on `normalized`
(a known start) and `reversed` (a known end); trigrams on `reversed` only, so no
equality can drift there.
`bench/serial_search.py` checks on PostgreSQL that the plans use exactly these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, Row
from service.adapters.persistence.recovery_rows import identifier_from_row
from service.adapters.persistence.sql import (
    POSTGRES,
    Query,
    QueryShapes,
    Statement,
    like,
    one_of,
)
from service.domain.identifiers import reversed_key
from service.domain.items import IdentifierRole, ItemKind
from service.domain.matching import SerialQuery, StoredIdentifier, as_like
from service.domain.pattern_lookup import (
    MAX_PATTERN_SCAN,
    PatternLookup,
    PatternSource,
    pattern_lookup,
)
from service.domain.ports.recoveries import CandidateBatch
from service.domain.reference import Resolution

# Lookups in the order their candidates are kept when there are too many: the confident
# kinds first, and complete readings a pattern fits before other partial readings.
_NORMALIZED, _SKELETON, _SPELLING, _EDIT, _PATTERN, _ANCHOR = range(6)


def _candidates(dialect: str, shape: frozenset[str]) -> Statement:
    """Index lookups for the kinds of key a query has, each yielding (item, role,
    priority), the agency's readings among them, best priority first, capped."""
    ident, deletions = tables.item_identifiers, tables.identifier_deletions
    spellings = tables.identifier_transliterations
    lookups: list[sa.Select[Any]] = []
    if "keys" in shape:
        # Equal normalized reading (exact, normalized, transliterated from the query's
        # side), equal spelling (transliterated from the reading's side).
        lookups.append(_keyed(ident, ident.c.normalized, "keys", _NORMALIZED, dialect))
        lookups.append(_keyed(spellings, spellings.c.transliterated, "keys", _SPELLING, dialect))
    if "skeleton" in shape:
        lookups.append(
            _tagged(ident, _SKELETON).where(ident.c.skeleton == sa.bindparam("skeleton"))
        )
    if "edit_keys" in shape:
        # One character longer, or one substitution or swap away (edit).
        lookups.append(_keyed(deletions, deletions.c.variant, "keys", _EDIT, dialect))
    if "anchors" in shape:
        anchors = tables.identifier_anchors
        lookups.append(_keyed(anchors, anchors.c.anchor, "anchors", _ANCHOR, dialect))
    lookups += _pattern_lookups(dialect, shape)
    ranges = [
        _range_lookup(dialect, shape, read) for read in ("", _AS_DIGITS) if read + "scan" in shape
    ]
    lookups += [ranged.fitting for ranged in ranges]
    hits = sa.union_all(*lookups).subquery("hits")
    best = (
        sa.select(hits.c.item_id, hits.c.role, sa.func.min(hits.c.priority).label("priority"))
        .group_by(hits.c.item_id, hits.c.role)
        .subquery("best")
    )
    described = _described(best, shape, dialect)
    if not ranges:
        return described
    return _marked_when_filled(described, sa.or_(*(ranged.filled for ranged in ranges)))


def _tagged(table: sa.FromClause, priority: int) -> sa.Select[Any]:
    return sa.select(table.c.item_id, table.c.role, _priority(priority))


def _priority(priority: int) -> sa.Label[int]:
    return sa.literal(priority).label("priority")


def _keyed(
    table: sa.Table, column: sa.Column[str], name: str, priority: int, dialect: str
) -> sa.Select[Any]:
    """Readings whose `column` equals one of the keys bound as `name`.

    On PostgreSQL each key is its own parameterized lookup, at most `limit` readings
    (a key shared by more says the answer is cut): the planner then has one equality on
    an indexed column to serve, and serves it from the index even before the table has
    statistics, where `= ANY(...)` over a freshly loaded small table ran as a sequential
    scan."""
    if dialect != POSTGRES:
        return _tagged(table, priority).where(one_of(column, name, dialect))
    keys = _unnested(name)
    found = (
        sa.select(table.c.item_id, table.c.role)
        .where(column == keys.c.key)
        .limit(_LIMIT)
        .lateral(f"{table.name}_found")
    )
    return sa.select(found.c.item_id, found.c.role, _priority(priority)).select_from(
        keys.join(found, sa.true())
    )


def _unnested(name: str) -> sa.TableValuedAlias:
    array = sa.bindparam(name, type_=postgresql.ARRAY(sa.String()))
    return sa.func.unnest(array).table_valued("key").render_derived(name=f"{name}_each")


_LIMIT = sa.bindparam("limit", type_=sa.Integer())


def _described(best: sa.Subquery, shape: frozenset[str], dialect: str) -> sa.Select[Any]:
    """Each found reading with its item and recovery, the agency's only, capped.

    On PostgreSQL, each reading is read by its primary key in a lateral lookup: without
    statistics, the planner otherwise guessed the agency filter kept a few rows and
    scanned the whole table for them."""
    ident, items, recoveries = tables.item_identifiers, tables.recovery_items, tables.recoveries
    matched = sa.and_(ident.c.item_id == best.c.item_id, ident.c.role == best.c.role)
    visible: sa.ColumnElement[bool] = sa.true()
    if "agency_id" in shape:
        visible = ident.c.agency_id == sa.bindparam("agency_id")
    columns = [
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
    ]
    joined = ident.join(items, items.c.id == ident.c.item_id).join(
        recoveries, recoveries.c.id == ident.c.recovery_id
    )
    if dialect != POSTGRES:
        return (
            sa.select(*columns, best.c.priority)
            .select_from(best.join(joined, matched))
            .where(visible)
            .order_by(best.c.priority, ident.c.item_id, ident.c.role)
            .limit(_LIMIT)
        )
    reading = sa.select(*columns).select_from(joined).where(matched, visible).limit(1)
    found = reading.lateral("reading")
    return (
        sa.select(*found.c, best.c.priority)
        .select_from(best.join(found, sa.true()))
        .order_by(best.c.priority, found.c.item_id, found.c.role)
        .limit(_LIMIT)
    )


def _pattern_lookups(dialect: str, shape: frozenset[str]) -> list[sa.Select[Any]]:
    """The complete readings a pattern may fit by its deletion keys or by the trigrams of
    a run (the lookups the domain chose, `PatternLookup`); each keeps only readings that
    fit the pattern before any join."""
    ident = tables.item_identifiers
    fits = _fits(ident.c.normalized, shape, dialect)
    pattern = _priority(_PATTERN)
    if "pattern_keys" in shape:
        return [_by_deletion_keys(dialect, fits, pattern)]
    # Trigrams of the run, read backwards on the reversed key (where equality never
    # looks), then the whole pattern; and the run read as digits, when it reads otherwise.
    return [
        sa.select(ident.c.item_id, ident.c.role, pattern).where(
            like(ident.c.reversed, run, dialect), fits
        )
        for run in ("run", _AS_DIGITS + "run")
        if run in shape
    ]


# The prefix of the parameters of a pattern read with its look-alike letters as digits
# (`SerialQuery.digit_pattern`), where that reading needs lookups of its own.
_AS_DIGITS = "digit_"


def _fits(
    column: sa.ColumnElement[str], shape: frozenset[str], dialect: str
) -> sa.ColumnElement[bool]:
    """The reading fits the pattern, as read or read as digits."""
    fits = like(column, "like", dialect)
    if _AS_DIGITS + "like" in shape:
        fits = sa.or_(fits, like(column, _AS_DIGITS + "like", dialect))
    return fits


_RANGES = (
    ("start", tables.item_identifiers.c.normalized),
    ("end", tables.item_identifiers.c.reversed),
)


@dataclass(frozen=True, slots=True)
class _RangeLookup:
    fitting: sa.Select[Any]  # (item, role, priority) of the entries read that fit
    filled: sa.ColumnElement[bool]  # the range had as many entries as the bound reads


def _range_lookup(dialect: str, shape: frozenset[str], read: str) -> _RangeLookup:
    """At most `scan` entries of a pattern's range, on the normalized key (a known start)
    or the reversed key (a known end), in index order: those that fit the pattern, and
    whether the bound was reached (then the answer may miss readings past it). `read` is
    the prefix of the range's parameters: the pattern as read, or read as digits.

    On PostgreSQL the range is read once, counted and filtered in the same pass. (Reading
    it again for the entry past the bound cost a third of such a search; numbering the
    entries cost a window over each.)"""
    ident = tables.item_identifiers
    ((side, key),) = [(side, key) for side, key in _RANGES if side in shape]
    bounds = []
    if f"{read}{side}_from" in shape:
        bounds = [
            key >= sa.bindparam(f"{read}{side}_from"),
            key < sa.bindparam(f"{read}{side}_to"),
        ]
    pattern = _priority(_PATTERN)
    scan = sa.bindparam(f"{read}scan", type_=sa.Integer())
    if dialect != POSTGRES:
        entries = (
            sa.select(ident.c.item_id, ident.c.role, ident.c.normalized)
            .where(*bounds)
            .order_by(key)
            .limit(scan)
            .subquery(f"{read}entries")
        )
        counted = (
            sa.select(sa.literal(1))
            .select_from(ident)
            .where(*bounds)
            .limit(scan)
            .subquery(f"{read}counted")
        )
        return _RangeLookup(
            fitting=sa.select(entries.c.item_id, entries.c.role, pattern).where(
                _fits(entries.c.normalized, shape, dialect)
            ),
            filled=sa.select(sa.func.count()).select_from(counted).scalar_subquery() >= scan,
        )
    entries = (
        sa.select(
            ident.c.item_id, ident.c.role, _fits(ident.c.normalized, shape, dialect).label("fits")
        )
        .where(*bounds)
        .order_by(key)
        .limit(scan)
        .subquery(f"{read}entries")
    )
    tally = sa.select(
        sa.func.count().label("read"),
        sa.func.array_agg(entries.c.item_id).filter(entries.c.fits).label("item_ids"),
        sa.func.array_agg(entries.c.role).filter(entries.c.fits).label("roles"),
    ).cte(f"{read}range_read")
    fitting = (
        sa.func.unnest(tally.c.item_ids, tally.c.roles)
        .table_valued(
            sa.column("item_id", ident.c.item_id.type), sa.column("role", ident.c.role.type)
        )
        .render_derived(name=f"{read}fitting")
    )
    return _RangeLookup(
        fitting=sa.select(fitting.c.item_id, fitting.c.role, pattern).select_from(
            tally.join(fitting, sa.true())
        ),
        filled=sa.select(tally.c.read).scalar_subquery() >= scan,
    )


def _marked_when_filled(described: sa.Select[Any], filled: sa.ColumnElement[bool]) -> Statement:
    """The readings found, in their order, then a row of nulls marked `cut` when the
    range read as many entries as its bound allows."""
    listed = described.subquery("listed")
    marker = [sa.null().label(column.name) for column in listed.c]
    return sa.union_all(
        sa.select(*listed.c, sa.false().label("cut")),
        sa.select(*marker, sa.true().label("cut")).where(filled),
    ).order_by(*(sa.literal_column(name) for name in ("cut", "priority", "item_id", "role")))


def _by_deletion_keys(
    dialect: str, fits: sa.ColumnElement[bool], pattern: sa.Label[int]
) -> sa.Select[Any]:
    """Complete readings with a one-deletion variant among the pattern's keys, that fit
    the pattern (checked on each reading, read by its primary key)."""
    ident, deletions = tables.item_identifiers, tables.identifier_deletions
    same = sa.and_(ident.c.item_id == deletions.c.item_id, ident.c.role == deletions.c.role)
    if dialect != POSTGRES:
        return (
            sa.select(ident.c.item_id, ident.c.role, pattern)
            .join_from(deletions, ident, same)
            .where(one_of(deletions.c.variant, "pattern_keys", dialect), fits)
        )
    variants = _keyed(deletions, deletions.c.variant, "pattern_keys", _PATTERN, dialect).subquery(
        "variants"
    )
    fitting = (
        sa.select(ident.c.item_id, ident.c.role)
        .where(ident.c.item_id == variants.c.item_id, ident.c.role == variants.c.role, fits)
        .limit(1)
        .lateral("fitting")
    )
    return sa.select(fitting.c.item_id, fitting.c.role, pattern).select_from(
        variants.join(fitting, sa.true())
    )


_CANDIDATES = QueryShapes(_candidates)


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
        digits = query.digit_pattern
        if digits is not None:
            parameters[_AS_DIGITS + "like"] = as_like(digits)
            parameters |= _digit_parameters(lookup, pattern_lookup(digits))
    return parameters


def _pattern_parameters(lookup: PatternLookup, read: str = "") -> dict[str, Any]:
    if lookup.source is PatternSource.DELETIONS:
        return {"pattern_keys": list(lookup.keys)}
    (known,) = lookup.keys
    if lookup.source is PatternSource.TRIGRAMS:
        # A run is legible throughout: as_like only escapes its `%`, `_` and backslashes.
        return {f"{read}run": f"%{as_like(reversed_key(known))}%"}
    side = "start" if lookup.source is PatternSource.START else "end"
    parameters: dict[str, Any] = {side: True, f"{read}scan": MAX_PATTERN_SCAN}
    if known:
        edge = known if side == "start" else reversed_key(known)
        parameters |= {f"{read}{side}_from": edge, f"{read}{side}_to": _following(edge)}
    return parameters


def _digit_parameters(as_read: PatternLookup, as_digits: PatternLookup) -> dict[str, Any]:
    """What the pattern read as digits looks up besides the pattern as read: its own
    deletion keys, or its own range or run where its known characters read otherwise.
    (Reading letters as digits keeps every character in its place, so both readings
    choose the same kind of lookup.)"""
    if as_digits.source is PatternSource.DELETIONS:
        return {"pattern_keys": sorted({*as_read.keys, *as_digits.keys})}
    if as_digits.keys == as_read.keys:
        return {}
    return _pattern_parameters(as_digits, _AS_DIGITS)


# Parameters that only shape the statement, or that every shape binds alike.
_SHAPE_ONLY = frozenset({"edit_keys", "start", "end"})
_NOT_SHAPE = frozenset({"start_to", "end_to", "like", "digit_start_to", "digit_end_to"})


def candidate_statement(
    query: SerialQuery, *, agency_id: UUID | None, cap: int
) -> tuple[Query, dict[str, Any]] | None:
    """The one statement that finds a query's candidates, and its parameters (None when
    the query has no key to look up). The benchmark runs and explains it as is."""
    parameters = candidate_parameters(query)
    if not parameters:
        return None
    if agency_id is not None:
        parameters["agency_id"] = agency_id
    shape = frozenset(parameters) - _NOT_SHAPE
    for name in _SHAPE_ONLY:
        parameters.pop(name, None)
    return _CANDIDATES[shape], parameters | {"limit": cap + 1}


class SqlSerialIndex:
    def __init__(self, connect: Connect) -> None:
        self._connect = connect

    async def candidates(
        self, query: SerialQuery, *, agency_id: UUID | None, cap: int
    ) -> CandidateBatch:
        statement = candidate_statement(query, agency_id=agency_id, cap=cap)
        if statement is None:
            return CandidateBatch(candidates=[], truncated=False)
        connection = await self._connect()
        rows = await connection.fetch(statement[0], **statement[1])
        # A pattern's range that reached its bound adds a row saying so, not a reading.
        readings = [row for row in rows if not row.get("cut")]
        found = [candidate_row(row) for row in readings[:cap]]
        cut = len(readings) < len(rows) or len(readings) > cap
        return CandidateBatch(candidates=found, truncated=cut)


def candidate_row(row: Row) -> StoredIdentifier:
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
