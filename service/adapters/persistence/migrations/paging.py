"""What migrations that recompute derived rows share: reading a table a page at a time
and inserting rows that may be there already."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

PAGE = 5000


def pages(
    bind: sa.Connection, query: sa.Select[Any], *key: sa.ColumnClause[Any]
) -> Iterator[list[sa.Row[Any]]]:
    """The query's rows a page at a time, in primary key order (key by key, so each
    page is one index range, and no server-side cursor is needed)."""
    last: tuple[Any, ...] | None = None
    while True:
        page = query.order_by(*key).limit(PAGE)
        if last is not None:
            page = page.where(sa.tuple_(*key) > sa.tuple_(*last))
        rows = list(bind.execute(page).all())
        if not rows:
            return
        yield rows
        last = tuple(getattr(rows[-1], column.name) for column in key)


def insert_new(bind: sa.Connection, table: sa.TableClause, rows: list[dict[str, Any]]) -> None:
    """Insert rows, leaving those already there (a deletion variant shared by two
    spellings of one reading)."""
    if not rows:
        return
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    bind.execute(dialect.insert(table).on_conflict_do_nothing(), rows)
