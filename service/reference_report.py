"""Use case: which raw makes and calibres the reference table does not know yet."""

from __future__ import annotations

from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.ports.recoveries import UnresolvedValue


async def unresolved_reference_values(*, deps: Dependencies, actor: Actor) -> list[UnresolvedValue]:
    """Raw values stored without a canonical one that the current table still cannot
    resolve, most frequent first; they are what to add to the table next.

    Administrators keep the table for the whole instance and see every agency's counts
    (spellings and counts only, no case data); supervisors see their own agency's."""
    authorize(actor, Action.REFERENCE_REPORT)
    scope = None if actor.across_agencies(Action.REFERENCE_REPORT) else actor.agency_id
    async with deps.unit_of_work() as uow:
        stored = await uow.reference_usage.unresolved(agency_id=scope)
    resolvers = {
        "make": deps.catalogue.resolve_make,
        "calibre": deps.catalogue.resolve_calibre,
    }
    still_unknown = [v for v in stored if resolvers[v.field](v.raw).canonical is None]
    return sorted(still_unknown, key=lambda v: (-v.count, v.field, v.raw))
