"""Partial readings: any three legible characters are enough, and the lookup chosen for
a pattern always reaches the serials it fits."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.adapters.reference_catalogue import packaged_catalogue
from service.domain.errors import InvalidValue
from service.domain.identifiers import Identifier, legible_count, normalize
from service.domain.matching import MatchKind, SerialQuery, match_kind
from service.domain.pattern_lookup import (
    SERIAL_ALPHABET,
    PatternLookup,
    PatternSource,
    pattern_lookup,
)

CATALOGUE = packaged_catalogue()
serials = st.text(st.sampled_from("0123456789ABCEHKRXZБЖЧЛΦΞ"), min_size=3, max_size=12).filter(
    lambda s: Identifier.read(s).normalized == s
)


@st.composite
def obliterated(draw: st.DrawFn, serial: str) -> str:
    """The serial with some characters destroyed: each one kept, read as `?`, or lost
    in a `*` run; a `*` may also stand for nothing between two characters."""
    marks = draw(
        st.lists(
            st.sampled_from(["keep", "keep", "?", "*", "keep*"]),
            min_size=len(serial),
            max_size=len(serial),
        )
    )
    parts = []
    for char, mark in zip(serial, marks, strict=True):
        parts.append({"keep": char, "?": "?", "*": "*", "keep*": char + "*"}[mark])
    return normalize("".join(parts))


def reaches(lookup: PatternLookup, serial: str) -> bool:
    """What each index answers for the lookup's keys, on a register of one serial."""
    if lookup.source is PatternSource.DELETIONS:
        return bool(set(lookup.keys) & Identifier.read(serial).deletion_variants)
    (key,) = lookup.keys
    if lookup.source is PatternSource.START:
        return serial.startswith(key)
    if lookup.source is PatternSource.END:
        return serial.endswith(key)
    return key in serial


@given(serials.flatmap(lambda s: st.tuples(st.just(s), obliterated(s))))
def test_a_pattern_with_three_legible_characters_anywhere_finds_its_serial(
    case: tuple[str, str],
) -> None:
    serial, pattern = case
    if pattern == serial or legible_count(pattern) < 3:
        return
    query = SerialQuery.parse(pattern, catalogue=CATALOGUE)
    assert match_kind(query.identifier, Identifier.read(serial)) is MatchKind.PATTERN
    assert query.pattern_lookup is not None
    assert reaches(query.pattern_lookup, serial)


@given(serials.flatmap(lambda s: st.tuples(st.just(s), obliterated(s))))
def test_a_stored_partial_reading_is_found_by_its_complete_serial(case: tuple[str, str]) -> None:
    serial, pattern = case
    if pattern == serial or legible_count(pattern) < 3:
        return
    stored = Identifier.read(pattern)
    query = SerialQuery.parse(serial, catalogue=CATALOGUE)
    if not stored.anchors:  # legible characters neither in a run of three nor at an end
        assert match_kind(query.identifier, stored) is None
        return
    assert stored.anchors <= query.anchor_keys
    assert match_kind(query.identifier, stored) is MatchKind.PATTERN


@pytest.mark.parametrize(
    ("pattern", "source", "keys"),
    [
        ("10?46", PatternSource.DELETIONS, ("1046",)),
        ("ER?65", PatternSource.DELETIONS, ("ER65",)),
        ("10*46", PatternSource.END, ("46",)),  # an end narrows more than a start
        ("ERK*6", PatternSource.START, ("ERK",)),  # a start one longer than the end
        ("AK47*", PatternSource.START, ("AK47",)),
        ("*12345*", PatternSource.TRIGRAMS, ("12345",)),
        ("??3456", PatternSource.END, ("3456",)),  # a long end beats 77 expansions
        ("*A?B?C*", PatternSource.END, ("",)),  # nothing to narrow by: a bounded scan
    ],
)
def test_each_pattern_shape_takes_its_cheapest_lookup(
    pattern: str, source: PatternSource, keys: tuple[str, ...]
) -> None:
    assert pattern_lookup(pattern) == PatternLookup(source, keys)


def test_two_unknown_characters_expand_the_first_into_what_it_may_stand_for() -> None:
    lookup = pattern_lookup("1?0?46")
    assert lookup.source is PatternSource.DELETIONS
    assert lookup.keys == tuple(f"1{char}046" for char in SERIAL_ALPHABET)
    assert {"1A046", "19046", "1Ж046", "1Φ046"} <= set(lookup.keys)


@pytest.mark.parametrize("pattern", ["10?46", "10*46", "ER*65", "A?B*C", "1*46"])
def test_three_legible_characters_make_a_pattern(pattern: str) -> None:
    assert SerialQuery.parse(pattern, catalogue=CATALOGUE).identifier.is_partial


@pytest.mark.parametrize("pattern", ["A?B*", "1??6", "*AB*", "1*6"])
def test_fewer_than_three_legible_characters_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidValue, match="at least 3 legible characters"):
        SerialQuery.parse(pattern, catalogue=CATALOGUE)
