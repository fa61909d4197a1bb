"""The tracing use cases against the in-memory adapters: sides, visibility, audit."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from service.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from service.dependencies import Dependencies
from service.domain.access import Actor, Role
from service.domain.custody import CustodyEventReport, PartyReport
from service.domain.errors import (
    Forbidden,
    IllegalTransition,
    NotFound,
    StaleVersion,
    ValidationFailed,
)
from service.domain.identity import Agency
from service.domain.ports.audit import AuditFilter
from service.domain.ports.tracing import Box, TraceRequestFilter
from service.domain.recovery import Recovery, RecoveryCorrection
from service.domain.trace_statistics import Period
from service.domain.trace_workflow import Side, TraceStatus
from service.recoveries import correct_recovery, record_recovery
from service.trace_requests import (
    Acknowledge,
    Close,
    Decline,
    RequestTrace,
    Respond,
    Submit,
    act_on_trace_request,
    get_trace_request,
    list_trace_requests,
    post_message,
    read_messages,
    request_trace,
)
from service.tracing_statistics import tracing_statistics
from tests.builders import (
    AGENCY_A,
    AGENCY_B,
    NOW,
    actor,
    dependencies_for_tests,
    new_id,
    record_command,
)
from tests.fakes import Clock

AGENCY_C = new_id()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> InMemoryStore:
    store = InMemoryStore()
    for agency_id, country in ((AGENCY_A, "FR"), (AGENCY_B, "BE"), (AGENCY_C, "DE")):
        store.agencies[agency_id] = Agency(agency_id, f"Agency {country}", country, "police", NOW)
    return store


@pytest.fixture
def deps(store: InMemoryStore, clock: Clock) -> Dependencies:
    return dependencies_for_tests(lambda: InMemoryUnitOfWork(store), clock=clock)


INVESTIGATOR = actor(Role.INVESTIGATOR, agency=AGENCY_A)
SUPERVISOR = actor(Role.SUPERVISOR, agency=AGENCY_A)
OFFICER = actor(Role.TRACING_OFFICER, agency=AGENCY_B)
OFFICER_2 = actor(Role.TRACING_OFFICER, agency=AGENCY_B)
INVESTIGATOR_AT_B = actor(Role.INVESTIGATOR, agency=AGENCY_B)
OFFICER_AT_A = actor(Role.TRACING_OFFICER, agency=AGENCY_A)
OUTSIDER = actor(Role.TRACING_OFFICER, Role.SUPERVISOR, agency=AGENCY_C)


async def recorded(deps: Dependencies) -> Recovery:
    return await record_recovery(deps=deps, actor=INVESTIGATOR, command=record_command("ABC 123"))


def asking(recovery: Recovery, *, submit: bool = True, priority: str = "routine") -> RequestTrace:
    return RequestTrace(
        recovery_id=recovery.id,
        item_id=recovery.items[0].id,
        addressee_agency_id=AGENCY_B,
        legal_justification="Recovered from a person without a licence.",
        intended_use="Prosecution",
        priority=priority,
        submit=submit,
    )


async def audited(deps: Dependencies, entity_id: object) -> list[str]:
    async with deps.unit_of_work() as uow:
        events = await uow.audit.events(
            AuditFilter(entity_type="trace_request", entity_id=str(entity_id)),
            after_seq=None,
            limit=100,
        )
    return [e.event.action for e in reversed(events)]


async def test_the_whole_exchange_with_its_audit_trail(deps: Dependencies) -> None:
    recovery = await recorded(deps)
    request = await request_trace(deps=deps, actor=INVESTIGATOR, command=asking(recovery))
    assert request.status is TraceStatus.SUBMITTED and request.version == 2
    steps = [
        (OFFICER, Acknowledge()),
        (
            OFFICER,
            Respond(
                "traced",
                [
                    CustodyEventReport(
                        "sale", date(2023, 5, 1), PartyReport("Armes SA", "dealer", "BE", "B-77")
                    )
                ],
                "Sold over the counter.",
            ),
        ),
        (SUPERVISOR, Close()),
    ]
    for version, (who, step) in enumerate(steps, start=2):
        request = await act_on_trace_request(
            deps=deps, actor=who, request_id=request.id, expected_version=version, command=step
        )
    assert request.status is TraceStatus.CLOSED
    assert await audited(deps, request.id) == [
        "trace_request.created",
        "trace_request.submitted",
        "trace_request.acknowledged",
        "trace_request.responded",
        "trace_request.closed",
    ]
    seen = await get_trace_request(deps=deps, actor=INVESTIGATOR, request_id=request.id)
    assert seen.time_to_crime_days == (date(2026, 11, 1) - date(2023, 5, 1)).days
    assert [t.action.value for t in seen.transitions] == [
        "create",
        "submit",
        "acknowledge",
        "respond",
        "close",
    ]


async def test_the_request_keeps_the_item_as_it_was_sent(deps: Dependencies) -> None:
    recovery = await recorded(deps)
    request = await request_trace(deps=deps, actor=INVESTIGATOR, command=asking(recovery))
    await correct_recovery(
        deps=deps,
        actor=INVESTIGATOR,
        recovery_id=recovery.id,
        expected_version=1,
        correction=RecoveryCorrection(item_changes={recovery.items[0].id: {"serial": "ABC 128"}}),
        reason="re-read",
    )
    seen = await get_trace_request(deps=deps, actor=OFFICER, request_id=request.id)
    assert seen.item.description["serial"] == "ABC 123"


async def test_only_an_own_recovery_can_be_traced_and_only_to_a_known_agency(
    deps: Dependencies,
) -> None:
    recovery = await recorded(deps)
    foreign = actor(Role.INVESTIGATOR, agency=AGENCY_C)
    with pytest.raises(ValidationFailed) as failed:
        await request_trace(deps=deps, actor=foreign, command=asking(recovery))
    assert failed.value.problems[0].field == "recovery_id"
    unknown = dataclasses.replace(asking(recovery), addressee_agency_id=new_id())
    with pytest.raises(ValidationFailed) as failed:
        await request_trace(deps=deps, actor=INVESTIGATOR, command=unknown)
    assert failed.value.problems[0].field == "addressee.agency_id"
    wrong_item = dataclasses.replace(asking(recovery), item_id=new_id())
    with pytest.raises(ValidationFailed):
        await request_trace(deps=deps, actor=INVESTIGATOR, command=wrong_item)
    with pytest.raises(Forbidden):
        await request_trace(deps=deps, actor=OFFICER_AT_A, command=asking(recovery))


async def test_each_side_acts_for_itself_and_nobody_else_sees_the_request(
    deps: Dependencies,
) -> None:
    request = await request_trace(
        deps=deps, actor=INVESTIGATOR, command=asking(await recorded(deps))
    )

    async def ack(who: Actor) -> object:
        return await act_on_trace_request(
            deps=deps, actor=who, request_id=request.id, expected_version=2, command=Acknowledge()
        )

    with pytest.raises(Forbidden):  # an investigator does not answer traces
        await ack(INVESTIGATOR)
    for outsider in (OUTSIDER, OFFICER_AT_A):  # another agency; the requester's own officer
        with pytest.raises(NotFound):
            await ack(outsider)
        with pytest.raises(NotFound):
            await get_trace_request(deps=deps, actor=outsider, request_id=request.id)
    with pytest.raises(NotFound):  # investigators of the addressee do not see its inbox
        await get_trace_request(deps=deps, actor=INVESTIGATOR_AT_B, request_id=request.id)
    with pytest.raises(Forbidden):  # the responder cannot withdraw the request
        await act_on_trace_request(
            deps=deps,
            actor=actor(Role.SUPERVISOR, agency=AGENCY_B),
            request_id=request.id,
            expected_version=2,
            command=Submit(),
        )
    acknowledged = await ack(OFFICER)
    assert acknowledged is not None


async def test_a_draft_stays_with_the_requester(deps: Dependencies) -> None:
    draft = await request_trace(
        deps=deps, actor=INVESTIGATOR, command=asking(await recorded(deps), submit=False)
    )
    with pytest.raises(NotFound):
        await get_trace_request(deps=deps, actor=OFFICER, request_id=draft.id)
    inbox = await list_trace_requests(
        deps=deps,
        actor=OFFICER,
        box=Box.INBOX,
        request_filter=TraceRequestFilter(),
        after=None,
        limit=50,
    )
    assert inbox.requests == []
    with pytest.raises(IllegalTransition) as refused:
        await post_message(deps=deps, actor=INVESTIGATOR, request_id=draft.id, body="hello")
    assert refused.value.status == "draft"


async def test_two_officers_answering_at_once_one_wins(deps: Dependencies) -> None:
    request = await request_trace(
        deps=deps, actor=INVESTIGATOR, command=asking(await recorded(deps))
    )
    await act_on_trace_request(
        deps=deps, actor=OFFICER, request_id=request.id, expected_version=2, command=Acknowledge()
    )
    await act_on_trace_request(
        deps=deps,
        actor=OFFICER,
        request_id=request.id,
        expected_version=3,
        command=Respond("not_traced", []),
    )
    with pytest.raises(StaleVersion):
        await act_on_trace_request(
            deps=deps,
            actor=OFFICER_2,
            request_id=request.id,
            expected_version=3,
            command=Decline("Confidential"),
        )
    assert (await get_trace_request(deps=deps, actor=OFFICER, request_id=request.id)).outcome


async def test_views_and_inbox_lists_by_the_other_agency_are_recorded(
    deps: Dependencies,
) -> None:
    request = await request_trace(
        deps=deps, actor=INVESTIGATOR, command=asking(await recorded(deps))
    )
    await get_trace_request(deps=deps, actor=INVESTIGATOR, request_id=request.id)
    assert "trace_request.viewed" not in await audited(deps, request.id)
    await get_trace_request(deps=deps, actor=OFFICER, request_id=request.id)
    assert (await audited(deps, request.id)).count("trace_request.viewed") == 1
    await list_trace_requests(
        deps=deps,
        actor=OFFICER,
        box=Box.INBOX,
        request_filter=TraceRequestFilter(),
        after=None,
        limit=10,
    )
    assert await audited(deps, "inbox") == ["trace_requests.listed"]


async def test_overdue_requests_are_visible_to_both_sides(deps: Dependencies, clock: Clock) -> None:
    recovery = await recorded(deps)
    urgent = await request_trace(
        deps=deps, actor=INVESTIGATOR, command=asking(recovery, priority="urgent")
    )
    await request_trace(deps=deps, actor=INVESTIGATOR, command=asking(recovery))
    clock.moment = NOW + timedelta(hours=5)  # past the urgent acknowledgement (4 hours)
    for who, box in ((INVESTIGATOR, Box.OUTBOX), (OFFICER, Box.INBOX)):
        page = await list_trace_requests(
            deps=deps,
            actor=who,
            box=box,
            request_filter=TraceRequestFilter(overdue=True),
            after=None,
            limit=50,
        )
        assert [r.id for r in page.requests] == [urgent.id]
        assert page.requests[0].overdue(clock.moment)
    with pytest.raises(Forbidden):  # an investigator has no inbox
        await list_trace_requests(
            deps=deps,
            actor=INVESTIGATOR,
            box=Box.INBOX,
            request_filter=TraceRequestFilter(),
            after=None,
            limit=50,
        )


async def test_the_thread_between_the_two_sides(deps: Dependencies) -> None:
    request = await request_trace(
        deps=deps, actor=INVESTIGATOR, command=asking(await recorded(deps))
    )
    await post_message(deps=deps, actor=OFFICER, request_id=request.id, body="Which frame?")
    await post_message(deps=deps, actor=INVESTIGATOR, request_id=request.id, body="The lower.")
    with pytest.raises(NotFound):
        await post_message(deps=deps, actor=OUTSIDER, request_id=request.id, body="hi")
    page = await read_messages(
        deps=deps, actor=INVESTIGATOR, request_id=request.id, after=None, limit=1
    )
    assert [m.side for m in page.messages] == [Side.RESPONDER] and page.next_cursor
    rest = await read_messages(
        deps=deps, actor=OFFICER, request_id=request.id, after=page.next_cursor, limit=10
    )
    assert [m.body for m in rest.messages] == ["The lower."]
    assert (await audited(deps, request.id)).count("trace_message.posted") == 2


async def test_supervisors_see_figures_for_their_agency(deps: Dependencies) -> None:
    request = await request_trace(
        deps=deps, actor=INVESTIGATOR, command=asking(await recorded(deps))
    )
    await act_on_trace_request(
        deps=deps, actor=OFFICER, request_id=request.id, expected_version=2, command=Acknowledge()
    )
    span = {
        "submitted_from": datetime(2026, 1, 1, tzinfo=UTC),
        "submitted_to": datetime(2027, 1, 1, tzinfo=UTC),
        "period": Period.YEAR,
    }
    figures = await tracing_statistics(deps=deps, actor=SUPERVISOR, box=Box.OUTBOX, **span)
    assert [(f.responding_agency_id, f.submitted) for f in figures] == [(AGENCY_B, 1)]
    assert figures[0].time_to_acknowledge.count == 1
    assert await tracing_statistics(deps=deps, actor=SUPERVISOR, box=Box.INBOX, **span) == []
    with pytest.raises(Forbidden):
        await tracing_statistics(deps=deps, actor=INVESTIGATOR, box=Box.OUTBOX, **span)
