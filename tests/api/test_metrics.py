"""GET /metrics: Prometheus's text format with what operators alert on, by route
template rather than raw path, and behind a token when one is configured."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.adapters.api.app import create_app
from service.adapters.persistence.database import Database
from service.adapters.settings import Settings
from tests.api.conftest import Api, drain
from tests.builders import fast_dependencies


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_requests_by_route_and_show_the_stored_state(api: Api) -> None:
    token = await api.user("investigator")
    recorded = await api.record(token)
    assert recorded.status_code == 201
    recovery = recorded.json()["id"]
    assert (
        await api.client.get(f"/api/v1/recoveries/{recovery}", headers={"Authorization": token})
    ).status_code == 200
    assert (
        await api.client.post("/api/v1/auth/token", data={"username": "x", "password": "y"})
    ).status_code == 401

    scraped = await api.client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    found = samples(scraped.text)
    route = (
        "tracedesk_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/api/v1/recoveries/{recovery_id}"), ("status", "200")),
    )
    assert found[route] >= 1
    assert not [key for key in found if recovery in str(key)], "raw paths make series"
    assert found[("tracedesk_sign_in_failures_total", (("channel", "api"), ("status", "401")))] >= 1
    waiting = found[("tracedesk_outbox_waiting", (("topic", "registry.check"),))]
    assert waiting >= 1  # recording asked for checks, no worker ran
    assert found[("tracedesk_audit_chain_head", ())] >= 1

    await drain(api)
    after = samples((await api.client.get("/metrics")).text)
    assert after.get(("tracedesk_outbox_waiting", (("topic", "registry.check"),)), 0) == 0


@pytest.fixture
async def guarded(database: Database, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database.url,
        worker="external",
        metrics_token="a metrics token of at least some length",  # type: ignore[arg-type]
        import_directory=tmp_path / "imports",
    )
    app = create_app(settings, dependencies=fast_dependencies)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://tracedesk.test"
        ) as client:
            yield client


async def test_with_a_token_configured_metrics_need_it(guarded: httpx.AsyncClient) -> None:
    assert (await guarded.get("/metrics")).status_code == 401
    wrong = await guarded.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = await guarded.get(
        "/metrics", headers={"Authorization": "Bearer a metrics token of at least some length"}
    )
    assert right.status_code == 200 and "tracedesk_audit_chain_head" in right.text


DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "tracedesk.json"


async def test_the_sample_dashboard_asks_only_for_metrics_tracedesk_has(api: Api) -> None:
    token = await api.user("investigator")
    await api.record(token)
    await api.client.post("/api/v1/auth/token", data={"username": "x", "password": "y"})
    exposed = {
        family.name
        for family in text_string_to_metric_families((await api.client.get("/metrics")).text)
    }
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    asked = {
        name.removesuffix("_bucket").removesuffix("_count").removesuffix("_total")
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b(tracedesk_[a-z_]+)", target["expr"])
    }
    assert asked and asked <= {name.removesuffix("_total") for name in exposed}, asked - exposed
