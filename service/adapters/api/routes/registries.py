"""Registries: search one now, and read what the automatic checks found."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from service.adapters.api.dependencies import CurrentActor, Deps, action
from service.adapters.api.problems import problem_responses
from service.adapters.exchange import RegistrySearchAnswer, registry_answer
from service.domain.access import Action
from service.domain.registry_hits import RegistryHit
from service.registry_checks import registry_hits
from service.registry_search import search_registry

router = APIRouter(tags=["registries"])


@router.get(
    "/api/v1/registries/{name}/search",
    responses=problem_responses(401, 403, 404, 422),
    openapi_extra=action(Action.REGISTRY_SEARCH),
)
async def search(
    name: str,
    deps: Deps,
    actor: CurrentActor,
    serial: Annotated[str, Query(min_length=1, max_length=64)],
    make: Annotated[str | None, Query(max_length=64)] = None,
    model: Annotated[str | None, Query(max_length=64)] = None,
    calibre: Annotated[str | None, Query(max_length=64)] = None,
) -> RegistrySearchAnswer:
    """Records of a registry this instance holds that may be this weapon, with their
    status (lost, stolen, smuggled, trafficked, registered, destroyed), match kind and
    confidence. This is also what peers call: their checks go through a service account
    with the `registries:search` scope. A peer's registry is not searched through here."""
    matches = await search_registry(
        deps=deps,
        actor=actor,
        registry=name,
        serial=serial,
        make=make,
        model=model,
        calibre=calibre,
        shared_only=True,
    )
    return registry_answer(name, matches)


class RegistryHitOut(BaseModel):
    id: UUID
    item_id: UUID
    registry: str
    reference: str
    status: str
    alerting: bool = Field(description="The weapon should not be where it was recovered")
    match_kind: str
    confidence: float
    record: dict[str, Any] = Field(description="The registry's record as found")
    found_at: datetime
    recovery_version: int = Field(description="The recovery's version that was checked")
    cleared_at: datetime | None = Field(
        description="When a later check no longer found it (corrected serial, record changed)"
    )


class RegistryHitsOut(BaseModel):
    recovery_id: UUID
    alert: bool = Field(description="Whether any current hit is an alert")
    hits: list[RegistryHitOut] = Field(description="Current hits, most trustworthy first")
    cleared: list[RegistryHitOut]


@router.get(
    "/api/v1/recoveries/{recovery_id}/registry-hits",
    responses=problem_responses(401, 403, 404),
    openapi_extra=action(Action.RECOVERY_READ),
)
async def hits_of_recovery(recovery_id: UUID, deps: Deps, actor: CurrentActor) -> RegistryHitsOut:
    """What the configured registries said about this recovery's items. Checks run in
    the background after every recording or correction."""
    _, hits = await registry_hits(deps=deps, actor=actor, recovery_id=recovery_id)
    current = sorted((h for h in hits if h.cleared_at is None), key=lambda h: -h.confidence)
    return RegistryHitsOut(
        recovery_id=recovery_id,
        alert=any(h.alerting for h in current),
        hits=[_out(h) for h in current],
        cleared=[_out(h) for h in hits if h.cleared_at is not None],
    )


def _out(hit: RegistryHit) -> RegistryHitOut:
    return RegistryHitOut(
        id=hit.id,
        item_id=hit.item_id,
        registry=hit.registry,
        reference=hit.reference,
        status=hit.status.value,
        alerting=hit.alerting,
        match_kind=hit.match_kind.value,
        confidence=hit.confidence,
        record=dict(hit.record),
        found_at=hit.found_at,
        recovery_version=hit.recovery_version,
        cleared_at=hit.cleared_at,
    )
