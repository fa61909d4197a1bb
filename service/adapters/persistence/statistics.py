"""Keeping PostgreSQL's statistics up with tables that grow fast.

Every tracedesk statement is prepared once per connection and planned generically
(`plan_cache_mode = force_generic_plan`, see database.py). A plan made while a table was
nearly empty (a new database, the first batch of an import, the first recoveries a
linking run puts in the networks) scans the table whole, and is kept: each batch of a
bulk load then waits longer than the last (0.2 s on the second batch of an import, 2 s by
the twentieth). Autovacuum analyzes such a table a minute later at best. So each process
counts the rows it inserts per table and analyzes a table itself, in the background, each
time it has doubled what it inserted (after 1,000 rows, 2,000, 4,000, ...): a handful of
ANALYZEs for a million rows, and every plan that depends on the table is made again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Sequence
from typing import Final

import asyncpg
import structlog

from service.adapters.persistence.writes import CopyRows, InsertRows, RowOperation

log = structlog.get_logger("tracedesk.database")

FIRST_ANALYZE_ROWS: Final = 1_000


class StatisticsKeeper:
    def __init__(self, pool: asyncpg.Pool, *, first: int = FIRST_ANALYZE_ROWS) -> None:
        self._pool = pool
        self._inserted: Counter[str] = Counter()
        self._next: dict[str, int] = {}
        self._first = first
        self._running: dict[str, asyncio.Task[None]] = {}

    def wrote(self, operations: Sequence[RowOperation]) -> None:
        """Count what a committed unit of work inserted; analyze what doubled. On every
        write's path: it looks at the tables this write touched only."""
        for operation in operations:
            if not isinstance(operation, InsertRows | CopyRows) or not operation.rows:
                continue
            table = operation.table.name
            self._inserted[table] += len(operation.rows)
            inserted = self._inserted[table]
            if inserted >= self._next.get(table, self._first) and table not in self._running:
                self._next[table] = inserted * 2
                self._running[table] = asyncio.create_task(
                    self._analyze(table), name=f"analyze-{table}"
                )

    async def _analyze(self, table: str) -> None:
        try:
            async with self._pool.acquire() as driver:
                await driver.execute(f'ANALYZE "{table}"')
        except Exception as error:  # noqa: BLE001 - statistics are an optimisation
            log.warning("table statistics not refreshed", table=table, error=type(error).__name__)
        finally:
            self._running.pop(table, None)

    async def settled(self) -> None:
        """Wait for the ANALYZEs under way (tests; shutting down)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
