"""The audit trail: verify, anchor, read."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query

from service.adapters.api.dependencies import CurrentActor, Deps, action
from service.adapters.api.problems import ProblemError, problem_responses
from service.adapters.api.routers import ApiRouter
from service.adapters.api.schemas.audit import (
    AuditEventPage,
    AuditHead,
    AuditVerification,
    page,
    verification_public,
)
from service.adapters.moments import Moment
from service.audit_trail import audit_events, audit_head, recovery_history, verify_audit_trail
from service.domain.access import Action
from service.domain.errors import InvalidValue
from service.domain.ports.audit import AuditFilter

# Sequence numbers are 64-bit: a larger one names no event, and no database takes it.
BeforeSeq = Annotated[int | None, Query(ge=1, le=2**63 - 1)]

router = ApiRouter(tags=["audit"])


@router.get(
    "/api/v1/audit/verify",
    responses=problem_responses(401, 403),
    openapi_extra=action(Action.AUDIT_VERIFY),
)
async def verify(deps: Deps, actor: CurrentActor) -> AuditVerification:
    """Recompute the whole hash chain: `ok` with the count and head, or the first event
    where it breaks and how (changed, missing, reordered)."""
    return verification_public(await verify_audit_trail(deps=deps, actor=actor))


@router.get(
    "/api/v1/audit/head",
    responses=problem_responses(401, 403),
    openapi_extra=action(Action.AUDIT_READ),
)
async def head(deps: Deps, actor: CurrentActor) -> AuditHead:
    """The last event's position and hash. Give it to a partner or a notary: later, a
    chain that still reaches it proves nothing before it was changed."""
    seq, digest = await audit_head(deps=deps, actor=actor)
    return AuditHead(seq=seq, hash=digest)


@router.get(
    "/api/v1/audit/events",
    responses=problem_responses(401, 403, 422),
    openapi_extra=action(Action.AUDIT_READ),
)
async def events(
    deps: Deps,
    actor: CurrentActor,
    entity_type: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: UUID | None = None,
    action_name: Annotated[str | None, Query(alias="action", max_length=64)] = None,
    occurred_from: Annotated[Moment | None, Query(description="inclusive")] = None,
    occurred_to: Annotated[
        Moment | None, Query(description="exclusive; after occurred_from")
    ] = None,
    before_seq: BeforeSeq = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditEventPage:
    """Events, newest first: your agency's for auditors, every agency's for system auditors."""
    wanted = AuditFilter(
        entity_type=entity_type,
        entity_id=entity_id,
        actor_id=actor_id,
        action=action_name,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
    try:
        wanted.check()
    except InvalidValue as refused:
        raise ProblemError.invalid_parameter(refused.field, refused.detail) from None
    found = await audit_events(
        deps=deps, actor=actor, audit_filter=wanted, before_seq=before_seq, limit=limit
    )
    return page(found, limit)


@router.get(
    "/api/v1/recoveries/{recovery_id}/history",
    tags=["recoveries"],
    responses=problem_responses(401, 403, 404),
    openapi_extra=action(Action.RECOVERY_HISTORY),
)
async def history(
    recovery_id: UUID,
    deps: Deps,
    actor: CurrentActor,
    before_seq: BeforeSeq = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditEventPage:
    """Who recorded and changed this recovery, when and why, newest first: for its
    agency's investigators, supervisors and auditors, and for system auditors."""
    found = await recovery_history(
        deps=deps, actor=actor, recovery_id=recovery_id, before_seq=before_seq, limit=limit
    )
    return page(found, limit)
