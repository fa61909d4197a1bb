"""Recoveries: record, read, correct, list."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Response

from service.adapters.api.cursors import decode_cursor, encode_cursor
from service.adapters.api.dependencies import CurrentActor, Deps, RequiredVersion, action, etag
from service.adapters.api.problems import problem_responses
from service.adapters.api.recovery_filters import RecoveryFilterQuery
from service.adapters.api.routers import ApiRouter
from service.adapters.api.schemas.recoveries import (
    RecoveryCreate,
    RecoveryPage,
    RecoveryPublic,
    RecoveryUpdate,
    RegistryAlertOut,
    recovery_public,
    recovery_summary,
)
from service.domain.access import Action
from service.domain.errors import FieldProblem, ValidationFailed
from service.domain.ports.recoveries import RecoveryCursor
from service.recoveries import (
    correct_recovery,
    get_recovery,
    list_recoveries,
    record_recovery,
)
from service.registry_checks import current_alerts

router = ApiRouter(prefix="/api/v1/recoveries", tags=["recoveries"])


@router.post(
    "",
    status_code=201,
    responses=problem_responses(400, 401, 403, 413, 422),
    openapi_extra=action(Action.RECOVERY_RECORD),
)
async def create_recovery(
    body: RecoveryCreate, deps: Deps, actor: CurrentActor, response: Response
) -> RecoveryPublic:
    """Record a recovery for your agency. Raw identifiers are kept verbatim; the answer
    shows what was derived from them (canonical make and calibre, serial keys)."""
    recovery = await record_recovery(deps=deps, actor=actor, command=body.command())
    response.headers["ETag"] = etag(recovery)
    response.headers["Location"] = f"{router.prefix}/{recovery.id}"
    return recovery_public(recovery)


@router.get(
    "/{recovery_id}",
    responses=problem_responses(401, 403, 404),
    openapi_extra=action(Action.RECOVERY_READ),
)
async def read_recovery(
    recovery_id: UUID, deps: Deps, actor: CurrentActor, response: Response
) -> RecoveryPublic:
    """A recovery with its items, the history of its corrections, and the registry hits
    that raise an alert on it."""
    recovery = await get_recovery(deps=deps, actor=actor, recovery_id=recovery_id)
    response.headers["ETag"] = etag(recovery)
    public = recovery_public(recovery)
    public.registry_alerts = [
        RegistryAlertOut(
            item_id=hit.item_id,
            registry=hit.registry,
            reference=hit.reference,
            status=hit.status.value,
            match_kind=hit.match_kind.value,
            confidence=hit.confidence,
        )
        for hit in await current_alerts(deps=deps, recovery=recovery)
    ]
    return public


@router.patch(
    "/{recovery_id}",
    responses=problem_responses(400, 401, 403, 404, 412, 413, 422, 428),
    openapi_extra=action(Action.RECOVERY_CORRECT),
)
async def correct(
    recovery_id: UUID,
    body: RecoveryUpdate,
    deps: Deps,
    actor: CurrentActor,
    version: RequiredVersion,
    response: Response,
) -> RecoveryPublic:
    """Correct a recovery. Needs If-Match with the ETag you read (428 without it, 412 if
    someone changed it since); the values replaced stay in `corrections`."""
    try:
        recovery = await correct_recovery(
            deps=deps,
            actor=actor,
            recovery_id=recovery_id,
            expected_version=version,
            correction=body.correction(),
            reason=body.reason,
        )
    except ValidationFailed as failed:
        raise _pointing_at_request(failed, body) from None
    response.headers["ETag"] = etag(recovery)
    return recovery_public(recovery)


def _pointing_at_request(failed: ValidationFailed, body: RecoveryUpdate) -> ValidationFailed:
    """The domain names corrected items by id; the client needs their index in `items`."""
    positions = body.item_positions()

    def rewrite(path: str) -> str:
        head, _, rest = path.partition(".")
        if head == "items":
            item, _, field = rest.partition(".")
            try:
                index = positions[UUID(item)]
            except (ValueError, KeyError):
                return path
            return ".".join(p for p in ("items", str(index), field) if p)
        return path

    return ValidationFailed([FieldProblem(rewrite(p.field), p.detail) for p in failed.problems])


@router.get(
    "",
    responses=problem_responses(401, 403, 422),
    openapi_extra=action(Action.RECOVERY_READ),
)
async def list_agency_recoveries(
    deps: Deps,
    actor: CurrentActor,
    recovery_filter: RecoveryFilterQuery,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RecoveryPage:
    """Your agency's recoveries, newest first. Make and calibre filters accept any
    spelling the reference table knows, and match raw text otherwise."""
    page = await list_recoveries(
        deps=deps,
        actor=actor,
        recovery_filter=recovery_filter,
        after=RecoveryCursor(*decode_cursor(cursor)) if cursor else None,
        limit=limit,
    )
    return RecoveryPage(
        recoveries=[recovery_summary(r) for r in page.recoveries],
        next_cursor=encode_cursor(page.next_cursor.recovered_at, page.next_cursor.recovery_id)
        if page.next_cursor
        else None,
    )
