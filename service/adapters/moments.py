"""Moments and days as they come in over the wire (query parameters, request bodies,
peers' messages): written out as the OpenAPI document says (RFC 3339 text), moments with
their zone and within the years the domain keeps (see service.domain.moments), else
refused as an invalid value of the field they came in."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from service.domain.errors import InvalidValue
from service.domain.moments import FINER_THAN_STORED, as_utc, finer_than_stored

# What Pydantic would read as seconds since 1970: a JSON number, or text that is one.
_NUMBER: Final = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _written_out(kind: str, example: str) -> Callable[[object], object]:
    def check(value: object) -> object:
        # A number here is far more likely a mistake (a year, a count, a lost format)
        # than a moment meant as Unix time; the document promises text.
        if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
            raise ValueError(f"must be written as {kind}, e.g. {example}, not as a number")
        return value

    return check


def _to_the_microsecond(value: object) -> object:
    if isinstance(value, str) and finer_than_stored(value):
        raise ValueError(FINER_THAN_STORED)
    return value


def _kept_range(value: datetime) -> datetime:
    try:
        as_utc(value, "")
    except InvalidValue as refused:
        raise ValueError(refused.detail) from None
    return value


# A moment as given (its zone kept, so that what was entered is what is recorded), its
# form checked here and its range by the domain, which names it with the other problems
# of what it checks.
ZonedMoment = Annotated[
    AwareDatetime,
    BeforeValidator(_to_the_microsecond),
    BeforeValidator(_written_out("a date and time", "2026-03-01T14:30:00+01:00")),
]
# The same, its range checked here too: for parameters and messages no domain rule reads.
Moment = Annotated[ZonedMoment, AfterValidator(_kept_range)]
# A calendar day (a birth, a sale in a chain of custody).
Day = Annotated[date, BeforeValidator(_written_out("a date", "2026-03-01"))]
