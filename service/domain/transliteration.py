"""Cyrillic and Greek serials typed in Latin letters, and the reverse.

An officer on a Latin keyboard types a Soviet-pattern serial `БЖ9735` as it is usually
transliterated, `BZH9735`; a registry may hold it either way. Look-alike letters are not
transliterated: they are already the Latin letter they look like (Cyrillic В is B, not
V; see `identifiers.normalize`). The letters with no Latin look-alike are spelled by a
recognised table:

- Cyrillic: ICAO Doc 9303 Part 3 (machine-readable travel documents; Russian and
  Ukrainian passports use it), first; BGN/PCGN where it differs; then the spellings of
  ISO 9 that need no diacritic (Й J, Х H, Ц C) and other common ones (Ж J, Г H and И Y
  as Ukrainian writes them, Ё YO). The letters ISO 9 writes with a diacritic (Č for Ч)
  are read back as the Cyrillic letter they stand for.
- Greek: ELOT 743 (ISO 843 type 2, which Greek documents use and BGN/PCGN adopted),
  first, with the older spellings (Δ DH, Ξ KS, Φ PH) as alternatives.

Cyrillic Х is the one look-alike that is also spelled: a reader seeing `Х` types X (the
look-alike, a `normalized` match) or KH or H (the transliteration, which the tables
agree on). Every other look-alike keeps only its Latin letter.

A reading's spellings are every combination of its letters' spellings, up to
MAX_SPELLINGS (a serial has few letters: `БЖ9735` has two spellings, `ЮЯЙ1` eighteen);
beyond that, the whole reading by each named table.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Final


class Table(Enum):
    """The named tables; a reading spelled wholly by one of them is always a spelling."""

    ICAO_9303 = "ICAO 9303 (Greek: ELOT 743)"
    BGN_PCGN = "BGN/PCGN"


@dataclass(frozen=True, slots=True)
class _Letter:
    icao_9303: str
    bgn_pcgn: str
    also: tuple[str, ...] = ()

    def spellings(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.icao_9303, self.bgn_pcgn, *self.also)))

    def by(self, table: Table) -> str:
        return self.icao_9303 if table is Table.ICAO_9303 else self.bgn_pcgn


def _same(latin: str, *also: str) -> _Letter:
    return _Letter(latin, latin, also)


# Capital letters only: readings are upper-cased before they are spelled.
_LETTERS: Final = {
    # Russian, Ukrainian, Belarusian
    "Б": _same("B"),
    "Г": _same("G", "H"),
    "Ґ": _same("G"),
    "Д": _same("D"),
    "Ё": _Letter("E", "YE", ("YO",)),
    "Є": _Letter("IE", "YE"),
    "Ж": _same("ZH", "J"),
    "З": _same("Z"),
    "И": _same("I", "Y"),
    "Й": _Letter("I", "Y", ("J",)),
    "Ї": _Letter("I", "YI"),
    "Л": _same("L"),
    "П": _same("P"),
    "Ў": _Letter("U", "W"),
    "Ф": _same("F"),
    "Х": _same("KH", "H", "X"),
    "Ц": _same("TS", "C"),
    "Ч": _same("CH"),
    "Ш": _same("SH"),
    "Щ": _same("SHCH"),
    "Ъ": _Letter("IE", ""),
    "Ы": _same("Y"),
    "Ь": _same(""),
    "Э": _same("E"),
    "Ю": _Letter("IU", "YU"),
    "Я": _Letter("IA", "YA"),
    # Serbian and Macedonian
    "Ђ": _Letter("D", "DJ"),
    "Ѓ": _Letter("G", "GJ"),
    "Љ": _same("LJ"),
    "Њ": _same("NJ"),
    "Ќ": _Letter("K", "KJ"),
    "Ћ": _same("C"),
    "Џ": _same("DZ"),
    # Greek
    "Γ": _same("G"),
    "Δ": _same("D", "DH"),
    "Θ": _same("TH"),
    "Λ": _same("L"),
    "Ξ": _same("X", "KS"),
    "Π": _same("P"),
    "Σ": _same("S"),
    "Φ": _same("F", "PH"),
    "Ψ": _same("PS"),
    "Ω": _same("O"),
}

# ISO 9 and the scholarly tables spell these Cyrillic letters with a háček or circumflex
# (Ч Č, Ш Š, Ж Ž, Щ Ŝ or ŠČ): an officer who types one means the Cyrillic letter, and it
# has that letter's spellings (`ČŠČ4412` is `CHSHCH4412`, as `ЧЩ4412` is). ISO 9's other
# marked letters (Û, Â, Ë, È) are French letters first, and keep only themselves.
_ISO_9: Final = {latin: _LETTERS[cyrillic] for latin, cyrillic in zip("ČŠŽŜ", "ЧШЖЩ", strict=True)}

# Letters a `?` may stand for besides digits and Latin letters, when a pattern is
# expanded into exact keys.
SPELLED_LETTERS: Final = frozenset(_LETTERS) - {"Х"}

MAX_SPELLINGS: Final = 32


def _is_cyrillic_or_greek(char: str) -> bool:
    return "\u0370" <= char <= "\u03ff" or "\u0400" <= char <= "\u052f"


def _letter(char: str) -> _Letter | None:
    """The spellings of a Cyrillic or Greek letter, by itself or under its marks (a Greek
    tonos, a Cyrillic breve); None for every other character."""
    found = _LETTERS.get(char) or _ISO_9.get(char)
    if found is None and _is_cyrillic_or_greek(char):
        base = unicodedata.normalize("NFD", char)[0]
        found = _LETTERS.get(base)
    return found


def latin_spellings(raw: str) -> list[str]:
    """The reading with its Cyrillic and Greek letters spelled in Latin, every way the
    tables allow (upper case; everything else as it was, for `normalize` to finish).
    Empty when the reading has no letter to spell."""
    if raw.isascii():
        return []
    parts = _parts(raw)
    if not any(isinstance(p, _Letter) for p in parts):
        return []
    options = [p.spellings() if isinstance(p, _Letter) else (p,) for p in parts]
    if math.prod(len(o) for o in options) <= MAX_SPELLINGS:
        return ["".join(choice) for choice in itertools.product(*options)]
    return [_spelled_by(parts, table) for table in Table]


def transliterate(raw: str, table: Table) -> str:
    """The reading with every letter that has no Latin look-alike spelled by one table:
    what an officer who uses that table types (upper case, not yet normalized)."""
    return _spelled_by(_parts(raw), table)


def _parts(raw: str) -> list[_Letter | str]:
    parts: list[_Letter | str] = []
    spelled_before = False
    for char in unicodedata.normalize("NFKC", raw).upper():
        if spelled_before and unicodedata.combining(char):
            continue  # a mark on a spelled letter (a tonos, a breve): spellings have none
        letter = _letter(char)
        spelled_before = letter is not None
        parts.append(letter if letter is not None else char)
    return parts


def _spelled_by(parts: list[_Letter | str], table: Table) -> str:
    return "".join(p.by(table) if isinstance(p, _Letter) else p for p in parts)
