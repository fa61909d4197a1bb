"""How tracing goes, for supervisors: per responding agency and period, what the answers
were, how long acknowledging and answering took, how often answers came on time, and how
soon after their last legal sale the traced weapons were recovered (time-to-crime).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final
from uuid import UUID

from service.domain.trace_workflow import Outcome, Priority, TraceStatus

# Time-to-crime bands as national tracing centres publish them; under about three years
# is the classic indicator of trafficking.
TIME_TO_CRIME_BANDS: Final[tuple[tuple[str, int, int | None], ...]] = (
    ("under 3 months", 0, 91),
    ("3 to 7 months", 91, 213),
    ("7 months to 1 year", 213, 365),
    ("1 to 2 years", 365, 730),
    ("2 to 3 years", 730, 1096),
    ("3 to 5 years", 1096, 1826),
    ("5 to 10 years", 1826, 3653),
    ("over 10 years", 3653, None),
)
SHORT_TIME_TO_CRIME_DAYS: Final = 1096
UNANSWERED: Final = "unanswered"
WITHDRAWN: Final = "withdrawn"


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    # The whole span asked about, as one period: each agency's figures over all of it.
    SPAN = "span"

    def label(self, moment: datetime) -> str:
        if self is Period.SPAN:
            return "span"
        utc = moment.astimezone(UTC)
        if self is Period.MONTH:
            return f"{utc.year}-{utc.month:02d}"
        if self is Period.QUARTER:
            return f"{utc.year}-Q{(utc.month - 1) // 3 + 1}"
        return str(utc.year)


@dataclass(frozen=True, slots=True)
class TraceFacts:
    """What the statistics need of one submitted request."""

    addressee_agency_id: UUID
    priority: Priority
    status: TraceStatus
    submitted_at: datetime
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    respond_by: datetime | None
    outcome: Outcome | None
    time_to_crime_days: int | None


@dataclass(frozen=True, slots=True)
class Durations:
    count: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True, slots=True)
class TracingFigures:
    responding_agency_id: UUID
    period: str
    submitted: int
    by_outcome: dict[str, int]
    time_to_acknowledge: Durations
    time_to_respond: Durations
    # Answers given, plus requests whose answer is overdue: those that were due.
    answers_due: int
    answered_on_time: int
    on_time_share: float | None
    time_to_crime: dict[str, int]
    short_time_to_crime: int  # traced weapons recovered within about three years


def tracing_figures(
    facts: Iterable[TraceFacts], *, period: Period, now: datetime
) -> list[TracingFigures]:
    """Figures per responding agency and period (of submission), in period order."""
    groups: dict[tuple[UUID, str], list[TraceFacts]] = defaultdict(list)
    for fact in facts:
        groups[(fact.addressee_agency_id, period.label(fact.submitted_at))].append(fact)
    return [
        _figures(agency, label, group, now)
        for (agency, label), group in sorted(groups.items(), key=lambda g: (g[0][1], str(g[0][0])))
    ]


def _figures(
    agency: UUID, label: str, group: Sequence[TraceFacts], now: datetime
) -> TracingFigures:
    outcomes: Counter[str] = Counter({o.value: 0 for o in Outcome} | {UNANSWERED: 0, WITHDRAWN: 0})
    acknowledge_hours: list[float] = []
    respond_hours: list[float] = []
    answers_due = on_time = 0
    bands: Counter[str] = Counter({label: 0 for label, _, _ in TIME_TO_CRIME_BANDS})
    short = 0
    for fact in group:
        if fact.outcome is not None:
            outcomes[fact.outcome.value] += 1
        elif fact.status is TraceStatus.WITHDRAWN:
            outcomes[WITHDRAWN] += 1
        else:
            outcomes[UNANSWERED] += 1
        if fact.acknowledged_at is not None:
            acknowledge_hours.append(_hours(fact.acknowledged_at - fact.submitted_at))
        if fact.first_response_at is not None:
            respond_hours.append(_hours(fact.first_response_at - fact.submitted_at))
            answers_due += 1
            if fact.respond_by is not None and fact.first_response_at <= fact.respond_by:
                on_time += 1
        elif (
            fact.status in (TraceStatus.SUBMITTED, TraceStatus.ACKNOWLEDGED)
            and fact.respond_by is not None
            and now > fact.respond_by
        ):
            answers_due += 1
        days = fact.time_to_crime_days
        if days is not None and fact.outcome in (Outcome.TRACED, Outcome.PARTIALLY_TRACED):
            bands[_band(days)] += 1
            short += days < SHORT_TIME_TO_CRIME_DAYS
    return TracingFigures(
        responding_agency_id=agency,
        period=label,
        submitted=len(group),
        by_outcome=dict(outcomes),
        time_to_acknowledge=_durations(acknowledge_hours),
        time_to_respond=_durations(respond_hours),
        answers_due=answers_due,
        answered_on_time=on_time,
        on_time_share=round(on_time / answers_due, 4) if answers_due else None,
        time_to_crime=dict(bands),
        short_time_to_crime=short,
    )


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _band(days: int) -> str:
    for label, lower, upper in TIME_TO_CRIME_BANDS:
        if days >= lower and (upper is None or days < upper):
            return label
    return TIME_TO_CRIME_BANDS[0][0]  # negative: recovered before the sale date, a data error


def _durations(hours: list[float]) -> Durations:
    if not hours:
        return Durations(0, None, None)
    ordered = sorted(hours)
    return Durations(
        len(ordered), round(percentile(ordered, 0.5), 2), round(percentile(ordered, 0.9), 2)
    )


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)
