"""Registries: search one now, and read what the automatic checks found."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel, Field

from service.adapters.api.dependencies import CurrentActor, Deps, action
from service.adapters.api.problems import problem_responses
from service.adapters.api.routers import ApiRouter
from service.adapters.exchange import RegistrySearchAnswer, registry_answer
from service.domain.access import Action
from service.domain.registry_hits import CheckState, RegistryHit
from service.registry_checks import registry_hits
from service.registry_search import search_registry

router = ApiRouter(tags=["registries"])


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


class RegistryCheckOut(BaseModel):
    registry: str
    state: CheckState = Field(
        description="pending (asked for, not run yet), checked (the latest check asked "
        "for has run), retrying (the registry did not answer; see next_attempt_at), "
        "failed (given up; an operator requeues it), not_checked (never asked for: the "
        "registry was configured after the recovery was last changed)"
    )
    checked_at: datetime | None = Field(description="When the last check that ran, ran")
    checked_version: int | None = Field(description="The recovery's version it checked")
    next_attempt_at: datetime | None = Field(description="When a retrying check runs again")


class RegistryHitsOut(BaseModel):
    recovery_id: UUID
    checked: bool = Field(
        description="Whether every configured registry has run the latest check asked "
        "for; until then no hits does not mean clean"
    )
    alert: bool = Field(description="Whether any current hit is an alert")
    checks: list[RegistryCheckOut] = Field(description="One per configured registry")
    hits: list[RegistryHitOut] = Field(description="Current hits, most trustworthy first")
    cleared: list[RegistryHitOut]


@router.get(
    "/api/v1/recoveries/{recovery_id}/registry-hits",
    responses=problem_responses(401, 403, 404),
    openapi_extra=action(Action.RECOVERY_READ),
)
async def hits_of_recovery(recovery_id: UUID, deps: Deps, actor: CurrentActor) -> RegistryHitsOut:
    """What the configured registries said about this recovery's items, and how far
    each registry's check has got: checks run in the background after every recording
    or correction, so right after one they are `pending`."""
    findings = await registry_hits(deps=deps, actor=actor, recovery_id=recovery_id)
    hits = findings.hits
    current = sorted((h for h in hits if h.cleared_at is None), key=lambda h: -h.confidence)
    return RegistryHitsOut(
        recovery_id=recovery_id,
        checked=all(c.state is CheckState.CHECKED for c in findings.checks),
        alert=any(h.alerting for h in current),
        checks=[
            RegistryCheckOut(
                registry=c.registry,
                state=c.state,
                checked_at=c.checked_at,
                checked_version=c.checked_version,
                next_attempt_at=c.next_attempt_at,
            )
            for c in findings.checks
        ],
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
