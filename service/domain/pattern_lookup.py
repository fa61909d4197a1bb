"""How storage finds the complete readings a partial one may be: one indexed lookup,
chosen from the pattern's shape, bounded.

A ground-off serial leaves legible characters in short runs (`10?46`, `ER*65`), so a
pattern is rarely served by its trigrams alone. Cheap, indexed lookups by shape:

- one `?` and no `*`: the pattern without its `?` is a one-deletion variant of every
  reading it fits, of any alphabet, so the deletion neighbourhood kept for one-edit
  matches answers it by equality (`10?46` -> `1046`);
- two `?` and no `*`: the first `?` expanded into each character it may stand for, the
  second deleted: one equality per character (`1?0?46` -> `1A046`, `1B046`...);
- otherwise the known start (a range on the normalized key), the known end (a range on
  the reversed key) or the longest run of three or more (the trigram index), whichever
  should narrow most. Serials share their beginnings far more than their ends (maker
  codes, neighbouring production numbers), so a start counts one character less.

A range reads at most MAX_PATTERN_SCAN index entries; a search whose range reached
that bound says it may be cut (`truncated`). Storage returns candidates only; the
domain decides which fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from service.domain.identifiers import (
    ONE_UNKNOWN,
    SERIAL_ALPHABET,
    TRIGRAM,
    UNKNOWN_RUN,
    known_end,
    known_start,
    legible_runs,
)

# Index entries a range lookup reads before it stops and the answer says it was cut.
MAX_PATTERN_SCAN: Final = 20_000
# Two unknown characters cost one equality per character a `?` may stand for; with a
# known start, end or run at least this long, that range is cheaper.
_RANGE_BEATS_EXPANSION: Final = 4

__all__ = ["SERIAL_ALPHABET", "PatternLookup", "PatternSource", "pattern_lookup"]


class PatternSource(StrEnum):
    DELETIONS = "deletions"  # keys equal to one-deletion variants of stored readings
    START = "start"  # a range on the normalized key from the known start
    END = "end"  # a range on the reversed key from the known end (reversed)
    TRIGRAMS = "trigrams"  # the trigrams of a legible run


@dataclass(frozen=True, slots=True)
class PatternLookup:
    """One indexed lookup for the complete readings a pattern may fit. `keys` are the
    deletion keys, or the one known start, end or run (an empty start or end reads the
    index from its beginning, up to the scan bound)."""

    source: PatternSource
    keys: tuple[str, ...]


def pattern_lookup(pattern: str) -> PatternLookup:
    """The lookup for a normalized partial reading (see the module's rules)."""
    unknowns = pattern.count(ONE_UNKNOWN)
    ranged = _best_range(pattern)
    if UNKNOWN_RUN not in pattern:
        if unknowns == 1:
            return PatternLookup(PatternSource.DELETIONS, (pattern.replace(ONE_UNKNOWN, ""),))
        if unknowns == 2 and _score(ranged) < _RANGE_BEATS_EXPANSION:
            return PatternLookup(PatternSource.DELETIONS, _expanded(pattern))
    return ranged


def _best_range(pattern: str) -> PatternLookup:
    start, end = known_start(pattern), known_end(pattern)
    options = [
        PatternLookup(PatternSource.END, (end,)),
        PatternLookup(PatternSource.START, (start,)),
    ]
    longest = max(legible_runs(pattern), key=len, default="")
    if len(longest) >= TRIGRAM:
        options.append(PatternLookup(PatternSource.TRIGRAMS, (longest,)))
    # max keeps the first of equal scores: an end before a start before trigrams.
    return max(options, key=_score)


def _score(lookup: PatternLookup) -> int:
    """How much a lookup should narrow: its known characters, less one for a start
    (shared beginnings) or a run (found anywhere, through a costlier index)."""
    known = len(lookup.keys[0])
    return known if lookup.source is PatternSource.END else known - 1


def _expanded(pattern: str) -> tuple[str, ...]:
    first = pattern.index(ONE_UNKNOWN)
    second = pattern.index(ONE_UNKNOWN, first + 1)
    head, middle, tail = pattern[:first], pattern[first + 1 : second], pattern[second + 1 :]
    return tuple(head + char + middle + tail for char in SERIAL_ALPHABET)
