"""Serial search."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from service.adapters.api.dependencies import CurrentActor, Deps, action
from service.adapters.api.problems import ProblemError, problem_responses
from service.adapters.api.routers import ApiRouter
from service.adapters.api.schemas.search import SerialSearchResponse, match_public
from service.domain.access import Action
from service.domain.errors import InvalidValue
from service.serial_search import MAX_RESULTS, search_serials

router = ApiRouter(prefix="/api/v1/search", tags=["search"])


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
            description="As read. `?` is one unreadable character, `*` a run of them; "
            "a pattern needs at least 3 legible characters, together or apart (`10?46`).",
        ),
    ],
    make: Annotated[str | None, Query(max_length=64)] = None,
    model: Annotated[str | None, Query(max_length=64)] = None,
    calibre: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 50,
) -> SerialSearchResponse:
    """Items of your agency whose serial or lot may be this one, however it was read.

    Match kinds, strongest first, with the confidence each has on its own: `exact`
    (0.97); `normalized` (0.93: case, separators and punctuation, digit scripts,
    Cyrillic and Greek look-alikes); `padding` (0.80: zeros padding a run of digits,
    `0012345` and `12345`); `skeleton` (0.70: look-alike characters such as 0/O, 8/B);
    `transliterated` (0.62: Cyrillic or Greek letters without a Latin look-alike
    spelled by ICAO 9303, BGN/PCGN or a common alternative, `BZH9735` for `БЖ9735`,
    either way); `edit` (0.55: one character inserted, deleted, changed or swapped);
    `pattern` (0.25 to 0.60 with the share of legible characters). Make, model and
    calibre, when given, raise or lower each match's confidence.

    A pattern is looked up by its shape and the work is bounded: when a lookup stops
    at its bound, or more items match than `limit`, `truncated` is true."""
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
