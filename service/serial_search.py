"""Use case: find recovered items by serial or lot number, however it was read."""

from __future__ import annotations

from dataclasses import dataclass

from service.auditing import audit_event
from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.matching import SerialMatch, SerialQuery, rank

MAX_RESULTS = 500
# Candidates fetched before ranking. Bounded so that a value matching half the register
# costs the same as any other query; the answer then says it was truncated.
CANDIDATE_CAP = 2000


@dataclass(frozen=True, slots=True)
class SerialSearchResult:
    matches: list[SerialMatch]
    truncated: bool


async def search_serials(
    *,
    deps: Dependencies,
    actor: Actor,
    serial: str,
    make: str | None = None,
    model: str | None = None,
    calibre: str | None = None,
    limit: int = 50,
) -> SerialSearchResult:
    """Every recorded item of the actor's agency whose serial or lot may be this one,
    with how it matches and a confidence, most trustworthy first; from the read replica
    when there is one."""
    authorize(actor, Action.SERIAL_SEARCH)
    query = SerialQuery.parse(
        serial, catalogue=deps.catalogue, make=make, model=model, calibre=calibre
    )
    async with deps.reading() as uow:
        batch = await uow.serials.candidates(query, agency_id=actor.agency_id, cap=CANDIDATE_CAP)
    matches = rank(query, batch.candidates, deps.catalogue)
    limit = max(1, min(limit, MAX_RESULTS))
    result = SerialSearchResult(
        matches=matches[:limit], truncated=batch.truncated or len(matches) > limit
    )
    await deps.reads.record(
        audit_event(
            deps,
            actor=actor,
            action="serial.searched",
            entity_type="search",
            entity_id="serials",
            changes={
                "serial": serial,
                "make": make,
                "model": model,
                "calibre": calibre,
                "results": len(result.matches),
                "truncated": result.truncated,
            },
        )
    )
    return result
