"""Zeros that pad a run of digits: `0012345` and `12345`, `GLK-00731` and `GLK-731`.

A spreadsheet drops them from a serial it takes for a number; some registers pad serials
to a width, others never. Runs are those of the reading as written: a separator ends one
(`G19-00731` pads `731`, not `19731`). A run of zeros alone keeps one.
"""

from __future__ import annotations

import re
from typing import Final

from service.domain.identifiers import MIN_LENGTH_FOR_EDIT_MATCH, is_separator, normalize

_NONE: Final[frozenset[str]] = frozenset()

_PADDING_ZEROS: Final = re.compile(r"(?<![0-9])0+(?=[0-9])")
# Padding a query is looked up with: up to this many zeros before each of its first runs
# of digits (two digits or more: a lone digit is rarely padded).
MAX_PADDING: Final = 3
_PADDED_RUNS: Final = 2
_PADDED_RUN: Final = re.compile(r"[0-9]{2,}")
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


def _padding_family(raw: str) -> tuple[str, frozenset[str]]:
    """The reading without padding zeros (grouped), and every grouped reading that
    differs from it only by up to MAX_PADDING zeros before each of its first runs."""
    bare = _PADDING_ZEROS.sub("", _grouped(raw))
    if len(bare.replace(_GROUP, "")) < MIN_LENGTH_FOR_EDIT_MATCH:
        return bare, _NONE
    runs = [m.start() for m in _PADDED_RUN.finditer(bare)][:_PADDED_RUNS]
    family = {bare}
    for start in reversed(runs):  # from the end, so earlier positions stay where they are
        family |= {v[:start] + "0" * n + v[start:] for v in family for n in range(MAX_PADDING + 1)}
    return bare, frozenset(family) if runs else _NONE


def padding_variants(raw: str) -> frozenset[str]:
    """The normalized readings that differ from this one only by zeros padding its first
    runs of digits: the keys under which a reading padded otherwise is stored. Empty for
    a reading too short to match on so little, or without such a run."""
    _, family = _padding_family(raw)
    return frozenset(v.replace(_GROUP, "") for v in family) - {normalize(raw)}


def padded_alike(a: str, b: str) -> bool:
    """True when two readings (raw) differ only by zeros padding runs of digits, each
    within what the other is looked up with (`padding_variants`): the same either way
    round, and found by the keys whichever is searched."""
    normal_a, normal_b = normalize(a), normalize(b)
    return (
        normal_a != normal_b
        # Padding only adds zeros: a cheap test first, since ranking asks it of every
        # candidate the exact and normalized kinds did not take.
        and normal_a.replace("0", "") == normal_b.replace("0", "")
        and normal_b in padding_variants(a)
        and normal_a in padding_variants(b)
    )
