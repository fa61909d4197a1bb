"""A read replica that cannot be reached when the server starts is done without: the
server starts, says so in one line, and serves searches and listings from the primary."""

from __future__ import annotations

from pathlib import Path

import httpx
import structlog

from service.adapters.api.app import create_app
from service.adapters.persistence.database import Database
from service.adapters.settings import Settings
from tests.builders import fast_dependencies
from tests.databases import reset
from tests.e2e.servers import free_port


async def test_a_server_whose_replica_is_away_starts_reading_from_the_primary(
    postgresql_database: Database, tmp_path: Path
) -> None:
    await reset(postgresql_database)
    settings = Settings(
        database_url=postgresql_database.url,
        read_database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/tracedesk",
        worker="external",
        import_directory=tmp_path / "imports",
    )
    app = create_app(settings, dependencies=fast_dependencies)
    with structlog.testing.capture_logs() as logs:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as c:
                assert (await c.get("/readyz")).status_code == 200
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
        "read replica unreachable; searches and listings read from the primary"
    ]
