"""Engines for SQLite and PostgreSQL, configured for how tracedesk uses them.

Connections run in autocommit: reads need no transaction (each aggregate is read by one
statement), and writes open exactly the transaction they need when the unit of work
commits, so a request pays no BEGIN/ROLLBACK round trips it does not use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


@dataclass(frozen=True, slots=True)
class PoolSettings:
    size: int = 10
    overflow: int = 10
    timeout_seconds: float = 10.0


def create_engine(url: str, *, pool: PoolSettings | None = None, echo: bool = False) -> AsyncEngine:
    """An engine for `url` in autocommit mode, with SQLite made safe for concurrent use."""
    pool = pool or PoolSettings()
    parsed = make_url(url)
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT", "echo": echo}
    if parsed.get_backend_name() == "postgresql":
        options |= {
            "pool_size": pool.size,
            "max_overflow": pool.overflow,
            "pool_timeout": pool.timeout_seconds,
            "pool_pre_ping": False,
        }
        engine = create_async_engine(parsed, **options)
    elif parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(parsed, **options)
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
    else:
        raise ValueError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
        )
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer commits; FULL sync because a recovery is
    # evidence and must survive a power cut once acknowledged.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
