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

from service.domain.errors import IDENTIFIER_IN_USE, Conflict

# What each table's unique keys name, for the caller.
_TAKEN: Final = {
    "agencies": "an agency with this name or id exists already",
    "users": "the username is taken",
    "service_accounts": "the agency has a service account of this name already",
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
    return Conflict(_TAKEN.get(table or "", IDENTIFIER_IN_USE))
