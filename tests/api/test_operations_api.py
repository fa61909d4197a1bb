"""Health, readiness, request ids, problem types and the published contract."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from service.adapters.api.contract import exchange_schemas
from service.adapters.api.problems import PROBLEM_TYPES
from tests.api.conftest import Api

SCHEMAS = Path(__file__).parents[2] / "schemas"


async def test_health_and_readiness(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_every_response_carries_a_request_id(api: Api) -> None:
    given = await api.client.get("/healthz", headers={"X-Request-ID": "trace-me-42"})
    assert given.headers["x-request-id"] == "trace-me-42"
    generated = await api.client.get("/api/v1/nowhere")
    assert len(generated.headers["x-request-id"]) == 32
    assert generated.json()["request_id"] == generated.headers["x-request-id"]
    hostile = await api.client.get("/healthz", headers={"X-Request-ID": "a b\r;<script>"})
    assert hostile.headers["x-request-id"] != "a b\r;<script>"
    assert len(hostile.headers["x-request-id"]) == 32


async def test_unknown_routes_and_methods_are_problems(api: Api) -> None:
    missing = await api.client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["type"] == "/problems/not-found"
    wrong = await api.client.delete("/api/v1/recoveries")
    assert wrong.status_code == 405 and wrong.json()["type"] == "/problems/method-not-allowed"


async def test_a_router_turns_away_paths_outside_its_prefix_and_keeps_its_own(
    api: Api,
) -> None:
    """Routers answer for their prefix only (a search is not matched against the
    recoveries' routes): a path that merely starts like a prefix is no route of it, and
    every route is still found when the application is served under a root path."""
    token = await api.user("investigator")
    beside = await api.client.get("/api/v1/searchx/serials", params={"serial": "ABC123"})
    assert beside.status_code == 404 and beside.json()["type"] == "/problems/not-found"
    app = api.client._transport.app  # type: ignore[attr-defined]
    under_root = httpx.ASGITransport(app=app, root_path="/tracedesk")
    async with httpx.AsyncClient(transport=under_root, base_url="http://tracedesk.test") as c:
        found = await c.get(
            "/tracedesk/api/v1/search/serials",
            params={"serial": "ABC123"},
            headers={"Authorization": token},
        )
        assert found.status_code == 200, found.text
        assert (await c.get("/tracedesk/healthz")).json() == {"status": "ok"}
        outside = await c.get("/elsewhere/api/v1/search/serials", params={"serial": "ABC"})
        assert outside.status_code in (401, 404)
        # The edge knows the API's paths under the root path too: its answers are not
        # cached, its refusals are problems (not console pages), its form takes each
        # field once.
        assert found.headers["cache-control"] == "no-store"
        nul = await c.get("/tracedesk/api/v1/recoveries", params={"case_reference": "A\x00"})
        assert nul.headers["content-type"] == "application/problem+json", nul.text
        twice = await c.post(
            "/tracedesk/api/v1/auth/token",
            content=b"username=a&username=b&password=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert twice.status_code == 422, twice.text


async def test_a_method_a_resource_lacks_is_a_405_naming_every_method_it_has(api: Api) -> None:
    # Found by the fuzzing drill: Allow named only the methods of the first route of the
    # path (`OPTIONS /api/v1/recoveries`: "GET"), and a method /recoveries/export lacks
    # went to /recoveries/{recovery_id} (PATCH: 428 for a missing If-Match).
    document = (await api.client.get("/openapi.json")).json()
    for path, operations in document["paths"].items():
        declared = sorted(method.upper() for method in operations)
        somewhere = re.sub(r"\{\w+\}", "01900000-0000-7000-8000-000000000001", path)
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} - set(declared)):
            answer = await api.client.request(method, somewhere)
            assert answer.status_code == 405, (method, path, answer.text)
            assert answer.json()["type"] == "/problems/method-not-allowed"
            assert answer.headers["allow"] == ", ".join(declared), (method, path)


async def test_a_change_to_the_export_is_not_a_change_of_a_recovery_named_export(
    api: Api,
) -> None:
    token = await api.user("investigator")
    answer = await api.client.patch(
        "/api/v1/recoveries/export",
        json={"reason": "a typo", "case_reference": "CASE-2"},
        headers={"Authorization": token, "If-Match": '"v1"'},
    )
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"


async def test_every_operation_declares_the_problems_the_edge_answers(api: Api) -> None:
    # Found by the fuzzing drill: 422 documented as FastAPI's JSON while the answer is a
    # problem, and 400 (malformed JSON) or 404 (an unknown slug) left out of some routes.
    document = (await api.client.get("/openapi.json")).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            parameters = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
            expected = {"422"}
            if "requestBody" in operation:
                expected |= {"400", "408", "413"}
            if operation.get("security"):
                expected |= {"401", "503"}
                if "x-tracedesk-action" in operation:
                    expected.add("403")
            if any(where == "path" for where, _ in parameters):
                expected.add("404")
            if ("header", "if-match") in parameters:
                expected |= {"412", "428"}
            responses = operation["responses"]
            assert expected <= responses.keys(), (method, path, expected - responses.keys())
            for status, response in responses.items():
                if int(status) >= 400:
                    assert response["content"] == {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    }, (method, path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]


async def test_problem_types_describe_themselves(api: Api) -> None:
    for slug, kind in PROBLEM_TYPES.items():
        described = (await api.client.get(f"/problems/{slug}")).json()
        assert described["type"] == kind.uri and described["status"] == kind.status


async def test_the_checked_in_openapi_document_is_current(api: Api) -> None:
    served = (await api.client.get("/openapi.json")).json()
    checked_in = json.loads((SCHEMAS / "openapi.json").read_text(encoding="utf-8"))
    assert served == checked_in, (
        "schemas/openapi.json is stale: run `python -m service.adapters.api.contract`"
    )


def test_the_exchange_schemas_are_current() -> None:
    for name, schema in exchange_schemas().items():
        path = SCHEMAS / "exchange" / name
        assert path.is_file(), (
            f"schemas/exchange/{name} is missing: run `python -m service.adapters.api.contract`"
        )
        assert json.loads(path.read_text(encoding="utf-8")) == schema, (
            f"schemas/exchange/{name} is stale: run `python -m service.adapters.api.contract`"
        )
