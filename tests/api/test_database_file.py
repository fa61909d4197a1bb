"""The SQLite file deleted, moved or replaced under a running server: it answers 503 and
stores nothing, instead of acknowledging writes into a file nobody will open again."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from service.adapters.api.app import create_app
from service.adapters.availability import DatabaseFileReplaced
from service.adapters.persistence.database import sqlite_file
from service.adapters.settings import Settings
from tests.builders import fast_dependencies
from tests.databases import migrated_database, sqlite_url


@pytest.mark.parametrize("mishap", ["deleted", "moved", "replaced by a copy"])
async def test_a_database_file_gone_from_under_the_server_is_a_503(
    tmp_path: Path, mishap: str
) -> None:
    url = sqlite_url(tmp_path)
    await (await migrated_database(url)).dispose()
    path = tmp_path / "tracedesk.db"
    app = create_app(Settings(database_url=url, worker="external"), dependencies=fast_dependencies)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://td.test") as client:
            assert (await client.get("/readyz")).status_code == 200
            if mishap == "deleted":
                path.unlink()
            elif mishap == "moved":
                path.rename(tmp_path / "elsewhere.db")
            else:
                shutil.copy(path, tmp_path / "copy.db")
                os.replace(tmp_path / "copy.db", path)
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.headers["content-type"] == "application/problem+json"
            with pytest.raises(DatabaseFileReplaced):
                async with app.state.database.connection():
                    pass
            written = await client.post(
                "/api/v1/auth/token", data={"username": "someone", "password": "x" * 12}
            )
            assert written.status_code == 503
            assert written.headers["retry-after"] == "30"
            assert "restart the server" in written.json()["detail"]
    assert not path.exists() or mishap == "replaced by a copy"


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("sqlite+aiosqlite:////var/lib/tracedesk/tracedesk.db", "/var/lib/tracedesk/tracedesk.db"),
        ("sqlite+aiosqlite:///tracedesk.db", "tracedesk.db"),
        ("sqlite+aiosqlite:///file:/srv/td%20a.db?mode=rw&uri=true", "/srv/td a.db"),
        ("sqlite+aiosqlite:///file:///srv/td.db?uri=true", "/srv/td.db"),
        ("sqlite+aiosqlite:///file:shared?mode=memory&cache=shared&uri=true", None),
        ("sqlite+aiosqlite:///:memory:", None),
        ("sqlite+aiosqlite://", None),
    ],
)
def test_the_file_watched_is_the_one_the_url_names_also_as_a_uri(
    url: str, file: str | None
) -> None:
    assert sqlite_file(url) == file
