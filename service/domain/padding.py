"""Zeros that pad a run of digits: `0012345` and `12345`, `GLK-00731` and `GLK-731`.

A spreadsheet drops them from a serial it takes for a number; some registers pad serials
to a width (`00001234`), others never. Runs are those of the reading as written: a
separator ends one (`G19-00731` pads `731`, not `19731`). A reading is filed under its
unpadded form too, so readings padded to any width find each other with one key.
"""

from __future__ import annotations

import re
from typing import Final

from service.domain.identifiers import MIN_LENGTH_FOR_EDIT_MATCH, is_separator, normalize

# Zeros starting a run of digits that goes on with two digits or more: a lone digit is
# rarely padded (`M4A01` is not `M4A1`), and a run of zeros alone is a number.
_PADDING_ZEROS: Final = re.compile(r"(?<![0-9])0+(?=[1-9][0-9])")
_GROUP: Final = "\x1f"  # never in a reading: control characters are refused


def _grouped(raw: str) -> str:
    """The normalized reading with its separators kept, as one mark between groups."""
    groups: list[str] = []
    current: list[str] = []
    for char in raw:
        if is_separator(char):
            groups.append("".join(current))
            current = []
        else:
            current.append(char)
    groups.append("".join(current))
    return _GROUP.join(normalize(group) for group in groups if group)


def unpadded(raw: str) -> str:
    """The normalized reading without the zeros padding its runs of digits (runs as
    written: a separator ends one). Readings padded alike or otherwise, to any width,
    have the same unpadded form."""
    return _PADDING_ZEROS.sub("", _grouped(raw)).replace(_GROUP, "")


def padding_key(raw: str, normalized: str) -> str | None:
    """The key a complete reading is filed and looked up under besides its spellings:
    its unpadded form, when that differs from its normalized form and is long enough to
    match on; else None."""
    bare = unpadded(raw)
    if bare == normalized or len(bare) < MIN_LENGTH_FOR_EDIT_MATCH:
        return None
    return bare


def padded_alike(a: str, b: str) -> bool:
    """True when two readings (raw) differ only by zeros padding runs of digits: the
    same once unpadded, and long enough to match on."""
    normal_a, normal_b = normalize(a), normalize(b)
    return (
        normal_a != normal_b
        # Padding only adds zeros: a cheap test first, since ranking asks it of every
        # candidate the exact and normalized kinds did not take.
        and normal_a.replace("0", "") == normal_b.replace("0", "")
        and len(bare := unpadded(a)) >= MIN_LENGTH_FOR_EDIT_MATCH
        and bare == unpadded(b)
    )
