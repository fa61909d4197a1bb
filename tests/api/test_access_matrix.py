"""Every route, every role, every agency: the access matrix, read from the OpenAPI document.

For each operation the app publishes: no credentials -> 401; each role without the
operation's action -> 403; a resource of another agency -> 404; a permitted role of the
owning agency -> 2xx. A route missing from REQUESTS below fails the test, so a new route
cannot ship without its row in the matrix.

And no existence oracle: every identifier a route takes (in its path, query or body) is
either the one the route's example owns, asked for as another agency's and as nobody's
by every role, which must get the same answer, or named in NOT_OWNED with the reason it
tells nothing. A new identifier fails the test until it is one or the other.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from uuid import UUID

import httpx
import pytest

from service import accounts
from service.adapters.bootstrap import outbox_worker
from service.dependencies import Dependencies
from service.domain.access import Action, Actor, ActorKind, Role
from service.domain.imports import ImportFormat, ImportSource
from service.domain.networks.links import LinkKind
from service.domain.networks.nodes import recovery_ref
from service.domain.trace_workflow import Side, TraceStatus
from service.item_photos import AttachPhoto, attach_photo
from service.recoveries import record_recovery
from service.recovery_import import queue_import
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
from tests.api import exchanges
from tests.api.conftest import Api, recovery_body
from tests.builders import AGENCY_A, AGENCY_B, AGENCY_C, new_id, record_command
from tests.pictures import png

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
    foreign_item_id: str = ""
    version: dict[str, int] = field(default_factory=dict)
    peer_agency_id: UUID | None = None
    # A link of agency A's recovery, and one of agency B's.
    link_id: str = ""
    foreign_link_id: str = ""
    # A service account of an agency hosted on a peer, with the federation scope.
    peer_token: str = ""
    # An import of agency A, and one of agency B.
    import_id: str = ""
    foreign_import_id: str = ""
    # A photo of agency A's recovery's item, and one of agency B's.
    photo_id: str = ""
    foreign_photo_id: str = ""


class Target(Enum):
    """Whose resource a request names: the caller's agency's, another agency's, nobody's."""

    OWN = "own"
    FOREIGN = "foreign"
    UNKNOWN = "unknown"


Build = Callable[[Fixture, Target, Role | None], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Example:
    """How to make a valid request; `owned` names the identifier (path, query or body)
    of a resource owned by an agency. `build(fixture, target, role)` may arrange fresh
    state for each call."""

    build: Build
    owned: str | None = None


def fixed(build: Callable[[Fixture, Target], dict[str, Any]]) -> Build:
    async def arranged(f: Fixture, target: Target, _: Role | None) -> dict[str, Any]:
        return build(f, target)

    return arranged


def _recovery(f: Fixture, target: Target) -> str:
    return {
        Target.OWN: f.recovery_id,
        Target.FOREIGN: f.foreign_recovery_id,
        Target.UNKNOWN: str(new_id()),
    }[target]


def _recovery_path(path: str) -> Build:
    def build(f: Fixture, target: Target) -> dict[str, Any]:
        return {"url": path.format(recovery_id=_recovery(f, target))}

    return fixed(build)


def _patch(f: Fixture, target: Target) -> dict[str, Any]:
    rid = _recovery(f, target)
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
    recorded = await record_recovery(deps=deps, actor=asker, command=record_command())
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

    async def build(f: Fixture, target: Target, _: Role | None) -> dict[str, Any]:
        if target is Target.UNKNOWN:
            request_id, version = str(new_id()), 1
        else:
            requester, addressee = (AGENCY_B, AGENCY_C) if target is Target.FOREIGN else parties
            request_id, version = await trace_request_in(f.api.deps, requester, addressee, status)
        return {
            "url": f"/api/v1/trace-requests/{request_id}{suffix}",
            "json": body,
            "headers": {"If-Match": f'"v{version}"'},
        }

    return build


async def _trace_list(f: Fixture, target: Target, role: Role | None) -> dict[str, Any]:
    # Each side has its box: the inbox is for those who answer.
    box = "inbox" if role is Role.TRACING_OFFICER else "outbox"
    return {"url": "/api/v1/trace-requests", "params": {"box": box}}


def _import_path(suffix: str) -> Build:
    def build(f: Fixture, target: Target) -> dict[str, Any]:
        job = {
            Target.OWN: f.import_id,
            Target.FOREIGN: f.foreign_import_id,
            Target.UNKNOWN: str(new_id()),
        }[target]
        return {"url": f"/api/v1/imports/{job}{suffix}"}

    return fixed(build)


IMPORTED = (
    "recovery_key,case_reference,recovered_at,location_description,location_country,"
    "circumstances,serial\r\nM-1,MATRIX,2026-01-01T00:00:00Z,Paris,FR,seizure,M 1\r\n"
)


async def queued_import(deps: Dependencies, agency: UUID) -> str:
    """An import of the agency, queued (its job is never run here)."""
    actor = Actor(new_id(), ActorKind.USER, agency, frozenset({Role.SUPERVISOR}))
    source = ImportSource("matrix.csv", ImportFormat.CSV, len(IMPORTED), "0" * 64)
    job = await queue_import(
        deps=deps, actor=actor, source=source, all_or_nothing=False, mapping=None
    )
    return str(job.id)


def _static(request: dict[str, Any]) -> Build:
    return fixed(lambda f, _: request)


async def _manual_link(f: Fixture, target: Target, role: Role | None) -> dict[str, Any]:
    """A fresh pair of the agency's recoveries, linked into their networks, each time;
    or one of them and another agency's recovery, or nobody's."""
    owner = await f.api.login("matrix.owner")
    pair = [(await f.api.record(owner, case_reference=f"M-{new_id()}")).json() for _ in "ab"]
    worker = outbox_worker(f.api.deps)
    while await worker.run_once():
        pass
    to = pair[1]["id"] if target is Target.OWN else _recovery(f, target)
    return {
        "url": "/api/v1/network-links",
        "json": {
            "kind": "manual",
            "from_recovery_id": pair[0]["id"],
            "to_recovery_id": to,
            "rationale": "matrix",
        },
    }


def _link_path(f: Fixture, target: Target, decision: str, body: Any) -> dict[str, Any]:
    link = {
        Target.OWN: f.link_id,
        Target.FOREIGN: f.foreign_link_id,
        Target.UNKNOWN: str(new_id()),
    }[target]
    return {"url": f"/api/v1/network-links/{link}/{decision}", "json": body}


# Actions no role holds: only integrations, through a scope. The matrix checks them with
# a service account holding the scope (every role is refused).
SCOPE_ONLY = {Action.FEDERATION_EXCHANGE}


async def _exchange(f: Fixture, target: Target, _: Role | None) -> dict[str, Any]:
    """A trace request submitted by an agency hosted on a peer to agency A, as that
    peer's instance sends it; or a step on a request between agencies of this instance,
    which the peer has no part in, or on none."""
    url = "/api/v1/federation/trace-exchanges"
    assert f.peer_agency_id is not None
    if target is Target.OWN:
        return {"url": url, "json": exchanges.submission(f.peer_agency_id)}
    if target is Target.FOREIGN:
        request_id, _ = await trace_request_in(
            f.api.deps, AGENCY_A, AGENCY_B, TraceStatus.SUBMITTED
        )
    else:
        request_id = str(new_id())
    return {"url": url, "json": exchanges.step(f.peer_agency_id, request_id, "withdraw")}


def _trace_request(f: Fixture, target: Target) -> dict[str, Any]:
    recovery, item = {
        Target.OWN: (f.recovery_id, f.item_id),
        Target.FOREIGN: (f.foreign_recovery_id, f.foreign_item_id),
        Target.UNKNOWN: (str(new_id()), str(new_id())),
    }[target]
    return {
        "url": "/api/v1/trace-requests",
        "json": {
            "recovery_id": recovery,
            "item_id": item,
            "addressee": {"agency_id": str(AGENCY_B)},
            "legal_justification": "matrix",
            "intended_use": "matrix",
        },
    }


def _photo_upload(f: Fixture, target: Target) -> dict[str, Any]:
    recovery, item = {
        Target.OWN: (f.recovery_id, f.item_id),
        Target.FOREIGN: (f.foreign_recovery_id, f.foreign_item_id),
        Target.UNKNOWN: (str(new_id()), str(new_id())),
    }[target]
    return {
        "url": f"/api/v1/recoveries/{recovery}/items/{item}/photos",
        "files": {"photo": ("marking.png", png(), "image/png")},
    }


def _photo_path(suffix: str) -> Build:
    def build(f: Fixture, target: Target) -> dict[str, Any]:
        recovery, photo = {
            Target.OWN: (f.recovery_id, f.photo_id),
            Target.FOREIGN: (f.foreign_recovery_id, f.foreign_photo_id),
            Target.UNKNOWN: (str(new_id()), str(new_id())),
        }[target]
        return {"url": f"/api/v1/recoveries/{recovery}/photos/{photo}{suffix}"}

    return fixed(build)


async def attached_photo(deps: Dependencies, recovery: dict[str, Any], agency: UUID) -> str:
    """A photo of the recovery's first item, attached by a supervisor of its agency."""
    actor = Actor(new_id(), ActorKind.USER, agency, frozenset({Role.SUPERVISOR}))
    command = AttachPhoto(UUID(recovery["id"]), UUID(recovery["items"][0]["id"]), png())
    return str((await attach_photo(deps=deps, actor=actor, command=command)).id)


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
    ("POST", "/api/v1/trace-requests"): Example(fixed(_trace_request), owned="recovery_id"),
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
    ("POST", "/api/v1/federation/trace-exchanges"): Example(_exchange, owned="request_id"),
    ("GET", "/api/v1/recoveries/{recovery_id}/network"): Example(
        _recovery_path("/api/v1/recoveries/{recovery_id}/network"), owned="recovery_id"
    ),
    ("GET", "/api/v1/networks"): Example(_static({"url": "/api/v1/networks"})),
    ("POST", "/api/v1/network-links"): Example(_manual_link, owned="to_recovery_id"),
    ("GET", "/api/v1/recoveries/{recovery_id}/network/export"): Example(
        _recovery_path("/api/v1/recoveries/{recovery_id}/network/export"), owned="recovery_id"
    ),
    ("GET", "/api/v1/networks/path"): Example(
        fixed(
            lambda f, target: {
                "url": "/api/v1/networks/path",
                "params": {"from": f.recovery_id, "to": _recovery(f, target)},
            }
        ),
        owned="to",
    ),
    ("POST", "/api/v1/network-links/{link_id}/confirm"): Example(
        fixed(lambda f, target: _link_path(f, target, "confirm", None)), owned="link_id"
    ),
    ("POST", "/api/v1/network-links/{link_id}/reject"): Example(
        fixed(lambda f, target: _link_path(f, target, "reject", {"reason": "matrix"})),
        owned="link_id",
    ),
    ("POST", "/api/v1/imports"): Example(
        _static({"url": "/api/v1/imports", "files": {"file": ("m.csv", IMPORTED, "text/csv")}})
    ),
    ("GET", "/api/v1/imports"): Example(_static({"url": "/api/v1/imports"})),
    ("GET", "/api/v1/imports/{import_id}"): Example(_import_path(""), owned="import_id"),
    ("GET", "/api/v1/imports/{import_id}/rejects"): Example(
        _import_path("/rejects"), owned="import_id"
    ),
    ("GET", "/api/v1/recoveries/export"): Example(
        _static({"url": "/api/v1/recoveries/export", "params": {"format": "csv"}})
    ),
    ("POST", "/api/v1/recoveries/{recovery_id}/items/{item_id}/photos"): Example(
        fixed(_photo_upload), owned="recovery_id"
    ),
    ("GET", "/api/v1/recoveries/{recovery_id}/photos"): Example(
        _recovery_path("/api/v1/recoveries/{recovery_id}/photos"), owned="recovery_id"
    ),
    ("GET", "/api/v1/recoveries/{recovery_id}/photos/{photo_id}"): Example(
        _photo_path(""), owned="recovery_id"
    ),
    ("GET", "/api/v1/recoveries/{recovery_id}/photos/{photo_id}/thumbnail"): Example(
        _photo_path("/thumbnail"), owned="recovery_id"
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

        anonymous = await send(await example.build(fixture, Target.OWN, None), None)
        assert anonymous.status_code == 401, (method, path, anonymous.text)

        permitted = [role for role in Role if _actor(role).may(action)]
        for role in Role:
            if role in permitted:
                continue
            request = await example.build(fixture, Target.OWN, role)
            refused = await send(request, tokens[role])
            assert refused.status_code == 403, (method, path, role, refused.text)
            # Refused by role before the request is validated: nothing learnt of its shape.
            garbled = {
                **request,
                **({"json": {}} if "json" in request else {}),
                **(
                    {"params": dict.fromkeys(request["params"], "?")}
                    if request.get("params")
                    else {}
                ),
            }
            refused = await send(garbled, tokens[role])
            assert refused.status_code == 403, (method, path, role, "garbled", refused.text)

        if action in SCOPE_ONLY:
            assert not permitted, f"{method} {path}: a role may {action}"
            allowed = await send(await example.build(fixture, Target.OWN, None), fixture.peer_token)
            assert 200 <= allowed.status_code < 300, (method, path, allowed.text)
            checked += 1
            continue
        assert permitted, f"{method} {path}: no role may {action}"
        for role in permitted:
            allowed = await send(await example.build(fixture, Target.OWN, role), tokens[role])
            assert 200 <= allowed.status_code < 300, (method, path, role, allowed.text)
            if method == "PATCH":  # the next change is made against the new version
                fixture.version[fixture.recovery_id] = int(allowed.headers["etag"].strip('"v'))
            if example.owned:
                request = await example.build(fixture, Target.FOREIGN, role)
                foreign = await send(request, tokens[role])
                # An identifier in a body is a value the request gets wrong, not a resource.
                in_body = example.owned in (request.get("json") or {})
                expected = 422 if in_body else 404
                if _actor(role).across_agencies(action):  # oversight of every agency
                    expected = allowed.status_code
                assert foreign.status_code == expected, (method, path, role, foreign.text)
        checked += 1
    assert checked == len(REQUESTS)


# Identifiers a route takes that are not the one its example owns, and why asking with
# another agency's tells nothing about it.
NOT_OWNED: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/v1/audit/events"): {
        "actor_id": "filters only the events the caller may read: another agency's person "
        "finds what nobody finds",
    },
    ("POST", "/api/v1/trace-requests"): {
        "item_id": "looked for only among the items of `recovery_id`, after it",
    },
    ("POST", "/api/v1/network-links"): {
        "from_recovery_id": "checked by the same code as `to_recovery_id`",
    },
    ("GET", "/api/v1/networks/path"): {"from": "checked by the same code as `to`"},
    ("POST", "/api/v1/recoveries/{recovery_id}/items/{item_id}/photos"): {
        "item_id": "looked for only among the items of `recovery_id`, after it",
    },
    ("GET", "/api/v1/recoveries/{recovery_id}/photos/{photo_id}"): {
        "photo_id": "looked for only among the photos of `recovery_id`, after it",
    },
    ("GET", "/api/v1/recoveries/{recovery_id}/photos/{photo_id}/thumbnail"): {
        "photo_id": "looked for only among the photos of `recovery_id`, after it",
    },
    ("POST", "/api/v1/federation/trace-exchanges"): {
        "message_id": "the peer's own; a replay is answered from what was stored for it",
        "sender_agency_id": "must be an agency of the calling peer, checked first",
        "recipient_agency_id": "agencies of this instance are known to peers: they address them",
        "by": "a person of the sending instance, recorded as given",
    },
}


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _is_identifier(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = _schema(document, schema)
    choices = schema.get("anyOf", [schema])
    return any(_schema(document, choice).get("format") == "uuid" for choice in choices)


def identifiers(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    """The identifiers an operation takes: path and query parameters, and the body's
    top-level properties, that are UUIDs."""
    names = {
        parameter["name"]
        for parameter in operation.get("parameters", [])
        if parameter["in"] in ("path", "query") and _is_identifier(document, parameter["schema"])
    }
    body = operation.get("requestBody", {}).get("content", {})
    for content in body.values():
        schema = _schema(document, content["schema"])
        names |= {
            name
            for name, prop in schema.get("properties", {}).items()
            if _is_identifier(document, prop)
        }
    return names


async def test_every_identifier_a_route_takes_is_owned_or_said_to_tell_nothing(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    for method, path, operation in operations(document):
        taken = identifiers(document, operation)
        if (method, path) in PUBLIC:
            assert not taken, f"{method} {path} is public and takes {taken}"
            continue
        owned = REQUESTS[(method, path)].owned
        explained = set(NOT_OWNED.get((method, path), {}))
        assert owned is None or owned in taken, f"{method} {path} takes no {owned}"
        unexplained = taken - explained - {owned}
        assert not unexplained, f"{method} {path}: is {unexplained} owned? Say so, or why not"
        assert explained <= taken, f"{method} {path} no longer takes {explained - taken}"


def _answer(response: httpx.Response) -> tuple[Any, ...]:
    """What a refusal tells: status, problem type, and where and why values were wrong."""
    body = response.json()
    errors = sorted(
        (e.get("pointer") or e.get("parameter") or "", e["detail"])
        for e in body.get("errors") or []
    )
    return response.status_code, body.get("type"), tuple(errors), response.headers.get("etag")


async def test_another_agencys_identifier_is_answered_as_an_unknown_one(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    fixture = await _arrange(api)
    callers: list[tuple[Role | None, str]] = [
        (role, await api.user(role.value, username=f"oracle.{role.value}")) for role in Role
    ]
    callers.append((None, fixture.peer_token))
    asked = 0
    for method, path, operation in operations(document):
        example = REQUESTS.get((method, path))
        if example is None or example.owned is None:
            continue
        action = Action(operation["x-tracedesk-action"])
        send = _sender(api, method)
        for role, token in callers:
            if role is not None and _actor(role).across_agencies(action):
                continue  # every agency's record is theirs to see: the matrix checks it
            foreign = await send(await example.build(fixture, Target.FOREIGN, role), token)
            unknown = await send(await example.build(fixture, Target.UNKNOWN, role), token)
            assert foreign.status_code >= 400, (method, path, role, foreign.text)
            assert _answer(foreign) == _answer(unknown), (
                method,
                path,
                role,
                foreign.text,
                unknown.text,
            )
            asked += 1
    assert asked >= 15 * len(callers)


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
            files=request.get("files"),
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
        foreign_item_id=foreign_created["items"][0]["id"],
        peer_agency_id=peer_agency.id,
        import_id=await queued_import(api.deps, AGENCY_A),
        foreign_import_id=await queued_import(api.deps, AGENCY_B),
        photo_id=await attached_photo(api.deps, created, AGENCY_A),
        foreign_photo_id=await attached_photo(api.deps, foreign_created, AGENCY_B),
        peer_token=f"Bearer {signed_in.json()['access_token']}",
    )


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_some_permission(role: Role) -> None:
    assert any(_actor(role).may(action) for action in Action)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every text in a JSON document."""
    if isinstance(value, str):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _leaves(item, (*path, index))]
    return []


def _replaced(document: Any, path: tuple[Any, ...], text: str) -> Any:
    if not path:
        return text
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[path[0]] = _replaced(document[path[0]], path[1:], text)
    return copy


UNSTORABLE = ["A\x00B", "A\ud800B"]


async def test_text_no_database_can_store_is_refused_with_where_it_is(api: Api) -> None:
    """NUL and lone surrogates, in every query parameter of every route and in every
    text of every body: a 422 naming the value, never a 500 (PostgreSQL stores neither).
    So are bytes that are not UTF-8, a parameter of one value given twice, and a body's
    member named twice: each could be read more than one way."""
    document = (await api.client.get("/openapi.json")).json()
    fixture = await _arrange(api)
    tokens = {role: await api.user(role.value, username=f"text.{role.value}") for role in Role}
    tried = 0
    for method, path, operation in operations(document):
        if (method, path) in PUBLIC:
            continue
        action = Action(operation["x-tracedesk-action"])
        role = next((r for r in Role if _actor(r).may(action)), None)
        token = tokens[role] if role else fixture.peer_token
        example = REQUESTS[(method, path)]
        queries = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        lists = {
            p["name"]
            for p in operation.get("parameters", [])
            if p["in"] == "query" and '"array"' in json.dumps(p["schema"])
        }
        for name in queries:
            request = await example.build(fixture, Target.OWN, role)
            params = {**request.get("params", {}), name: "A\x00B"}
            answer = await _sender(api, method)({**request, "params": params}, token)
            assert answer.status_code == 422, (method, path, name, answer.text)
            assert {"parameter": name} in [
                {"parameter": e.get("parameter")} for e in answer.json()["errors"]
            ], (method, path, name, answer.text)
            # Bytes that are not UTF-8 would be read as U+FFFD, a value nobody sent.
            others = {k: v for k, v in request.get("params", {}).items() if k != name}
            query = "&".join(q for q in (str(httpx.QueryParams(others)), f"{name}=A%FFB") if q)
            url = f"{request['url']}{'&' if '?' in request['url'] else '?'}{query}"
            answer = await _sender(api, method)({**request, "url": url, "params": None}, token)
            assert answer.status_code == 422, (method, path, name, answer.text)
            assert {"parameter": name, "detail": "is not UTF-8 text"} in [
                {"parameter": e.get("parameter"), "detail": e.get("detail")}
                for e in answer.json()["errors"]
            ], (method, path, name, answer.text)
            tried += 1
            if name in lists:
                continue
            # One value given twice: FastAPI would take the last; which was meant?
            query = "&".join(q for q in (str(httpx.QueryParams(others)), f"{name}=A&{name}=B") if q)
            url = f"{request['url']}{'&' if '?' in request['url'] else '?'}{query}"
            answer = await _sender(api, method)({**request, "url": url, "params": None}, token)
            assert answer.status_code == 422, (method, path, name, answer.text)
            assert answer.json()["errors"] == [
                {"parameter": name, "detail": "is given 2 times: give one value"}
            ], (method, path, name, answer.text)
        body = (await example.build(fixture, Target.OWN, role)).get("json")
        if isinstance(body, dict) and body:
            # A member named twice: which of the two is meant?
            first, value = next(iter(body.items()))
            request = await example.build(fixture, Target.OWN, role)
            text = json.dumps(request["json"])
            twice = "{" + f"{json.dumps(first)}: {json.dumps(value)}, " + text[1:]
            headers = {**request.get("headers", {}), "Authorization": token}
            headers["Content-Type"] = "application/json"
            answer = await api.client.request(
                method, request["url"], content=twice.encode(), headers=headers
            )
            assert answer.status_code == 422, (method, path, answer.text)
            assert f"#/{first}" in [e.get("pointer") for e in answer.json()["errors"]]
            # The same body as another type: not read as bytes and refused as no object.
            headers["Content-Type"] = "text/plain"
            answer = await api.client.request(
                method, request["url"], content=text.encode(), headers=headers
            )
            assert answer.status_code == 415, (method, path, answer.text)
            assert answer.json()["type"] == "/problems/unsupported-media-type"
            # No body at all, typed as a form by a client's habit (`curl -d ''`): there is
            # nothing of another type to refuse; a body the route needs is missing (422).
            answer = await api.client.request(method, request["url"], content=b"", headers=headers)
            assert answer.status_code != 415, (method, path, answer.text)
            headers["Content-Type"] = "application/merge-patch+json"
            answer = await api.client.request(
                method, request["url"], content=text.encode(), headers=headers
            )
            assert answer.status_code != 415, (method, path, answer.text)
        for leaf in _leaves(body):
            for text in UNSTORABLE:
                request = await example.build(fixture, Target.OWN, role)
                content = json.dumps(_replaced(request["json"], leaf, text)).encode()
                headers = {**request.get("headers", {}), "Authorization": token}
                headers["Content-Type"] = "application/json"
                answer = await api.client.request(
                    method, request["url"], content=content, headers=headers
                )
                pointer = "#/" + "/".join(str(p) for p in leaf)
                assert answer.status_code == 422, (method, path, leaf, answer.text)
                assert pointer in [e.get("pointer") for e in answer.json()["errors"]], (
                    method,
                    path,
                    leaf,
                    answer.text,
                )
                tried += 1
    assert tried > 100

    for name in ("username", "password"):
        form = {"username": "someone", "password": "a password"} | {name: "A\x00B"}
        answer = await api.client.post("/api/v1/auth/token", data=form)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["pointer"] == f"#/{name}"
    answer = await api.client.post(
        "/api/v1/auth/token",
        content=b"username=some%FFone&password=a+password",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == [{"pointer": "#/username", "detail": "is not UTF-8 text"}]
    # A field given twice: the last would sign in whoever it names.
    answer = await api.client.post(
        "/api/v1/auth/token",
        content=b"username=text.investigator&username=someone&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"] == [
        {"pointer": "#/username", "detail": "is given 2 times: give one"}
    ]
    # Two Authorization headers: which one speaks for the request?
    two = [("Authorization", tokens[Role.INVESTIGATOR]), ("Authorization", "Bearer junk")]
    answer = await api.client.get("/api/v1/recoveries", headers=two)
    assert answer.status_code == 401, answer.text
    assert answer.json()["detail"] == "send one Authorization header"
    for url in ("/api/v1/registries/test%00registry/search?serial=A1", "/problems/not%00found"):
        answer = await api.client.get(url, headers={"Authorization": tokens[Role.INVESTIGATOR]})
        assert answer.status_code == 404, (url, answer.text)
        assert answer.json()["type"] == "/problems/not-found"
