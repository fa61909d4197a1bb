"""Text a spreadsheet would run as a formula (CSV injection), written so that none does.

A cell is formula-like when, past any leading white space, it starts with `=`, `+`, `-`
or `@`, in any width (`＝`, `＋`: spreadsheets fold full-width forms too), or starts with
a tab or a line break. Such a cell is written with a leading apostrophe. So is a cell that
already starts with an apostrophe before formula-like text, so that reading strips
exactly the apostrophe writing added: every text comes back as it was."""

from __future__ import annotations

import unicodedata
from typing import Any, Final

_STARTS: Final = frozenset("=+-@")
_CONTROL_STARTS: Final = ("\t", "\r", "\n")


def _formula_like(text: str) -> bool:
    if text.startswith(_CONTROL_STARTS):
        return True
    rest = text.lstrip()
    return bool(rest) and unicodedata.normalize("NFKC", rest[0])[:1] in _STARTS


def _quoted_when_written(text: str) -> bool:
    while text.startswith("'"):
        text = text[1:]
        if _formula_like(text):
            return True
    return _formula_like(text)


def spreadsheet_safe(value: Any) -> Any:
    """`value` as a spreadsheet cell that is never a formula."""
    if isinstance(value, str) and _quoted_when_written(value):
        return "'" + value
    return value


def as_written(value: Any) -> Any:
    """A cell read back: the apostrophe `spreadsheet_safe` added, taken off."""
    if isinstance(value, str) and value.startswith("'") and _quoted_when_written(value[1:]):
        return value[1:]
    return value
