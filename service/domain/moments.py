"""Moments as tracedesk keeps them: timezone-aware, in UTC, within the years a record
can speak of. Anything else is refused with the field it came in, never passed on to
a clock or a database that cannot hold it (year 1 in a zone east of UTC is year 0)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from service.domain.errors import InvalidValue

EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2200, 1, 1, tzinfo=UTC)
OUT_OF_RANGE: Final = "lies outside the years 1900 to 2199"


def as_utc(value: datetime, field: str) -> datetime:
    """The moment in UTC; it must carry its zone and lie between 1900 and 2199."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(field, "must include a time zone offset, for example Z")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(field, OUT_OF_RANGE) from None
    if not EARLIEST <= utc < LATEST:
        raise InvalidValue(field, OUT_OF_RANGE)
    return utc
