"""What an operator's actions on the outbox call for: their audit events."""

from __future__ import annotations

from service.domain.events import OutboxMessageRequeued
from service.side_effects.effects import Effects, HandlerTable


async def audit_requeued(effects: Effects, event: OutboxMessageRequeued) -> None:
    effects.audit(
        actor=None,
        action="outbox.requeued",
        entity_type="outbox_message",
        entity_id=event.message_id,
        changes={
            "topic": event.topic,
            "attempts": event.attempts,
            "last_error": event.last_error,
        },
        reason=event.reason,
    )


HANDLERS: HandlerTable = {OutboxMessageRequeued: [audit_requeued]}
