"""Every route, every role, every agency: the access matrix, read from the OpenAPI document.

For each operation the app publishes: no credentials -> 401; each role without the
operation's action -> 403; a resource of another agency -> 404; a permitted role of the
owning agency -> 2xx. A route missing from REQUESTS below fails the test, so a new route
cannot ship without its row in the matrix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import pytest

from service import accounts
from service.adapters.bootstrap import outbox_worker
from service.dependencies import Dependencies
from service.domain.access import Action, Actor, ActorKind, Role
from service.domain.networks import LinkKind, recovery_ref
from service.domain.trace_workflow import Side, TraceStatus
from service.recoveries import record_recovery
from service.trace_requests import (
    Acknowledge,
    RequestInformation,
    RequestTrace,
    Respond,
    Submit,
    TraceCommand,
    act_on_trace_request,
    request_trace,
)
from tests.api.conftest import Api, recovery_body
from tests.builders import AGENCY_A, AGENCY_B, AGENCY_C, new_id
from tests.unit.test_use_cases import command

# Routes anyone may call: sign-in, health, documentation of problems and of the API.
PUBLIC = {
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/revoke"),  # possession of the refresh token is the credential
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/problems/{slug}"),
}


@dataclass
class Fixture:
    """What a request needs: resources owned by agency A, and one owned by agency B;
    and the ports, to put a fresh trace request in the state an action needs."""

    api: Api
    recovery_id: str = ""
    item_id: str = ""
    foreign_recovery_id: str = ""
    version: dict[str, int] = field(default_factory=dict)
    peer_agency_id: UUID | None = None
    # A link of agency A's recovery, and one of agency B's.
    link_id: str = ""
    foreign_link_id: str = ""
    # A service account of an agency hosted on a peer, with the federation scope.
    peer_token: str = ""


Build = Callable[[Fixture, bool, Role | None], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Example:
    """How to make a valid request; `owned` names the path parameter owned by an agency.
    `build(fixture, foreign, role)` may arrange fresh state for each call."""

    build: Build
    owned: str | None = None


def fixed(build: Callable[[Fixture, bool], dict[str, Any]]) -> Build:
    async def arranged(f: Fixture, foreign: bool, _: Role | None) -> dict[str, Any]:
        return build(f, foreign)

    return arranged


def _recovery_path(path: str) -> Build:
    def build(f: Fixture, foreign: bool) -> dict[str, Any]:
        rid = f.foreign_recovery_id if foreign else f.recovery_id
        return {"url": path.format(recovery_id=rid)}

    return fixed(build)


def _patch(f: Fixture, foreign: bool) -> dict[str, Any]:
    rid = f.foreign_recovery_id if foreign else f.recovery_id
    version = f.version.get(rid, 1)
    return {
        "url": f"/api/v1/recoveries/{rid}",
        "json": {"reason": "matrix", "case_reference": f"MATRIX-{version}"},
        "headers": {"If-Match": f'"v{version}"'},
    }


# How a request reaches each state: the steps after creation, and who takes them.
_PATH_TO: dict[TraceStatus, list[tuple[Side, TraceCommand]]] = {
    TraceStatus.DRAFT: [],
    TraceStatus.SUBMITTED: [(Side.REQUESTER, Submit())],
    TraceStatus.ACKNOWLEDGED: [(Side.REQUESTER, Submit()), (Side.RESPONDER, Acknowledge())],
    TraceStatus.INFO_REQUESTED: [
        (Side.REQUESTER, Submit()),
        (Side.RESPONDER, Acknowledge()),
        (Side.RESPONDER, RequestInformation("Which frame?")),
    ],
    TraceStatus.RESPONDED: [
        (Side.REQUESTER, Submit()),
        (Side.RESPONDER, Acknowledge()),
        (Side.RESPONDER, Respond("not_traced", [])),
    ],
}


async def trace_request_in(
    deps: Dependencies, requester: UUID, addressee: UUID, status: TraceStatus
) -> tuple[str, int]:
    """A fresh request from one agency to another, brought to `status` through the use
    cases by a supervisor of each side; its id and version."""
    asker = Actor(new_id(), ActorKind.USER, requester, frozenset({Role.SUPERVISOR}))
    answerer = Actor(new_id(), ActorKind.USER, addressee, frozenset({Role.SUPERVISOR}))
    recorded = await record_recovery(deps=deps, actor=asker, command=command())
    request = await request_trace(
        deps=deps,
        actor=asker,
        command=RequestTrace(
            recovery_id=recorded.id,
            item_id=recorded.items[0].id,
            addressee_agency_id=addressee,
            legal_justification="matrix",
            intended_use="matrix",
            priority="routine",
        ),
    )
    for side, step in _PATH_TO[status]:
        request = await act_on_trace_request(
            deps=deps,
            actor=asker if side is Side.REQUESTER else answerer,
            request_id=request.id,
            expected_version=request.version,
            command=step,
        )
    return str(request.id), request.version


def _traced(
    suffix: str,
    parties: tuple[UUID, UUID],
    status: TraceStatus,
    body: dict[str, Any] | None = None,
) -> Build:
    """A fresh request in `status` per call: between `parties`, or, for the foreign
    case, between agencies B and C, which agency A's people may not see."""

    async def build(f: Fixture, foreign: bool, _: Role | None) -> dict[str, Any]:
        requester, addressee = (AGENCY_B, AGENCY_C) if foreign else parties
        request_id, version = await trace_request_in(f.api.deps, requester, addressee, status)
        return {
            "url": f"/api/v1/trace-requests/{request_id}{suffix}",
            "json": body,
            "headers": {"If-Match": f'"v{version}"'},
        }

    return build


async def _trace_list(f: Fixture, foreign: bool, role: Role | None) -> dict[str, Any]:
    # Each side has its box: the inbox is for those who answer.
    box = "inbox" if role is Role.TRACING_OFFICER else "outbox"
    return {"url": "/api/v1/trace-requests", "params": {"box": box}}


def _static(request: dict[str, Any]) -> Build:
    return fixed(lambda f, _: request)


async def _manual_link(f: Fixture, foreign: bool, role: Role | None) -> dict[str, Any]:
    """A fresh pair of the agency's recoveries, linked into their networks, each time."""
    owner = await f.api.login("matrix.owner")
    pair = [(await f.api.record(owner, case_reference=f"M-{new_id()}")).json() for _ in "ab"]
    worker = outbox_worker(f.api.deps)
    while await worker.run_once():
        pass
    return {
        "url": "/api/v1/network-links",
        "json": {
            "kind": "manual",
            "from_recovery_id": pair[0]["id"],
            "to_recovery_id": pair[1]["id"],
            "rationale": "matrix",
        },
    }


def _link_path(f: Fixture, foreign: bool, decision: str, body: Any) -> dict[str, Any]:
    link = f.foreign_link_id if foreign else f.link_id
    return {"url": f"/api/v1/network-links/{link}/{decision}", "json": body}


# Actions no role holds: only integrations, through a scope. The matrix checks them with
# a service account holding the scope (every role is refused).
SCOPE_ONLY = {Action.FEDERATION_EXCHANGE}


def _submission(f: Fixture, _: bool) -> dict[str, Any]:
    """A trace request submitted by an agency hosted on a peer to agency A, as that
    peer's instance sends it."""
    at = "2026-11-20T09:00:00Z"
    return {
        "url": "/api/v1/federation/trace-exchanges",
        "json": {
            "schema_version": "tracedesk.trace-exchange.v1",
            "message_id": str(new_id()),
            "request_id": str(new_id()),
            "step": "submit",
            "sender_agency_id": str(f.peer_agency_id),
            "recipient_agency_id": str(AGENCY_A),
            "by": str(new_id()),
            "at": at,
            "version": 2,
            "request": {
                "requester_agency_id": str(f.peer_agency_id),
                "addressee_agency_id": str(AGENCY_A),
                "item": {
                    "recovery_id": str(new_id()),
                    "item_id": str(new_id()),
                    "recovered_at": "2026-11-01T10:30:00Z",
                    "recovery_country": "NL",
                    "circumstances": "seizure",
                    "description": {"kind": "firearm", "serial": "NL 4411"},
                },
                "legal_justification": "Seized at the port of Rotterdam.",
                "intended_use": "Criminal investigation",
                "priority": "routine",
                "created_at": at,
                "created_by": str(new_id()),
                "acknowledge_by": "2026-11-22T09:00:00Z",
                "respond_by": "2026-12-20T09:00:00Z",
            },
        },
    }


REQUESTS: dict[tuple[str, str], Example] = {
    ("POST", "/api/v1/recoveries"): Example(
        fixed(lambda f, _: {"url": "/api/v1/recoveries", "json": recovery_body()})
    ),
    ("GET", "/api/v1/recoveries"): Example(_static({"url": "/api/v1/recoveries"})),
    ("GET", "/api/v1/recoveries/{recovery_id}"): Example(
        _recovery_path("/api/v1/recoveries/{recovery_id}"), owned="recovery_id"
    ),
    ("PATCH", "/api/v1/recoveries/{recovery_id}"): Example(fixed(_patch), owned="recovery_id"),
    ("GET", "/api/v1/recoveries/{recovery_id}/history"): Example(
        _recovery_path("/api/v1/recoveries/{recovery_id}/history"), owned="recovery_id"
    ),
    ("GET", "/api/v1/search/serials"): Example(
        _static({"url": "/api/v1/search/serials", "params": {"serial": "ABC123"}})
    ),
    ("GET", "/api/v1/reference/catalogue"): Example(
        _static({"url": "/api/v1/reference/catalogue"})
    ),
    ("GET", "/api/v1/reference/unresolved"): Example(
        _static({"url": "/api/v1/reference/unresolved"})
    ),
    ("GET", "/api/v1/audit/verify"): Example(_static({"url": "/api/v1/audit/verify"})),
    ("GET", "/api/v1/audit/head"): Example(_static({"url": "/api/v1/audit/head"})),
    ("GET", "/api/v1/audit/events"): Example(_static({"url": "/api/v1/audit/events"})),
    ("POST", "/api/v1/trace-requests"): Example(
        fixed(
            lambda f, _: {
                "url": "/api/v1/trace-requests",
                "json": {
                    "recovery_id": f.recovery_id,
                    "item_id": f.item_id,
                    "addressee": {"agency_id": str(AGENCY_B)},
                    "legal_justification": "matrix",
                    "intended_use": "matrix",
                },
            }
        )
    ),
    ("GET", "/api/v1/trace-requests"): Example(_trace_list),
    ("GET", "/api/v1/trace-requests/{request_id}"): Example(
        _traced("", (AGENCY_A, AGENCY_A), TraceStatus.SUBMITTED), owned="request_id"
    ),
    ("GET", "/api/v1/trace-requests/{request_id}/messages"): Example(
        _traced("/messages", (AGENCY_A, AGENCY_A), TraceStatus.SUBMITTED), owned="request_id"
    ),
    ("POST", "/api/v1/trace-requests/{request_id}/messages"): Example(
        _traced("/messages", (AGENCY_A, AGENCY_A), TraceStatus.SUBMITTED, {"body": "matrix"}),
        owned="request_id",
    ),
    # Requester's steps on what agency A asked of B; responder's on what B asked of A.
    ("POST", "/api/v1/trace-requests/{request_id}/submit"): Example(
        _traced("/submit", (AGENCY_A, AGENCY_B), TraceStatus.DRAFT), owned="request_id"
    ),
    ("POST", "/api/v1/trace-requests/{request_id}/provide-info"): Example(
        _traced("/provide-info", (AGENCY_A, AGENCY_B), TraceStatus.INFO_REQUESTED, {"answer": "a"}),
        owned="request_id",
    ),
    ("POST", "/api/v1/trace-requests/{request_id}/withdraw"): Example(
        _traced("/withdraw", (AGENCY_A, AGENCY_B), TraceStatus.SUBMITTED, {"reason": "r"}),
        owned="request_id",
    ),
    ("POST", "/api/v1/trace-requests/{request_id}/close"): Example(
        _traced("/close", (AGENCY_A, AGENCY_B), TraceStatus.RESPONDED), owned="request_id"
    ),
    ("POST", "/api/v1/trace-requests/{request_id}/acknowledge"): Example(
        _traced("/acknowledge", (AGENCY_B, AGENCY_A), TraceStatus.SUBMITTED), owned="request_id"
    ),
    ("POST", "/api/v1/trace-requests/{request_id}/request-info"): Example(
        _traced("/request-info", (AGENCY_B, AGENCY_A), TraceStatus.ACKNOWLEDGED, {"question": "q"}),
        owned="request_id",
    ),
    ("POST", "/api/v1/trace-requests/{request_id}/respond"): Example(
        _traced(
            "/respond",
            (AGENCY_B, AGENCY_A),
            TraceStatus.ACKNOWLEDGED,
            {"outcome": "not_traced"},
        ),
        owned="request_id",
    ),
    ("POST", "/api/v1/trace-requests/{request_id}/decline"): Example(
        _traced("/decline", (AGENCY_B, AGENCY_A), TraceStatus.SUBMITTED, {"reason": "r"}),
        owned="request_id",
    ),
    ("GET", "/api/v1/stats/tracing"): Example(_static({"url": "/api/v1/stats/tracing"})),
    ("GET", "/api/v1/registries/{name}/search"): Example(
        _static({"url": "/api/v1/registries/test-registry/search", "params": {"serial": "A1"}})
    ),
    ("GET", "/api/v1/recoveries/{recovery_id}/registry-hits"): Example(
        _recovery_path("/api/v1/recoveries/{recovery_id}/registry-hits"), owned="recovery_id"
    ),
    ("POST", "/api/v1/federation/trace-exchanges"): Example(fixed(_submission)),
    ("GET", "/api/v1/recoveries/{recovery_id}/network"): Example(
        _recovery_path("/api/v1/recoveries/{recovery_id}/network"), owned="recovery_id"
    ),
    ("GET", "/api/v1/networks"): Example(_static({"url": "/api/v1/networks"})),
    ("POST", "/api/v1/network-links"): Example(_manual_link),
    ("GET", "/api/v1/recoveries/{recovery_id}/network/export"): Example(
        _recovery_path("/api/v1/recoveries/{recovery_id}/network/export"), owned="recovery_id"
    ),
    ("GET", "/api/v1/networks/path"): Example(
        fixed(
            lambda f, foreign: {
                "url": "/api/v1/networks/path",
                "params": {
                    "from": f.recovery_id,
                    "to": f.foreign_recovery_id if foreign else f.recovery_id,
                },
            }
        ),
        owned="to",
    ),
    ("POST", "/api/v1/network-links/{link_id}/confirm"): Example(
        fixed(lambda f, foreign: _link_path(f, foreign, "confirm", None)), owned="link_id"
    ),
    ("POST", "/api/v1/network-links/{link_id}/reject"): Example(
        fixed(lambda f, foreign: _link_path(f, foreign, "reject", {"reason": "matrix"})),
        owned="link_id",
    ),
}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


async def test_every_operation_is_public_or_in_the_matrix(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    for method, path, operation in operations(document):
        if (method, path) in PUBLIC:
            assert "x-tracedesk-action" not in operation, (
                f"{method} {path} is public and declares an action"
            )
            continue
        assert "x-tracedesk-action" in operation, f"{method} {path} declares no action"
        assert (method, path) in REQUESTS, f"{method} {path} is missing from the access matrix"


async def test_the_access_matrix(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    fixture = await _arrange(api)
    tokens = {role: await api.user(role.value, username=f"matrix.{role.value}") for role in Role}
    checked = 0
    for method, path, operation in operations(document):
        if (method, path) in PUBLIC:
            continue
        action = Action(operation["x-tracedesk-action"])
        example = REQUESTS[(method, path)]
        send = _sender(api, method)

        anonymous = await send(await example.build(fixture, False, None), None)
        assert anonymous.status_code == 401, (method, path, anonymous.text)

        permitted = [role for role in Role if _actor(role).may(action)]
        for role in Role:
            if role in permitted:
                continue
            refused = await send(await example.build(fixture, False, role), tokens[role])
            assert refused.status_code == 403, (method, path, role, refused.text)

        if action in SCOPE_ONLY:
            assert not permitted, f"{method} {path}: a role may {action}"
            allowed = await send(await example.build(fixture, False, None), fixture.peer_token)
            assert 200 <= allowed.status_code < 300, (method, path, allowed.text)
            checked += 1
            continue
        assert permitted, f"{method} {path}: no role may {action}"
        for role in permitted:
            allowed = await send(await example.build(fixture, False, role), tokens[role])
            assert 200 <= allowed.status_code < 300, (method, path, role, allowed.text)
            if method == "PATCH":  # the next change is made against the new version
                fixture.version[fixture.recovery_id] = int(allowed.headers["etag"].strip('"v'))
            if example.owned:
                foreign = await send(await example.build(fixture, True, role), tokens[role])
                assert foreign.status_code == 404, (method, path, role, foreign.text)
        checked += 1
    assert checked == len(REQUESTS)


def _actor(role: Role) -> Actor:
    return Actor(id=AGENCY_A, kind=ActorKind.USER, agency_id=AGENCY_A, roles=frozenset({role}))


def _sender(
    api: Api, method: str
) -> Callable[[dict[str, Any], str | None], Awaitable[httpx.Response]]:
    async def send(request: dict[str, Any], token: str | None) -> httpx.Response:
        headers = dict(request.get("headers", {}))
        if token:
            headers["Authorization"] = token
        return await api.client.request(
            method,
            request["url"],
            json=request.get("json"),
            params=request.get("params"),
            headers=headers,
        )

    return send


async def _arrange(api: Api) -> Fixture:
    own = await api.user("investigator", "a", username="matrix.owner")
    foreign = await api.user("investigator", "b", username="matrix.foreigner")
    created = (await api.record(own)).json()
    foreign_created = (await api.record(foreign)).json()
    peer_agency = await accounts.register_agency(
        deps=api.deps, name="Politie NL", country="NL", kind="police", peer="peer-nl"
    )
    account = await accounts.register_service_account(
        deps=api.deps, agency_id=peer_agency.id, name="peer-nl", scopes=["federation:exchange"]
    )
    key = await accounts.issue_api_key(deps=api.deps, service_account_id=account.id)
    signed_in = await api.client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": key.client_id,
            "client_secret": key.secret,
        },
    )
    worker = outbox_worker(api.deps)
    while await worker.run_once():  # link the recoveries into their networks
        pass
    links = {}
    async with api.deps.unit_of_work() as uow:
        for recovery in (created["id"], foreign_created["id"]):
            ref = recovery_ref(UUID(recovery))
            node = (await uow.networks.nodes([ref]))[ref]
            # Its case link touches only its own agency's nodes (the two recoveries, with
            # the same serial, are also linked to each other across agencies).
            (link,) = await uow.networks.links_touching([node.id], kinds=[LinkKind.SAME_CASE])
            links[recovery] = str(link.id)
    return Fixture(
        api=api,
        link_id=links[created["id"]],
        foreign_link_id=links[foreign_created["id"]],
        recovery_id=created["id"],
        item_id=created["items"][0]["id"],
        foreign_recovery_id=foreign_created["id"],
        peer_agency_id=peer_agency.id,
        peer_token=f"Bearer {signed_in.json()['access_token']}",
    )


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_some_permission(role: Role) -> None:
    assert any(_actor(role).may(action) for action in Action)
