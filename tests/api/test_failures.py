"""Errors no handler takes: an outage of the database is a 503 with Retry-After, a bug a
500, each logged once, neither saying more than the problem type and the request id."""

from __future__ import annotations

import errno
import sqlite3

import asyncpg
import httpx
import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy import exc as sqlalchemy_errors

from service.adapters.api.failures import UnexpectedErrors
from service.adapters.api.middleware import RequestContext
from service.adapters.api.problems import install_problem_handlers
from service.adapters.availability import (
    BUSY,
    FILE_REPLACED,
    FILE_STORE,
    READ_ONLY,
    UNREACHABLE,
    DatabaseFileReplaced,
    FileStoreFailure,
    unavailability,
)


def _chained(error: BaseException, cause: BaseException) -> BaseException:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), UNREACHABLE),
        (
            asyncpg.exceptions.CannotConnectNowError("starting up"),
            UNREACHABLE,
        ),
        (asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"), UNREACHABLE),
        (asyncpg.exceptions.TooManyConnectionsError("too many clients"), UNREACHABLE),
        (asyncpg.exceptions.ReadOnlySQLTransactionError("read-only transaction"), READ_ONLY),
        (asyncpg.exceptions.DiskFullError("could not extend file"), READ_ONLY),
        (asyncpg.InterfaceError("connection is closed"), UNREACHABLE),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"), UNREACHABLE),
        (ConnectionResetError(errno.ECONNRESET, "reset by peer"), UNREACHABLE),
        (OSError("Multiple exceptions: [Errno 111] Connect call failed"), UNREACHABLE),
        (TimeoutError(), UNREACHABLE),
        (sqlite3.OperationalError("database is locked"), BUSY),
        (sqlite3.OperationalError("attempt to write a readonly database"), READ_ONLY),
        (sqlite3.OperationalError("disk I/O error"), UNREACHABLE),
        (DatabaseFileReplaced("/var/lib/tracedesk/tracedesk.db"), FILE_REPLACED),
        (
            sqlalchemy_errors.OperationalError(
                "INSERT", {}, sqlite3.OperationalError("database is locked")
            ),
            BUSY,
        ),
        (
            _chained(RuntimeError("commit failed"), asyncpg.exceptions.AdminShutdownError()),
            UNREACHABLE,
        ),
        # What the statement or the code did wrong is no outage.
        (asyncpg.exceptions.QueryCanceledError("statement timeout"), None),
        (asyncpg.exceptions.UniqueViolationError("duplicate key"), None),
        (
            asyncpg.InterfaceError("another operation is in progress"),
            None,
        ),
        (sqlite3.OperationalError("no such table: recoveries"), None),
        (FileNotFoundError(errno.ENOENT, "photo missing"), None),
        # A file store (photos, uploads) the service cannot write to is the operator's
        # to mend, as a database that is away is: said so only where files are kept, so
        # that the same errno elsewhere (a socket refused to this user) stays a bug.
        (PermissionError(errno.EACCES, "denied"), None),
        (_chained(FileStoreFailure("PermissionError: denied"), PermissionError()), FILE_STORE),
        (FileStoreFailure("NotADirectoryError: not a directory"), FILE_STORE),
        (ValueError("a bug"), None),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_an_outage_is_told_apart_from_a_bug(error: BaseException, expected: object) -> None:
    assert unavailability(error) == expected


def failing_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/restarting")
    async def restarting() -> None:
        raise asyncpg.exceptions.AdminShutdownError("terminating connection")

    @app.post("/read-only")
    async def read_only() -> None:
        raise asyncpg.exceptions.ReadOnlySQLTransactionError("read-only transaction")

    @app.get("/bug")
    async def bug() -> None:
        raise ValueError("secret internals: password=hunter2")

    app.add_middleware(UnexpectedErrors)
    app.add_middleware(RequestContext)
    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=failing_app(), raise_app_exceptions=True)
    return httpx.AsyncClient(transport=transport, base_url="http://tracedesk.test")


@pytest.mark.parametrize(("path", "seconds"), [("/restarting", "2"), ("/read-only", "5")])
async def test_an_outage_is_a_503_with_retry_after_logged_once_without_a_traceback(
    client: httpx.AsyncClient, path: str, seconds: str
) -> None:
    with structlog.testing.capture_logs() as logs:
        answer = await client.post(path, json={})
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == seconds
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "/problems/service-unavailable"
    assert problem["instance"] == path
    assert problem["request_id"] == answer.headers["x-request-id"]
    outage = [entry for entry in logs if entry["event"] == "database unavailable"]
    assert len(outage) == 1 and "exc_info" not in outage[0]


async def test_a_bug_is_a_500_that_says_nothing_of_its_internals(client: httpx.AsyncClient) -> None:
    # raise_app_exceptions=True: an error that escaped the middleware would fail here.
    with structlog.testing.capture_logs() as logs:
        answer = await client.get("/bug")
    assert answer.status_code == 500
    assert "retry-after" not in answer.headers
    assert answer.json()["type"] == "/problems/internal-error"
    assert "hunter2" not in answer.text and "ValueError" not in answer.text
    assert [entry["event"] for entry in logs if entry["log_level"] == "error"] == [
        "unhandled error"
    ]
