"""OpenTelemetry: with TRACEDESK_OPENTELEMETRY a request leaves a span (by route
template), and a call to a peer made while it is handled carries its trace context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from service.adapters.api.app import create_app
from service.adapters.peers import PeerClient
from service.adapters.persistence.database import Database
from service.adapters.settings import Settings
from service.adapters.telemetry import configure_tracing
from tests.builders import fast_dependencies

EXPORTED = InMemorySpanExporter()


@pytest.fixture
async def traced(database: Database, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    configure_tracing(exporter=EXPORTED)  # once per process: the first one wins
    EXPORTED.clear()
    settings = Settings(
        database_url=database.url,
        worker="external",
        opentelemetry=True,
        import_directory=tmp_path / "imports",
    )
    app = create_app(settings, dependencies=fast_dependencies)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as client:
            yield client


async def test_a_request_leaves_a_span_named_by_its_route(traced: httpx.AsyncClient) -> None:
    assert (await traced.get("/healthz")).status_code == 200
    spans = EXPORTED.get_finished_spans()
    assert spans, "no span exported"
    assert any("/healthz" in span.name for span in spans), [s.name for s in spans]


async def test_a_call_to_a_peer_carries_the_trace_context() -> None:
    configure_tracing(exporter=EXPORTED)
    seen: list[httpx.Request] = []

    def peer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v1/auth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900})
        return httpx.Response(200, json={"ok": True})

    client = PeerClient(
        url="http://peer.test",
        client_id="td_x",
        client_secret="secret",  # noqa: S106
        transport=httpx.MockTransport(peer),
    )
    tracer = trace.get_tracer("tests")
    with tracer.start_as_current_span("handling a request") as span:
        answer: Any = await client.call("GET", "/api/v1/anything", lambda body: body, what="test")
        trace_id = format(span.get_span_context().trace_id, "032x")
    await client.aclose()
    assert answer == {"ok": True}
    called = [r for r in seen if r.url.path == "/api/v1/anything"]
    assert called and called[0].headers["traceparent"].split("-")[1] == trace_id
