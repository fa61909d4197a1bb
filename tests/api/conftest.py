"""API tests: the real application over httpx's ASGI transport, on each database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from service import accounts
from service.adapters.api.app import create_app
from service.adapters.bootstrap import outbox_worker
from service.adapters.persistence.database import Database
from service.adapters.settings import Settings
from service.dependencies import Dependencies
from tests.builders import fast_dependencies
from tests.databases import AGENCIES

PASSWORD = "correct horse battery staple"


@dataclass
class Api:
    """A client of the application plus the ports, to arrange state the API cannot."""

    client: httpx.AsyncClient
    deps: Dependencies
    agency_a: UUID
    agency_b: UUID
    agency_c: UUID

    async def user(self, role: str, agency: str = "a", username: str | None = None) -> str:
        """Create a user with one role and return their bearer header value."""
        name = username or f"{role}.{agency}"
        await accounts.register_user(
            deps=self.deps,
            agency_id=AGENCIES[agency][0],
            username=name,
            display_name=name,
            roles=[role],
            password=PASSWORD,
        )
        return await self.login(name)

    async def login(self, username: str, password: str = PASSWORD) -> str:
        response = await self.client.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return f"Bearer {response.json()['access_token']}"

    async def record(self, token: str, **overrides: Any) -> httpx.Response:
        return await self.client.post(
            "/api/v1/recoveries", json=recovery_body(**overrides), headers={"Authorization": token}
        )

    async def record_firearm(self, token: str, serial: str, case: str) -> dict[str, Any]:
        """A Glock with this serial, recovered in Paris (no coordinates: places are
        linked on in their own test); the recovery as answered."""
        body = {
            "case_reference": case,
            "location": {"description": "Paris", "country": "FR"},
            "items": [{"kind": "firearm", "make": "Glock", "model": "17", "serial": serial}],
        }
        response = await self.record(token, **body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def peer_agency(self, name: str, peer: str) -> UUID:
        """An agency working on another instance, `peer`."""
        agency = await accounts.register_agency(
            deps=self.deps, name=name, country="NL", kind="police", peer=peer
        )
        return agency.id

    async def integration(
        self, agency_id: UUID, name: str, scopes: tuple[str, ...] = ("federation:exchange",)
    ) -> dict[str, str]:
        """A service account of the agency, signed in with a new key: its headers."""
        account = await accounts.register_service_account(
            deps=self.deps, agency_id=agency_id, name=name, scopes=list(scopes)
        )
        key = await accounts.issue_api_key(deps=self.deps, service_account_id=account.id)
        signed_in = await self.client.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": key.client_id,
                "client_secret": key.secret,
            },
        )
        return {"Authorization": f"Bearer {signed_in.json()['access_token']}"}


async def drain(api: Api) -> None:
    """Run the outbox until nothing is due (registry checks, then the linking they ask)."""
    worker = outbox_worker(api.deps)
    while await worker.run_once():
        pass


def recovery_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "case_reference": "CASE-2026-0042",
        "recovered_at": "2026-11-01T10:30:00Z",
        "location": {"description": "Rue X, Paris", "country": "FR", "lat": 48.85, "lon": 2.35},
        "circumstances": "crime_scene",
        "items": [
            {
                "kind": "firearm",
                "make": "GLOCK GmbH",
                "model": "17",
                "calibre": "9mm Luger",
                "serial": "ABC 123",
                "type": "pistol",
                "country_of_manufacture": "AT",
            }
        ],
    }
    body.update(overrides)
    return body


# A chain of custody as a responder sends it: made, imported, sold to a person.
CHAIN = [
    {
        "kind": "manufacture",
        "date": "2018-02-01",
        "party": {"name": "Glock GmbH", "role": "manufacturer", "country": "AT"},
    },
    {
        "kind": "import",
        "date": "2018-06-01",
        "party": {
            "name": "Waffen Import GmbH",
            "role": "importer",
            "country": "DE",
            "licence": "WBK-9",
        },
    },
    {
        "kind": "sale",
        "date": "2021-03-15",
        "party": {"name": "J. Doe", "role": "retail_purchaser", "country": "DE"},
    },
    {
        "kind": "reported_stolen",
        "date": "2023-07-01",
        "party": {"name": "J. Doe", "role": "retail_purchaser", "country": "DE"},
    },
]


REGISTRY_RECORDS = (
    '{"reference": "T-1", "status": "stolen", "serial": "ABC 123", "make": "Glock"}\n'
    '{"reference": "T-2", "status": "registered", "serial": "ZZZ 999"}\n'
)


@pytest.fixture
async def api(database: Database, tmp_path: Path) -> AsyncIterator[Api]:
    # A registry, as an operator configures one; the outbox is left to the tests (no
    # background worker), which run it when they want to.
    (tmp_path / "test-registry.ndjson").write_text(REGISTRY_RECORDS, encoding="utf-8")
    registries = tmp_path / "registries.toml"
    registries.write_text(
        '[[registry]]\nname = "test-registry"\nadapter = "memory"\nfile = "test-registry.ndjson"\n',
        encoding="utf-8",
    )
    settings = Settings(
        database_url=database.url,
        connections_file=registries,
        worker="external",
        import_directory=tmp_path / "imports",
        photo_dir=tmp_path / "photos",
    )
    app = create_app(settings, dependencies=fast_dependencies)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://tracedesk.test") as c:
            yield Api(
                client=c,
                deps=app.state.deps,
                agency_a=AGENCIES["a"][0],
                agency_b=AGENCIES["b"][0],
                agency_c=AGENCIES["c"][0],
            )
