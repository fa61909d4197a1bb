"""Rules for free text that becomes evidence: bounded, printable, never silently changed."""

from __future__ import annotations

import unicodedata

from service.domain.errors import InvalidValue

_LINE_BREAKS = frozenset("\n\r\t")


def check_text(
    value: str, field: str, *, max_length: int, multiline: bool = False, required: bool = True
) -> str:
    """Return the value unchanged if it is acceptable, else raise InvalidValue.

    Control and invisible format characters are refused rather than stripped: a stored
    record must show exactly what was entered, so the sender has to fix the input.
    """
    if required and not value.strip():
        raise InvalidValue(field, "must not be empty")
    if len(value) > max_length:
        raise InvalidValue(field, f"must be at most {max_length} characters")
    if value.isprintable():
        # Printable text has no control, format, surrogate, private or unassigned
        # characters; the check below runs only for the rest (line breaks, odd spaces).
        return value
    for char in value:
        if multiline and char in _LINE_BREAKS:
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise InvalidValue(
                field, f"must not contain control or invisible characters (U+{ord(char):04X})"
            )
    return value


def shortened(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marked where it was cut. Messages quote
    what a file or a caller wrote; a quote of a megabyte-long cell is not a message."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 30]}… ({len(text):,} characters)"
