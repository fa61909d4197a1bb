"""Cyrillic and Greek serials typed in transliteration match, and look-alikes do not."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.identifiers import Identifier
from service.domain.matching import MatchKind, match_kind
from service.domain.transliteration import MAX_SPELLINGS, Table, transliterate

AT_LEAST_TRANSLITERATED = {
    MatchKind.EXACT,
    MatchKind.NORMALIZED,
    MatchKind.SKELETON,
    MatchKind.TRANSLITERATED,
}
# Letters with no Latin look-alike, as the domain notes name them, with Ukrainian,
# Belarusian, Serbian and Macedonian ones.
CYRILLIC_SPELLED = "БГДЖЗИЙЛПФЦЧШЩЪЫЬЭЮЯЁЄЇЎҐЂЃЉЊЌЋЏ"
GREEK_SPELLED = "ΓΔΘΛΞΠΣΦΨΩ"
CYRILLIC_LOOKALIKES = "АВЕКМНОРСТХУІЈЅ"
GREEK_LOOKALIKES = "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"
LATIN_OF_LOOKALIKES = dict(
    zip(CYRILLIC_LOOKALIKES + GREEK_LOOKALIKES, "ABEKMHOPCTXYIJSABEZHIKMNOPTYX", strict=True)
)

cyrillic_serials = st.text(
    st.sampled_from(CYRILLIC_SPELLED + CYRILLIC_LOOKALIKES + "0123456789"), min_size=1, max_size=10
)
greek_serials = st.text(
    st.sampled_from(GREEK_SPELLED + GREEK_LOOKALIKES + "0123456789"), min_size=1, max_size=10
)


def kind(query: str, stored: str) -> MatchKind | None:
    return match_kind(Identifier.read(query), Identifier.read(stored))


@pytest.mark.parametrize(
    ("typed", "stamped"),
    [
        ("BZH9735", "БЖ9735"),
        ("CHL7079", "ЧЛ7079"),
        ("BJ9735", "БЖ9735"),  # Ж as J
        ("SHCH-101", "Щ-101"),
        ("TS 4411", "Ц 4411"),
        ("C4411", "Ц4411"),  # ISO 9
        ("YU1944", "Ю1944"),  # BGN/PCGN
        ("IU1944", "Ю1944"),  # ICAO 9303
        ("YA-55", "Я-55"),
        ("IA55", "Я55"),
        ("Y7", "Й7"),
        ("I7", "Й7"),
        ("J7", "Й7"),
        ("KH1953", "Х1953"),  # Х is also a look-alike of X, but KH is how it is spelled
        ("H1953", "Х1953"),
        ("GD-PL 1", "ГД-ПЛ 1"),
        ("FX12", "ΦΞ12"),  # Greek, ELOT 743
        ("PHKS12", "ΦΞ12"),
        ("THL-3", "ΘΛ-3"),
    ],
)
def test_a_serial_typed_in_transliteration_matches_both_ways(typed: str, stamped: str) -> None:
    assert kind(typed, stamped) is MatchKind.TRANSLITERATED
    assert kind(stamped, typed) is MatchKind.TRANSLITERATED


def test_a_look_alike_letter_is_its_latin_letter_not_its_sound() -> None:
    assert kind("BAK123", "ВАК123") is MatchKind.NORMALIZED
    assert kind("X1953", "Х1953") is MatchKind.NORMALIZED
    # В sounds V, but it is stamped like B: V is one character off, no transliteration.
    assert kind("VAK123", "ВАК123") is MatchKind.EDIT
    assert kind("NRS123", "НРС123") is None  # Н, Р, С are H, P, C


def test_one_edit_applies_on_top_of_a_transliteration() -> None:
    assert kind("BZH9736", "БЖ9735") is MatchKind.EDIT
    assert kind("BZH975", "БЖ9735") is MatchKind.EDIT
    assert kind("BZH9835", "ЧЛ7079") is None


def test_two_cyrillic_readings_spelled_alike_match() -> None:
    # Ё and Е are both E; Ё is Е with its mark dropped too, a look-alike, which is closer.
    assert kind("ЁЖ-17", "ЕЖ-17") is MatchKind.SKELETON
    assert kind("ÂK12345", "YAK12345") is None  # Â is a French letter first


def test_letters_iso_9_writes_with_a_diacritic_are_read_as_the_cyrillic_letter() -> None:
    assert kind("ČŠČ4412", "ЧЩ 4412") is MatchKind.TRANSLITERATED
    assert kind("ŠČ4412", "Щ-4412") is MatchKind.TRANSLITERATED  # the scholarly Щ
    assert kind("ŽČ 731", "ЖЧ731") is MatchKind.TRANSLITERATED
    assert kind("ZHCH731", "ŽČ 731") is MatchKind.TRANSLITERATED


def test_readings_without_spelled_letters_have_no_transliteration() -> None:
    assert Identifier.read("BXK 482").transliterations == frozenset()
    assert Identifier.read("ВАК-123").transliterations == frozenset()  # look-alikes only
    assert Identifier.read("БЖ97?5").transliterations == frozenset()  # patterns as read
    assert Identifier.read("БЖ9735").transliterations == {"BZH9735", "BJ9735"}


@given(cyrillic_serials | greek_serials, st.sampled_from(list(Table)))
def test_a_serial_and_its_transliteration_by_each_table_match(serial: str, table: Table) -> None:
    typed = transliterate(serial, table)
    if not typed:  # only soft and hard signs, which ICAO 9303 leaves out
        return
    assert kind(typed, serial) in AT_LEAST_TRANSLITERATED
    assert kind(serial, typed) in AT_LEAST_TRANSLITERATED


# The spellings the tables disagree on, each of which must be accepted (issue #15).
ALTERNATIVES = {
    "Ж": ["ZH", "J"],
    "Х": ["KH", "H", "X"],
    "Ц": ["TS", "C"],
    "Ч": ["CH"],
    "Ш": ["SH"],
    "Щ": ["SHCH"],
    "Ю": ["YU", "IU"],
    "Я": ["YA", "IA"],
    "Й": ["Y", "I", "J"],
}


@given(st.lists(st.sampled_from(sorted(ALTERNATIVES)), min_size=1, max_size=3), st.data())
def test_every_accepted_spelling_of_each_letter_matches(
    letters: list[str], data: st.DataObject
) -> None:
    stamped = "".join(letters) + "1984"
    typed = "".join(data.draw(st.sampled_from(ALTERNATIVES[letter])) for letter in letters)
    assert kind(typed + "1984", stamped) in AT_LEAST_TRANSLITERATED


@given(
    st.text(st.sampled_from("ABEKMHOPCTXY0123456789"), min_size=1, max_size=12),
    st.lists(st.booleans(), min_size=12, max_size=12),
    st.sampled_from(["cyrillic", "greek"]),
)
def test_a_look_alike_letter_is_never_reported_as_transliterated(
    serial: str, swaps: list[bool], script: str
) -> None:
    lookalikes = CYRILLIC_LOOKALIKES if script == "cyrillic" else GREEK_LOOKALIKES
    to_script = {LATIN_OF_LOOKALIKES[c]: c for c in lookalikes}
    typed = "".join(
        to_script.get(c, c) if swap else c for c, swap in zip(serial, swaps, strict=False)
    )
    assert kind(typed, serial) in (MatchKind.EXACT, MatchKind.NORMALIZED)
    assert kind(serial, typed) in (MatchKind.EXACT, MatchKind.NORMALIZED)


# Look-alikes spelled by their sound: these are never transliterations (Х excepted,
# whose KH and H the tables agree on).
SOUNDS = {"В": "V", "Н": "N", "Р": "R", "С": "S", "У": "U", "Β": "V", "Η": "I", "Ρ": "R"}


@given(
    st.lists(st.sampled_from(sorted(SOUNDS)), min_size=1, max_size=4),
    st.text("0123456789", min_size=2, max_size=6),
)
def test_a_look_alike_spelled_by_its_sound_is_not_transliterated(
    letters: list[str], digits: str
) -> None:
    stamped = "".join(letters) + digits
    typed = "".join(SOUNDS[c] for c in letters) + digits
    assert kind(typed, stamped) not in AT_LEAST_TRANSLITERATED


def test_a_long_reading_keeps_at_least_the_spelling_of_each_table() -> None:
    stamped = "ЮЯЙЖЦЮЯ1"
    spellings = Identifier.read(stamped).transliterations
    assert len(spellings) <= MAX_SPELLINGS
    assert {"IUIAIZHTSIUIA1", "YUYAYZHTSYUYA1"} <= spellings
