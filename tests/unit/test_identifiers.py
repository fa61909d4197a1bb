"""Identifier normalization, skeletons and partial readings, as domain.md specifies them."""

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from service.domain.errors import InvalidValue
from service.domain.identifiers import (
    Identifier,
    _normalize_unicode,
    anchor_keys,
    normalize,
    one_deletion_variants,
    pattern_anchors,
    pattern_matches,
    patterns_overlap,
    skeleton,
    within_one_edit,
)

LATIN_TO_CYRILLIC = dict(zip("ABEKMHOPCTXY", "АВЕКМНОРСТХУ", strict=True))
LATIN_TO_GREEK = dict(zip("ABEZHIKMNOPTYX", "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", strict=True))
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
FULL_WIDTH = "０１２３４５６７８９"
# The ASCII ones, then punctuation and symbols of other scripts and keyboards.
SEPARATORS = [" ", "-", "/", ".", "_", ",", ":", ";", "#", "'", '"', "(", ")", "+", "|"]
SEPARATORS += ["\u00b7", "\u00b0", "\u060c", "\u3001", "\u2116", "\u00a7", "\u20ac"]

any_text = st.text(max_size=40)
serial_alphabet = st.sampled_from(list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789"))
latin_serials = st.text(serial_alphabet, min_size=1, max_size=16)


@given(any_text)
@example("ΐ")
@example("Ϊ́")
@example("ǅ")
def test_normalization_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


@given(any_text)
def test_skeleton_of_normalized_equals_skeleton_of_raw(text: str) -> None:
    assert skeleton(normalize(text)) == skeleton(text)


@given(st.text(st.characters(max_codepoint=127), max_size=40))
def test_ascii_readings_get_the_keys_the_unicode_rules_give(text: str) -> None:
    # ASCII takes a shortcut past NFKC and the script folding; it must land on the same key.
    assert normalize(text) == _normalize_unicode(text)


@given(st.text(max_size=64))
def test_reading_never_alters_the_raw_text(raw: str) -> None:
    try:
        identifier = Identifier.read(raw)
    except InvalidValue:
        return
    assert identifier.raw == raw
    assert identifier.raw.encode() == raw.encode()


@given(st.text(st.sampled_from(list(LATIN_TO_CYRILLIC) + list("0123456789")), min_size=1))
def test_cyrillic_lookalikes_normalize_to_latin(serial: str) -> None:
    cyrillic = "".join(LATIN_TO_CYRILLIC.get(c, c) for c in serial)
    assert normalize(cyrillic) == normalize(serial)
    assert normalize(cyrillic.lower()) == normalize(serial)


@given(st.text(st.sampled_from(list(LATIN_TO_GREEK) + list("0123456789")), min_size=1))
def test_greek_lookalikes_normalize_to_latin(serial: str) -> None:
    greek = "".join(LATIN_TO_GREEK.get(c, c) for c in serial)
    assert normalize(greek) == normalize(serial)


@given(st.text(st.sampled_from("0123456789"), min_size=1, max_size=20))
def test_arabic_indic_persian_and_full_width_digits_equal_ascii(digits: str) -> None:
    for script in (ARABIC_INDIC, PERSIAN, FULL_WIDTH):
        translated = "".join(script[int(d)] for d in digits)
        assert normalize(translated) == digits


@given(latin_serials, st.lists(st.tuples(st.integers(0, 16), st.sampled_from(SEPARATORS))))
def test_separators_never_matter(serial: str, insertions: list[tuple[int, str]]) -> None:
    separated = serial
    for position, separator in insertions:
        position = min(position, len(separated))
        separated = separated[:position] + separator + separated[position:]
    assert normalize(separated) == normalize(serial)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc 123", "ABC123"),
        ("AB-12/34.5_6", "AB123456"),
        ("АВС123", "ABC123"),  # Cyrillic A, Ve, Es
        ("\u0661\u0662\u0663", "123"),
        ("ＡＢ１２", "AB12"),
        ("AB\u00a012", "AB12"),  # no-break space
        ("AB\u201312", "AB12"),  # en dash
        ("AB??1**2", "AB??1*2"),
        ("12,345", "12345"),  # thousands, as a spreadsheet writes them
        ("#58812", "58812"),
        ("No. 4521·B", "NO4521B"),
        ("'0012345", "0012345"),  # a spreadsheet's text mark
        ("12\u061f45", "12?45"),  # the Arabic question mark is an unknown character
        ("BER\u066d", "BER*"),  # and the Arabic star, a run
        ("AB\u221712", "AB*12"),  # as is the asterisk operator
        ("AB\u00bf12", "AB?12"),  # any question mark, asterisk or star, by its name
        ("12\u037e45", "12?45"),  # the Greek question mark, before NFKC makes it `;`
        ("A\u275312", "A?12"),
        ("BER\u2731", "BER*"),
        ("\u2116 58812", "58812"),  # a symbol, before NFKC spells it `No`
        ("STRA\u1e9eE 12", "STRASSE12"),  # the capital sharp s, as the small one
        ("stra\u00dfe 12", "STRASSE12"),
    ],
)
def test_normalize_examples(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_skeleton_folds_lookalike_letters_and_digits() -> None:
    assert skeleton("O0QD-IL1-S5-B8-Z2-G6") == "0000111558822" + "66"
    assert skeleton("BO5S") == skeleton("8OSS") == "8055"


def test_skeleton_drops_diacritics_a_worn_stamp_or_a_keyboard_adds_or_loses() -> None:
    assert skeleton("\u0130K 4242") == skeleton("IK4242") == "1K4242"  # Turkish dotted I
    assert skeleton("\u0419123") == skeleton("\u0418123")  # Й and И
    assert skeleton("CZ-\u00c9734") == skeleton("CZ E734")


def test_reading_rejects_control_characters_and_empty_serials() -> None:
    with pytest.raises(InvalidValue, match="control"):
        Identifier.read("AB\x0012")
    with pytest.raises(InvalidValue, match="separators"):
        Identifier.read(" - / ")
    with pytest.raises(InvalidValue, match="separators"):
        Identifier.read("#,;")
    with pytest.raises(InvalidValue, match="legible"):
        Identifier.read("??**")
    with pytest.raises(InvalidValue, match="at most 64"):
        Identifier.read("A" * 65)


def test_partial_reading_keeps_its_wildcards() -> None:
    reading = Identifier.read("ab?-12*")
    assert reading.normalized == "AB?12*"
    assert reading.is_partial
    assert reading.deletion_variants == frozenset()


@given(latin_serials, latin_serials)
def test_within_one_edit_agrees_with_optimal_string_alignment(a: str, b: str) -> None:
    assert within_one_edit(a, b) == (_osa_distance(a, b) == 1)


@given(latin_serials.filter(lambda s: len(s) >= 2), st.data())
def test_one_edit_neighbours_share_a_deletion_key(serial: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(serial) - 1))
    char = data.draw(serial_alphabet)
    edits = {
        serial[:position] + char + serial[position:],
        serial[:position] + serial[position + 1 :],
        serial[:position] + char + serial[position + 1 :],
    }
    if position + 1 < len(serial):
        edits.add(
            serial[:position] + serial[position + 1] + serial[position] + serial[position + 2 :]
        )
    keys = {serial} | one_deletion_variants(serial)
    for neighbour in edits:
        assert keys & ({neighbour} | one_deletion_variants(neighbour))


@given(st.text(st.sampled_from("AB?*"), max_size=6), st.text(st.sampled_from("AB"), max_size=6))
def test_pattern_matching_agrees_with_a_regular_expression(pattern: str, serial: str) -> None:
    regex = "".join({"?": ".", "*": ".*"}.get(c, c) for c in pattern)
    assert pattern_matches(pattern, serial) == (re.fullmatch(regex, serial) is not None)


@given(st.text(st.sampled_from("AB?*"), max_size=5), st.text(st.sampled_from("AB?*"), max_size=5))
def test_patterns_overlap_exactly_when_some_serial_fits_both(a: str, b: str) -> None:
    witnesses = _strings_over("AB", max_length=len(a) + len(b) + 1)
    expected = any(pattern_matches(a, s) and pattern_matches(b, s) for s in witnesses)
    assert patterns_overlap(a, b) == expected


@given(st.text(st.sampled_from("ABC12?*"), min_size=1, max_size=12), latin_serials)
def test_a_serial_fitting_a_pattern_shows_every_anchor_of_it(pattern: str, serial: str) -> None:
    if pattern_matches(normalize(pattern), serial):
        assert pattern_anchors(normalize(pattern)) <= anchor_keys(serial)


def _worn(serial: str, positions: list[int], run: bool) -> str:
    worn = list(serial)
    for position in positions:
        worn[position % len(worn)] = "*" if run else "?"
    return "".join(worn)


def _shows_three_side_by_side(a: str, b: str) -> bool:
    """Whether two readings of one serial, worn in place (same length), both show the
    same three characters side by side."""
    together = "".join("x" if x == y and x not in "?*" else " " for x, y in zip(a, b, strict=True))
    return "xxx" in together


@given(
    # `Ñ` and `ب`: letters beyond those an unknown character is expanded into.
    st.text(st.sampled_from("ABC12Ñب"), min_size=4, max_size=12),
    st.lists(st.integers(0, 11), min_size=1, max_size=3),
    st.lists(st.integers(0, 11), min_size=1, max_size=3),
    st.booleans(),
)
@example("58A123456", [5], [4], False)
@example("58A1456", [3], [4], True)
@example("Ñ123456", [4], [0], False)
def test_worn_readings_showing_three_characters_together_share_anchors_both_ways(
    serial: str, worn_here: list[int], worn_there: list[int], run: bool
) -> None:
    a, b = _worn(serial, worn_here, run=False), _worn(serial, worn_there, run=run)
    if _shows_three_side_by_side(a, b.replace("*", "?")):
        assert pattern_anchors(normalize(a)) & anchor_keys(normalize(b))
        assert pattern_anchors(normalize(b)) & anchor_keys(normalize(a))


@pytest.mark.parametrize(
    ("pattern", "anchors"),
    [
        ("A?BCDE*", {"BCDE"}),  # every stretch of four of a run
        ("M70 2361?5", {"M702", "7023", "0236", "2361"}),
        ("58A12?456", {"58A1", "8A12", "456"}),  # a run of three, whole
        # Past a character an unknown one is never expanded into, without it too.
        ("Ñ123?56", {"Ñ123", "123"}),
        ("AB?C?6", {"AB*", "*6"}),  # no run of three: the known start and end
        ("10?46", {"10*", "*46"}),
        ("?A?B?C?", set()),  # three legible characters, but neither a run nor an end
        ("AB?*", set()),  # fewer than three legible characters say nothing
    ],
)
def test_a_partial_reading_is_anchored_by_its_stretches_else_its_known_ends(
    pattern: str, anchors: set[str]
) -> None:
    assert pattern_anchors(normalize(pattern)) == anchors
    assert Identifier.read(pattern).anchors == anchors


def test_a_reading_shows_the_anchors_it_may_be_filed_under() -> None:
    assert anchor_keys("10746") == {
        *("107", "074", "746", "1074", "0746"),
        *("1*", "10*", "*6", "*46"),
    }
    assert anchor_keys("10?46") == {"1*", "10*", "*6", "*46"}
    # A run meeting an unknown character may go on with any character there.
    assert {"58A1", "58AZ", "X456"} <= anchor_keys("58A*456")


def _strings_over(alphabet: str, max_length: int) -> list[str]:
    found = [""]
    frontier = [""]
    for _ in range(max_length):
        frontier = [s + c for s in frontier for c in alphabet]
        found.extend(frontier)
    return found


def _osa_distance(a: str, b: str) -> int:
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]
