"""Tracing figures for supervisors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.domain.trace_statistics import (
    Period,
    TraceFacts,
    percentile,
    tracing_figures,
)
from service.domain.trace_workflow import Outcome, Priority, TraceStatus
from tests.builders import AGENCY_A, AGENCY_B

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def facts(
    *,
    agency=AGENCY_B,  # noqa: ANN001 - a UUID
    submitted: datetime = START,
    acknowledged_after: float | None = 10,
    answered_after: float | None = 100,
    due_after: float = 720,
    outcome: Outcome | None = Outcome.TRACED,
    status: TraceStatus = TraceStatus.RESPONDED,
    days: int | None = 400,
) -> TraceFacts:
    hours = timedelta(hours=1)
    return TraceFacts(
        addressee_agency_id=agency,
        priority=Priority.ROUTINE,
        status=status,
        submitted_at=submitted,
        acknowledged_at=submitted + acknowledged_after * hours if acknowledged_after else None,
        first_response_at=submitted + answered_after * hours if answered_after else None,
        respond_by=submitted + due_after * hours,
        outcome=outcome,
        time_to_crime_days=days,
    )


def test_percentiles_interpolate_like_postgresql() -> None:
    assert percentile([1.0], 0.9) == 1.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0, 20.0, 30.0, 40.0, 50.0], 0.9) == 46.0


def test_figures_per_responding_agency_and_month() -> None:
    figures = tracing_figures(
        [
            facts(acknowledged_after=2, answered_after=50, days=30),
            facts(acknowledged_after=4, answered_after=900, days=2000),  # answered late
            facts(outcome=Outcome.NOT_TRACED, answered_after=10, days=None),
            facts(outcome=Outcome.DECLINED, days=None),
            facts(  # unanswered and overdue
                outcome=None, status=TraceStatus.ACKNOWLEDGED, answered_after=None, days=None
            ),
            facts(  # unanswered, not due yet
                submitted=NOW - timedelta(days=1),
                outcome=None,
                status=TraceStatus.SUBMITTED,
                acknowledged_after=None,
                answered_after=None,
                days=None,
            ),
            facts(outcome=None, status=TraceStatus.WITHDRAWN, answered_after=None, days=None),
            facts(agency=AGENCY_A, submitted=START + timedelta(days=40)),
        ],
        period=Period.MONTH,
        now=NOW,
    )
    assert [(f.period, f.responding_agency_id) for f in figures] == [
        ("2026-01", AGENCY_B),
        ("2026-02", AGENCY_A),
        ("2026-05", AGENCY_B),
    ]
    january = figures[0]
    assert january.submitted == 6
    assert january.by_outcome == {
        "traced": 2,
        "partially_traced": 0,
        "not_traced": 1,
        "declined": 1,
        "unanswered": 1,
        "withdrawn": 1,
    }
    assert january.time_to_acknowledge.count == 6
    assert january.time_to_respond.count == 4
    assert january.time_to_respond.median_hours == 75.0  # of 10, 50, 100, 900
    assert (january.answers_due, january.answered_on_time) == (5, 3)
    assert january.on_time_share == 0.6
    assert january.time_to_crime["under 3 months"] == 1
    assert january.time_to_crime["5 to 10 years"] == 1
    assert january.short_time_to_crime == 1
    assert figures[2].answers_due == 0 and figures[2].on_time_share is None


def test_periods_label_quarters_and_years() -> None:
    moment = datetime(2026, 8, 31, 23, 30, tzinfo=UTC)
    assert Period.MONTH.label(moment) == "2026-08"
    assert Period.QUARTER.label(moment) == "2026-Q3"
    assert Period.YEAR.label(moment) == "2026"
    assert Period.SPAN.label(moment) == Period.SPAN.label(moment.replace(year=2019)) == "span"
