"""Multipart forms whose fields each hold one value: a field sent twice is refused.

A form parser keeps every part, but a route's single-valued field reads one of them
(FastAPI the last); a second photo or import file sent in the same request would be
dropped without a word, and the client would believe it stored. Each route names its
single-valued fields, and a request repeating any of them is a 422 at each field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from service.domain.errors import InvalidValue, ValidationFailed


def repeated_parts(form: FormData, names: Sequence[str]) -> list[InvalidValue]:
    """A problem for each of `names` the form holds more than once."""
    problems = []
    for name in names:
        parts = form.getlist(name)
        if len(parts) > 1:
            what = "file" if any(isinstance(part, UploadFile) for part in parts) else "value"
            problems.append(InvalidValue(name, f"one {what} per request: {len(parts)} were sent"))
    return problems


def one_part_each(*names: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency refusing a request whose form repeats any of `names`. It reads the
    form FastAPI has already parsed (the request keeps it), not the body again."""

    async def check(request: Request) -> None:
        problems = repeated_parts(await request.form(), names)
        if problems:
            raise ValidationFailed.of(*problems)

    return check
