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
    # The role is decided before the lookup, and the lookup is of the actor's agency's
    # recoveries only: no answer, nor its time, depends on another agency's records.
    authorize(actor, action)
    agency = None if actor.across_agencies(action) else actor.agency_id
    recovery = await uow.recoveries.get(recovery_id, of_agency=agency)
    if recovery is None:
        raise NotFound("recovery", str(recovery_id))
    return recovery
