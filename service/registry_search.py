"""Use case: search one of this instance's registries by serial, now."""

from __future__ import annotations

from service.auditing import audit_event
from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.errors import NotFound
from service.domain.matching import SerialQuery
from service.domain.registry import RegistryMatch


async def search_registry(
    *,
    deps: Dependencies,
    actor: Actor,
    registry: str,
    serial: str,
    make: str | None = None,
    model: str | None = None,
    calibre: str | None = None,
    shared_only: bool = False,
) -> list[RegistryMatch]:
    """Records of the named registry that may be this weapon. `shared_only`: only the
    registries this instance holds itself (what it offers to peers), not its peers'."""
    authorize(actor, Action.REGISTRY_SEARCH)
    found = deps.registries.get(registry)
    if found is None or (shared_only and registry not in deps.shared_registries):
        raise NotFound("registry", registry)
    query = SerialQuery.parse(
        serial, catalogue=deps.catalogue, make=make, model=model, calibre=calibre
    )
    matches = await found.search(query)
    await deps.reads.record(
        audit_event(
            deps,
            actor=actor,
            action="registry.searched",
            entity_type="registry",
            entity_id=registry,
            changes={"serial": serial, "make": make, "results": len(matches)},
        )
    )
    return matches
