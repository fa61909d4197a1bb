"""Statistics for supervisors: how quickly and how well trace requests are answered, by
agency and over time, and how long traced weapons took from sale to crime."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from service.adapters.console import i18n
from service.adapters.console.charts import bar_chart
from service.adapters.console.dependencies import ConsoleDeps, Holder
from service.adapters.console.forms import problems_by_field
from service.adapters.console.i18n import gettext_ as _
from service.adapters.console.labels import choices, label
from service.adapters.console.rendering import page
from service.agency_directory import agency_names
from service.domain.access import Action, authorize
from service.domain.errors import InvalidValue, ValidationFailed
from service.domain.moments import as_utc
from service.domain.ports.tracing import Box
from service.domain.trace_statistics import TIME_TO_CRIME_BANDS, Period
from service.domain.trace_workflow import Side
from service.tracing_statistics import tracing_statistics

router = APIRouter()
PERIODS = (Period.MONTH, Period.QUARTER, Period.YEAR)


def _day(text: str, default: datetime) -> datetime:
    """A day of the address, in the reader's zone; the default for one that is not a
    date, or lies outside the years a record can speak of."""
    try:
        day = datetime.fromisoformat(text).date() if text else None
        if day is None:
            return default
        return as_utc(datetime.combine(day, time(), tzinfo=i18n.reading().time_zone), "day")
    except (ValueError, InvalidValue):
        return default


@router.get("/statistics")
async def statistics(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    box: Annotated[str, Query(max_length=8)] = "",
    period: Annotated[str, Query(max_length=8)] = "month",
    since: Annotated[str, Query(alias="from", max_length=10)] = "",
    until: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    authorize(holder.actor, Action.TRACE_STATISTICS)
    chosen_box = (
        Box(box)
        if box in {b.value for b in Box}
        else (Box.OUTBOX if holder.actor.acts_for(Side.REQUESTER) else Box.INBOX)
    )
    chosen_period = Period(period) if period in {p.value for p in PERIODS} else Period.MONTH
    now = deps.clock.now()
    end = _day(until, now)
    start = _day(since, end - timedelta(days=365))
    values = {
        "box": chosen_box.value,
        "period": chosen_period.value,
        "from": start.date().isoformat(),
        "to": end.date().isoformat(),
    }
    errors: dict[str, str] = {}
    overall, by_period = [], []
    try:
        overall = await tracing_statistics(
            deps=deps,
            actor=holder.actor,
            box=chosen_box,
            submitted_from=start,
            submitted_to=end,
            period=Period.SPAN,
        )
        by_period = await tracing_statistics(
            deps=deps,
            actor=holder.actor,
            box=chosen_box,
            submitted_from=start,
            submitted_to=end,
            period=chosen_period,
        )
    except ValidationFailed as refused:
        errors = {
            {"submitted_from": "from", "submitted_to": "to"}.get(k, k): v
            for k, v in problems_by_field(refused.problems).items()
        }
    names = await agency_names(deps=deps, actor=holder.actor)
    agencies = [
        (names.get(f.responding_agency_id, str(f.responding_agency_id)), f) for f in overall
    ]
    outcomes: Counter[str] = Counter()
    bands: Counter[str] = Counter()
    for figures in overall:
        outcomes.update(figures.by_outcome)
        bands.update(figures.time_to_crime)
    volume: Counter[str] = Counter()
    for figures in by_period:
        volume[figures.period] += figures.submitted
    days = _("%(days)s days")
    charts = {
        "on_time": bar_chart(
            _("Share answered on time"),
            [
                (
                    name,
                    f.on_time_share or 0.0,
                    i18n.share(f.on_time_share) if f.on_time_share is not None else "–",
                )
                for name, f in agencies
            ],
            scale_to=1.0,
        ),
        "respond": bar_chart(
            _("Median time to answer"),
            [
                (
                    name,
                    (f.time_to_respond.median_hours or 0.0) / 24,
                    days
                    % {"days": i18n.number(round((f.time_to_respond.median_hours or 0.0) / 24, 1))}
                    if f.time_to_respond.median_hours is not None
                    else "–",
                )
                for name, f in agencies
            ],
        ),
        "outcomes": bar_chart(
            _("Outcomes"),
            [
                (label(o), n, i18n.number(n))
                for o, n in sorted(outcomes.items(), key=lambda i: -i[1])
            ],
        ),
        "volume": bar_chart(
            _("Requests sent per period"),
            [(p, n, i18n.number(n)) for p, n in sorted(volume.items())],
        ),
        "time_to_crime": bar_chart(
            _("Time from first retail sale to recovery"),
            [
                (label(band), bands[band], i18n.number(bands[band]))
                for band, _lo, _hi in TIME_TO_CRIME_BANDS
            ],
        ),
    }
    return page(
        request,
        "statistics.html",
        {
            "values": values,
            "errors": errors,
            "agencies": agencies,
            "charts": charts,
            "boxes": [
                (Box.OUTBOX.value, _("How the agencies we asked answered")),
                (Box.INBOX.value, _("How our agency answered")),
            ],
            "periods": choices(PERIODS),
            "short_time_to_crime": sum(f.short_time_to_crime for f in overall),
        },
        status_code=422 if errors else 200,
    )
