"""Reading posted forms, and showing what was wrong with them beside each field.

Field names in the console's forms are the API's field paths with `-` for `.`
(`items-0-serial` is `items.0.serial`), so the problems the domain and the API's models
report land beside the field they are about without any mapping table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pydantic import ValidationError
from starlette.datastructures import FormData

from service.adapters.console.i18n import gettext_ as _


class Located(Protocol):
    @property
    def field(self) -> str: ...

    @property
    def detail(self) -> str: ...


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def field_id(path: str) -> str:
    return path.replace(".", "-")


def problems_by_field(problems: Iterable[Located]) -> dict[str, str]:
    """The first problem of each field, in the reader's language when the catalogue
    knows the message (the domain's messages are English)."""
    found: dict[str, str] = {}
    for problem in problems:
        found.setdefault(field_id(problem.field) or "form", _(problem.detail))
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
        found.setdefault("-".join(path) or "form", _(message))
    return found
