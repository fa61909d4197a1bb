"""Text in a request that cannot be stored, or read one way only: what StorableText
refuses before any of it reaches a use case, each problem naming where it is."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote_to_bytes

from service.adapters.api.problems import json_pointer

Problem = dict[str, str]

# Characters no database stores in text: NUL (PostgreSQL refuses it in text and JSON) and
# halves of UTF-16 surrogate pairs (they have no UTF-8 form). A JSON body can only carry
# them escaped, so the texts of a body without such an escape are not walked.
_UNSTORABLE_ESCAPE: Final = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_NOT_UTF8: Final = "is not UTF-8 text"


def unprintable(text: str) -> bool:
    return not text.isprintable() and any(
        unicodedata.category(char) in ("Cc", "Cs") for char in text
    )


def _unstorable(text: str) -> bool:
    return "\x00" in text or any(0xD800 <= ord(char) <= 0xDFFF for char in text)


def _refusal(text: str) -> str:
    char = next(c for c in text if unicodedata.category(c) in ("Cc", "Cs"))
    return f"must not contain control characters or lone surrogates (U+{ord(char):04X})"


def _form_fields(encoded: bytes) -> Iterator[tuple[str, str | None]]:
    """The fields of a query string or form body, percent-decoded: (name, value), the
    value None when its bytes are not UTF-8. Decoding them with replacement characters,
    as parsers do by default, would search or store a value nobody sent."""
    for pair in encoded.split(b"&"):
        if not pair:
            continue
        name, _, value = (_percent_decoded(part) for part in pair.partition(b"="))
        try:
            yield name.decode("utf-8"), value.decode("utf-8")
        except UnicodeDecodeError:
            yield name.decode("utf-8", "replace"), None


def _percent_decoded(encoded: bytes) -> bytes:
    return unquote_to_bytes(encoded.replace(b"+", b" "))


def query_problems(query_string: bytes) -> list[Problem]:
    """In a query parameter: bytes that are not UTF-8, or a control character."""
    problems = []
    for name, value in _form_fields(query_string):
        if value is None:
            problems.append({"parameter": name, "detail": _NOT_UTF8})
        elif unprintable(value):
            problems.append({"parameter": name, "detail": _refusal(value)})
    return problems


def body_problems(body: bytes, *, form: bool, fields_once: bool = False) -> list[Problem]:
    """In a form or JSON body: text that is not UTF-8 or cannot be stored; in JSON, a
    member named twice in one object, and with `fields_once` a form field given twice
    (which of the two is meant?)."""
    if form:
        fields = list(_form_fields(body))
        problems = [
            {
                "pointer": json_pointer(name),
                "detail": _NOT_UTF8 if value is None else _refusal(value),
            }
            for name, value in fields
            if value is None or _unstorable(value)
        ]
        if fields_once:
            given = Counter(name for name, _ in fields)
            problems += [
                {"pointer": json_pointer(name), "detail": f"is given {count} times: give one"}
                for name, count in given.items()
                if count > 1
            ]
        return problems
    if not body.isascii() or b"\x00" in body:
        # JSON between systems is UTF-8 (RFC 8259): raw bytes that are not (UTF-16 or
        # UTF-32, or halves of surrogate pairs) are refused whole, not guessed at.
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            return [{"pointer": "#", "detail": f"the body is not UTF-8 ({error.reason})"}]
        if "\x00" in text:
            return [{"pointer": "#", "detail": "the body holds a NUL byte"}]
    repeating: list[_Repeating] = []
    too_long: list[_LongNumber] = []
    try:
        document = json.loads(
            body,
            object_pairs_hook=lambda pairs: _members(pairs, repeating),
            parse_int=lambda digits: _integer(digits, too_long),
        )
    except (ValueError, RecursionError):
        return []  # not JSON after all, or nested past reading: the application says so
    problems = [
        {"pointer": json_pointer(path), "detail": "is given more than once in its object"}
        for path in (_repeated(document) if repeating else ())
    ]
    problems += [
        {"pointer": json_pointer(path), "detail": f"is a number of {number.digits} digits"}
        for path, number in (_long_numbers(document) if too_long else ())
    ]
    if _UNSTORABLE_ESCAPE.search(body):
        problems += [
            {"pointer": json_pointer(path), "detail": _refusal(text)}
            for path, text in _texts(document, "")
            if _unstorable(text)
        ]
    return problems


@dataclass(frozen=True, slots=True)
class _LongNumber:
    """An integer too long for Python to read (a JSON parser refuses the whole body, and
    the client would not learn which member): noted where it stands, then refused."""

    digits: int


def _integer(digits: str, too_long: list[_LongNumber]) -> int | _LongNumber:
    limit = sys.get_int_max_str_digits()
    if limit and len(digits.lstrip("-")) > limit:
        number = _LongNumber(len(digits.lstrip("-")))
        too_long.append(number)
        return number
    return int(digits)


class _Repeating(dict[str, Any]):
    """An object of a JSON document that names a member more than once (the last
    value kept, as JSON parsers do), with the names it repeats."""

    repeated: list[str]


def _members(pairs: list[tuple[str, Any]], repeating: list[_Repeating]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) == len(pairs):
        return members
    found = _Repeating(members)
    seen: set[str] = set()
    found.repeated = []
    for name, _ in pairs:
        if name in seen:
            found.repeated.append(name)
        seen.add(name)
    repeating.append(found)
    return found


def _nodes(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every value of a JSON document, the document first, with its dotted path."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, f"{path}.{index}" if path else str(index))


def _repeated(document: Any) -> Iterator[str]:
    """The dotted path of every member named twice in its object."""
    for path, value in _nodes(document):
        for name in getattr(value, "repeated", ()):
            yield f"{path}.{name}" if path else name


def _long_numbers(document: Any) -> Iterator[tuple[str, _LongNumber]]:
    return ((path, value) for path, value in _nodes(document) if isinstance(value, _LongNumber))


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every text in a JSON document, keys included, with its dotted path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            yield inner, str(key)
            yield from _texts(item, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}.{index}" if path else str(index))
