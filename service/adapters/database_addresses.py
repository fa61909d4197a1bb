"""Where a PostgreSQL database is: one host, or several of which one takes writes.

Operators write several hosts the way libpq and `pg_autoctl show uri` do, in the
authority (`postgresql://u@h1:5432,h2:5432/db?target_session_attrs=read-write`), which
SQLAlchemy's URL parser cannot read; or the way SQLAlchemy documents, one `host=h:port`
query parameter each. Settings turn the first form into the second, so that every URL
tracedesk holds parses; `asyncpg_dsn` turns it back into the form asyncpg takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from sqlalchemy.engine import URL, make_url

DEFAULT_PORT: Final = 5432
# What a URL listing several hosts must ask for: a standby accepts connections too, and
# tracedesk writes through every connection it holds.
WRITABLE_SESSIONS: Final = frozenset({"read-write", "primary"})


@dataclass(frozen=True, slots=True)
class Host:
    name: str
    port: int

    def __str__(self) -> str:
        # An IPv6 address is bracketed, as in a URL, so that its port stays apart.
        name = f"[{self.name}]" if ":" in self.name else self.name
        return f"{name}:{self.port}"


def hosts_in_query(url: str) -> str:
    """`url` with the hosts listed in its authority moved to one `host=name:port` query
    parameter each, SQLAlchemy's form; a URL with one host (or none) unchanged."""
    parts = urlsplit(url)
    userinfo, at, hostlist = parts.netloc.rpartition("@")
    if "," not in hostlist:
        return url
    listed = urlencode([("host", host) for host in hostlist.split(",")])
    query = f"{parts.query}&{listed}" if parts.query else listed
    return urlunsplit((parts.scheme, userinfo + at, parts.path, query, parts.fragment))


def hosts(url: URL) -> tuple[Host, ...]:
    """Every host of a PostgreSQL URL, in the order they are tried; a port not given is
    PostgreSQL's. Raises ValueError when the hosts and ports cannot be told apart."""
    if "host" not in url.query:
        return (Host(url.host or "localhost", url.port or DEFAULT_PORT),)
    if url.host:
        raise ValueError("names its host twice, in the address and as a host= parameter")
    names = [name for given in _values(url, "host") for name in given.split(",")]
    ports = [port for given in _values(url, "port") for port in given.split(",")]
    if len(ports) > 1 and len(ports) != len(names):
        raise ValueError(f"lists {len(names)} hosts but {len(ports)} ports")
    found = []
    for index, token in enumerate(names):
        name, port = _split_port(token)
        if port is None and ports:
            port = ports[index if len(ports) > 1 else 0]
        found.append(Host(name, _port(port) if port else url.port or DEFAULT_PORT))
    return tuple(found)


def canonical(url: URL) -> URL:
    """The URL with each of several hosts as one `host=name:port` parameter (the form
    SQLAlchemy documents for asyncpg); a URL with one host unchanged."""
    found = hosts(url)
    if len(found) == 1:
        return url
    return (
        url.set(host=None, port=None)
        .difference_update_query(["host", "port"])
        .update_query_pairs([("host", str(host)) for host in found], append=True)
    )


def asyncpg_dsn(url: str) -> str:
    """The libpq-style address asyncpg takes, from a SQLAlchemy URL: several hosts go
    back into the authority, the one form asyncpg reads for more than one host."""
    parsed = make_url(url)
    found = hosts(parsed)
    if len(found) == 1:
        return parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    userinfo = ""
    if parsed.username is not None:
        userinfo = quote(parsed.username, safe="")
        if parsed.password is not None:
            userinfo += ":" + quote(str(parsed.password), safe="")
        userinfo += "@"
    rest = parsed.difference_update_query(["host", "port"]).query
    query = urlencode(  # sorted, as SQLAlchemy renders them: the same URL, the same DSN
        [(key, value) for key in sorted(rest) for value in _as_tuple(rest[key])], quote_via=quote
    )
    netloc = userinfo + ",".join(str(host) for host in found)
    return urlunsplit(("postgresql", netloc, "/" + quote(parsed.database or ""), query, ""))


def where(url: URL) -> str:
    """The hosts, for a message: never who connects or with what password."""
    return ", ".join(str(host) for host in hosts(url))


def _values(url: URL, key: str) -> tuple[str, ...]:
    return _as_tuple(url.query.get(key, ()))


def _as_tuple(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def _split_port(token: str) -> tuple[str, str | None]:
    if token.startswith("["):  # [IPv6]:port
        name, _, rest = token[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else None
    if token.startswith("/") or token.count(":") != 1:  # a socket directory, bare IPv6
        return token, None
    name, _, port = token.partition(":")
    return name, port or None


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"port '{text}' is not a port number")
    return int(text)
