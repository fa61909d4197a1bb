"""Query: the agencies of this instance and its peers, by name. Names are not secret
among the people of the instance: a trace request is addressed by name, and a case
network says whose records it holds."""

from __future__ import annotations

from uuid import UUID

from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.identity import Agency


async def agencies(*, deps: Dependencies, actor: Actor) -> list[Agency]:
    """Every agency, by name."""
    async with deps.unit_of_work() as uow:
        found = await uow.agencies.all()
    return sorted(found, key=lambda agency: agency.name.casefold())


async def agency_names(*, deps: Dependencies, actor: Actor) -> dict[UUID, str]:
    return {agency.id: agency.name for agency in await agencies(deps=deps, actor=actor)}
