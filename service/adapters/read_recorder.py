"""Recording sensitive reads in the audit trail.

A change is recorded in the transaction that makes it. A read changes nothing, so its
record need not hold up the answer: the server batches read records and writes them
every 50 ms (or at 100 waiting), in one chained append. A crash can lose the last
batch of read records, never a change; shutdown writes what is waiting, waiting out a
database that is busy or away for a while before it gives up and says how many it lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from service.adapters.availability import FILE_REPLACED, unavailability
from service.domain.audit import AuditEvent
from service.domain.ports.unit_of_work import UnitOfWork

log = structlog.get_logger("tracedesk.audit")


class DirectReadRecorder:
    """Writes each read record at once (commands at the console, tests)."""

    def __init__(self, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def record(self, event: AuditEvent) -> None:
        async with self._unit_of_work() as uow:
            uow.audit.append(event)
            await uow.commit()


class BatchingReadRecorder:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        *,
        interval_seconds: float = 0.05,
        batch_size: int = 100,
        patience_seconds: float = 20.0,
        attempt_seconds: float = 10.0,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._interval = interval_seconds
        self._batch_size = batch_size
        # How long shutdown waits for a database that is locked or away (within the usual
        # 30 s an orchestrator grants between SIGTERM and SIGKILL), and how long one
        # attempt may take (SQLite's busy timeout, the pool's): none starts that could
        # not end in time.
        self._patience = patience_seconds
        self._attempt = attempt_seconds
        self._waiting: list[AuditEvent] = []
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    async def record(self, event: AuditEvent) -> None:
        self._waiting.append(event)
        if len(self._waiting) >= self._batch_size:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="read-recorder")

    async def stop(self) -> None:
        """Write what is waiting and end. The loop is asked to finish, not cancelled: a
        batch cancelled mid-commit may be stored already, and writing it again would
        chain the same events twice."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._patience
        while True:
            try:
                await self.flush()
                return
            except Exception as failure:  # noqa: BLE001 - told apart below, then logged
                unavailable = unavailability(failure)
                # A file replaced under the server does not come back before a restart.
                lasting = unavailable is None or unavailable is FILE_REPLACED
                if lasting or loop.time() + self._attempt > deadline:
                    log.error(
                        "read records lost at shutdown",
                        records=len(self._waiting),
                        error=type(failure).__name__,
                    )
                    return
            await asyncio.sleep(min(0.5, self._patience / 10))

    async def flush(self) -> None:
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        try:
            async with self._unit_of_work() as uow:
                for event in batch:
                    uow.audit.append(event)
                await uow.commit()
        except Exception:
            self._waiting[:0] = batch  # kept, in order, for the next attempt
            raise

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # noqa: BLE001 - keep recording; the failure is logged
                log.exception("read records could not be written; retrying")
