"""The federation rules: what a step carries, how the other side's copy takes it, and
what it refuses."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from service.domain.custody import CustodyEventReport, PartyReport
from service.domain.errors import IllegalTransition, ValidationFailed
from service.domain.federation import (
    TRAVELLING,
    apply_exchange,
    exchange_of,
    message_exchange,
    received_request,
    received_thread_message,
)
from service.domain.trace_request import Stamp, TraceRequest
from service.domain.trace_thread import TraceMessage
from service.domain.trace_workflow import DEFAULT_DUE_POLICY, Side, TraceAction, TraceStatus
from service.domain.traced_item import TracedItem
from tests.builders import AGENCY_A, AGENCY_B, AGENCY_C, new_id

ASKED_AT = datetime(2026, 11, 20, 9, tzinfo=UTC)
ITEM = TracedItem(
    recovery_id=new_id(),
    item_id=new_id(),
    recovered_at=datetime(2026, 11, 1, tzinfo=UTC),
    recovery_country="FR",
    circumstances="seizure",
    description={"kind": "firearm", "serial": "FK 2231", "serial_normalized": "FK2231"},
)
CHAIN = [CustodyEventReport("sale", date(2021, 3, 15), PartyReport("Waffen Nord", "dealer", "DE"))]


def stamp(agency: UUID, hours: float = 0) -> Stamp:
    return Stamp(by=new_id(), agency_id=agency, at=ASKED_AT + timedelta(hours=hours))


def submitted() -> TraceRequest:
    request = TraceRequest.create(
        request_id=new_id(),
        requester_agency_id=AGENCY_A,
        addressee_agency_id=AGENCY_B,
        item=ITEM,
        legal_justification="Seized from a courier.",
        intended_use="Criminal investigation",
        priority="urgent",
        actor=stamp(AGENCY_A),
    )
    request.submit(stamp(AGENCY_A, 1), expected_version=1, policy=DEFAULT_DUE_POLICY)
    return request


def test_a_submission_carries_the_request_as_asked_and_the_copy_is_the_same() -> None:
    here = submitted()
    exchange = exchange_of(here, version=2, message_id=new_id())
    assert exchange.action is TraceAction.SUBMIT
    assert (exchange.sender_agency_id, exchange.recipient_agency_id) == (AGENCY_A, AGENCY_B)
    there = received_request(exchange)
    for attribute in (
        "id",
        "item",
        "status",
        "version",
        "priority",
        "created_at",
        "submitted_at",
        "acknowledge_by",
        "respond_by",
        "transitions",
    ):
        assert getattr(there, attribute) == getattr(here, attribute), attribute


def test_every_step_taken_on_one_side_is_taken_alike_on_the_other() -> None:
    here = submitted()
    there = received_request(exchange_of(here, version=2, message_id=new_id()))
    steps = [
        (AGENCY_B, lambda r, s: r.acknowledge(s, expected_version=r.version)),
        (AGENCY_B, lambda r, s: r.request_info(s, expected_version=r.version, question="Slide?")),
        (AGENCY_A, lambda r, s: r.provide_info(s, expected_version=r.version, answer="Photos")),
        (
            AGENCY_B,
            lambda r, s: r.respond(
                s,
                expected_version=r.version,
                response_id=new_id(),
                outcome="traced",
                chain_of_custody=CHAIN,
                notes=None,
            ),
        ),
        (AGENCY_A, lambda r, s: r.close(s, expected_version=r.version)),
    ]
    sides = {AGENCY_A: here, AGENCY_B: there}
    for hours, (agency, step) in enumerate(steps, start=2):
        acting, other = sides[agency], sides[AGENCY_A if agency == AGENCY_B else AGENCY_B]
        step(acting, stamp(agency, hours))
        apply_exchange(other, exchange_of(acting, version=acting.version, message_id=new_id()))
    assert here.transitions == there.transitions and here.responses == there.responses
    assert here.status is there.status is TraceStatus.CLOSED
    assert here.respond_by == there.respond_by  # the clock stopped alike while waiting
    assert here.time_to_crime_days == there.time_to_crime_days is not None


def test_a_refusal_keeps_its_response_id_on_both_sides() -> None:
    here = submitted()
    there = received_request(exchange_of(here, version=2, message_id=new_id()))
    there.decline(stamp(AGENCY_B, 3), expected_version=2, response_id=new_id(), reason="Secret")
    apply_exchange(here, exchange_of(there, version=3, message_id=new_id()))
    assert here.responses == there.responses and here.status is TraceStatus.DECLINED


def test_a_step_from_the_wrong_side_or_a_stranger_is_refused() -> None:
    here = submitted()
    there = received_request(exchange_of(here, version=2, message_id=new_id()))
    there.acknowledge(stamp(AGENCY_B, 2), expected_version=2)
    acknowledged = exchange_of(there, version=3, message_id=new_id())
    with pytest.raises(ValidationFailed, match="sender_agency_id"):
        apply_exchange(here, dataclasses.replace(acknowledged, sender_agency_id=AGENCY_A))
    with pytest.raises(ValidationFailed, match="sender_agency_id"):
        apply_exchange(here, dataclasses.replace(acknowledged, sender_agency_id=AGENCY_C))
    assert here.version == 2  # nothing taken


def test_concurrent_steps_never_overwrite_each_other() -> None:
    """The requester withdraws while the responder answers: each side refuses the
    other's step that its own state no longer allows; nothing is silently replaced."""
    here = submitted()
    there = received_request(exchange_of(here, version=2, message_id=new_id()))
    there.acknowledge(stamp(AGENCY_B, 2), expected_version=2)
    acknowledged = exchange_of(there, version=3, message_id=new_id())
    here.withdraw(stamp(AGENCY_A, 2), expected_version=2, reason="Case dropped")
    with pytest.raises(IllegalTransition):
        apply_exchange(here, acknowledged)
    apply_exchange(there, exchange_of(here, version=3, message_id=new_id()))
    assert here.status is there.status is TraceStatus.WITHDRAWN


def test_a_submission_must_come_from_the_requester_to_the_addressee() -> None:
    exchange = exchange_of(submitted(), version=2, message_id=new_id())
    forged = dataclasses.replace(exchange, sender_agency_id=AGENCY_C)
    with pytest.raises(ValidationFailed, match="request"):
        received_request(forged)


def test_every_step_but_the_drafting_travels() -> None:
    assert TraceAction.CREATE not in TRAVELLING
    assert TRAVELLING | {TraceAction.CREATE} == set(TraceAction)


def test_a_thread_message_travels_with_its_id_and_only_between_the_parties() -> None:
    here = submitted()
    there = received_request(exchange_of(here, version=2, message_id=new_id()))
    written = TraceMessage.write(
        message_id=new_id(),
        request_id=here.id,
        author_id=new_id(),
        author_agency_id=AGENCY_A,
        side=Side.REQUESTER,
        body="Any import marking?",
        now=ASKED_AT + timedelta(hours=2),
    )
    exchange = message_exchange(here, written, message_id=new_id())
    assert exchange.action is None and exchange.recipient_agency_id == AGENCY_B
    assert received_thread_message(there, exchange) == written
    with pytest.raises(ValidationFailed, match="sender_agency_id"):
        received_thread_message(there, dataclasses.replace(exchange, sender_agency_id=AGENCY_C))
    with pytest.raises(ValidationFailed, match="step"):
        apply_exchange(there, exchange)
    there.withdraw(stamp(AGENCY_A, 3), expected_version=2, reason="Dropped")
    with pytest.raises(IllegalTransition):  # a closed thread takes no more messages
        received_thread_message(there, exchange)
