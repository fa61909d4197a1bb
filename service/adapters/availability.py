"""Telling "the database (or the file store) cannot serve this now" apart from a bug.

A request that fails because PostgreSQL is restarting, failing over, refusing
connections, read-only or out of disk is answered 503 with Retry-After, and its client
may repeat it; anything else is a 500. The drivers say this in many ways (asyncpg's
connection and operator-intervention errors, its interface errors on a closed
connection, sockets refused or reset, SQLite's locked or read-only file), so the
decision is made here, once, for the HTTP API and the console alike.
"""

from __future__ import annotations

import errno
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

import asyncpg
from sqlalchemy import exc as sqlalchemy_errors

# PostgreSQL's SQLSTATE classes that mean the server, not the statement, is the problem:
# 08 connection exception, 53 insufficient resources (disk full, too many connections),
# 57 operator intervention (shutdown, crash, starting up, database dropped), 58 system
# error (I/O). 57014 (query cancelled, e.g. by statement_timeout) is left out: the
# statement itself was the problem.
_UNAVAILABLE_CLASSES: Final = frozenset({"08", "53", "57", "58"})
_NOT_UNAVAILABLE: Final = frozenset({"57014"})
_READ_ONLY_STATES: Final = frozenset({"25006"})
_SQLITE_UNAVAILABLE: Final = (
    "database is locked",
    "database table is locked",
    "disk i/o error",
    "database or disk is full",
    "unable to open database file",
    "attempt to write a readonly database",
)
_NETWORK_ERRNOS: Final = frozenset(
    {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT, errno.EPIPE}
)
_SOCKET_FAILURES: Final = ("Multiple exceptions: ", "Connect call failed")


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Why the database cannot serve now, and when to ask again."""

    reason: str
    retry_after_seconds: int
    what: str = "the database"

    @property
    def detail(self) -> str:
        return f"{self.what} is {self.reason}; try again in {self.retry_after_seconds} s"


UNREACHABLE: Final = Unavailable("unreachable or restarting", 2)
READ_ONLY: Final = Unavailable("read-only (a failover in progress or a full disk)", 5)
BUSY: Final = Unavailable("busy", 1)
# Photos and uploads live in directories (a volume, a network share): one that is full,
# read-only, not writable or not a directory is the operator's to mend, not a bug, and
# nothing was stored.
FILE_STORE: Final = Unavailable(
    "not writable (full, read-only, or not a directory this service may use)",
    30,
    what="the file store",
)
_STORAGE_ERRNOS: Final = frozenset(
    {
        errno.ENOTDIR,
        errno.EACCES,
        errno.EPERM,
        errno.EEXIST,
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EROFS,
        errno.EIO,
        errno.ESTALE,
    }
)


# The SQLite file the server opened is no longer at its path (deleted, moved, or another
# file put there): whatever it writes would go to a file nobody will open again, or to
# a database it did not check. An operator must look, then restart the server.
FILE_REPLACED: Final = Unavailable(
    "no longer the file this server opened (deleted, moved or replaced); restart the server",
    30,
    what="the database file",
)


class DatabaseFileReplaced(Exception):
    """The SQLite file at the configured path is not the one this server opened."""


class FileStoreFailure(Exception):
    """A directory where files are kept (photos, uploads) cannot be used: raised, from
    the OSError, only by the code that keeps files, so that the same errno anywhere else
    (a database socket refused to this user) is not taken for it."""


@contextmanager
def file_store() -> Iterator[None]:
    """Around reading and writing kept files: an OSError that says the directory is full,
    read-only, not writable or not a directory becomes a FileStoreFailure."""
    try:
        yield
    except OSError as error:
        if error.errno in _STORAGE_ERRNOS:
            raise FileStoreFailure(f"{type(error).__name__}: {error.strerror}") from error
        raise


def unavailability(error: BaseException) -> Unavailable | None:
    """Unavailable when `error`, or what caused it, says the database cannot serve now;
    None for every other error."""
    for cause in causes(error):
        found = _classify(cause)
        if found is not None:
            return found
    return None


def _classify(error: BaseException) -> Unavailable | None:
    if isinstance(error, DatabaseFileReplaced):
        return FILE_REPLACED
    if isinstance(error, asyncpg.PostgresError):
        state = str(getattr(error, "sqlstate", "") or "")
        if state in _READ_ONLY_STATES or state == "53100":
            return READ_ONLY
        if state in _NOT_UNAVAILABLE:
            return None
        return UNREACHABLE if state[:2] in _UNAVAILABLE_CLASSES else None
    if isinstance(error, asyncpg.exceptions.TargetServerAttributeNotMatched):
        # Every server answered, none takes writes: a standby not yet promoted, the
        # demoted primary (the URL asks for target_session_attrs=read-write).
        return READ_ONLY
    if isinstance(error, asyncpg.exceptions.InternalClientError):
        # The server ended the session (a FATAL on shutdown) while the connection was
        # idle: its protocol waits for an answer that will not come.
        return UNREACHABLE if str(error).startswith("cannot switch to state") else None
    if isinstance(error, asyncpg.InterfaceError):
        # "connection is closed", "connection was closed in the middle of operation":
        # the server went away under a pooled connection.
        return UNREACHABLE if "closed" in str(error) else None
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        if "readonly" in message or "disk is full" in message:
            return READ_ONLY
        if "locked" in message:
            return BUSY
        return UNREACHABLE if message.startswith(_SQLITE_UNAVAILABLE) else None
    if isinstance(error, sqlalchemy_errors.DBAPIError) and error.connection_invalidated:
        return UNREACHABLE
    if isinstance(error, (ConnectionError, TimeoutError)):
        # Refused or reset sockets, and a pool that could not connect or hand out a
        # connection in time.
        return UNREACHABLE
    if isinstance(error, socket.gaierror) or (
        isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS
    ):
        return UNREACHABLE
    if isinstance(error, OSError) and str(error).startswith(_SOCKET_FAILURES):
        # asyncio's summary when every address of the host refused.
        return UNREACHABLE
    if isinstance(error, FileStoreFailure):
        return FILE_STORE
    return None


def causes(error: BaseException) -> Iterator[BaseException]:
    """The error, then what it was raised from or during, and a SQLAlchemy error's
    driver error; each once."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, sqlalchemy_errors.DBAPIError) and isinstance(
            current.orig, BaseException
        ):
            pending.append(current.orig)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
