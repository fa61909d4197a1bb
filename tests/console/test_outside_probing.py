"""What probing the console from outside found, and the class each finding stands for:
numbers a form sends that `int` refuses, values no page's own links send, days before
any record, and a link that lost its filters."""

from __future__ import annotations

import re

from service.domain.items import FirearmReport
from tests.console.conftest import Console
from tests.console.test_networks import same_weapon_link
from tests.console.test_recoveries import RECORDING
from tests.console.test_traces import _asked, _version
from tests.databases import AGENCIES

NOT_A_NUMBER = ["²", "9" * 5000, "-1", "1e3", ""]


async def test_a_number_a_form_sends_that_is_no_number_is_a_form_error(
    console: Console,
) -> None:
    investigator = await console.signed_in("investigator")
    await investigator.get("/recoveries/new")
    for text in NOT_A_NUMBER[:-1]:  # an empty one is no button pressed: the form is saved
        removed = await investigator.post("/recoveries/new", RECORDING | {"remove_item": text})
        assert removed.status_code == 200, (text, removed.status_code)
    huge_row = await investigator.post(
        "/recoveries/new", RECORDING | {f"items-{'9' * 5000}-serial": "X 1"}
    )
    assert huge_row.status_code in (303, 422), huge_row.status_code
    recorded = await investigator.post("/recoveries/new", RECORDING)
    path = recorded.headers["location"].split("?")[0]
    for text in NOT_A_NUMBER:
        await investigator.get(f"{path}/correct")
        answer = await investigator.post(
            f"{path}/correct",
            {**RECORDING, "version": text, "items-0-serial": "BXK 9", "reason": "re-read"},
        )
        assert answer.status_code == 422, (text, answer.status_code)

    request_path = await _asked(console, investigator, send="later")
    for text in NOT_A_NUMBER:
        await investigator.get(request_path)
        step = await investigator.post(f"{request_path}/steps/submit", {"version": text})
        assert step.status_code == 422, (text, step.status_code)


async def test_the_chain_editor_takes_only_its_own_row_numbers(console: Console) -> None:
    investigator = await console.signed_in("investigator")
    officer = await console.signed_in("tracing_officer", "b")
    request_path = await _asked(console, investigator)
    page = await officer.get(request_path)
    await officer.post(f"{request_path}/steps/acknowledge", {"version": _version(page.text)})
    form = await officer.get(f"{request_path}/respond")
    version = _version(form.text)
    for button in ("move_up", "move_down", "remove_event"):
        for text in NOT_A_NUMBER[:-1]:
            edited = await officer.post(
                f"{request_path}/respond", {"version": version, button: text}
            )
            assert edited.status_code == 200, (button, text, edited.status_code)
    answered = await officer.post(f"{request_path}/respond", {"version": "²", "outcome": "x"})
    assert answered.status_code == 422


async def test_a_value_no_page_sends_is_a_422_page_not_a_server_error(console: Console) -> None:
    investigator = await console.signed_in("investigator")
    first, link_path = await same_weapon_link(console, investigator)
    link_id = link_path.rsplit("/", 1)[1]
    for decision in (
        {"decision": "maybe"},
        {"decision": "rejected", "reason": "x" * 200_000},
    ):
        answer = await investigator.post(
            f"/network-links/{link_id}/decision", {**decision, "recovery_id": str(first.id)}
        )
        assert answer.status_code == 422, answer.status_code
        assert "text/html" in answer.headers["content-type"]

    admin = await console.signed_in("admin")
    async with console.deps.unit_of_work() as uow:
        person = await uow.users.by_username("investigator.a")
    assert person is not None
    await admin.get(f"/admin/agencies/{AGENCIES['a'][0]}")
    for agency in ({}, {"agency_id": "nope"}):
        roles = await admin.post(
            f"/admin/people/{person.id}/roles", {**agency, f"roles-{person.id}": "wizard"}
        )
        assert roles.status_code == 422, roles.status_code
    long_reason = await admin.post(f"/admin/people/{person.id}/disable", {"reason": "x" * 5000})
    assert long_reason.status_code == 422
    async with console.deps.unit_of_work() as uow:
        still = await uow.users.by_username("investigator.a")
    assert still is not None and not still.disabled


async def test_days_before_any_record_are_refused_or_ignored_not_a_server_error(
    console: Console,
) -> None:
    supervisor = await console.signed_in("supervisor")
    await supervisor.post("/account/preferences", {"language": "", "time_zone": "Asia/Tokyo"})
    for query in ("to=0001-01-01", "from=9999-12-31&to=0001-01-02", "from=0001-01-01"):
        answer = await supervisor.get(f"/statistics?{query}")
        assert answer.status_code == 200, (query, re.findall(r"error[^<]*<[^<]*", answer.text))
    listed = await supervisor.get("/recoveries?recovered_from=0001-01-01")
    assert listed.status_code == 422  # the list, with the error beside its field
    assert "lies outside the years 1900 to 2199" in listed.text
    to = await supervisor.get("/recoveries?recovered_to=0001-01-01")
    assert to.status_code == 422 and 'href="#recovered_to"' in to.text


async def test_the_next_page_keeps_every_filter_as_typed(console: Console) -> None:
    investigator = await console.signed_in("investigator")
    for n in range(26):
        await console.recorded(
            "investigator.a",
            case=f"C-{n}",
            items=[FirearmReport(serial=f"FRB {n:03}", make="Frobnic & Sons")],
        )
    first = await investigator.get("/recoveries", params={"make": "Frobnic & Sons"})
    found = re.search(r'href="(/recoveries\?[^"]*cursor=[^"]+)" rel="next"', first.text)
    assert found, first.text
    second = await investigator.get(found.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    cases = [set(re.findall(r"\bC-(\d+)\b", page.text)) for page in (first, second)]
    assert len(cases[0]) == 25 and len(cases[0] | cases[1]) == 26


async def test_a_form_the_edge_refuses_is_a_page_a_person_can_read(console: Console) -> None:
    """Refusals made before any page runs (a control character in a form or an address,
    a body too large) are the console's pages, whatever the client accepts; problem
    documents stay the API's."""
    investigator = await console.signed_in("investigator")
    await investigator.get("/recoveries/new")
    control = await investigator.post("/recoveries/new", RECORDING | {"case_reference": "NUL \x00"})
    assert control.status_code == 422
    assert control.headers["content-type"] == "text/html; charset=utf-8"
    assert "Some of the values sent are not right" in control.text
    assert "case_reference: must not contain control characters" in control.text
    large = await investigator.post(
        "/recoveries/new", RECORDING | {"location-description": "x" * 3_000_000}
    )
    assert large.status_code == 413 and "What you sent is too large" in large.text
    french = await investigator.client.post(
        "/recoveries/new",
        content=b"x" * 3_000_000,
        headers={"Accept-Language": "fr", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert "Ce que vous avez envoyé est trop volumineux" in french.text
    for address in (
        "/recoveries?case_reference=AB%005678",
        "/serial-matches?field=items-0&items-0-serial=AB%005678",
        "/recoveries?case_reference=AB%FF",
    ):
        refused = await investigator.client.get(address)
        assert refused.status_code == 422, (address, refused.text)
        assert refused.headers["content-type"] == "text/html; charset=utf-8"
        assert "This address has values that are not right" in refused.text
        assert refused.headers["x-request-id"] in refused.text
    page = {"Accept": "text/html,application/xhtml+xml"}
    api = await investigator.client.get("/api/v1/recoveries", params={"q": "\x01"}, headers=page)
    assert api.headers["content-type"] == "application/problem+json"
