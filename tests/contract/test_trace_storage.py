"""The trace-request storage contract, on memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from service.adapters.persistence.database import Database, migration_engine
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.domain.custody import CustodyEventReport, PartyReport
from service.domain.errors import StaleVersion
from service.domain.ports.tracing import Box, MessageCursor, TraceRequestCursor, TraceRequestFilter
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.recovery import Recovery
from service.domain.trace_request import Stamp, TraceRequest
from service.domain.trace_thread import AttachmentReport, TraceMessage
from service.domain.trace_workflow import DEFAULT_DUE_POLICY, Priority, Side, TraceStatus
from service.domain.traced_item import TracedItem
from tests.builders import AGENCY_A, AGENCY_B, NOW, firearm, new_id, recovery

Factory = Callable[[], UnitOfWork]
ASKER = Stamp(by=new_id(), agency_id=AGENCY_A, at=NOW)
ANSWERER = Stamp(by=new_id(), agency_id=AGENCY_B, at=NOW)


def at(stamp: Stamp, **delta: float) -> Stamp:
    return dataclasses.replace(stamp, at=stamp.at + timedelta(**delta))


async def stored_recovery(unit_of_work: Factory) -> Recovery:
    recorded = recovery(firearm(serial="АВС 123", other_markings="crown over N"))
    async with unit_of_work() as uow:
        uow.recoveries.add(recorded)
        await uow.commit()
    return recorded


def new_request(
    recovered: Recovery,
    *,
    created: datetime = NOW,
    priority: str = "routine",
    submit: bool = True,
    to: object = AGENCY_B,
) -> TraceRequest:
    stamp = dataclasses.replace(ASKER, at=created)
    request = TraceRequest.create(
        request_id=new_id(),
        requester_agency_id=AGENCY_A,
        addressee_agency_id=to,  # type: ignore[arg-type]
        item=TracedItem.of(recovered, recovered.items[0].id),
        legal_justification="Seized at the border without papers.\nCustoms case 44.",
        intended_use="Criminal proceedings",
        priority=priority,
        actor=stamp,
    )
    if submit:
        request.submit(stamp, expected_version=1, policy=DEFAULT_DUE_POLICY)
    return request


async def add(unit_of_work: Factory, *requests: TraceRequest) -> None:
    async with unit_of_work() as uow:
        for request in requests:
            uow.trace_requests.add(request)
        await uow.commit()


async def load(unit_of_work: Factory, request: TraceRequest) -> TraceRequest | None:
    async with unit_of_work() as uow:
        return await uow.trace_requests.get(request.id)


async def test_a_request_with_its_whole_history_reads_back_identical(
    unit_of_work: Factory,
) -> None:
    request = new_request(await stored_recovery(unit_of_work))
    await add(unit_of_work, request)
    assert await load(unit_of_work, request) == request

    async with unit_of_work() as uow:
        loaded = await uow.trace_requests.get(request.id)
        assert loaded is not None
        loaded.acknowledge(at(ANSWERER, hours=1), expected_version=2)
        loaded.respond(
            at(ANSWERER, days=3),
            expected_version=3,
            response_id=new_id(),
            outcome="traced",
            chain_of_custody=[
                CustodyEventReport(
                    "manufacture", date(2001, 2, 3), PartyReport("Zastava", "manufacturer", "RS")
                ),
                CustodyEventReport(
                    "sale",
                    date(2019, 1, 1),
                    PartyReport("Ivan Petrović", "retail_purchaser", "RS", "ОДО-17"),
                ),
            ],
            notes="From the 2019 register.",
        )
        uow.trace_requests.save(loaded)
        await uow.commit()
    again = await load(unit_of_work, request)
    assert again == loaded
    assert again is not None and again.item.description["serial"] == "АВС 123"
    assert again.responses[0].chain_of_custody[1].party.licence == "ОДО-17"
    assert again.time_to_crime_days == (date(2026, 11, 1) - date(2019, 1, 1)).days


async def test_a_change_based_on_an_old_version_fails_whole(unit_of_work: Factory) -> None:
    request = new_request(await stored_recovery(unit_of_work))
    await add(unit_of_work, request)
    async with unit_of_work() as first, unit_of_work() as second:
        mine = await first.trace_requests.get(request.id)
        theirs = await second.trace_requests.get(request.id)
        assert mine is not None and theirs is not None
        mine.acknowledge(at(ANSWERER, hours=1), expected_version=2)
        first.trace_requests.save(mine)
        await first.commit()
        theirs.decline(
            at(ANSWERER, hours=2), expected_version=2, response_id=new_id(), reason="confidential"
        )
        second.trace_requests.save(theirs)
        with pytest.raises(StaleVersion):
            await second.commit()
    stored = await load(unit_of_work, request)
    assert stored is not None and stored.status is TraceStatus.ACKNOWLEDGED
    assert stored.version == 3 and stored.responses == ()


async def test_boxes_filters_and_pages(unit_of_work: Factory) -> None:
    recovered = await stored_recovery(unit_of_work)
    draft = new_request(recovered, created=NOW, submit=False)
    routine = [new_request(recovered, created=NOW + timedelta(minutes=i)) for i in range(1, 6)]
    urgent = new_request(recovered, created=NOW + timedelta(minutes=10), priority="urgent")
    await add(unit_of_work, draft, *routine, urgent)

    async def ids(
        box: Box, agency: object = AGENCY_B, now: datetime = NOW, **filters: object
    ) -> list[object]:
        async with unit_of_work() as uow:
            page = await uow.trace_requests.page(
                agency_id=agency,  # type: ignore[arg-type]
                box=box,
                request_filter=TraceRequestFilter(**filters),  # type: ignore[arg-type]
                now=now,
                after=None,
                limit=50,
            )
        return [r.id for r in page.requests]

    newest_first = [urgent.id, *[r.id for r in reversed(routine)]]
    assert await ids(Box.INBOX) == newest_first  # the draft is not sent
    assert await ids(Box.OUTBOX, AGENCY_A) == [*newest_first, draft.id]
    assert await ids(Box.OUTBOX, AGENCY_B) == [] and await ids(Box.INBOX, AGENCY_A) == []
    assert await ids(Box.INBOX, priority=Priority.URGENT) == [urgent.id]
    assert await ids(Box.OUTBOX, AGENCY_A, statuses=frozenset({TraceStatus.DRAFT})) == [draft.id]
    both = frozenset({TraceStatus.DRAFT, TraceStatus.SUBMITTED})
    assert len(await ids(Box.OUTBOX, AGENCY_A, statuses=both)) == 7
    later = NOW + timedelta(hours=5)  # past the urgent request's acknowledgement
    assert await ids(Box.INBOX, now=later, overdue=True) == [urgent.id]
    assert await ids(Box.INBOX, now=later, overdue=False) == newest_first[1:]

    seen: list[object] = []
    cursor: TraceRequestCursor | None = None
    while True:
        async with unit_of_work() as uow:
            page = await uow.trace_requests.page(
                agency_id=AGENCY_B,
                box=Box.INBOX,
                request_filter=TraceRequestFilter(),
                now=NOW,
                after=cursor,
                limit=2,
            )
        seen += [r.id for r in page.requests]
        assert all(not r.history_loaded for r in page.requests)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == newest_first


async def test_owed_requests_come_earliest_deadline_first_in_both_boxes(
    unit_of_work: Factory,
) -> None:
    recovered = await stored_recovery(unit_of_work)
    draft = new_request(recovered, created=NOW, submit=False)
    routine = new_request(recovered, created=NOW)
    urgent = new_request(recovered, created=NOW + timedelta(minutes=30), priority="urgent")
    answered = new_request(recovered, created=NOW - timedelta(days=1))
    answered.decline(at(ANSWERER, hours=1), expected_version=2, response_id=new_id(), reason="x")
    await add(unit_of_work, draft, routine, urgent, answered)
    async with unit_of_work() as uow:
        inbox = await uow.trace_requests.owed(agency_id=AGENCY_B, box=Box.INBOX, limit=10)
        outbox = await uow.trace_requests.owed(agency_id=AGENCY_A, box=Box.OUTBOX, limit=10)
        first = await uow.trace_requests.owed(agency_id=AGENCY_B, box=Box.INBOX, limit=1)
        none = await uow.trace_requests.owed(agency_id=AGENCY_A, box=Box.INBOX, limit=10)
    # Urgent: acknowledged within hours; routine: within days. Drafts and answered
    # requests owe nothing.
    assert [r.id for r in inbox] == [urgent.id, routine.id]
    assert [r.id for r in outbox] == [urgent.id, routine.id]
    assert [r.id for r in first] == [urgent.id] and none == []
    assert all(not r.history_loaded for r in inbox)


async def test_facts_for_statistics(unit_of_work: Factory) -> None:
    recovered = await stored_recovery(unit_of_work)
    inside = new_request(recovered, created=datetime(2026, 3, 1, tzinfo=UTC))
    outside = new_request(recovered, created=datetime(2025, 3, 1, tzinfo=UTC))
    await add(unit_of_work, inside, outside, new_request(recovered, submit=False))
    async with unit_of_work() as uow:
        facts = await uow.trace_requests.facts(
            agency_id=AGENCY_A,
            box=Box.OUTBOX,
            submitted_from=datetime(2026, 1, 1, tzinfo=UTC),
            submitted_to=datetime(2027, 1, 1, tzinfo=UTC),
        )
        inbox = await uow.trace_requests.facts(
            agency_id=AGENCY_B,
            box=Box.INBOX,
            submitted_from=datetime(2020, 1, 1, tzinfo=UTC),
            submitted_to=datetime(2027, 1, 1, tzinfo=UTC),
        )
    assert [(f.submitted_at, f.addressee_agency_id) for f in facts] == [
        (inside.submitted_at, AGENCY_B)
    ]
    assert facts[0].respond_by == inside.respond_by and facts[0].status is TraceStatus.SUBMITTED
    assert len(inbox) == 2


async def test_a_thread_reads_in_order_page_by_page(unit_of_work: Factory) -> None:
    request = new_request(await stored_recovery(unit_of_work))
    await add(unit_of_work, request)
    messages = [
        TraceMessage.write(
            message_id=new_id(),
            request_id=request.id,
            author_id=ANSWERER.by,
            author_agency_id=AGENCY_B,
            side=Side.RESPONDER,
            body=f"message {i}\nsecond line",
            attachments=[AttachmentReport("photo.jpg", "image/jpeg", 1024 * i, "a" * 64)],
            now=NOW + timedelta(minutes=i),
        )
        for i in range(5)
    ]
    async with unit_of_work() as uow:
        for message in reversed(messages):
            uow.trace_thread.add(message)
        await uow.commit()
    read: list[TraceMessage] = []
    cursor: MessageCursor | None = None
    while True:
        async with unit_of_work() as uow:
            page = await uow.trace_thread.messages(request.id, after=cursor, limit=2)
        read += page.messages
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert read == messages


@pytest.mark.parametrize("table", ["trace_transitions", "trace_responses", "trace_messages"])
async def test_history_answers_and_threads_are_append_only(database: Database, table: str) -> None:
    def factory() -> UnitOfWork:
        return SqlUnitOfWork(database)

    request = new_request(await stored_recovery(factory))
    request.acknowledge(at(ANSWERER, hours=1), expected_version=2)
    request.decline(at(ANSWERER, hours=2), expected_version=3, response_id=new_id(), reason="no")
    await add(factory, request)
    async with factory() as uow:
        uow.trace_thread.add(
            TraceMessage.write(
                message_id=new_id(),
                request_id=request.id,
                author_id=ASKER.by,
                author_agency_id=AGENCY_A,
                side=Side.REQUESTER,
                body="why?",
                now=NOW,
            )
        )
        await uow.commit()
    engine = migration_engine(database.url)
    try:
        for statement in (
            f"UPDATE {table} SET request_id = request_id",  # noqa: S608
            f"DELETE FROM {table}",  # noqa: S608
        ):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                async with engine.begin() as connection:
                    await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()
