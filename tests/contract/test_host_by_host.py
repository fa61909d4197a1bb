"""Connecting through a list of hosts, on the test PostgreSQL server: a host that
accepts connections and never answers (a machine gone without a word) costs its share
of the timeout, not all of it; the host that answered is tried first next time; and a
server that takes no writes is passed over when the URL asks for one that does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from service.adapters.database_addresses import asyncpg_dsn
from service.adapters.persistence.connecting import HostByHost
from service.adapters.persistence.database import Database
from service.adapters.persistence.schema import status


@pytest.fixture
async def silent_host() -> AsyncIterator[str]:
    """host:port of a server that accepts connections and never says a word."""

    async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # until the client gives up
        finally:
            writer.close()

    server = await asyncio.start_server(say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


def with_hosts_before(dsn: str, *hosts: str, query: str = "") -> str:
    parts = urlsplit(dsn)
    userinfo, at, host = parts.netloc.rpartition("@")
    netloc = userinfo + at + ",".join([*hosts, host])
    return urlunsplit(parts._replace(netloc=netloc, query=query or parts.query))


async def test_a_host_that_never_answers_costs_its_share_of_the_timeout(
    postgresql_database: Database, silent_host: str
) -> None:
    dsn = with_hosts_before(asyncpg_dsn(postgresql_database.url), silent_host)
    connect = HostByHost()

    started = time.monotonic()
    connection = await connect(dsn, timeout=2)
    took = time.monotonic() - started
    try:
        assert await connection.fetchval("SELECT 1") == 1
    finally:
        await connection.close()
    assert 0.9 <= took < 1.9, f"{took:.2f} s: one host's share is 1 s"

    # The host that answered is asked first from now on.
    started = time.monotonic()
    again = await connect(dsn, timeout=2)
    await again.close()
    assert time.monotonic() - started < 0.5


async def test_a_server_that_takes_no_writes_is_reported_as_such_when_none_does(
    postgresql_database: Database, silent_host: str
) -> None:
    # The test server made to look like a standby for this session only: asyncpg passes
    # unknown DSN parameters on as settings, and the server reports them back.
    dsn = with_hosts_before(
        asyncpg_dsn(postgresql_database.url),
        silent_host,
        query="target_session_attrs=read-write&default_transaction_read_only=on",
    )
    with pytest.raises(asyncpg.exceptions.TargetServerAttributeNotMatched):
        await HostByHost()(dsn, timeout=1)


async def test_migrations_read_the_url_as_the_pool_does(postgresql_database: Database) -> None:
    # sslmode is the DSN's to read: SQLAlchemy alone would hand it to asyncpg.connect.
    schema = await status(postgresql_database.url + "?sslmode=disable")
    assert schema.is_current


async def test_prefer_standby_settles_for_the_primary_when_there_is_no_standby(
    postgresql_database: Database,
) -> None:
    dsn = asyncpg_dsn(postgresql_database.url)
    host = urlsplit(dsn).netloc.rpartition("@")[2]
    both = with_hosts_before(dsn, host, query="target_session_attrs=prefer-standby")
    connection = await HostByHost()(both, timeout=4)
    try:
        assert await connection.fetchval("SELECT NOT pg_is_in_recovery()")
    finally:
        await connection.close()
