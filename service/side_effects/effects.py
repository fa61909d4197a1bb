"""Turning a command's domain events into what they call for, in its unit of work.

Each feature has its handler table: for each kind of event, the reactions to it, in
order (an audit event, a registry check, a linking, a delivery to a peer). A new reaction
is one more entry in its feature's table, not an edit of every use case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from service.auditing import audit_event
from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.events import DomainEvent, Receipt
from service.domain.outbox import OutboxMessage
from service.domain.ports.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Effects:
    """Where a handler stages what it produces: the command's own unit of work."""

    deps: Dependencies
    uow: UnitOfWork

    def audit(
        self,
        *,
        actor: Actor | None,
        action: str,
        entity_type: str,
        entity_id: UUID | str,
        changes: Mapping[str, Any] | None = None,
        reason: str | None = None,
        received: Receipt | None = None,
    ) -> None:
        """Stage the event's audit event; one received from a peer says from which, in
        which message."""
        if received is not None:
            changes = {
                **(changes or {}),
                "received": {"peer": received.peer, "message_id": str(received.message_id)},
            }
        self.uow.audit.append(
            audit_event(
                self.deps,
                actor=actor,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                changes=changes,
                reason=reason,
            )
        )

    def send(self, message: OutboxMessage) -> None:
        """Stage work for later, written with the change (the transactional outbox)."""
        self.uow.outbox.add(message)


Handler = Callable[[Effects, Any], Awaitable[None]]
HandlerTable = Mapping[type[DomainEvent], Sequence[Handler]]


async def react(table: HandlerTable, effects: Effects, events: Sequence[DomainEvent]) -> None:
    for event in events:
        handlers = table.get(type(event))
        if not handlers:
            raise LookupError(f"no handler for {type(event).__name__}: add one to its table")
        for handler in handlers:
            await handler(effects, event)
