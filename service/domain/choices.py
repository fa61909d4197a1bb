"""Values that must be one of a fixed set."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from service.domain.errors import InvalidValue

E = TypeVar("E", bound=StrEnum)


def choose(enum: type[E], value: object, field: str) -> E:
    """The member of `enum` given as a member or by its value; anything else is refused
    with the list of allowed values."""
    try:
        return enum(str(value))
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidValue(field, f"must be one of: {allowed}") from None
