"""The trace-request workflow as data (International Tracing Instrument, paragraphs 14-24).

`WORKFLOW` says which action leads from which states to which, taken by which side, and
whether it needs a stated reason; `DuePolicy` says how long the responder has. The
request (`trace_request.py`) applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Final

from service.domain.errors import IllegalTransition


class Priority(StrEnum):
    URGENT = "urgent"
    ROUTINE = "routine"


class TraceStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    INFO_REQUESTED = "info_requested"
    RESPONDED = "responded"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class TraceAction(StrEnum):
    CREATE = "create"  # the first entry of every history; not an action on a request
    SUBMIT = "submit"
    ACKNOWLEDGE = "acknowledge"
    REQUEST_INFO = "request-info"
    PROVIDE_INFO = "provide-info"
    RESPOND = "respond"
    DECLINE = "decline"
    WITHDRAW = "withdraw"
    CLOSE = "close"


class Side(StrEnum):
    REQUESTER = "requester"
    RESPONDER = "responder"


class Outcome(StrEnum):
    TRACED = "traced"
    PARTIALLY_TRACED = "partially_traced"
    NOT_TRACED = "not_traced"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class Step:
    """One edge of the workflow: `action`, taken by `side`, leads from any of `sources`
    to `target`; some actions need a stated reason (ITI: a refusal must say why)."""

    action: TraceAction
    sources: frozenset[TraceStatus]
    target: TraceStatus
    side: Side
    reason_required: bool = False


_S = TraceStatus
WORKFLOW: Final[tuple[Step, ...]] = (
    Step(TraceAction.SUBMIT, frozenset({_S.DRAFT}), _S.SUBMITTED, Side.REQUESTER),
    Step(TraceAction.ACKNOWLEDGE, frozenset({_S.SUBMITTED}), _S.ACKNOWLEDGED, Side.RESPONDER),
    Step(
        TraceAction.REQUEST_INFO,
        frozenset({_S.ACKNOWLEDGED}),
        _S.INFO_REQUESTED,
        Side.RESPONDER,
        reason_required=True,
    ),
    Step(
        TraceAction.PROVIDE_INFO,
        frozenset({_S.INFO_REQUESTED}),
        _S.ACKNOWLEDGED,
        Side.REQUESTER,
        reason_required=True,
    ),
    # From `responded`: a supplementary response, while the request is open.
    Step(
        TraceAction.RESPOND,
        frozenset({_S.ACKNOWLEDGED, _S.RESPONDED}),
        _S.RESPONDED,
        Side.RESPONDER,
    ),
    Step(
        TraceAction.DECLINE,
        frozenset({_S.SUBMITTED, _S.ACKNOWLEDGED}),
        _S.DECLINED,
        Side.RESPONDER,
        reason_required=True,
    ),
    Step(
        TraceAction.WITHDRAW,
        frozenset({_S.DRAFT, _S.SUBMITTED, _S.ACKNOWLEDGED, _S.INFO_REQUESTED}),
        _S.WITHDRAWN,
        Side.REQUESTER,
        reason_required=True,
    ),
    Step(TraceAction.CLOSE, frozenset({_S.RESPONDED}), _S.CLOSED, Side.REQUESTER),
)
STEPS: Final[dict[TraceAction, Step]] = {step.action: step for step in WORKFLOW}

# States in which the two sides can still write to each other.
THREAD_OPEN: Final = frozenset(
    {_S.SUBMITTED, _S.ACKNOWLEDGED, _S.INFO_REQUESTED, _S.RESPONDED, _S.DECLINED}
)


def allowed_actions(status: TraceStatus) -> tuple[TraceAction, ...]:
    """The actions the workflow allows from a state, in workflow order."""
    return tuple(step.action for step in WORKFLOW if status in step.sources)


def step_for(action: TraceAction, status: TraceStatus) -> Step:
    step = STEPS.get(action)
    if step is None or status not in step.sources:
        raise IllegalTransition(
            "trace request",
            status.value,
            action.value,
            tuple(a.value for a in allowed_actions(status)),
        )
    return step


@dataclass(frozen=True, slots=True)
class DuePolicy:
    """How long the responding agency has to acknowledge and to answer, by priority.

    The answer's clock stops while the responder waits for information it asked for."""

    acknowledge_within: Mapping[Priority, timedelta]
    respond_within: Mapping[Priority, timedelta]

    def __post_init__(self) -> None:
        for priority in Priority:
            acknowledge = self.acknowledge_within.get(priority)
            respond = self.respond_within.get(priority)
            if acknowledge is None or respond is None:
                raise ValueError(f"the due policy needs both times for {priority.value}")
            if acknowledge <= timedelta(0) or respond < acknowledge:
                raise ValueError(
                    f"{priority.value}: acknowledging must take some time, and answering "
                    "at least as long as acknowledging"
                )


DEFAULT_DUE_POLICY: Final = DuePolicy(
    acknowledge_within={Priority.URGENT: timedelta(hours=4), Priority.ROUTINE: timedelta(days=2)},
    respond_within={Priority.URGENT: timedelta(hours=24), Priority.ROUTINE: timedelta(days=30)},
)
