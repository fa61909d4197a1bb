"""Zeros that pad a run of digits: `0012345` and `12345`, `GLK-00731` and `GLK-731`.

A spreadsheet drops them from a serial it takes for a number; some registers pad serials
to a width (`00001234`), others never. Runs are those of the reading as written: a
separator ends one (`G19-00731` pads `731`, not `19731`). A reading is filed under its
unpadded form too, so readings padded to any width find each other with one key.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from service.domain.identifiers import (
    MIN_LENGTH_FOR_EDIT_MATCH,
    Identifier,
    is_separator,
    normalize,
)
from service.domain.transliteration import latin_spellings

# Zeros starting a run of digits that goes on with two digits or more: a lone digit is
# rarely padded (`M4A01` is not `M4A1`), and a run of zeros alone is a number.
_PADDING_ZEROS: Final = re.compile(r"(?<![0-9])0+(?=[1-9][0-9])")
# Kept in an unpadded form where a separator stands between two digits: never in a
# normalized reading, whose separators are gone.
_RUN_BREAK: Final = "-"
_DIGITS: Final = frozenset("0123456789")


def _groups(raw: str) -> list[str]:
    """The normalized groups of a reading as written, between its separators."""
    groups: list[str] = []
    current: list[str] = []
    for char in raw:
        if is_separator(char):
            groups.append("".join(current))
            current = []
        else:
            current.append(char)
    groups.append("".join(current))
    return [normalized for normalized in map(normalize, groups) if normalized]


def unpadded(raw: str) -> str:
    """The normalized reading without the zeros padding its runs of digits (runs as
    written: a separator ends one). Readings padded alike or otherwise, to any width,
    have the same unpadded form.

    Where a separator stands between two digits, the form keeps it: the zeros after it
    may pad a number (`G19-00731`, `G19-731`) or be a digit of one (`12 045`), and
    either way `1245` is another serial."""
    unpadded = ""
    for group in _groups(raw):
        bare = _PADDING_ZEROS.sub("", group)
        if unpadded[-1:] in _DIGITS and group[0] in _DIGITS:
            unpadded += _RUN_BREAK
        unpadded += bare
    return unpadded


def unpadded_spellings(identifier: Identifier) -> frozenset[str]:
    """The unpadded forms of a complete reading and of its Latin spellings (each as
    written, so that its runs end where the reading's do), long enough to match on:
    `ГХ 004455` is `ГX4455`, `GKH4455` and `GH4455` unpadded. Empty for a partial one."""
    return frozenset() if identifier.is_partial else _unpadded_spellings(identifier.raw)


@lru_cache(maxsize=4096)
def _unpadded_spellings(raw: str) -> frozenset[str]:
    found = (unpadded(written) for written in (raw, *latin_spellings(raw)))
    return frozenset(u for u in found if _length(u) >= MIN_LENGTH_FOR_EDIT_MATCH)


def _length(unpadded: str) -> int:
    return len(unpadded) - unpadded.count(_RUN_BREAK)


def padding_keys(identifier: Identifier) -> frozenset[str]:
    """The keys a complete reading is filed and looked up under besides its spellings:
    the unpadded forms that are none of them."""
    return unpadded_spellings(identifier) - identifier.spellings


def padded_alike(a: str, b: str) -> bool:
    """True when two readings (raw) differ only by zeros padding runs of digits: the
    same once unpadded, and long enough to match on."""
    normal_a, normal_b = normalize(a), normalize(b)
    return (
        normal_a != normal_b
        # Padding only adds zeros: a cheap test first, since ranking asks it of every
        # candidate the exact and normalized kinds did not take.
        and normal_a.replace("0", "") == normal_b.replace("0", "")
        and _length(bare := unpadded(a)) >= MIN_LENGTH_FOR_EDIT_MATCH
        and bare == unpadded(b)
    )
