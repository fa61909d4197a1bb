"""The dashboard: what waits for the agency and what it waits for, overdue first and
marked, new registry hits and networks that grew since the person last looked, each only
for the roles it belongs to."""

from __future__ import annotations

from datetime import timedelta

from service.domain.trace_workflow import Priority
from service.trace_requests import RequestTrace, request_trace
from tests.console.conftest import Console
from tests.databases import AGENCIES


async def _sent(console: Console, serial: str) -> None:
    recovery = await console.recorded("investigator.a", serial)
    async with console.deps.unit_of_work() as uow:
        user = await uow.users.by_username("investigator.a")
    assert user is not None
    await request_trace(
        deps=console.deps,
        actor=user.as_actor(),
        command=RequestTrace(
            recovery_id=recovery.id,
            item_id=recovery.items[0].id,
            addressee_agency_id=AGENCIES["b"][0],
            legal_justification="Seized without papers.",
            intended_use="Criminal investigation",
            priority=Priority.URGENT.value,
            submit=True,
        ),
    )


async def test_each_side_sees_what_it_owes_and_what_it_waits_for(console: Console) -> None:
    investigator = await console.signed_in("investigator")
    officer = await console.signed_in("tracing_officer", "b")
    await _sent(console, "DAS 1000")
    mine = await investigator.get("/")
    assert "Your open trace requests" in mine.text and "DAS 1000" in mine.text
    assert "Waiting for your agency" not in mine.text
    theirs = await officer.get("/")
    assert "Waiting for your agency" in theirs.text and "DAS 1000" in theirs.text
    assert "Your open trace requests" not in theirs.text and "New registry hits" not in theirs.text
    assert "Overdue" not in theirs.text


async def test_an_overdue_request_is_marked_on_both_sides(console: Console) -> None:
    investigator = await console.signed_in("investigator")
    officer = await console.signed_in("tracing_officer", "b")
    clock = console.deps.clock
    earlier = clock.now() - timedelta(days=3)
    clock.now = lambda: earlier  # type: ignore[method-assign]
    try:
        await _sent(console, "DAS 2000")  # sent three days ago, never acknowledged
    finally:
        del clock.now  # type: ignore[method-assign]
    for browser in (investigator, officer):
        page = await browser.get("/")
        assert "tag--overdue" in page.text and "overdue" in page.text


async def test_new_registry_hits_and_grown_networks_are_shown(console: Console) -> None:
    investigator = await console.signed_in("investigator")
    await console.recorded("investigator.a", "HIT 0001", case="CASE-A")
    await console.recorded("investigator.a", "HIT 0001", case="CASE-B")
    await console.drain()
    page = await investigator.get("/")
    assert "Networks that grew since you last looked" in page.text
    assert page.text.count('<p class="figure">') == 3  # open requests, hits, networks
    await investigator.get("/networks")
    after = await investigator.get("/")
    networks = after.text.split("Networks that grew since you last looked")[1]
    assert '<p class="figure">0</p>' in networks
