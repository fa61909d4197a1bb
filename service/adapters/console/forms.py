"""Reading posted forms, and showing what was wrong with them beside each field.

Field names in the console's forms are the API's field paths with `-` for `.`
(`items-0-serial` is `items.0.serial`), so the problems the domain and the API's models
report land beside the field they are about without any mapping table."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final, Protocol

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from starlette.datastructures import FormData

from service.adapters.console.domain_messages import said_to_reader
from service.adapters.console.i18n import N_, ngettext_, number
from service.adapters.console.i18n import gettext_ as _


class Located(Protocol):
    @property
    def field(self) -> str: ...

    @property
    def detail(self) -> str: ...


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# A whole number as a form sends it: ASCII digits, few enough for any count or version.
# `str.isdigit` also takes "²", which `int` refuses, and `int` refuses 5,000 digits.
_WHOLE_NUMBER: Final = re.compile(r"[0-9]{1,9}")


def whole_number(text: str) -> int | None:
    """The whole number a form field holds, or None when it holds anything else."""
    return int(text) if _WHOLE_NUMBER.fullmatch(text) else None


def field_id(path: str) -> str:
    return path.replace(".", "-")


def problems_by_field(problems: Iterable[Located]) -> dict[str, str]:
    """The first problem of each field, in the reader's language when the catalogue
    knows the message (the domain's messages are English)."""
    found: dict[str, str] = {}
    for problem in problems:
        found.setdefault(field_id(problem.field) or "form", said_to_reader(problem.detail))
    return found


def model_problems(
    error: ValidationError, *, union_tags: frozenset[str] = frozenset()
) -> dict[str, str]:
    """A pydantic model's errors, by form field: the API's validation, the console's words."""
    found: dict[str, str] = {}
    for item in error.errors():
        path = [
            str(part)
            for index, part in enumerate(item["loc"])
            if not (part in union_tags and index and isinstance(item["loc"][index - 1], int))
        ]
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        found.setdefault("-".join(path) or "form", in_console_words(item) or _(message))
    return found


_CHOICE: Final = frozenset({"enum", "literal_error", "uuid_parsing", "uuid_type", "bool_parsing"})
_NUMBER: Final = frozenset(
    {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float", "decimal_parsing"}
)
_DAY: Final = frozenset({"date_parsing", "date_type", "date_from_datetime_parsing"})
_MOMENT: Final = frozenset({"datetime_parsing", "datetime_type", "datetime_from_date_parsing"})
_BOUNDS: Final = {
    "greater_than_equal": ("ge", N_("Enter a number of at least %(limit)s")),
    "greater_than": ("gt", N_("Enter a number greater than %(limit)s")),
    "less_than_equal": ("le", N_("Enter a number of at most %(limit)s")),
    "less_than": ("lt", N_("Enter a number smaller than %(limit)s")),
}


def in_console_words(error: ErrorDetails) -> str | None:
    """Pydantic's common errors in the reader's language (its own messages are English
    only, and name codes such as 'crime_scene'); None for the others, whose message is
    the domain's own and shown as the catalogue knows it."""
    kind, context = error["type"], error.get("ctx") or {}
    empty = kind == "string_too_short" and (
        error.get("input") == "" or context.get("min_length") == 1
    )
    if kind == "missing" or empty:
        return _("Enter a value")
    if kind == "string_too_short":
        least = int(context.get("min_length", 0))
        return ngettext_(
            "Enter at least %(num)s character", "Enter at least %(num)s characters", least
        ) % {"num": number(least)}
    if kind == "string_too_long":
        most = int(context.get("max_length", 0))
        return ngettext_(
            "Enter at most %(num)s character", "Enter at most %(num)s characters", most
        ) % {"num": number(most)}
    if kind in _CHOICE:
        return _("Choose one of the options")
    if kind in _NUMBER:
        return _("Enter a number")
    if kind in _DAY:
        return _("Enter a date")
    if kind in _MOMENT:
        return _("Enter a date and time")
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        limit = context.get(key)
        return _(words) % {"limit": number(limit) if isinstance(limit, int | float) else limit}
    return None
