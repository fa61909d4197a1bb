"""Building audit events for use cases: who acted, in which request, on what."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from service import request_context
from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.audit import AuditEvent, recorded_value


def audit_event(
    deps: Dependencies,
    *,
    actor: Actor | None,
    action: str,
    entity_type: str,
    entity_id: UUID | str,
    changes: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    return AuditEvent(
        id=deps.ids.new_id(),
        occurred_at=deps.clock.now(),
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        actor_id=actor.id if actor else None,
        actor_kind=actor.kind.value if actor else None,
        actor_agency_id=actor.agency_id if actor else None,
        changes=recorded_value(changes) if changes is not None else None,
        reason=reason,
        request_id=request_context.request_id.get(),
    )
