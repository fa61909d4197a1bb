"""The reference table resolves spellings to canonical makes and calibres, never guesses."""

import pytest

from service.domain.reference import (
    CanonicalCalibre,
    CanonicalMake,
    ReferenceCatalogue,
    ReferenceTableError,
    calibre_key,
    make_key,
)


def test_the_shipped_table_is_large_enough_and_versioned(catalogue: ReferenceCatalogue) -> None:
    assert len(catalogue.makes) >= 150
    assert len(catalogue.calibres) >= 120
    assert catalogue.version


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Glock", "Glock"),
        ("GLOCK GmbH", "Glock"),
        ("Glock Ges.m.b.H.", "Glock"),
        ("Zastava", "Zastava Arms"),
        ("Crvena Zastava", "Zastava Arms"),
        ("Zastava Arms", "Zastava Arms"),
        ("ZASTAVA ORUŽJE", "Zastava Arms"),
        ("Heckler&Koch", "Heckler & Koch"),
        ("Smith and Wesson", "Smith & Wesson"),
        ("Izhmash", "Kalashnikov Concern"),
        ("CESKA ZBROJOVKA a.s.", "Česká zbrojovka"),
        ("Bersa S.A.", "Bersa"),
    ],
)
def test_maker_spellings_resolve_to_one_canonical_make(
    catalogue: ReferenceCatalogue, raw: str, canonical: str
) -> None:
    assert catalogue.resolve_make(raw).canonical == canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("9mm", "9x19mm Parabellum"),
        ("9 x 19", "9x19mm Parabellum"),
        ("9×19", "9x19mm Parabellum"),
        ("9mm Luger", "9x19mm Parabellum"),
        ("9mm Parabellum", "9x19mm Parabellum"),
        ("9mm NATO", "9x19mm Parabellum"),
        (".223 Remington", ".223 Remington"),
        ("5,56 x 45", "5.56x45mm NATO"),
        ("7.62x39", "7.62x39mm"),
        ("12/70", "12 gauge"),
        (".380 ACP", ".380 ACP"),
        ("9mm Kurz", ".380 ACP"),
    ],
)
def test_calibre_spellings_resolve_to_one_canonical_calibre(
    catalogue: ReferenceCatalogue, raw: str, canonical: str
) -> None:
    assert catalogue.resolve_calibre(raw).canonical == canonical


def test_related_calibres_are_related_but_not_the_same(catalogue: ReferenceCatalogue) -> None:
    assert catalogue.resolve_calibre(".223 Rem").canonical == ".223 Remington"
    assert catalogue.resolve_calibre("5.56 NATO").canonical == "5.56x45mm NATO"
    assert catalogue.calibres_related(".223 Remington", "5.56x45mm NATO")
    assert not catalogue.calibres_related(".223 Remington", "7.62x39mm")


@pytest.mark.parametrize("raw", ["Armscor", "7.65mm", "Glok", "Unknown Arms Co"])
def test_ambiguous_or_unknown_values_stay_unresolved(
    catalogue: ReferenceCatalogue, raw: str
) -> None:
    assert catalogue.resolve_make(raw).canonical is None
    assert catalogue.resolve_calibre(raw).canonical is None
    assert catalogue.resolve_make(raw).raw == raw


def test_legal_forms_are_dropped_only_as_whole_trailing_words() -> None:
    assert make_key("Bersa") == make_key("Bersa S.A.") == "bersa"
    assert make_key("Gabilondo y Cía") == "gabilondo"
    assert make_key("SA") == "sa"


def test_calibre_keys_ignore_spacing_decimal_commas_and_times_signs() -> None:
    assert calibre_key("5,56 × 45") == calibre_key("5.56x45")
    assert calibre_key(".45 ACP") == calibre_key("45 ACP")
    assert calibre_key("4.5mm") != calibre_key(".45mm")


def test_an_alias_naming_two_makes_is_refused() -> None:
    with pytest.raises(ReferenceTableError, match="names both"):
        ReferenceCatalogue(
            version="t",
            makes=[
                CanonicalMake("Armscor Philippines", "PH", ("Armscor",)),
                CanonicalMake("Denel", "ZA", ("ARMSCOR",)),
            ],
            calibres=[],
        )


def test_a_relation_to_an_unknown_calibre_is_refused() -> None:
    with pytest.raises(ReferenceTableError, match="unknown"):
        ReferenceCatalogue(version="t", makes=[], calibres=[CanonicalCalibre("9mm", (), ("10mm",))])
