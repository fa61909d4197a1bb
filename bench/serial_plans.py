"""Which index serves each lookup of a statement, from PostgreSQL's own plan.

A plan must not depend on luck: `normalized = ANY(...)` once ran from the trigram index
(64 ms) instead of the B-tree (0.7 ms) on numeric serials. Every scan in the plan of a
serial statement is checked against the one index meant to serve its condition, and a
different index or a sequential scan fails the benchmark.

tracedesk's connections plan every statement once, generically
(`plan_cache_mode = force_generic_plan`): that generic plan is the one checked here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

# (table, first column of the index condition, LIKE?) -> the index meant to serve it.
INTENDED = {
    ("item_identifiers", "normalized", False): "ix_item_identifiers_normalized",
    ("item_identifiers", "skeleton", False): "ix_item_identifiers_skeleton",
    ("item_identifiers", "reversed", False): "ix_item_identifiers_reversed",
    ("item_identifiers", "reversed", True): "ix_item_identifiers_reversed_trgm",
    ("item_identifiers", "item_id", False): "item_identifiers_pkey",
    ("identifier_deletions", "variant", False): "identifier_deletions_pkey",
    ("identifier_transliterations", "transliterated", False): "identifier_transliterations_pkey",
    ("identifier_anchors", "anchor", False): "identifier_anchors_pkey",
    ("recovery_items", "id", False): "recovery_items_pkey",
    ("recoveries", "id", False): "recoveries_pkey",
}
_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan", "Seq Scan"}
_COLUMN = re.compile(r"^\(*(?:\w+\.)?(\w+)")


class UnintendedPlan(AssertionError):
    """A lookup was served by another index than the one meant for it."""


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        items = ",".join(
            '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value
        )
        return _literal("{" + items + "}")
    if isinstance(value, (str, UUID, datetime, date)):
        return "'" + str(value).replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {value!r}")


async def generic_plan(connection: asyncpg.Connection, sql: str, arguments: Sequence[Any]) -> dict:
    """The plan PostgreSQL uses for `sql` prepared once and run with any parameters."""
    await connection.execute("SET plan_cache_mode = force_generic_plan")
    await connection.execute(f"PREPARE bench_plan AS {sql}")
    try:
        values = ", ".join(_literal(a) for a in arguments)
        execute = f"EXECUTE bench_plan({values})" if arguments else "EXECUTE bench_plan"
        document = await connection.fetchval(f"EXPLAIN (FORMAT JSON) {execute}")
    finally:
        await connection.execute("DEALLOCATE bench_plan")
    return json.loads(document)[0]["Plan"]


def _scans(node: dict, relation: str | None = None) -> Iterator[tuple[dict, str | None]]:
    relation = node.get("Relation Name", relation)
    if node["Node Type"] in _SCANS:
        yield node, relation
    for child in node.get("Plans", []):
        yield from _scans(child, relation)


def lookups(plan: dict, *, allow_unbounded: frozenset[str] = frozenset()) -> list[str]:
    """Each scan of the plan as `table.column -> index (scan type)`; raises
    UnintendedPlan when one is not served by the index meant for its condition.
    `allow_unbounded`: indexes a lookup may read from their start (a pattern with no
    known start, end or run reads a bounded stretch of one)."""
    found = []
    for node, relation in _scans(plan):
        kind = node["Node Type"]
        if kind == "Seq Scan":
            raise UnintendedPlan(f"sequential scan of {relation}: {node.get('Filter', '')}")
        condition = node.get("Index Cond", "")
        index = node["Index Name"]
        if relation is None:  # a bitmap index scan: its table is in the index name
            relation = next((t for (t, _, _), i in INTENDED.items() if i == index), "?")
        match = _COLUMN.match(condition)
        if match is None:
            if index in allow_unbounded:
                found.append(f"{relation} (bounded read) -> {index} ({kind})")
                continue
            raise UnintendedPlan(f"{relation} read through {index} without a condition")
        column = match.group(1)
        intended = INTENDED.get((relation, column, "~~" in condition))
        if intended != index:
            raise UnintendedPlan(
                f"{relation}.{column} ({condition}) served by {index}, meant for {intended}"
            )
        found.append(
            f"{relation}.{column}{' LIKE' if '~~' in condition else ''} -> {index} ({kind})"
        )
    return found
