"""Use case: tracing figures for supervisors, for what their agency asked or was asked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.errors import InvalidValue, ValidationFailed
from service.domain.ports.tracing import Box
from service.domain.trace_statistics import Period, TracingFigures, tracing_figures

# A bound on one question's work; a longer history is asked for in several spans.
MAX_SPAN: Final = timedelta(days=3700)


async def tracing_statistics(
    *,
    deps: Dependencies,
    actor: Actor,
    box: Box,
    submitted_from: datetime,
    submitted_to: datetime,
    period: Period,
) -> list[TracingFigures]:
    """Per responding agency and period: outcomes, times to acknowledge and to answer,
    answers on time, time-to-crime. `outbox`: how the agencies the caller's agency asked
    answered; `inbox`: how the caller's agency answered."""
    authorize(actor, Action.TRACE_STATISTICS)
    if submitted_to <= submitted_from:
        raise ValidationFailed.of(InvalidValue("submitted_to", "must be after submitted_from"))
    if submitted_to - submitted_from > MAX_SPAN:
        raise ValidationFailed.of(InvalidValue("submitted_from", "spans more than ten years"))
    async with deps.unit_of_work() as uow:
        facts = await uow.trace_requests.facts(
            agency_id=actor.agency_id,
            box=box,
            submitted_from=submitted_from,
            submitted_to=submitted_to,
        )
    return tracing_figures(facts, period=period, now=deps.clock.now())
