"""Read records are batched off the request path, and each is written exactly once."""

from __future__ import annotations

import asyncio
import sqlite3

import structlog

from service.adapters.availability import DatabaseFileReplaced
from service.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from service.adapters.read_recorder import BatchingReadRecorder
from service.domain.audit import AuditEvent
from tests.builders import NOW, new_id


class SlowUnitOfWork(InMemoryUnitOfWork):
    """The write is stored, then its acknowledgement takes a while (as with a database
    over a network), so that stopping happens while a commit is under way."""

    async def commit(self) -> None:
        await super().commit()
        await asyncio.sleep(0.02)


def read(n: int) -> AuditEvent:
    return AuditEvent(
        id=new_id(),
        occurred_at=NOW,
        action="serial.searched",
        entity_type="search",
        entity_id=str(n),
    )


async def test_stopping_during_a_write_stores_every_record_once() -> None:
    store = InMemoryStore()
    recorder = BatchingReadRecorder(lambda: SlowUnitOfWork(store), interval_seconds=0.001)
    recorder.start()
    for n in range(50):
        await recorder.record(read(n))
        if n % 10 == 0:
            await asyncio.sleep(0.005)  # let the loop start a write
    await recorder.stop()
    ids = [stored.event.id for stored in store.audit]
    assert len(ids) == 50 and len(set(ids)) == 50
    assert [stored.event.entity_id for stored in store.audit] == [str(n) for n in range(50)]


async def test_a_full_batch_is_written_without_waiting_for_the_interval() -> None:
    store = InMemoryStore()
    recorder = BatchingReadRecorder(
        lambda: InMemoryUnitOfWork(store), interval_seconds=60, batch_size=5
    )
    recorder.start()
    for n in range(5):
        await recorder.record(read(n))
    for _ in range(100):
        if len(store.audit) == 5:
            break
        await asyncio.sleep(0.01)
    assert len(store.audit) == 5
    await recorder.stop()


class LockedUnitOfWork(InMemoryUnitOfWork):
    """A database another process holds locked for the first few commits."""

    refusals = 0

    async def commit(self) -> None:
        if LockedUnitOfWork.refusals > 0:
            LockedUnitOfWork.refusals -= 1
            raise sqlite3.OperationalError("database is locked")
        await super().commit()


async def test_shutdown_waits_out_a_locked_database_and_writes_every_record() -> None:
    store = InMemoryStore()
    recorder = BatchingReadRecorder(
        lambda: LockedUnitOfWork(store),
        interval_seconds=60,
        patience_seconds=2,
        attempt_seconds=0.1,
    )
    recorder.start()
    for n in range(3):
        await recorder.record(read(n))
    LockedUnitOfWork.refusals = 3
    await recorder.stop()
    assert [stored.event.entity_id for stored in store.audit] == ["0", "1", "2"]


async def test_shutdown_gives_up_after_its_patience_and_says_how_many_were_lost() -> None:
    store = InMemoryStore()
    recorder = BatchingReadRecorder(
        lambda: LockedUnitOfWork(store),
        interval_seconds=60,
        patience_seconds=0.2,
        attempt_seconds=0.05,
    )
    recorder.start()
    await recorder.record(read(1))
    LockedUnitOfWork.refusals = 1_000
    with structlog.testing.capture_logs() as logs:
        await recorder.stop()
    LockedUnitOfWork.refusals = 0
    assert store.audit == []
    (lost,) = [entry for entry in logs if entry["event"] == "read records lost at shutdown"]
    assert lost["records"] == 1 and lost["log_level"] == "error"


async def test_shutdown_does_not_wait_for_a_database_file_that_was_replaced() -> None:
    attempts: list[int] = []

    class ReplacedFile(InMemoryUnitOfWork):
        async def commit(self) -> None:
            attempts.append(1)
            raise DatabaseFileReplaced("/var/lib/tracedesk/tracedesk.db")

    recorder = BatchingReadRecorder(
        lambda: ReplacedFile(InMemoryStore()), interval_seconds=60, patience_seconds=60
    )
    recorder.start()
    await recorder.record(read(1))
    await recorder.stop()
    assert attempts == [1]  # one try: the file does not come back before a restart
