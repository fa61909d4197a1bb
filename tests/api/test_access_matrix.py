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

import httpx
import pytest

from service.domain.access import Action, Actor, ActorKind, Role
from tests.api.conftest import Api, recovery_body
from tests.builders import AGENCY_A

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
    """What a request needs: resources owned by agency A, and one owned by agency B."""

    recovery_id: str = ""
    item_id: str = ""
    foreign_recovery_id: str = ""
    version: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Example:
    """How to make a valid request; `owned` names the path parameter owned by an agency."""

    build: Callable[[Fixture, bool], dict[str, Any]]
    owned: str | None = None


def _recovery_path(path: str) -> Callable[[Fixture, bool], dict[str, Any]]:
    def build(f: Fixture, foreign: bool) -> dict[str, Any]:
        rid = f.foreign_recovery_id if foreign else f.recovery_id
        return {"url": path.format(recovery_id=rid)}

    return build


def _patch(f: Fixture, foreign: bool) -> dict[str, Any]:
    rid = f.foreign_recovery_id if foreign else f.recovery_id
    version = f.version.get(rid, 1)
    return {
        "url": f"/api/v1/recoveries/{rid}",
        "json": {"reason": "matrix", "case_reference": f"MATRIX-{version}"},
        "headers": {"If-Match": f'"v{version}"'},
    }


REQUESTS: dict[tuple[str, str], Example] = {
    ("POST", "/api/v1/recoveries"): Example(
        lambda f, _: {"url": "/api/v1/recoveries", "json": recovery_body()}
    ),
    ("GET", "/api/v1/recoveries"): Example(lambda f, _: {"url": "/api/v1/recoveries"}),
    ("GET", "/api/v1/recoveries/{recovery_id}"): Example(
        _recovery_path("/api/v1/recoveries/{recovery_id}"), owned="recovery_id"
    ),
    ("PATCH", "/api/v1/recoveries/{recovery_id}"): Example(_patch, owned="recovery_id"),
    ("GET", "/api/v1/recoveries/{recovery_id}/history"): Example(
        _recovery_path("/api/v1/recoveries/{recovery_id}/history"), owned="recovery_id"
    ),
    ("GET", "/api/v1/search/serials"): Example(
        lambda f, _: {"url": "/api/v1/search/serials", "params": {"serial": "ABC123"}}
    ),
    ("GET", "/api/v1/reference/catalogue"): Example(
        lambda f, _: {"url": "/api/v1/reference/catalogue"}
    ),
    ("GET", "/api/v1/reference/unresolved"): Example(
        lambda f, _: {"url": "/api/v1/reference/unresolved"}
    ),
    ("GET", "/api/v1/audit/verify"): Example(lambda f, _: {"url": "/api/v1/audit/verify"}),
    ("GET", "/api/v1/audit/head"): Example(lambda f, _: {"url": "/api/v1/audit/head"}),
    ("GET", "/api/v1/audit/events"): Example(lambda f, _: {"url": "/api/v1/audit/events"}),
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

        anonymous = await send(example.build(fixture, False), None)
        assert anonymous.status_code == 401, (method, path, anonymous.text)

        permitted = [role for role in Role if _actor(role).may(action)]
        for role in Role:
            if role in permitted:
                continue
            refused = await send(example.build(fixture, False), tokens[role])
            assert refused.status_code == 403, (method, path, role, refused.text)

        assert permitted, f"{method} {path}: no role may {action}"
        for role in permitted:
            allowed = await send(example.build(fixture, False), tokens[role])
            assert 200 <= allowed.status_code < 300, (method, path, role, allowed.text)
            if method == "PATCH":  # the next change is made against the new version
                fixture.version[fixture.recovery_id] = int(allowed.headers["etag"].strip('"v'))
            if example.owned:
                foreign = await send(example.build(fixture, True), tokens[role])
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
    return Fixture(
        recovery_id=created["id"],
        item_id=created["items"][0]["id"],
        foreign_recovery_id=foreign_created["id"],
    )


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_some_permission(role: Role) -> None:
    assert any(_actor(role).may(action) for action in Action)
