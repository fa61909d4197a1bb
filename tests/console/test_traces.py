"""Trace requests in the console, across two agencies: asked for from a recovery's item,
found in the addressee's inbox by deadline, asked about, answered with a chain of
custody edited row by row; each step only for the side and role the workflow names."""

from __future__ import annotations

import re
from uuid import UUID

from service.recoveries import record_recovery
from tests.builders import record_command
from tests.console.conftest import Browser, Console
from tests.databases import AGENCIES

CHAIN = {
    "outcome": "traced",
    "events-0-kind": "manufacture",
    "events-0-date": "2019-03-01",
    "events-0-party-name": "Glock GmbH",
    "events-0-party-role": "manufacturer",
    "events-0-party-country": "AT",
    "events-1-kind": "sale",
    "events-1-date": "2021-06-15",
    "events-1-party-name": "Waffen Nord GmbH",
    "events-1-party-role": "dealer",
    "events-1-party-country": "DE",
    "events-1-party-licence": "HH-WH-0231",
}


async def _recovery(console: Console, username: str, serial: str = "BXK 472") -> tuple[UUID, UUID]:
    async with console.deps.unit_of_work() as uow:
        user = await uow.users.by_username(username)
    assert user is not None
    recovery = await record_recovery(
        deps=console.deps, actor=user.as_actor(), command=record_command(serial)
    )
    return recovery.id, recovery.items[0].id


async def _asked(console: Console, investigator: Browser, *, send: str = "now") -> str:
    recovery_id, item_id = await _recovery(console, "investigator.a")
    path = f"/recoveries/{recovery_id}/items/{item_id}/trace"
    form = await investigator.get(path)
    assert "Agency to ask" in form.text
    asked = await investigator.post(
        path,
        {
            "addressee-agency_id": str(AGENCIES["b"][0]),
            "legal_justification": "Recovered at a shooting; possession without licence.",
            "intended_use": "Criminal investigation",
            "priority": "urgent",
            "send": send,
        },
    )
    assert asked.status_code == 303, asked.text
    return str(asked.headers["location"])


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found
    return found.group(1)


async def _step(browser: Browser, path: str, step: str, **text: str) -> int:
    page = await browser.get(path)
    response = await browser.post(f"{path}/steps/{step}", {"version": _version(page.text), **text})
    return response.status_code


async def test_a_request_goes_from_the_investigator_to_the_officer_and_back_answered(
    console: Console,
) -> None:
    investigator = await console.signed_in("investigator")
    officer = await console.signed_in("tracing_officer", "b")
    path = await _asked(console, investigator)

    inbox = await officer.get("/traces")
    owed = inbox.text.split("All requests")[0]
    assert path in owed and "Urgent" in owed and "BXK 472" in owed
    page = await officer.get(path)
    assert '/steps/acknowledge"' in page.text and '/steps/decline"' in page.text
    assert "/steps/request-info" not in page.text and "/steps/withdraw" not in page.text
    assert f"{path}/respond" not in page.text  # acknowledged first
    assert await _step(officer, path, "acknowledge") == 303
    assert f"{path}/respond" in (await officer.get(path)).text
    asked = await _step(
        officer, path, "request-info", **{"request-info-question": "Photos of the frame, please."}
    )
    assert asked == 303
    seen = await investigator.get(path)
    assert "Photos of the frame, please." in seen.text and "/steps/provide-info" in seen.text
    provided = await _step(
        investigator, path, "provide-info", **{"provide-info-answer": "Sent by courier today."}
    )
    assert provided == 303

    form = await officer.get(f"{path}/respond")
    version = _version(form.text)
    incomplete = await officer.post(
        f"{path}/respond", CHAIN | {"version": version, "events-1-party-role": ""}
    )
    assert incomplete.status_code == 422
    assert 'href="#events-1-party-role"' in incomplete.text
    answered = await officer.post(f"{path}/respond", CHAIN | {"version": version})
    assert answered.status_code == 303, answered.text

    result = await investigator.get(path)
    assert "Responded" in result.text and "Waffen Nord GmbH" in result.text
    assert "HH-WH-0231" in result.text and re.search(
        r"Manufacture</strong>, Mar 1, 2019", result.text
    )


async def test_the_chain_editor_adds_moves_and_removes_rows_without_sending(
    console: Console,
) -> None:
    investigator = await console.signed_in("investigator")
    officer = await console.signed_in("tracing_officer", "b")
    path = await _asked(console, investigator)
    early = await officer.client.get(f"{path}/respond")
    assert early.status_code == 409  # not acknowledged yet
    assert await _step(officer, path, "acknowledge") == 303
    form = await officer.get(f"{path}/respond")
    version = _version(form.text)
    added = await officer.post(f"{path}/respond", CHAIN | {"version": version, "add_event": "1"})
    assert 'name="events-2-kind"' in added.text
    moved = await officer.post(f"{path}/respond", CHAIN | {"version": version, "move_up": "1"})
    first = moved.text.index('value="Waffen Nord GmbH"')
    assert first < moved.text.index('value="Glock GmbH"')
    removed = await officer.post(
        f"{path}/respond", CHAIN | {"version": version, "remove_event": "0"}
    )
    assert 'value="Glock GmbH"' not in removed.text and 'name="events-1-kind"' not in removed.text
    partial = await officer.client.post(
        f"{path}/respond",
        data={"csrf_token": officer.token, **CHAIN, "version": version, "add_event": "1"},
        headers={"HX-Request": "true"},
    )
    assert partial.text.lstrip().startswith('<div id="chain">') and "<html" not in partial.text
    page = await officer.get(path)
    assert "Responded" not in page.text and "Acknowledged" in page.text  # nothing was sent


async def test_a_draft_stays_with_the_requester_until_it_is_sent(console: Console) -> None:
    investigator = await console.signed_in("investigator")
    officer = await console.signed_in("tracing_officer", "b")
    path = await _asked(console, investigator, send="later")
    assert (await officer.client.get(path)).status_code == 404
    assert path not in (await officer.get("/traces")).text
    assert await _step(investigator, path, "submit") == 303
    assert (await officer.client.get(path)).status_code == 200


async def test_a_third_agency_and_the_wrong_side_get_nothing(console: Console) -> None:
    investigator = await console.signed_in("investigator")
    officer = await console.signed_in("tracing_officer", "b")
    outsider = await console.signed_in("tracing_officer", "c")
    path = await _asked(console, investigator)
    page = await outsider.client.get(path)
    assert page.status_code == 404 and "Page not found" in page.text
    await outsider.get("/traces")
    refused = await outsider.post(f"{path}/steps/acknowledge", {"version": "2"})
    assert refused.status_code == 404
    assert (await outsider.client.get(f"{path}/respond")).status_code == 404
    wrong_side = await investigator.post(f"{path}/steps/acknowledge", {"version": "2"})
    assert wrong_side.status_code == 403
    assert (await investigator.client.get(f"{path}/respond")).status_code == 403
    assert await _step(officer, path, "acknowledge") == 303


async def test_a_step_on_an_old_version_or_without_its_text_is_refused(
    console: Console,
) -> None:
    investigator = await console.signed_in("investigator")
    officer = await console.signed_in("tracing_officer", "b")
    path = await _asked(console, investigator)
    page = await officer.get(path)
    old = _version(page.text)
    await officer.post(f"{path}/steps/acknowledge", {"version": old})
    stale = await officer.post(f"{path}/steps/acknowledge", {"version": old})
    assert stale.status_code == 409 and "Someone changed this in the meantime" in stale.text
    await officer.get(path)
    empty = await officer.post(f"{path}/steps/decline", {"version": str(int(old) + 1)})
    assert empty.status_code == 422 and 'href="#decline-reason"' in empty.text


async def test_messages_are_written_on_the_thread(console: Console) -> None:
    investigator = await console.signed_in("investigator")
    officer = await console.signed_in("tracing_officer", "b")
    path = await _asked(console, investigator)
    await investigator.get(path)
    empty = await investigator.post(f"{path}/messages", {"message-body": "  "})
    assert empty.status_code == 422 and 'href="#message-body"' in empty.text
    sent = await investigator.post(f"{path}/messages", {"message-body": "Any news?"})
    assert sent.status_code == 303
    assert "Any news?" in (await officer.get(path)).text
