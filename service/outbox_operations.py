"""What an operator does with the outbox: see what is failing, and send again what was
set aside once its cause is fixed (a peer's configuration, a refused credential)."""

from __future__ import annotations

from uuid import UUID

from service.auditing import audit_event
from service.dependencies import Dependencies
from service.domain.errors import Conflict, NotFound
from service.domain.outbox import OutboxEntry


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
        uow.audit.append(
            audit_event(
                deps,
                actor=None,
                action="outbox.requeued",
                entity_type="outbox_message",
                entity_id=message_id,
                changes={
                    "topic": entry.message.topic,
                    "attempts": entry.message.attempts,
                    "last_error": entry.message.last_error,
                },
                reason=reason,
            )
        )
        await uow.commit()
    return entry
