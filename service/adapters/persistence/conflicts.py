"""A write that lost a race for a unique key, told as the domain's Conflict.

Use cases check that a name or id is free before adding a row; two requests checking
at the same moment both find it free, and the database refuses the second insert.
That refusal is a conflict the caller can act on (409), not an internal error.
"""

from __future__ import annotations

import re
from typing import Final

import asyncpg
import sqlalchemy.exc

from service.domain.errors import Conflict

# What each table's unique keys name, for the caller.
_TAKEN: Final = {
    "agencies": "an agency with this name or id exists already",
    "recoveries": "a recovery with this id exists already",
    "users": "the username is taken",
    "service_accounts": "the agency has a service account of this name already",
    "api_keys": "an API key with this id exists already",
    "trace_requests": "a trace request with this id exists already",
    "received_exchanges": "this message was received already",
    "network_links": "a link of this kind between these recoveries exists already",
}
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.")


def lost_race(error: BaseException) -> Conflict | None:
    """The Conflict a driver's unique-key violation stands for, or None for any other
    error."""
    table: str | None
    if isinstance(error, asyncpg.UniqueViolationError):
        table = error.table_name
    elif isinstance(error, sqlalchemy.exc.IntegrityError):
        found = _SQLITE_UNIQUE.search(str(error.orig))
        if found is None:
            return None
        table = found.group(1)
    else:
        return None
    taken = _TAKEN.get(table or "", "a record with the same key exists already")
    return Conflict(f"{taken} (stored at the same moment by another request)")
