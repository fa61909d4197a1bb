"""What an operator does with the outbox: see what is failing, and send again what was
set aside once its cause is fixed (a peer's configuration, a refused credential)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from service.dependencies import Dependencies
from service.domain.errors import Conflict, NotFound
from service.domain.events import OutboxMessageRequeued
from service.domain.outbox import OutboxEntry
from service.domain.ports.background import OutboxBacklog


@dataclass(frozen=True, slots=True)
class StoredFigures:
    """What monitoring reads from the database: the work waiting, and how far the audit
    chain has grown (a head that stops moving while requests succeed is worth a look)."""

    backlog: list[OutboxBacklog]
    audit_head: int


async def stored_figures(*, deps: Dependencies) -> StoredFigures:
    async with deps.unit_of_work() as uow:
        backlog = await uow.outbox.backlog()
        head, _ = await uow.audit.head()
    return StoredFigures(backlog, head)


async def outbox_troubles(*, deps: Dependencies, limit: int = 50) -> list[OutboxEntry]:
    async with deps.unit_of_work() as uow:
        return await uow.outbox.troubles(limit=limit)


async def requeue_failed(*, deps: Dependencies, message_id: UUID, reason: str) -> OutboxEntry:
    """Try a message set aside as failed again, now. Audited: who decided and why is the
    console's operator, named by `reason`."""
    async with deps.unit_of_work() as uow:
        entry = await uow.outbox.entry(message_id)
        if entry is None:
            raise NotFound("outbox message", str(message_id))
        if entry.failed_at is None:
            raise Conflict("only a message set aside as failed is sent again by hand")
        uow.outbox.requeue(message_id, at=deps.clock.now())
        message = entry.message
        uow.record(
            OutboxMessageRequeued(
                message_id, message.topic, message.attempts, message.last_error, reason
            )
        )
        await uow.commit()
    return entry
