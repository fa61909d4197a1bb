"""Canonical makes and calibres, and how raw text resolves to them.

Resolution is a lookup of a deterministic key among known aliases, never a fuzzy guess:
a value that matches no alias stays unresolved and is reported, so a person adds the
alias to the reference table instead of the system inventing an answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

# Legal forms dropped from the end of a maker's name: "GLOCK GmbH", "Glock Ges.m.b.H." and
# "Glock" are one maker. Only whole trailing words are dropped, so "Bersa" keeps its "sa".
_LEGAL_FORMS: Final = frozenset(
    """
    ab ad ag ao aps as asa bhd bv cia cjsc co company corp corporation dd doo gesmbh gmbh
    inc incorporated jsc kft kg limited llc llp ltd mbh nv oao ojsc oy oyj pjsc plc pty
    pvt sa sarl sas snc spa spzoo srl sro zao zrt
    """.split()
)
_CONNECTORS: Final = frozenset({"&", "and", "und", "y", "et", "e", "i"})

_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_TIMES = re.compile(r"(?<=\d)\s*[x×*]\s*(?=\d)", re.IGNORECASE)
_STRAY_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")
_CALIBRE_NOISE = re.compile(r"[\s\-_/()\"'’`]+")
_MAKE_PUNCTUATION = re.compile(r"[^\w&+]+")


def _without_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def calibre_key(text: str) -> str:
    """Key under which calibre spellings are compared: `9 x 19` == `9x19`, `5,56` == `5.56`."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _DECIMAL_COMMA.sub(".", folded)
    folded = _TIMES.sub("x", folded)
    folded = _CALIBRE_NOISE.sub("", folded)
    return _STRAY_DOT.sub("", folded)


def make_key(text: str) -> str:
    """Key under which maker names are compared: case, accents, punctuation, legal form."""
    folded = _without_marks(unicodedata.normalize("NFKC", text)).casefold()
    words = [_MAKE_PUNCTUATION.sub("", word) for word in folded.split()]
    words = [w for w in words if w]
    while len(words) > 1 and (words[-1] in _LEGAL_FORMS or words[-1] in _CONNECTORS):
        words.pop()
    return "".join(words)


@dataclass(frozen=True, slots=True)
class CanonicalMake:
    name: str
    country: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CanonicalCalibre:
    name: str
    aliases: tuple[str, ...]
    # Cartridges that are not the same but are often confused or interchangeable in one
    # direction (.223 Remington and 5.56x45mm NATO): a mismatch between them is weaker
    # evidence of a different weapon than a mismatch between unrelated calibres.
    related: tuple[str, ...]


class ReferenceTableError(ValueError):
    """The reference table contradicts itself (an alias naming two canonical values)."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """A raw reading together with the canonical value it resolved to, if any."""

    raw: str
    canonical: str | None


class ReferenceCatalogue:
    """A versioned table of canonical makes and calibres with their aliases."""

    def __init__(
        self,
        *,
        version: str,
        makes: Sequence[CanonicalMake],
        calibres: Sequence[CanonicalCalibre],
    ) -> None:
        self.version = version
        self.makes: Mapping[str, CanonicalMake] = {m.name: m for m in makes}
        self.calibres: Mapping[str, CanonicalCalibre] = {c.name: c for c in calibres}
        self._make_index = _alias_index(
            ((m.name, [m.name, *m.aliases]) for m in makes), make_key, "make"
        )
        self._calibre_index = _alias_index(
            ((c.name, [c.name, *c.aliases]) for c in calibres), calibre_key, "calibre"
        )
        self._related = _related_pairs(calibres, self.calibres)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ReferenceCatalogue:
        """Build from the parsed reference document (see `reference_data/catalogue.json`)."""
        return cls(
            version=str(document["version"]),
            makes=[
                CanonicalMake(
                    name=entry["name"],
                    country=entry.get("country"),
                    aliases=tuple(entry.get("aliases", ())),
                )
                for entry in document["makes"]
            ],
            calibres=[
                CanonicalCalibre(
                    name=entry["name"],
                    aliases=tuple(entry.get("aliases", ())),
                    related=tuple(entry.get("related", ())),
                )
                for entry in document["calibres"]
            ],
        )

    def resolve_make(self, raw: str) -> Resolution:
        return Resolution(raw, self._make_index.get(make_key(raw)))

    def resolve_calibre(self, raw: str) -> Resolution:
        return Resolution(raw, self._calibre_index.get(calibre_key(raw)))

    def calibres_related(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self._related


def _alias_index(entries: Iterable[tuple[str, list[str]]], key: Any, kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for canonical, spellings in entries:
        for spelling in spellings:
            k = key(spelling)
            if not k:
                raise ReferenceTableError(f"{kind} alias {spelling!r} has an empty key")
            if index.setdefault(k, canonical) != canonical:
                raise ReferenceTableError(
                    f"{kind} alias {spelling!r} names both {index[k]!r} and {canonical!r}"
                )
    return index


def _related_pairs(
    calibres: Sequence[CanonicalCalibre], known: Mapping[str, CanonicalCalibre]
) -> frozenset[frozenset[str]]:
    pairs: set[frozenset[str]] = set()
    for calibre in calibres:
        for other in calibre.related:
            if other not in known:
                raise ReferenceTableError(f"{calibre.name!r} is related to unknown {other!r}")
            pairs.add(frozenset((calibre.name, other)))
    return frozenset(pairs)
