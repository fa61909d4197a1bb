"""Every console route, derived from the console's routers: nobody reaches one without a
session, no form is taken without its token, and another agency's identifiers are
answered exactly as identifiers that exist nowhere (the same status, nothing of the
record), whatever the caller's roles."""

from __future__ import annotations

import re
from uuid import UUID, uuid4

import pytest

from service import accounts
from service.adapters.console.app import ROUTERS
from service.domain.trace_workflow import Priority
from service.item_photos import AttachPhoto, attach_photo
from service.trace_requests import RequestTrace, request_trace
from tests.console.conftest import PASSWORD, Console
from tests.databases import AGENCIES
from tests.pictures import png

ROUTES = sorted(
    (method, route.path)
    for router in ROUTERS
    for route in router.routes
    for method in route.methods  # type: ignore[attr-defined]
)
OPEN = {("GET", "/sign-in"), ("POST", "/sign-in"), ("POST", "/language")}


def _filled(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


async def _agency_a_records(console: Console) -> dict[str, str]:
    """One of everything of agency A, by the name of the path parameter naming it."""
    investigator = await console.signed_in("investigator")  # of agency A
    first = await console.recorded("investigator.a", "ACC 1000", case="CASE-SECRET-A")
    await console.recorded("investigator.a", "ACC 1000", case="CASE-SECRET-A2")
    await console.drain()
    async with console.deps.unit_of_work() as uow:
        user = await uow.users.by_username("investigator.a")
    assert user is not None
    request = await request_trace(
        deps=console.deps,
        actor=user.as_actor(),
        command=RequestTrace(
            recovery_id=first.id,
            item_id=first.items[0].id,
            addressee_agency_id=AGENCIES["b"][0],
            legal_justification="Seized.",
            intended_use="Investigation",
            priority=Priority.ROUTINE.value,
            submit=True,
        ),
    )
    photo = await attach_photo(
        deps=console.deps,
        actor=user.as_actor(),
        command=AttachPhoto(first.id, first.items[0].id, png(), caption="CASE-SECRET-A"),
    )
    account = await accounts.register_service_account(
        deps=console.deps, agency_id=AGENCIES["a"][0], name="lab", scopes=["recoveries:read"]
    )
    key = await accounts.issue_api_key(deps=console.deps, service_account_id=account.id)
    graph = await investigator.get(f"/recoveries/{first.id}/network")
    link = re.search(r"/network/links/([0-9a-f-]{36})", graph.text)
    assert link
    return {
        "recovery_id": str(first.id),
        "item_id": str(first.items[0].id),
        "request_id": str(request.id),
        "step": "acknowledge",
        "link_id": link.group(1),
        "photo_id": str(photo.id),
        "agency_id": str(AGENCIES["a"][0]),
        "user_id": str(user.id),
        "service_account_id": str(account.id),
        "public_id": key.client_id,
    }


def _unknown(ids: dict[str, str]) -> dict[str, str]:
    return {
        name: "acknowledge"
        if name == "step"
        else "tdk_unknownkey"
        if name == "public_id"
        else str(uuid4())
        for name in ids
    }


async def test_every_route_but_signing_in_needs_a_session(console: Console) -> None:
    anonymous = console.browser()
    named = ("recovery_id", "item_id", "request_id", "link_id", "photo_id")
    ids = {name: str(UUID(int=1)) for name in named}
    ids |= {"step": "acknowledge", "agency_id": str(UUID(int=2)), "user_id": str(UUID(int=3))}
    ids |= {"service_account_id": str(UUID(int=4)), "public_id": "tdk_x"}
    for method, path in ROUTES:
        if (method, path) in OPEN:
            continue
        answer = await anonymous.client.request(method, _filled(path, ids))
        assert answer.status_code == 303, (method, path, answer.status_code)
        assert answer.headers["location"].startswith("/sign-in"), (method, path)


async def test_no_form_is_taken_without_its_token(console: Console) -> None:
    person = await console.signed_in("supervisor")
    ids = _unknown(
        dict.fromkeys(("recovery_id", "item_id", "request_id", "link_id", "photo_id"), "")
    )
    ids |= _unknown(dict.fromkeys(("step", "agency_id", "user_id", "service_account_id"), ""))
    ids |= {"public_id": "tdk_x"}
    for method, path in ROUTES:
        if method != "POST" or (method, path) in OPEN:
            continue
        answer = await person.client.post(_filled(path, ids), data={"version": "1"})
        assert answer.status_code == 403, (path, answer.status_code)
        assert "This form could not be accepted" in answer.text


@pytest.mark.parametrize("roles", [["supervisor", "admin"], ["tracing_officer"], ["auditor"]])
async def test_another_agencys_identifiers_are_answered_as_unknown_ones(
    console: Console, roles: list[str]
) -> None:
    theirs = await _agency_a_records(console)
    await accounts.register_user(
        deps=console.deps,
        agency_id=AGENCIES["c"][0],
        username="outsider.c",
        display_name="Outsider",
        roles=roles,
        password=PASSWORD,
    )
    outsider = console.browser()
    await outsider.get("/sign-in")
    await outsider.post("/sign-in", {"username": "outsider.c", "password": PASSWORD})
    await outsider.get("/account")
    unknown = _unknown(theirs)
    form = {"version": "2", "reason": "x", "decision": "confirmed", "recovery_id": str(uuid4())}
    for method, path in ROUTES:
        if "{" not in path:
            continue
        answers = []
        for ids in (theirs, unknown):
            if method == "GET":
                answers.append(await outsider.client.get(_filled(path, ids)))
            else:
                answers.append(await outsider.post(_filled(path, ids), form))
        foreign, absent = answers
        assert foreign.status_code == absent.status_code, (path, roles, foreign.status_code)
        assert foreign.status_code in (403, 404), (path, roles, foreign.status_code)
        assert "CASE-SECRET-A" not in foreign.text, (path, roles)
