"""Helpers for reading rows of several tables from one statement."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa


def prefixed(
    table: sa.Table, prefix: str, names: Iterable[str] | None = None
) -> list[sa.Label[Any]]:
    """The table's columns labelled `prefix + name`, so joined tables don't collide."""
    chosen = table.columns if names is None else [table.c[n] for n in names]
    return [column.label(prefix + column.name) for column in chosen]
