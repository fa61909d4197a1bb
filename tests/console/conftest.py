"""Console tests: the real application over httpx's ASGI transport, on each database,
with one browser-like client (its own cookies) per person."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from service import accounts
from service.adapters.api.app import create_app
from service.adapters.bootstrap import outbox_worker
from service.adapters.persistence.database import Database
from service.adapters.settings import Settings
from service.dependencies import Dependencies
from service.domain.recovery import Recovery
from service.recoveries import record_recovery
from tests.builders import fast_dependencies, record_command
from tests.databases import AGENCIES

PASSWORD = "correct horse battery staple"
BASE = "http://tracedesk.test"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has no form token"
    return found.group(1)


@dataclass
class Browser:
    """One person's browser: its cookies, and the form token of the last page read."""

    client: httpx.AsyncClient
    token: str | None = None

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.get(path, **kwargs)
        if match := _TOKEN.search(response.text):
            self.token = match.group(1)
        return response

    async def post(
        self, path: str, data: dict[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """A form post as our pages make it: with the form token of the last page."""
        values = {"csrf_token": self.token or "", **(data or {})}
        response = await self.client.post(path, data=values, **kwargs)
        if match := _TOKEN.search(response.text):
            self.token = match.group(1)
        return response


@dataclass
class Console:
    app: Any
    deps: Dependencies
    transport: httpx.ASGITransport
    browsers: list[httpx.AsyncClient] = field(default_factory=list)

    async def person(self, role: str, agency: str = "a", username: str | None = None) -> str:
        name = username or f"{role}.{agency}"
        await accounts.register_user(
            deps=self.deps,
            agency_id=AGENCIES[agency][0],
            username=name,
            display_name=name.replace(".", " ").title(),
            roles=[role],
            password=PASSWORD,
        )
        return name

    async def drain(self) -> None:
        """Run the outbox until nothing is due (registry checks, linking)."""
        worker = outbox_worker(self.deps)
        while await worker.run_once():
            pass

    async def recorded(
        self, username: str, *serials: str, case: str = "CASE-1", **overrides: Any
    ) -> Recovery:
        """A recovery of firearms with these serials, recorded by that person."""
        async with self.deps.unit_of_work() as uow:
            user = await uow.users.by_username(username)
        assert user is not None
        command = dataclasses.replace(record_command(*serials, case=case), **overrides)
        return await record_recovery(deps=self.deps, actor=user.as_actor(), command=command)

    def browser(self, **headers: str) -> Browser:
        client = httpx.AsyncClient(transport=self.transport, base_url=BASE, headers=headers)
        self.browsers.append(client)
        return Browser(client)

    async def signed_in(self, role: str, agency: str = "a", **headers: str) -> Browser:
        """A browser with a person of that role signed in."""
        name = await self.person(role, agency)
        browser = self.browser(**headers)
        await browser.get("/sign-in")
        response = await browser.post(
            "/sign-in", {"username": name, "password": PASSWORD, "next": "/"}
        )
        assert response.status_code == 303, response.text
        await browser.get("/")
        return browser


@pytest.fixture
async def console(database: Database, tmp_path: Path) -> AsyncIterator[Console]:
    settings = Settings(database_url=database.url, worker="external", photo_dir=tmp_path / "photos")
    app = create_app(settings, dependencies=fast_dependencies)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        harness = Console(app=app, deps=app.state.deps, transport=transport)
        try:
            yield harness
        finally:
            for client in harness.browsers:
                await client.aclose()
