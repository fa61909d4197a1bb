"""Moments as tracedesk keeps them: timezone-aware, in UTC, within the years a record
can speak of. Anything else is refused with the field it came in, never passed on to
a clock or a database that cannot hold it (year 1 in a zone east of UTC is year 0)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, tzinfo
from typing import Final

from service.domain.errors import InvalidValue

EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2200, 1, 1, tzinfo=UTC)
OUT_OF_RANGE: Final = "lies outside the years 1900 to 2199"


# The fraction of a second of a written moment. Python, Pydantic and the databases keep
# microseconds: finer digits would be cut off, and the moment stored would not be the one
# given, so they are refused.
_FRACTION: Final = re.compile(r"\d[T t]?\d{2}:\d{2}:\d{2}[.,](\d+)")
FINER_THAN_STORED: Final = "is kept to the microsecond: give at most six digits after the second"


def finer_than_stored(text: str) -> bool:
    """Whether a written moment gives more than six digits after the second."""
    fraction = _FRACTION.search(text)
    return fraction is not None and len(fraction.group(1)) > 6


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


def check_period(
    start: datetime | None, end: datetime | None, *, start_field: str, end_field: str
) -> None:
    """A period from `start` (inclusive) to `end` (exclusive), either open, must hold
    some time: one that ends where or before it starts finds nothing, and saying so is
    better than an empty answer taken for "there is none"."""
    if start is not None and end is not None and end <= start:
        raise InvalidValue(end_field, f"must be after {start_field}")


def in_zone(wall_clock: datetime, zone: tzinfo, field: str) -> datetime:
    """A time read off a clock in `zone`, as the moment it was (in UTC). A time the zone skipped
    (clocks put forward) or went through twice (clocks put back) is refused: which moment
    it was cannot be known, and evidence an hour off is wrong evidence."""
    first, second = wall_clock.replace(tzinfo=zone, fold=0), wall_clock.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    if wall_clock.time() == time():
        # Midnight is how a day without a time is written (a date cell, `2024-09-08`): it
        # stands for the start of that day, the first moment of it there was. Where the
        # clocks skip midnight, fold 0 reads it with the offset before, which is exactly
        # the moment they were put forward; where midnight comes twice, the first. In UTC:
        # a time in a gap or a fold compares unequal to every other zone's (PEP 495).
        return first.astimezone(UTC)
    shown = wall_clock.replace(tzinfo=None).isoformat(timespec="minutes")
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != first.replace(tzinfo=None):
        raise SkippedTime(
            field,
            f"{shown} never happened in {zone} (the clocks were put forward): write it "
            "with its offset",
        )
    offsets = " or ".join(m.isoformat()[-6:] for m in (first, second))
    raise RepeatedTime(
        field,
        f"{shown} happened twice in {zone} (the clocks were put back): write it with its "
        f"offset, {offsets}",
    )


class SkippedTime(InvalidValue):
    """A wall-clock time its zone skipped when the clocks were put forward."""


class RepeatedTime(InvalidValue):
    """A wall-clock time its zone went through twice when the clocks were put back."""
