"""Moments as they come in over the wire (query parameters, request bodies, peers'
messages): with their zone, and within the years the domain keeps (see
service.domain.moments), else refused as an invalid value of the field they came in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

from service.domain.errors import InvalidValue
from service.domain.moments import as_utc


def _kept_range(value: datetime) -> datetime:
    try:
        as_utc(value, "")
    except InvalidValue as refused:
        raise ValueError(refused.detail) from None
    return value


# The moment as given (its zone kept, so that what was entered is what is recorded);
# only its range is checked here.
Moment = Annotated[AwareDatetime, AfterValidator(_kept_range)]
