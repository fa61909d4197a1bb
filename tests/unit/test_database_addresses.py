"""A database of several hosts (a primary and its standbys) is reached through every
host tracedesk was given, and named in messages by its hosts, never by its password."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from service.adapters.availability import READ_ONLY, UNREACHABLE, unavailability
from service.adapters.cli.common import database_refusal
from service.adapters.database_addresses import Host, asyncpg_dsn, hosts
from service.adapters.persistence.connecting import one_dsn_per_host
from service.adapters.settings import Settings

SEVERAL = (
    "postgresql://app:s3cret%2Fpw@127.0.0.1:6001,127.0.0.1:6002/tracedesk"
    "?target_session_attrs=read-write&sslmode=prefer"
)


def settings(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]


def test_the_asyncpg_dsn_keeps_every_host_in_order_and_what_the_url_asks() -> None:
    assert asyncpg_dsn(settings(SEVERAL).database_url) == (
        "postgresql://app:s3cret%2Fpw@127.0.0.1:6001,127.0.0.1:6002/tracedesk"
        "?sslmode=prefer&target_session_attrs=read-write"
    )


def test_a_url_of_one_host_gives_the_dsn_it_always_gave() -> None:
    url = settings("postgresql://app:pw@db.example:5433/tracedesk?sslmode=require").database_url
    assert asyncpg_dsn(url) == "postgresql://app:pw@db.example:5433/tracedesk?sslmode=require"


def test_ipv6_hosts_keep_their_brackets() -> None:
    url = settings(
        "postgresql://app@[::1]:6001,[fe80::2]/tracedesk?target_session_attrs=read-write"
    ).database_url
    assert hosts(make_url(url)) == (Host("::1", 6001), Host("fe80::2", 5432))
    assert asyncpg_dsn(url) == (
        "postgresql://app@[::1]:6001,[fe80::2]:5432/tracedesk?target_session_attrs=read-write"
    )


def test_each_host_of_a_dsn_is_tried_with_everything_else_the_dsn_says() -> None:
    assert one_dsn_per_host(asyncpg_dsn(settings(SEVERAL).database_url)) == [
        "postgresql://app:s3cret%2Fpw@127.0.0.1:6001/tracedesk"
        "?sslmode=prefer&target_session_attrs=read-write",
        "postgresql://app:s3cret%2Fpw@127.0.0.1:6002/tracedesk"
        "?sslmode=prefer&target_session_attrs=read-write",
    ]


def test_a_command_names_every_host_it_could_not_reach_without_the_password() -> None:
    refused = ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 6002)")
    message = database_refusal(refused, settings(SEVERAL))
    assert message == (
        "cannot reach PostgreSQL at 127.0.0.1:6001, 127.0.0.1:6002: it is unreachable or "
        "restarting (ConnectionRefusedError)"
    )


def test_a_command_says_so_when_every_host_answers_but_none_takes_writes() -> None:
    standby = asyncpg.exceptions.TargetServerAttributeNotMatched(
        "None of the hosts match the target attribute requirement "
        "<SessionAttribute.read_write: 'read-write'>"
    )
    message = database_refusal(standby, settings(SEVERAL))
    assert message is not None
    assert message.startswith(
        "cannot reach PostgreSQL at 127.0.0.1:6001, 127.0.0.1:6002: it is read-only"
    )
    assert "s3cret" not in message and "app" not in message


@pytest.mark.parametrize(
    ("error", "meaning"),
    [
        (asyncpg.exceptions.TargetServerAttributeNotMatched("no host"), READ_ONLY),
        (asyncpg.exceptions.ReadOnlySQLTransactionError("read-only"), READ_ONLY),
        (asyncpg.exceptions.CannotConnectNowError("starting up"), UNREACHABLE),
        (TimeoutError(), UNREACHABLE),
    ],
)
def test_a_failover_in_progress_is_a_503_not_a_bug(error: Exception, meaning: object) -> None:
    assert unavailability(error) == meaning
