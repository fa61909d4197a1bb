"""Read records are batched off the request path, and each is written exactly once."""

from __future__ import annotations

import asyncio

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
