"""Serial candidates of many readings in one statement, for linking a batch of recoveries.

The keyed lookups of `serial_index` (equal normalized reading, spelling, one-deletion
variant, skeleton, anchor) for every reading of a batch at once: the keys go as one list
of (reading's number, key) pairs, each joined to the index that serves it, and each
reading's candidates are numbered to keep at most `cap` + 1 (one more says the answer
was cut), confident kinds first. Readings with unknown characters (patterns) are few and
are looked up one by one, as a single search does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from service.adapters.persistence import tables
from service.adapters.persistence.database import Connect, SqlConnection
from service.adapters.persistence.serial_index import (
    SqlSerialIndex,
    candidate_parameters,
    candidate_row,
)
from service.adapters.persistence.sql import POSTGRES, Query
from service.domain.matching import SerialQuery, StoredIdentifier
from service.domain.ports.recoveries import CandidateBatch

# (lookup, the parameter of candidate_parameters it takes its keys from, priority)
_LOOKUPS = (
    ("item_identifiers", "normalized", "keys", 0),
    ("identifier_transliterations", "transliterated", "keys", 2),
    ("identifier_deletions", "variant", "edit_keys", 3),
    ("item_identifiers", "skeleton", "skeleton", 1),
    ("identifier_anchors", "anchor", "anchors", 4),
)


def _keys_source(dialect: str) -> str:
    if dialect == POSTGRES:
        return "SELECT * FROM unnest(:numbers, :lookups, :keys) AS k(n, lookup, key)"
    return (
        "SELECT json_extract(value, '$[0]') AS n, json_extract(value, '$[1]') AS lookup, "
        "json_extract(value, '$[2]') AS key FROM json_each(:pairs)"
    )


def _statement(dialect: str) -> sa.TextualSelect:
    hits = " UNION ".join(
        f"SELECT k.n, t.item_id, t.role, {priority} AS priority FROM k "  # noqa: S608
        f"JOIN {table} t ON t.{column} = k.key WHERE k.lookup = {index}"
        for index, (table, column, _, priority) in enumerate(_LOOKUPS)
    )
    # Names and numbers of this module only: nothing from input is in the text.
    text = (
        f"WITH k AS ({_keys_source(dialect)}), hits AS ({hits}), "  # noqa: S608
        "best AS (SELECT n, item_id, role, min(priority) AS priority FROM hits "
        "GROUP BY n, item_id, role), "
        "numbered AS (SELECT n, item_id, role, row_number() OVER "
        "(PARTITION BY n ORDER BY priority, item_id, role) AS r FROM best) "
        "SELECT c.n, c.r, i.item_id, i.role, i.recovery_id, i.agency_id, i.raw, "
        "i.normalized, i.skeleton, it.kind, it.make_raw, it.make_canonical, it.model, "
        "it.calibre_raw, it.calibre_canonical, rec.recovered_at, rec.case_reference "
        "FROM numbered c "
        "JOIN item_identifiers i ON i.item_id = c.item_id AND i.role = c.role "
        "JOIN recovery_items it ON it.id = i.item_id "
        "JOIN recoveries rec ON rec.id = i.recovery_id "
        "WHERE c.r <= :limit ORDER BY c.n, c.r"
    )
    statement = sa.text(text)
    if dialect == POSTGRES:
        statement = statement.bindparams(
            sa.bindparam("numbers", type_=postgresql.ARRAY(sa.Integer())),
            sa.bindparam("lookups", type_=postgresql.ARRAY(sa.Integer())),
            sa.bindparam("keys", type_=postgresql.ARRAY(sa.String())),
            sa.bindparam("limit", type_=sa.Integer()),
        )
    else:
        statement = statement.bindparams(
            sa.bindparam("pairs", type_=sa.String()), sa.bindparam("limit", type_=sa.Integer())
        )
    # Typed results, so SQLite's text comes back as UUIDs and UTC times.
    ident, items, recoveries = tables.item_identifiers, tables.recovery_items, tables.recoveries
    return statement.columns(
        sa.column("n", sa.Integer()),
        sa.column("r", sa.Integer()),
        *(ident.c[name] for name in ("item_id", "role", "recovery_id", "agency_id", "raw")),
        *(ident.c[name] for name in ("normalized", "skeleton")),
        *(items.c[name] for name in ("kind", "make_raw", "make_canonical", "model")),
        *(items.c[name] for name in ("calibre_raw", "calibre_canonical")),
        recoveries.c.recovered_at,
        recoveries.c.case_reference,
    )


_BATCH = Query(_statement)


class SqlSerialIndexInBatches(SqlSerialIndex):
    """The serial index, with the lookups of many readings in one statement."""

    def __init__(self, connect: Connect) -> None:
        super().__init__(connect)
        self._connect_for_batches = connect

    async def candidates_many(
        self, queries: Sequence[SerialQuery], *, cap: int
    ) -> list[CandidateBatch]:
        return await _candidates_many(self, self._connect_for_batches, queries, cap=cap)


async def _candidates_many(
    index: SqlSerialIndex, connect: Connect, queries: Sequence[SerialQuery], *, cap: int
) -> list[CandidateBatch]:
    """Each query's candidates among every agency's readings, as `candidates` finds
    them one query at a time (agency None)."""
    found: list[list[StoredIdentifier]] = [[] for _ in queries]
    cut = [False] * len(queries)
    pairs: list[tuple[int, int, str]] = []
    patterns: list[int] = []
    for n, query in enumerate(queries):
        parameters = candidate_parameters(query)
        if "like" in parameters:
            patterns.append(n)
            continue
        for lookup, (_, _, name, _) in enumerate(_LOOKUPS):
            value = parameters.get(name)
            if name == "edit_keys":
                value = parameters.get("keys") if value else None
            if value is None:
                continue
            for key in [value] if isinstance(value, str) else value:
                pairs.append((n, lookup, key))
    connection = await connect()
    if pairs:
        for row in await _fetch(connection, pairs, cap):
            if row["r"] > cap:
                cut[row["n"]] = True
            else:
                found[row["n"]].append(candidate_row(row))
    batches = [CandidateBatch(candidates=f, truncated=c) for f, c in zip(found, cut, strict=True)]
    for n in patterns:
        batches[n] = await index.candidates(queries[n], agency_id=None, cap=cap)
    return batches


async def _fetch(
    connection: SqlConnection, pairs: Sequence[tuple[int, int, str]], cap: int
) -> Sequence[Any]:
    if connection.dialect == POSTGRES:
        return await connection.fetch(
            _BATCH,
            numbers=[p[0] for p in pairs],
            lookups=[p[1] for p in pairs],
            keys=[p[2] for p in pairs],
            limit=cap + 1,
        )
    return await connection.fetch(_BATCH, pairs=json.dumps(pairs), limit=cap + 1)
