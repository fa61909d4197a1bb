"""The console's answers to what no page handles: a database that cannot serve now is
the 503 page with Retry-After, a bug the 500 page; both show the request id and say
nothing of the error itself."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
import structlog

from service.adapters.console.routes import dashboard
from tests.console.conftest import Console


async def test_a_database_outage_is_the_503_page_with_retry_after(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = await console.signed_in("investigator")

    async def restarting(**_: Any) -> None:
        raise asyncpg.exceptions.AdminShutdownError("terminating connection")

    monkeypatch.setattr(dashboard, "attention", restarting)
    with structlog.testing.capture_logs() as logs:
        page = await browser.get("/")
    assert page.status_code == 503
    assert page.headers["retry-after"] == "2"
    assert "cannot reach its database" in page.text
    assert page.headers["x-request-id"] in page.text
    assert "terminating connection" not in page.text
    assert [e["event"] for e in logs if e["log_level"] in ("warning", "error")] == [
        "database unavailable"
    ]


async def test_a_bug_is_the_500_page(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = await console.signed_in("investigator")

    async def broken(**_: Any) -> None:
        raise ValueError("internals")

    monkeypatch.setattr(dashboard, "attention", broken)
    page = await browser.get("/")
    assert page.status_code == 500
    assert "retry-after" not in page.headers
    assert "internals" not in page.text
    assert page.headers["x-request-id"] in page.text
