"""What every command shares: its failures, its database, its output."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import socket
import sys
import unicodedata
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy.engine import make_url

from service.adapters.availability import causes, unavailability
from service.adapters.bootstrap import build_dependencies, open_database
from service.adapters.database_addresses import where as hosts_of
from service.adapters.persistence.schema import SchemaStatus, status, upgrade
from service.adapters.settings import Settings
from service.dependencies import Dependencies

T = TypeVar("T")


class CommandFailed(Exception):
    """A command could not do its work; the message says what to do instead."""


def at_least_one(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def database_refusal(error: BaseException, settings: Settings) -> str | None:
    """One line saying why the configured database cannot be used, naming where it is
    but never who connects or with what password; None when `error` is no such reason."""
    url = make_url(settings.database_url)
    where = (
        f"the SQLite file {url.database}"
        if url.drivername.startswith("sqlite")
        else f"PostgreSQL at {hosts_of(url)}"
    )
    for cause in causes(error):
        state = str(getattr(cause, "sqlstate", "") or "")
        if state == "3D000":
            return f"database '{url.database}' does not exist on {where}"
        if state[:2] == "28":
            return f"{where} refused the user or password of TRACEDESK_DATABASE_URL"
        if isinstance(cause, socket.gaierror):
            return f"cannot reach {where}: its host name does not resolve"
    unavailable = unavailability(error)
    if unavailable is not None:
        return f"cannot reach {where}: it is {unavailable.reason} ({type(error).__name__})"
    return None


def checked_database(settings: Settings, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Runs `work`; a database that cannot be used ends the command in one line."""
    try:
        return asyncio.run(work())
    except Exception as error:
        refusal = database_refusal(error, settings)
        if refusal is None:
            raise
        raise CommandFailed(refusal) from None


def with_database(
    settings: Settings, work: Callable[[Dependencies], Awaitable[T]], *, migrated: bool = True
) -> T:
    async def run() -> T:
        if migrated:
            schema = await status(settings.database_url)
            if not schema.is_current:
                raise CommandFailed(schema.explain())
        database = await open_database(settings)
        try:
            return await work(build_dependencies(database, settings))
        finally:
            await database.dispose()

    return checked_database(settings, run)


def print_json(document: dict[str, Any]) -> None:
    print(json.dumps(document, ensure_ascii=False, default=str))


def schema_status(settings: Settings, *, migrate: bool) -> SchemaStatus:
    return checked_database(
        settings, lambda: (upgrade if migrate else status)(settings.database_url)
    )


def unreadable(text: str) -> str | None:
    """Why text typed on the command line cannot be taken as it is: bytes that are not
    UTF-8 (Python keeps them as lone surrogates) or control characters."""
    if text.isprintable():
        return None
    for char in text:
        if 0xDC80 <= ord(char) <= 0xDCFF:
            return "not UTF-8 text"
        if unicodedata.category(char) in ("Cc", "Cs"):
            return f"must not contain control characters (U+{ord(char):04X})"
    return None


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        raw = sys.stdin.buffer.readline().rstrip(b"\r\n")
        try:
            password = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CommandFailed("the password on standard input is not UTF-8 text") from None
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise CommandFailed("the passwords differ")
    refusal = unreadable(password)
    if refusal is not None:
        raise CommandFailed(f"the password {refusal}")
    return password


async def agency_id(deps: Dependencies, reference: str) -> UUID:
    async with deps.unit_of_work() as uow:
        try:
            agency = await uow.agencies.get(UUID(reference))
        except ValueError:
            agency = await uow.agencies.by_name(reference)
    if agency is None:
        raise CommandFailed(f"no agency {reference!r}; see `tracedesk admin list-agencies`")
    return agency.id
