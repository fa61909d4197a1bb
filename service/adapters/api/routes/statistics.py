"""Statistics for supervisors."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Final, Literal

from fastapi import Query

from service.adapters.api.dependencies import CurrentActor, Deps, action
from service.adapters.api.problems import ProblemError, problem_responses
from service.adapters.api.routers import ApiRouter
from service.adapters.api.schemas.trace_requests import TracingStatisticsOut, figures_out
from service.adapters.moments import Moment
from service.domain.access import Action
from service.domain.errors import ValidationFailed
from service.domain.ports.tracing import Box
from service.domain.trace_statistics import Period
from service.tracing_statistics import tracing_statistics

router = ApiRouter(prefix="/api/v1/stats", tags=["statistics"])
_PARAMETERS: Final = {"submitted_from": "from", "submitted_to": "to"}


@router.get(
    "/tracing",
    responses=problem_responses(401, 403, 422),
    openapi_extra=action(Action.TRACE_STATISTICS),
)
async def tracing(
    deps: Deps,
    actor: CurrentActor,
    box: Annotated[
        Literal["outbox", "inbox"],
        Query(description="outbox: how the agencies you asked answered; inbox: how you did"),
    ] = "outbox",
    submitted_from: Annotated[
        Moment | None, Query(alias="from", description="inclusive; default a year ago")
    ] = None,
    submitted_to: Annotated[
        Moment | None, Query(alias="to", description="exclusive; default now")
    ] = None,
    period: Period = Period.MONTH,
) -> TracingStatisticsOut:
    """Per responding agency and period of submission: answers by outcome, median and
    90th percentile hours to acknowledge and to answer, the share answered on time, and
    the time-to-crime bands of traced weapons."""
    until = submitted_to or deps.clock.now()
    since = submitted_from or until - timedelta(days=365)
    try:
        figures = await tracing_statistics(
            deps=deps,
            actor=actor,
            box=Box(box),
            submitted_from=since,
            submitted_to=until,
            period=period,
        )
    except ValidationFailed as refused:
        # The use case names its own fields; here they are the query's `from` and `to`.
        raise ProblemError(
            "validation-error",
            errors=[
                {"parameter": _PARAMETERS.get(p.field, p.field), "detail": _said(p.detail)}
                for p in refused.problems
            ],
        ) from None
    return TracingStatisticsOut(
        box=box,
        period=period.value,
        submitted_from=since,
        submitted_to=until,
        figures=[figures_out(f) for f in figures],
    )


def _said(detail: str) -> str:
    """A detail naming the use case's fields by the query's names (`must be after from`)."""
    for field, parameter in _PARAMETERS.items():
        detail = detail.replace(field, parameter)
    return detail
