"""Serial search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.adapters.api.dependencies import CurrentActor, Deps, action
from service.adapters.api.problems import ProblemError, problem_responses
from service.adapters.api.schemas.search import SerialSearchResponse, match_public
from service.domain.access import Action
from service.domain.errors import InvalidValue
from service.serial_search import MAX_RESULTS, search_serials

router = APIRouter(prefix="/api/v1/search", tags=["search"])


@router.get(
    "/serials",
    responses=problem_responses(401, 403, 422),
    openapi_extra=action(Action.SERIAL_SEARCH),
)
async def search_by_serial(
    deps: Deps,
    actor: CurrentActor,
    serial: Annotated[
        str,
        Query(
            max_length=64,
            description="As read. `?` is one unreadable character, `*` a run of them.",
        ),
    ],
    make: Annotated[str | None, Query(max_length=64)] = None,
    model: Annotated[str | None, Query(max_length=64)] = None,
    calibre: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 50,
) -> SerialSearchResponse:
    """Items of your agency whose serial or lot may be this one, however it was read:
    `exact`, `normalized` (case, separators, scripts), `skeleton` (look-alike characters),
    `edit` (one character inserted, deleted, changed or swapped) or `pattern`. Make,
    model and calibre, when given, raise or lower each match's confidence."""
    try:
        result = await search_serials(
            deps=deps,
            actor=actor,
            serial=serial,
            make=make,
            model=model,
            calibre=calibre,
            limit=limit,
        )
    except InvalidValue as problem:
        raise ProblemError.invalid_parameter(problem.field, problem.detail) from None
    return SerialSearchResponse(
        matches=[match_public(m) for m in result.matches], truncated=result.truncated
    )
