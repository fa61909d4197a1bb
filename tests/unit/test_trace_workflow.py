"""The trace-request workflow, deadlines and responses, as pure domain rules."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from service.domain.custody import CustodyEventReport, PartyReport
from service.domain.errors import IllegalTransition, InvalidValue, StaleVersion, ValidationFailed
from service.domain.trace_request import Stamp, TraceRequest
from service.domain.trace_workflow import (
    DEFAULT_DUE_POLICY,
    STEPS,
    WORKFLOW,
    DuePolicy,
    Outcome,
    Priority,
    Side,
    TraceAction,
    TraceStatus,
    allowed_actions,
    step_for,
)
from service.domain.traced_item import TracedItem
from tests.builders import AGENCY_A, AGENCY_B, NOW, new_id, recovery

REQUESTER = Stamp(by=new_id(), agency_id=AGENCY_A, at=NOW)
RESPONDER = Stamp(by=new_id(), agency_id=AGENCY_B, at=NOW)


def later(stamp: Stamp, **delta: float) -> Stamp:
    return dataclasses.replace(stamp, at=stamp.at + timedelta(**delta))


def draft(priority: str = "routine") -> TraceRequest:
    recovered = recovery()
    return TraceRequest.create(
        request_id=new_id(),
        requester_agency_id=AGENCY_A,
        addressee_agency_id=AGENCY_B,
        item=TracedItem.of(recovered, recovered.items[0].id),
        legal_justification="Recovered at a homicide scene; possession is unlawful.",
        intended_use="Criminal investigation CASE-2026-0042.",
        priority=priority,
        actor=REQUESTER,
    )


def acknowledged() -> TraceRequest:
    request = draft()
    request.submit(REQUESTER, expected_version=1, policy=DEFAULT_DUE_POLICY)
    request.acknowledge(later(RESPONDER, hours=1), expected_version=2)
    return request


def event(kind: str, day: date, role: str, country: str = "AT") -> CustodyEventReport:
    return CustodyEventReport(kind, day, PartyReport(f"{role} ltd", role, country, "LIC-1"))


CHAIN = [
    event("manufacture", date(2019, 3, 1), "manufacturer"),
    event("export", date(2019, 4, 1), "exporter"),
    event("import", date(2019, 5, 2), "importer", "FR"),
    event("sale", date(2024, 1, 10), "dealer", "FR"),
    event("sale", date(2024, 1, 10), "retail_purchaser", "FR"),
]


# --- the workflow as data ----------------------------------------------------------


@pytest.mark.parametrize("status", list(TraceStatus))
@pytest.mark.parametrize("action", [a for a in TraceAction if a is not TraceAction.CREATE])
def test_an_action_is_legal_exactly_where_the_workflow_says(
    status: TraceStatus, action: TraceAction
) -> None:
    legal = status in STEPS[action].sources
    if legal:
        assert step_for(action, status).action is action
        assert action in allowed_actions(status)
    else:
        with pytest.raises(IllegalTransition) as refused:
            step_for(action, status)
        assert refused.value.status == status.value
        assert refused.value.allowed == tuple(a.value for a in allowed_actions(status))


def test_the_workflow_follows_the_domain_notes() -> None:
    edges = {
        (s.value, step.action.value, step.target.value) for step in WORKFLOW for s in step.sources
    }
    assert {
        ("draft", "submit", "submitted"),
        ("submitted", "acknowledge", "acknowledged"),
        ("acknowledged", "respond", "responded"),
        ("responded", "close", "closed"),
        ("acknowledged", "request-info", "info_requested"),
        ("info_requested", "provide-info", "acknowledged"),
        ("submitted", "decline", "declined"),
        ("acknowledged", "decline", "declined"),
        ("responded", "respond", "responded"),  # supplementary
    } <= edges
    assert {
        s for step in WORKFLOW if step.action is TraceAction.WITHDRAW for s in step.sources
    } == {
        TraceStatus.DRAFT,
        TraceStatus.SUBMITTED,
        TraceStatus.ACKNOWLEDGED,
        TraceStatus.INFO_REQUESTED,
    }
    for terminal in (TraceStatus.CLOSED, TraceStatus.WITHDRAWN, TraceStatus.DECLINED):
        assert allowed_actions(terminal) == ()
    # Each side takes its own steps, and refusing or withdrawing needs a reason.
    assert {a for a, s in STEPS.items() if s.side is Side.RESPONDER} == {
        TraceAction.ACKNOWLEDGE,
        TraceAction.REQUEST_INFO,
        TraceAction.RESPOND,
        TraceAction.DECLINE,
    }
    assert {a for a, s in STEPS.items() if s.reason_required} == {
        TraceAction.REQUEST_INFO,
        TraceAction.PROVIDE_INFO,
        TraceAction.DECLINE,
        TraceAction.WITHDRAW,
    }


# --- creating -----------------------------------------------------------------------


def test_a_request_carries_the_iti_contents_and_the_item_as_it_was() -> None:
    request = draft()
    assert request.status is TraceStatus.DRAFT and request.version == 1
    assert request.item.description["serial"] == "ABC 123"
    assert request.item.description["serial_normalized"] == "ABC123"
    assert request.item.description["make_canonical"] == "Glock"
    assert [t.action for t in request.transitions] == [TraceAction.CREATE]
    assert request.due_at is None and request.waiting_on is Side.REQUESTER


def test_creating_reports_every_missing_content_at_once() -> None:
    recovered = recovery()
    with pytest.raises(ValidationFailed) as failed:
        TraceRequest.create(
            request_id=new_id(),
            requester_agency_id=AGENCY_A,
            addressee_agency_id=AGENCY_B,
            item=TracedItem.of(recovered, recovered.items[0].id),
            legal_justification=" ",
            intended_use="",
            priority="whenever",
            actor=REQUESTER,
        )
    assert [p.field for p in failed.value.problems] == [
        "legal_justification",
        "intended_use",
        "priority",
    ]


def test_only_an_item_of_the_recovery_can_be_traced() -> None:
    with pytest.raises(InvalidValue, match="not an item of this recovery"):
        TracedItem.of(recovery(), new_id())


# --- deadlines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "acknowledge", "respond"),
    [
        ("routine", timedelta(days=2), timedelta(days=30)),
        ("urgent", timedelta(hours=4), timedelta(hours=24)),
    ],
)
def test_submitting_sets_due_times_by_priority(
    priority: str, acknowledge: timedelta, respond: timedelta
) -> None:
    request = draft(priority)
    request.submit(REQUESTER, expected_version=1, policy=DEFAULT_DUE_POLICY)
    assert request.acknowledge_by == NOW + acknowledge
    assert request.respond_by == NOW + respond
    assert request.due_at == NOW + acknowledge
    assert not request.overdue(NOW + acknowledge)
    assert request.overdue(NOW + acknowledge + timedelta(seconds=1))


@pytest.mark.parametrize(("answered_after_days", "late"), [(29, False), (31, True)])
def test_an_answer_is_never_overdue_but_says_whether_it_came_late(
    answered_after_days: int, late: bool
) -> None:
    request = acknowledged()
    assert request.answered_late is None
    answered = later(RESPONDER, days=answered_after_days)
    assert request.overdue(answered.at) is late  # owed, and late, until the answer
    request.respond(
        answered,
        expected_version=3,
        response_id=new_id(),
        outcome="not_traced",
        chain_of_custody=[],
        notes=None,
    )
    assert request.answered_late is late
    assert not request.overdue(answered.at + timedelta(days=100))


def test_the_answer_clock_stops_while_the_responder_waits_for_information() -> None:
    request = acknowledged()
    respond_by = request.respond_by
    assert respond_by is not None and request.due_at == respond_by
    request.request_info(
        later(RESPONDER, days=3), expected_version=3, question="Photos of the frame?"
    )
    assert request.due_at is None and request.waiting_on is Side.REQUESTER
    request.provide_info(later(REQUESTER, days=8), expected_version=4, answer="Sent by courier.")
    assert request.respond_by == respond_by + timedelta(days=5)
    assert request.due_at == request.respond_by and request.waiting_on is Side.RESPONDER


def test_a_due_policy_must_be_complete_and_coherent() -> None:
    with pytest.raises(ValueError, match="urgent"):
        DuePolicy({Priority.ROUTINE: timedelta(days=1)}, {Priority.ROUTINE: timedelta(days=2)})
    with pytest.raises(ValueError, match="at least as long"):
        DuePolicy(
            {p: timedelta(days=3) for p in Priority}, {p: timedelta(days=1) for p in Priority}
        )


# --- acting -------------------------------------------------------------------------


def test_an_action_needs_the_version_that_was_read() -> None:
    request = draft()
    request.submit(REQUESTER, expected_version=1, policy=DEFAULT_DUE_POLICY)
    with pytest.raises(StaleVersion):
        request.acknowledge(RESPONDER, expected_version=1)
    assert request.status is TraceStatus.SUBMITTED and request.version == 2


def test_refusing_and_withdrawing_need_a_reason() -> None:
    request = draft()
    request.submit(REQUESTER, expected_version=1, policy=DEFAULT_DUE_POLICY)
    with pytest.raises(ValidationFailed) as failed:
        request.decline(RESPONDER, expected_version=2, response_id=new_id(), reason="  ")
    assert failed.value.problems[0].field == "reason"
    with pytest.raises(ValidationFailed):
        request.withdraw(REQUESTER, expected_version=2, reason="")
    assert request.status is TraceStatus.SUBMITTED and request.version == 2


def test_a_decline_is_an_answer_with_its_reason() -> None:
    request = draft()
    request.submit(REQUESTER, expected_version=1, policy=DEFAULT_DUE_POLICY)
    response = request.decline(
        later(RESPONDER, hours=2),
        expected_version=2,
        response_id=new_id(),
        reason="Ongoing operation",
    )
    assert request.status is TraceStatus.DECLINED and request.outcome is Outcome.DECLINED
    assert response.notes == "Ongoing operation" and request.first_response_at == NOW + timedelta(
        hours=2
    )
    assert request.ended_at is not None and allowed_actions(request.status) == ()


def test_a_traced_answer_derives_time_to_crime_and_may_be_supplemented() -> None:
    request = acknowledged()
    first = request.respond(
        later(RESPONDER, days=5),
        expected_version=3,
        response_id=new_id(),
        outcome="partially_traced",
        chain_of_custody=CHAIN[:3],
        notes="Importer records requested.",
    )
    # No retail sale: from the last legal transfer (the import, 2019-05-02) to 2026-11-01.
    assert first.time_to_crime_days == (date(2026, 11, 1) - date(2019, 5, 2)).days
    second = request.respond(
        later(RESPONDER, days=9),
        expected_version=4,
        response_id=new_id(),
        outcome="traced",
        chain_of_custody=CHAIN,
        notes=None,
    )
    assert (first.number, second.number) == (1, 2)
    assert request.outcome is Outcome.TRACED
    assert request.time_to_crime_days == (date(2026, 11, 1) - date(2024, 1, 10)).days
    assert request.first_response_at == NOW + timedelta(days=5)
    request.close(later(REQUESTER, days=10), expected_version=5)
    assert request.status is TraceStatus.CLOSED


@pytest.mark.parametrize(
    ("outcome", "chain", "field", "detail"),
    [
        ("traced", [], "chain_of_custody", "at least one event"),
        ("not_traced", CHAIN[:1], "chain_of_custody", "no chain of custody"),
        ("declined", [], "outcome", "decline action"),
        ("lost", [], "outcome", "must be one of"),
    ],
)
def test_an_answer_must_fit_its_outcome(
    outcome: str, chain: list[CustodyEventReport], field: str, detail: str
) -> None:
    request = acknowledged()
    with pytest.raises(ValidationFailed) as failed:
        request.respond(
            RESPONDER,
            expected_version=3,
            response_id=new_id(),
            outcome=outcome,
            chain_of_custody=chain,
            notes=None,
        )
    assert any(p.field == field and detail in p.detail for p in failed.value.problems)
    assert request.status is TraceStatus.ACKNOWLEDGED and request.responses == ()


def test_the_thread_is_open_between_submission_and_the_end() -> None:
    request = draft()
    with pytest.raises(IllegalTransition):
        request.check_thread_open()
    request.submit(REQUESTER, expected_version=1, policy=DEFAULT_DUE_POLICY)
    request.check_thread_open()
    request.withdraw(REQUESTER, expected_version=2, reason="Weapon identified locally")
    with pytest.raises(IllegalTransition):
        request.check_thread_open()


def test_a_draft_is_invisible_to_the_addressee() -> None:
    request = draft()
    assert request.side_of(AGENCY_B) == frozenset()
    assert request.side_of(AGENCY_A) == {Side.REQUESTER}
    request.submit(REQUESTER, expected_version=1, policy=DEFAULT_DUE_POLICY)
    assert request.side_of(AGENCY_B) == {Side.RESPONDER}
    assert request.side_of(new_id()) == frozenset()


def test_a_version_lost_to_a_concurrent_change_is_said_in_words() -> None:
    # Found by probing: "trace request is at version None, the change was based on 2".
    from service.domain.errors import StaleVersion

    assert str(StaleVersion("trace request", 2, None)) == (
        "trace request was changed by someone else meanwhile, the change was based on 2"
    )
    assert str(StaleVersion("trace request", 2, 3)) == (
        "trace request is at version 3, the change was based on 2"
    )
