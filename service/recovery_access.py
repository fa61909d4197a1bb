"""Reading a recovery for an action on it: the one place that decides whether the actor
may, and answers "not found" alike for a recovery of another agency and for none."""

from __future__ import annotations

from uuid import UUID

from service.domain.access import Action, Actor, authorize
from service.domain.errors import NotFound
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.recovery import Recovery


async def recovery_for(
    uow: UnitOfWork, actor: Actor, action: Action, recovery_id: UUID
) -> Recovery:
    # The role is decided before the lookup, so that no answer depends on what is stored.
    authorize(actor, action)
    recovery = await uow.recoveries.get(recovery_id)
    if recovery is None or not actor.reaches(action, recovery.agency_id):
        raise NotFound("recovery", str(recovery_id))
    return recovery
