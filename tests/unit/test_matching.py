"""How a stored reading matches a searched one, and how much to trust it."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.errors import InvalidValue
from service.domain.identifiers import Identifier
from service.domain.items import IdentifierRole, ItemKind
from service.domain.matching import (
    MatchKind,
    SerialQuery,
    StoredIdentifier,
    confidence,
    filed_spellings,
    legible_share,
    match_kind,
    rank,
)
from service.domain.reference import ReferenceCatalogue
from tests.builders import AGENCY_A, new_id


def read(text: str) -> Identifier:
    return Identifier.read(text)


@pytest.mark.parametrize(
    ("query", "stored", "kind"),
    [
        ("ABC 123", "ABC 123", MatchKind.EXACT),
        ("abc123", "ABC 123", MatchKind.NORMALIZED),
        ("АВС-123", "ABC 123", MatchKind.NORMALIZED),  # Cyrillic letters
        ("ABC١٢٣", "ABC 123", MatchKind.NORMALIZED),  # Arabic-Indic digits
        ("A8C1Z3", "ABC 123", MatchKind.SKELETON),
        ("ABO123", "AB0123", MatchKind.SKELETON),
        ("ABC124", "ABC 123", MatchKind.EDIT),  # substitution
        ("ABC1234", "ABC 123", MatchKind.EDIT),  # insertion
        ("AB123", "ABC 123", MatchKind.EDIT),  # deletion
        ("ACB123", "ABC 123", MatchKind.EDIT),  # adjacent swap
        ("ABC?23", "ABC 123", MatchKind.PATTERN),
        ("*C123", "ABC 123", MatchKind.PATTERN),
        ("ABC 123", "AB?1?3", MatchKind.PATTERN),  # stored partial anchored by its start
        ("ABC 123", "?BC?2?", None),  # three legible characters, neither a run nor an end
        ("10746", "10?46", MatchKind.PATTERN),
        ("ABC 123", "ABC1?3", MatchKind.PATTERN),
        ("ABC1*", "ABC?23", MatchKind.PATTERN),  # two partial readings that overlap
        ("10?46", "10?46", MatchKind.PATTERN),  # the same fragments, recorded twice
        ("10?4*", "1?746", None),  # fragments that could overlap, sharing no anchor
        # Two worn readings of one serial, unknown in different places, either way round.
        ("58A12?456", "58A1?3456", MatchKind.PATTERN),
        ("58A1?3456", "58A12?456", MatchKind.PATTERN),
        ("58A*456", "58A1*56", MatchKind.PATTERN),
        ("58A1*56", "58A*456", MatchKind.PATTERN),
        # Sharing only what one of them is anchored by is not enough, either way round.
        ("10?46", "1?046", None),
        ("1?046", "10?46", None),
        # A pattern's look-alike letters may be digits misread, searched or stored (a
        # stored one found through a stretch without such a letter, here 46).
        ("1O?46", "10746", MatchKind.PATTERN),
        ("10746", "1O?46", MatchKind.PATTERN),
        ("M7O*35", "M70235", MatchKind.PATTERN),
        ("1O?46", "1O746", MatchKind.PATTERN),  # as read
        ("10?46", "1O746", None),  # a digit is not read as a letter
        ("SIG*", "516042", None),  # nothing would be left as read
        ("B1G4*", "81642", None),  # two of four: too little left as read
        ("12,345", "12345", MatchKind.NORMALIZED),  # punctuation separates
        ("№ 58812", "#58812", MatchKind.NORMALIZED),
        ("BZH 9735", "БЖ-9735", MatchKind.TRANSLITERATED),
        ("ABC 123", "XYZ 999", None),
        ("ACB132", "ABC123", None),  # two edits
        ("AB1", "AC1", None),  # too short for an edit match
    ],
)
def test_match_kinds(query: str, stored: str, kind: MatchKind | None) -> None:
    assert match_kind(read(query), read(stored)) == kind


def candidate(
    serial: str,
    *,
    make: str | None = None,
    calibre: str | None = None,
    model: str | None = None,
    catalogue: ReferenceCatalogue,
) -> StoredIdentifier:
    return StoredIdentifier(
        recovery_id=new_id(),
        item_id=new_id(),
        agency_id=AGENCY_A,
        item_kind=ItemKind.FIREARM,
        role=IdentifierRole.SERIAL,
        identifier=read(serial),
        make=catalogue.resolve_make(make) if make else None,
        model=model,
        calibre=catalogue.resolve_calibre(calibre) if calibre else None,
        recovered_at=datetime(2026, 1, 1, tzinfo=UTC),
        case_reference="C-1",
    )


def test_agreeing_make_model_and_calibre_raise_confidence(catalogue: ReferenceCatalogue) -> None:
    bare = SerialQuery.parse("8BC123", catalogue=catalogue)
    described = SerialQuery.parse(
        "8BC123", catalogue=catalogue, make="Glock", model="17", calibre="9mm"
    )
    stored = candidate("BBC123", make="GLOCK GmbH", model="17", calibre="9x19", catalogue=catalogue)
    assert confidence(MatchKind.SKELETON, described, stored, catalogue) > confidence(
        MatchKind.SKELETON, bare, stored, catalogue
    )


def test_agreement_does_not_lift_a_neighbour_in_a_makers_run(
    catalogue: ReferenceCatalogue,
) -> None:
    """One character away, or fitting a partial reading, is what the next serial of the
    same run is too: the same make, model and calibre say nothing then. A different make
    still lowers it."""
    run = [
        candidate(
            f"1002{n:02}", make="Zastava", model="M57", calibre="7.62x25", catalogue=catalogue
        )
        for n in range(1, 61)
    ]
    query = SerialQuery.parse(
        "100246", catalogue=catalogue, make="Zastava", model="M57", calibre="7.62x25"
    )
    found = rank(query, run, catalogue)
    assert found[0].kind is MatchKind.EXACT and found[0].confidence > 0.95
    assert {m.kind for m in found[1:]} == {MatchKind.EDIT}
    assert max(m.confidence for m in found[1:]) == 0.55
    worn = rank(
        SerialQuery.parse("1002*", catalogue=catalogue, make="Zastava", model="M57"),
        run,
        catalogue,
    )
    assert max(m.confidence for m in worn) <= 0.6
    other_make = SerialQuery.parse("100247", catalogue=catalogue, make="Beretta")
    assert rank(other_make, run[45:46], catalogue)[0].confidence < 0.55


def test_a_different_make_lowers_confidence_below_an_agreeing_one(
    catalogue: ReferenceCatalogue,
) -> None:
    query = SerialQuery.parse("ABC123", catalogue=catalogue, make="Glock")
    glock = candidate("ABC123", make="Glock", catalogue=catalogue)
    beretta = candidate("ABC123", make="Beretta", catalogue=catalogue)
    ranked = rank(query, [beretta, glock], catalogue)
    assert [m.candidate for m in ranked] == [glock, beretta]
    assert ranked[1].confidence < 0.85 < ranked[0].confidence


def test_related_calibres_weigh_less_than_unrelated_ones(catalogue: ReferenceCatalogue) -> None:
    query = SerialQuery.parse("ABC123", catalogue=catalogue, calibre=".223 Rem")
    related = candidate("ABC123", calibre="5.56 NATO", catalogue=catalogue)
    unrelated = candidate("ABC123", calibre="7.62x39", catalogue=catalogue)
    base = confidence(
        MatchKind.EXACT, SerialQuery.parse("ABC123", catalogue=catalogue), related, catalogue
    )
    assert (
        confidence(MatchKind.EXACT, query, unrelated, catalogue)
        < confidence(MatchKind.EXACT, query, related, catalogue)
        < base
    )


def test_pattern_confidence_grows_with_legible_characters(catalogue: ReferenceCatalogue) -> None:
    stored = candidate("ABCDEF123456", catalogue=catalogue)
    vague = SerialQuery.parse("ABC*", catalogue=catalogue)
    sharp = SerialQuery.parse("ABCDEF12345?", catalogue=catalogue)
    assert confidence(MatchKind.PATTERN, vague, stored, catalogue) < confidence(
        MatchKind.PATTERN, sharp, stored, catalogue
    )


@pytest.mark.parametrize(
    ("one", "other", "share"),
    [
        ("BER*", "BER874612", 3 / 9),
        ("BER4460*", "BER446012", 7 / 9),
        ("10?46", "10346", 4 / 5),
        ("AB?D*", "ABC?EF", 3 / 6),
        ("ABC123", "ABC 123", 1.0),
    ],
)
def test_the_legible_share_is_what_both_readings_show(one: str, other: str, share: float) -> None:
    a, b = Identifier.read(one), Identifier.read(other)
    assert legible_share(a, b) == legible_share(b, a) == pytest.approx(share)


def test_a_patterns_confidence_grows_with_its_legible_share(
    catalogue: ReferenceCatalogue,
) -> None:
    query = SerialQuery.parse("ABC*", catalogue=catalogue)
    (match,) = rank(query, [candidate("ABCDEF123456", catalogue=catalogue)], catalogue)
    assert match.kind is MatchKind.PATTERN
    assert match.confidence == pytest.approx(0.25 + 0.35 * 3 / 12, abs=0.001)


def test_a_letter_read_as_a_digit_counts_as_a_character_not_legible(
    catalogue: ReferenceCatalogue,
) -> None:
    stored = candidate("10746", catalogue=catalogue)
    (as_read,) = rank(SerialQuery.parse("10?46", catalogue=catalogue), [stored], catalogue)
    (misread,) = rank(SerialQuery.parse("1O?46", catalogue=catalogue), [stored], catalogue)
    assert misread.kind is as_read.kind is MatchKind.PATTERN
    assert as_read.confidence == pytest.approx(0.25 + 0.35 * 4 / 5, abs=0.001)
    assert misread.confidence == pytest.approx(0.25 + 0.35 * 3 / 5, abs=0.001)


def test_a_pattern_query_needs_three_legible_characters(
    catalogue: ReferenceCatalogue,
) -> None:
    assert SerialQuery.parse("A?B?C*", catalogue=catalogue).identifier.is_partial
    with pytest.raises(InvalidValue, match="at least 3 legible characters"):
        SerialQuery.parse("A?B*", catalogue=catalogue)


def test_ranking_orders_by_confidence_then_kind(catalogue: ReferenceCatalogue) -> None:
    query = SerialQuery.parse("ABC 123", catalogue=catalogue)
    stored = [
        candidate(s, catalogue=catalogue)
        for s in [
            "ABC1?3",
            "ABC124",
            "A8C123",
            "АБС123",
            "ABC-00123",
            "abc123",
            "ABC 123",
            "QQQ999",
        ]
    ]
    kinds = [m.kind for m in rank(query, stored, catalogue)]
    assert kinds == [
        MatchKind.EXACT,
        MatchKind.NORMALIZED,
        MatchKind.PADDING,
        MatchKind.SKELETON,
        MatchKind.TRANSLITERATED,
        MatchKind.EDIT,
        MatchKind.PATTERN,
    ]


@given(st.floats(0, 1), st.sampled_from(list(MatchKind)))
def test_confidence_stays_within_zero_and_one(_: float, kind: MatchKind) -> None:
    from service.adapters.reference_catalogue import packaged_catalogue

    catalogue = packaged_catalogue()
    query = SerialQuery.parse(
        "ABC?23" if kind is MatchKind.PATTERN else "ABC123",
        catalogue=catalogue,
        make="Glock",
        model="17",
        calibre="9mm",
    )
    stored = candidate("ABC123", make="Beretta", model="92", calibre="12 ga", catalogue=catalogue)
    assert 0.0 <= confidence(kind, query, stored, catalogue) <= 1.0


def test_query_keys_cover_every_one_edit_neighbour(catalogue: ReferenceCatalogue) -> None:
    query = SerialQuery.parse("ABC123", catalogue=catalogue)
    one_edit = {"ABC123", "BC123", "AC123", "AB123", "ABC23", "ABC13", "ABC12"}
    assert query.normalized_keys == one_edit  # and ABC0123 is filed under ABC123 too
    padded = SerialQuery.parse("ABC-00123", catalogue=catalogue)
    assert "ABC123" in padded.normalized_keys
    assert query.skeleton_key == "A8C123"
    assert query.like_pattern is None
    # LIKE's own `%`, `_` and `\\` are punctuation: gone from a normalized reading.
    pattern = SerialQuery.parse("abc?1%*", catalogue=catalogue)
    assert pattern.like_pattern == "ABC_1%"
    assert pattern.normalized_keys == frozenset()


@pytest.mark.parametrize(
    ("query", "stored", "kind"),
    [
        ("12345", "0012345", MatchKind.PADDING),  # a spreadsheet took the serial for a number
        ("0012345", "12345", MatchKind.PADDING),
        ("GLK-731", "GLK 00731", MatchKind.PADDING),
        ("12345", "012345", MatchKind.PADDING),  # one edit too, but padding says more
        ("12345", "0000012345", MatchKind.PADDING),  # a register padding to ten digits
        ("1234", "00001234", MatchKind.PADDING),  # to eight
        ("K00123", "K0000123", MatchKind.PADDING),  # padded otherwise on both sides
        ("123", "0123", None),  # too short to match on so little
        ("A12B34C56", "A12B34C056", MatchKind.PADDING),  # any run of two digits or more
        ("0000", "00000", MatchKind.EDIT),  # zeros alone are a number, not padding
        # A zero after a separator between digits may be a digit of the number: the
        # unpadded form keeps the separator, and 1245 is one digit off, not padded.
        ("1245", "12 045", MatchKind.EDIT),
        ("1245", "12,045", MatchKind.EDIT),
        ("2024512", "2024-0512", MatchKind.EDIT),
        ("12-0345", "12 345", MatchKind.PADDING),
        ("100200", "1000200", MatchKind.EDIT),  # a zero inside a run is a digit read
        ("G19-731", "G19-00731", MatchKind.PADDING),  # a separator ends a run
        ("GLK731", "GLK-00731", MatchKind.PADDING),  # written with a separator on one side
        ("Z 41237", "Z041237", MatchKind.PADDING),
        ("F-12345", "F012345", MatchKind.PADDING),
        ("M4A1-123", "M4A01-123", MatchKind.EDIT),  # a lone digit is not padded
    ],
)
def test_readings_differing_only_by_padding_zeros_match_as_padding(
    catalogue: ReferenceCatalogue, query: str, stored: str, kind: MatchKind | None
) -> None:
    found = rank(
        SerialQuery.parse(query, catalogue=catalogue),
        [candidate(stored, catalogue=catalogue)],
        catalogue,
    )
    assert [m.kind for m in found] == ([kind] if kind else [])
    if kind is MatchKind.PADDING:
        assert found[0].confidence == 0.8
        # Found by one key: the query's normalized or unpadded form is one the stored
        # reading is filed under.
        reading = Identifier.read(stored)
        filed = {reading.normalized} | filed_spellings(reading)
        assert not filed.isdisjoint(SerialQuery.parse(query, catalogue=catalogue).normalized_keys)


@pytest.mark.parametrize(
    ("query", "stored", "kind"),
    [
        ("GKH4455", "ГХ 004455", MatchKind.TRANSLITERATED),  # spelled, without the zeros
        ("GH4455", "ГХ 004455", MatchKind.TRANSLITERATED),
        ("GKH04455", "ГХ 004455", MatchKind.TRANSLITERATED),
        ("ГХ4455", "ГХ 004455", MatchKind.PADDING),
        ("BZH09735", "БЖ 9735", MatchKind.TRANSLITERATED),  # rather than one edit away
        ("SHCHTS77", "ЩЦ-0077", MatchKind.TRANSLITERATED),
        ("ŜC77", "ЩЦ-0077", MatchKind.TRANSLITERATED),  # ISO 9, unpadded
    ],
)
def test_a_spelled_reading_padded_otherwise_is_found_by_one_key(
    catalogue: ReferenceCatalogue, query: str, stored: str, kind: MatchKind
) -> None:
    searched = SerialQuery.parse(query, catalogue=catalogue)
    found = rank(searched, [candidate(stored, catalogue=catalogue)], catalogue)
    assert [m.kind for m in found] == [kind]
    reading = Identifier.read(stored)
    filed = {reading.normalized} | filed_spellings(reading)
    assert not filed.isdisjoint(searched.normalized_keys)


def test_two_fragments_do_not_count_as_the_whole_serial(catalogue: ReferenceCatalogue) -> None:
    # Found by probing: `BXK*` against a stored `BXK*` ranked above every complete serial.
    query = SerialQuery.parse("BXK*", catalogue=catalogue, make="Glock")
    fragment = candidate("BXK*", make="Glock", catalogue=catalogue)
    (match,) = rank(query, [fragment], catalogue)
    assert match.kind is MatchKind.PATTERN and match.confidence < 0.55
