"""Settling a batch of outbox messages, on every storage: marking many done is one
change that lands whole (on PostgreSQL one statement for them all), or not at all when
one of them is not there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from service.domain.outbox import REGISTRY_CHECK, OutboxMessage
from service.domain.ports.unit_of_work import UnitOfWork
from tests.builders import new_id

AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


async def queued(unit_of_work: Callable[[], UnitOfWork], count: int) -> list[OutboxMessage]:
    messages = [
        OutboxMessage(id=new_id(), topic=REGISTRY_CHECK, payload={"n": n}, created_at=AT)
        for n in range(count)
    ]
    async with unit_of_work() as uow:
        for message in messages:
            uow.outbox.add(message)
        await uow.commit()
    return messages


async def waiting(unit_of_work: Callable[[], UnitOfWork]) -> int:
    async with unit_of_work() as uow:
        return sum(entry.waiting for entry in await uow.outbox.backlog())


async def test_many_messages_are_marked_done_together(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    messages = await queued(unit_of_work, 5)
    async with unit_of_work() as uow:
        for message in messages[:4]:
            uow.outbox.done(message.id, at=AT + timedelta(seconds=1))
        await uow.commit()
    assert await waiting(unit_of_work) == 1
    async with unit_of_work() as uow:
        entries = [await uow.outbox.entry(m.id) for m in messages]
    assert [e.done_at for e in entries if e is not None] == [AT + timedelta(seconds=1)] * 4 + [None]


async def test_a_batch_with_a_message_that_is_not_there_lands_nothing(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    messages = await queued(unit_of_work, 3)
    with pytest.raises(LookupError):
        async with unit_of_work() as uow:
            for message in messages[:2]:
                uow.outbox.done(message.id, at=AT)
            uow.outbox.done(new_id(), at=AT)
            uow.outbox.done(messages[2].id, at=AT)
            await uow.commit()
    assert await waiting(unit_of_work) == 3
