"""Connecting to the one server of several that takes writes, host by host.

asyncpg tries the hosts of a DSN in turn but under one timeout for them all: a host that
is down without refusing (powered off, cut off, its packets dropped) takes the whole
timeout, and the next host is never tried, so a failover would never be followed. Here
each host has its own share of the timeout, as libpq's connect_timeout gives each host,
and the host that answered last is tried first, so that once a failover has happened
new connections do not wait on the lost primary before reaching the new one.

Each host is asked on its own, so `target_session_attrs=prefer-standby` (a read
replica's URL) becomes two rounds: every host as a standby, then any host.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from service.adapters.availability import unavailability

# asyncpg's own default when no timeout is given.
_CONNECT_TIMEOUT = 60.0


class HostByHost:
    """A drop-in for `asyncpg.connect` (the pool's `connect=`, the change feed's):
    the first host of the DSN that answers in its share of the timeout and matches the
    DSN's target_session_attrs."""

    def __init__(self) -> None:
        self._answered: dict[str, int] = {}  # DSN -> index of the host that answered last

    async def __call__(self, dsn: str | None = None, **options: Any) -> asyncpg.Connection:
        if dsn is None or len(each := one_dsn_per_host(dsn)) == 1:
            alone: asyncpg.Connection = await asyncpg.connect(dsn, **options)
            return alone
        rounds = [each]
        if _wanted(dsn) == "prefer-standby":
            rounds = [[_asking(d, "standby") for d in each], [_asking(d, "any") for d in each]]
        attempts = len(each) * len(rounds)
        share = float(options.pop("timeout", None) or _CONNECT_TIMEOUT) / attempts
        first = self._answered.get(dsn, 0)
        order = [first, *(index for index in range(len(each)) if index != first)]
        failures: list[Exception] = []
        for hosts in rounds:
            for index in order:
                try:
                    connection: asyncpg.Connection = await asyncpg.connect(
                        hosts[index], timeout=share, **options
                    )
                except Exception as failure:
                    if unavailability(failure) is None:
                        raise  # refused credentials, no such database: alike on every host
                    failures.append(failure)
                    continue
                self._answered[dsn] = index
                return connection
        raise _telling(failures)


def one_dsn_per_host(dsn: str) -> list[str]:
    """The DSN once per host of its authority, in order."""
    parts = urlsplit(dsn)
    userinfo, at, hostlist = parts.netloc.rpartition("@")
    return [urlunsplit(parts._replace(netloc=userinfo + at + host)) for host in hostlist.split(",")]


def _wanted(dsn: str) -> str | None:
    return dict(parse_qsl(urlsplit(dsn).query)).get("target_session_attrs")


def _asking(dsn: str, attributes: str) -> str:
    parts = urlsplit(dsn)
    query = dict(parse_qsl(parts.query)) | {"target_session_attrs": attributes}
    return urlunsplit(parts._replace(query=urlencode(query)))


def _telling(failures: list[Exception]) -> Exception:
    """What to report when no host would do: a server that answered but takes no writes
    (a failover under way) says more than one that did not answer."""
    for failure in failures:
        if isinstance(failure, asyncpg.exceptions.TargetServerAttributeNotMatched):
            return failure
    return failures[-1]
