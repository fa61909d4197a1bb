"""Group commit on PostgreSQL: the insert-only changes of concurrent units of work,
written together by one statement and one commit.

Every audited change moves the one audit head, so concurrent writers queue on that row
from the moment they chain their event until their commit is flushed. Measured at 32
concurrent writers of a recovery, each spent more of PostgreSQL's CPU waiting its turn
(the lock queue, wake-ups, re-reading the moved row) than writing: 1.3 ms per recovery,
against 0.48 ms for one writer alone, and no more than about 1,000 recoveries a second
whatever the CPU. The changes that arrive while one batch is being written become the
next batch, which takes the head once: 0.2 ms per recovery in batches of eight. Nothing
waits for a batch to fill: a change that finds no batch being written goes at once.

A batch is one statement, atomic by itself, and each change's audit events stay
together and in order in the chain. When a batch cannot be written as a whole, with
nothing stored (PostgreSQL refuses it for a constraint one change breaks, or one change
holds a value no statement can carry), each change is written again on its own, so a bad
change fails only its own unit of work. A change still waiting when its unit of work is
cancelled is not written.
"""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from service.adapters.availability import unavailability
from service.adapters.persistence.writes import InsertRun, insert_run, insert_statement

if TYPE_CHECKING:
    from service.adapters.persistence.writes import Driver


@dataclass(frozen=True, slots=True)
class _Change:
    run: InsertRun
    written: asyncio.Future[None]


class GroupCommit:
    def __init__(self, pool: asyncpg.Pool, *, largest_batch: int = 64) -> None:
        # A pool of its own: units of work waiting here may hold every connection of the
        # serving pool, and the batch must still find one.
        self._pool = pool
        self._largest_batch = largest_batch
        self._waiting: list[_Change] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, run: InsertRun) -> None:
        change = _Change(run, asyncio.get_running_loop().create_future())
        self._waiting.append(change)
        if self._writer is None or self._writer.done():
            # A context of its own: the writer outlives the request that started it and
            # must not carry that request's id into what it does for the others.
            self._writer = asyncio.create_task(
                self._write_waiting(), name="group-commit", context=contextvars.Context()
            )
        await change.written

    async def close(self) -> None:
        """Write what is waiting, then close the connection."""
        if self._writer is not None:
            await self._writer
        await self._pool.close()

    async def _write_waiting(self) -> None:
        while self._waiting:
            taken = self._waiting[: self._largest_batch]
            del self._waiting[: self._largest_batch]
            batch = [change for change in taken if not change.written.done()]
            if batch:
                await self._write_batch(batch)

    async def _write_batch(self, batch: list[_Change]) -> None:
        try:
            async with self._pool.acquire() as driver:
                try:
                    if len(batch) > 1 and await _written_together(driver, batch):
                        for change in batch:
                            _settle(change, None)
                        return
                    for change in batch:
                        await _write_alone(driver, change)
                except Exception as failure:
                    if unavailability(failure) is not None:
                        # Never handed out again in whatever state the server left it.
                        driver.terminate()
                    raise
        except asyncio.CancelledError:
            for change in batch:
                change.written.cancel()
            raise
        except Exception as failure:  # noqa: BLE001 - handed to the units of work waiting
            for change in batch:
                _settle(change, failure)


async def _written_together(driver: Driver, batch: list[_Change]) -> bool:
    """True when one statement wrote the whole batch; False when it could not, and
    nothing of it was stored."""
    try:
        statement = insert_statement([op for change in batch for op in change.run])
    except Exception:  # noqa: BLE001 - the change at fault fails with it when written alone
        return False
    if statement is None:
        return True
    sql, arguments = statement
    try:
        await driver.execute(sql, *arguments)
    except asyncpg.PostgresError as refusal:
        if unavailability(refusal) is not None:
            # The server, not a change, is at fault, and the connection may be dead:
            # every change of the batch fails with it, none is tried again on it.
            raise
        return False
    return True


async def _write_alone(driver: Driver, change: _Change) -> None:
    try:
        await insert_run(driver, change.run)
    except Exception as failure:  # noqa: BLE001 - the unit of work waiting gets it
        _settle(change, failure)
        if unavailability(failure) is not None:
            raise  # the rest of the batch fails with it
    else:
        _settle(change, None)


def _settle(change: _Change, failure: Exception | None) -> None:
    if change.written.done():  # settled already, or its unit of work was cancelled
        return
    if failure is None:
        change.written.set_result(None)
    else:
        change.written.set_exception(failure)
