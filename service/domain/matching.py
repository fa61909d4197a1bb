"""Finding an item again by its serial or lot, however it was read.

The storage adapters only narrow the register down to candidates through indexed keys
(`SerialQuery` says which); every decision about whether a candidate matches, how, and
how much to trust it is made here, so all adapters answer alike.

Match kinds, strongest first, each with the confidence it has on its own:

- `exact` (0.97): the same characters as entered;
- `normalized` (0.93): the same once case, separators, digit scripts and Cyrillic or
  Greek look-alikes are set aside (`ВХК-482` is `BXK482`);
- `padding` (0.80): the same but for zeros padding a run of digits (`0012345` and
  `12345`, `GLK-00731` and `GLK731`): a spreadsheet drops them, some registers add them;
- `skeleton` (0.70): the same once look-alike characters are folded (`8XK482`);
- `transliterated` (0.62): the same once Cyrillic and Greek letters without a Latin
  look-alike are spelled by a recognised table (`BZH9735` for `БЖ9735`; see
  `transliteration.py`), in either direction;
- `edit` (0.55): one character inserted, deleted, changed or two swapped, in any of
  the readings' spellings;
- `pattern` (0.25 to 0.60, with the share of legible characters): a partial reading
  (`?` one unknown character, `*` a run) fits the other reading, as read or with its
  look-alike letters read as digits (`1O?46` fits `10746`; each letter so read counts as
  a character not legible).

Make, model and calibre then raise or lower the confidence.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol
from uuid import UUID

from service.domain.errors import InvalidValue
from service.domain.identifiers import (
    MIN_LEGIBLE,
    MIN_LENGTH_FOR_EDIT_MATCH,
    Identifier,
    anchor_keys,
    legible_count,
    pattern_matches,
    patterns_overlap,
    read_as_digits,
    within_one_edit,
)
from service.domain.items import IdentifierRole, ItemKind
from service.domain.padding import padded_alike, padding_keys, unpadded_spellings
from service.domain.pattern_lookup import PatternLookup, pattern_lookup
from service.domain.reference import ReferenceCatalogue, Resolution, make_key


class MatchKind(StrEnum):
    EXACT = "exact"
    NORMALIZED = "normalized"
    PADDING = "padding"
    SKELETON = "skeleton"
    TRANSLITERATED = "transliterated"
    EDIT = "edit"
    PATTERN = "pattern"


_KIND_RANK: Final = {kind: rank for rank, kind in enumerate(MatchKind)}

# How much a match of each kind says on its own, before make, model and calibre are
# compared. A pattern's base grows with the share of characters that were legible.
_BASE_CONFIDENCE: Final = {
    MatchKind.EXACT: 0.97,
    MatchKind.NORMALIZED: 0.93,
    # The characters that were read agree; only zeros a system added or dropped differ.
    MatchKind.PADDING: 0.80,
    MatchKind.SKELETON: 0.70,
    # Between the two on either side: the characters were read right and typed by a
    # table, but the tables disagree on some letters and a spelling can collide.
    MatchKind.TRANSLITERATED: 0.62,
    MatchKind.EDIT: 0.55,
}
# Kinds whose readings differ in what was read (a character, a worn run): agreeing
# descriptions do not raise them (see `confidence`).
_NEIGHBOURLY: Final = frozenset({MatchKind.EDIT, MatchKind.PATTERN})
_PATTERN_FLOOR: Final = 0.25
_PATTERN_SPAN: Final = 0.35

# Evidence from the rest of the description, in log-odds. Disagreement weighs more than
# agreement: the same serial on another make is usually another weapon, while agreeing
# makes are common (there are many Glocks).
_MAKE_AGREES: Final = 1.2
_MAKE_DIFFERS: Final = -2.0
_MAKE_SPELLING_AGREES: Final = 0.8
_CALIBRE_AGREES: Final = 0.8
_CALIBRE_RELATED: Final = -0.3
_CALIBRE_DIFFERS: Final = -1.5
_MODEL_AGREES: Final = 0.6
_MODEL_EXTENDS: Final = 0.3
_MODEL_DIFFERS: Final = -0.8


@dataclass(frozen=True, slots=True)
class SerialQuery:
    """A serial search: the reading searched for and what else the searcher knows."""

    identifier: Identifier
    make: Resolution | None = None
    model: str | None = None
    calibre: Resolution | None = None

    @classmethod
    def parse(
        cls,
        serial: str,
        *,
        catalogue: ReferenceCatalogue,
        make: str | None = None,
        model: str | None = None,
        calibre: str | None = None,
    ) -> SerialQuery:
        identifier = Identifier.read(serial, field="serial")
        if identifier.is_partial and legible_count(identifier.normalized) < MIN_LEGIBLE:
            raise InvalidValue(
                "serial", f"a pattern needs at least {MIN_LEGIBLE} legible characters"
            )
        return cls(
            identifier=identifier,
            make=catalogue.resolve_make(make) if make else None,
            model=model or None,
            calibre=catalogue.resolve_calibre(calibre) if calibre else None,
        )

    # The keys below are what storage looks up; each is an index equality or, for a
    # pattern searched against complete readings, the lookup `pattern_lookup` chooses.

    @property
    def normalized_keys(self) -> frozenset[str]:
        """Stored spellings (normalized readings, transliterations, unpadded forms) or
        their one-deletion variants equal to one of these may match (exact to edit): the
        query's unpadded form finds readings padded with more or fewer zeros."""
        if self.identifier.is_partial:
            return frozenset()
        identifier = self.identifier
        return identifier.spellings | identifier.deletion_variants | padding_keys(identifier)

    @property
    def skeleton_key(self) -> str | None:
        return None if self.identifier.is_partial else self.identifier.skeleton

    @property
    def anchor_keys(self) -> frozenset[str]:
        """Stored partial readings with an anchor among these may match."""
        return anchor_keys(self.identifier.normalized)

    @property
    def pattern_lookup(self) -> PatternLookup | None:
        """For a partial reading, how to find the complete readings it may fit."""
        return pattern_lookup(self.identifier.normalized) if self.identifier.is_partial else None

    @property
    def digit_pattern(self) -> str | None:
        """A partial reading with look-alike letters, read as digits (`1O?46` as `10?46`):
        the complete readings that fit it fit the query too (see `fitted_misreads`).
        None when nothing reads otherwise, or too little would be left legible."""
        if not self.identifier.is_partial:
            return None
        as_digits = read_as_digits(self.identifier.normalized)
        if _misreads(self.identifier.normalized, as_digits) is None:
            return None
        return as_digits

    @property
    def fitting_patterns(self) -> tuple[str, ...]:
        """What complete readings are fitted to: the pattern as read, and read as digits
        when it may be; nothing for a complete reading."""
        if not self.identifier.is_partial:
            return ()
        digits = self.digit_pattern
        return (
            (self.identifier.normalized,)
            if digits is None
            else (self.identifier.normalized, digits)
        )

    @property
    def lookup_keys(self) -> frozenset[str]:
        """Every key of `stored_keys` under which a matching reading may be filed: one
        set of equality lookups for the exact, normalized, skeleton, edit and (for stored
        partial readings) pattern matches. A pattern query against complete readings
        needs `like_pattern` as well."""
        keys = {f"e:{key}" for key in self.normalized_keys}
        if self.skeleton_key is not None:
            keys.add(f"s:{self.skeleton_key}")
        keys.update(f"a:{anchor}" for anchor in self.anchor_keys)
        return frozenset(keys)

    @property
    def like_pattern(self) -> str | None:
        """SQL LIKE pattern (escape `\\`) for complete readings, when searching a pattern."""
        if not self.identifier.is_partial:
            return None
        return as_like(self.identifier.normalized)


_LIKE: Final = {"?": "_", "*": "%", "%": "\\%", "_": "\\_", "\\": "\\\\"}


def as_like(pattern: str) -> str:
    """A normalized partial reading as an SQL LIKE pattern (escape `\\`)."""
    return "".join(_LIKE.get(c, c) for c in pattern)


def fitted_misreads(pattern: Identifier, serial: Identifier) -> int | None:
    """Whether a complete reading fits a partial one: 0 when it fits as read; when it fits
    only with the partial reading's look-alike letters read as digits, how many letters
    were so read (`1O?46` fits `10746` with one); None when it does not fit, or when the
    letters so read leave fewer than MIN_LEGIBLE characters as read (`SIG*` is not `516*`)."""
    if pattern_matches(pattern.normalized, serial.normalized):
        return 0
    as_digits = read_as_digits(pattern.normalized)
    misreads = _misreads(pattern.normalized, as_digits)
    if misreads is None or not pattern_matches(as_digits, serial.normalized):
        return None
    return misreads


def _misreads(pattern: str, as_digits: str) -> int | None:
    """The letters read as digits, when some are and enough are left as read."""
    misreads = sum(1 for read, meant in zip(pattern, as_digits, strict=True) if read != meant)
    if misreads == 0 or legible_count(pattern) - misreads < MIN_LEGIBLE:
        return None
    return misreads


def stored_keys(identifier: Identifier) -> frozenset[str]:
    """The keys a stored reading is filed under, for `SerialQuery.lookup_keys`: its
    spellings (normalized form, transliterations, unpadded form) and the one-deletion
    variants of the first two (one space, so that a query and a reading one edit apart
    share a key), its skeleton, and for a partial reading its anchors."""
    if identifier.is_partial:
        return frozenset(f"a:{anchor}" for anchor in identifier.anchors)
    spellings = identifier.spellings | filed_spellings(identifier)
    keys = {f"e:{spelling}" for spelling in spellings}
    keys.add(f"s:{identifier.skeleton}")
    keys.update(f"e:{variant}" for variant in identifier.deletion_variants)
    return frozenset(keys)


def filed_spellings(identifier: Identifier) -> frozenset[str]:
    """The spellings a complete reading is filed under besides its normalized form: its
    transliterations and, when zeros pad its runs of digits, its unpadded forms."""
    return identifier.transliterations | padding_keys(identifier)


class Described(Protocol):
    """A reading with the description around it: a recorded item, a registry record."""

    @property
    def identifier(self) -> Identifier: ...

    @property
    def make(self) -> Resolution | None: ...

    @property
    def model(self) -> str | None: ...

    @property
    def calibre(self) -> Resolution | None: ...


@dataclass(frozen=True, slots=True)
class StoredIdentifier:
    """A candidate from storage: a recorded reading and the item description around it."""

    recovery_id: UUID
    item_id: UUID
    agency_id: UUID
    item_kind: ItemKind
    role: IdentifierRole
    identifier: Identifier
    make: Resolution | None
    model: str | None
    calibre: Resolution | None
    recovered_at: datetime
    case_reference: str


@dataclass(frozen=True, slots=True)
class SerialMatch:
    candidate: StoredIdentifier
    kind: MatchKind
    confidence: float


def match_kind(
    query: Identifier, stored: Identifier, query_anchor_keys: frozenset[str] | None = None
) -> MatchKind | None:
    """How a stored reading matches the one searched for, or None if it does not.

    `query_anchor_keys` (the query's `anchor_keys`) may be passed in by a caller that
    classifies many candidates against one query."""
    if query.is_partial or stored.is_partial:
        keys = query_anchor_keys if query_anchor_keys is not None else anchor_keys(query.normalized)
        return _pattern_match(query, stored, keys)
    if stored.raw == query.raw:
        return MatchKind.EXACT
    if stored.normalized == query.normalized:
        return MatchKind.NORMALIZED
    if padded_alike(query.raw, stored.raw):
        return MatchKind.PADDING
    if stored.skeleton == query.skeleton:
        return MatchKind.SKELETON
    if not query.transliterations and not stored.transliterations:
        return MatchKind.EDIT if _one_edit(query.normalized, stored.normalized) else None
    query_spellings, stored_spellings = query.spellings, stored.spellings
    if not query_spellings.isdisjoint(stored_spellings):
        return MatchKind.TRANSLITERATED
    if not unpadded_spellings(query).isdisjoint(unpadded_spellings(stored)):
        return MatchKind.TRANSLITERATED  # spelled, and padded otherwise: `GKH4455`, `ГХ 004455`
    if any(_one_edit(a, b) for a in query_spellings for b in stored_spellings):
        return MatchKind.EDIT
    return None


def _one_edit(a: str, b: str) -> bool:
    # One edit on a very short serial is as likely chance as a misreading.
    return min(len(a), len(b)) >= MIN_LENGTH_FOR_EDIT_MATCH and within_one_edit(a, b)


def _pattern_match(
    query: Identifier, stored: Identifier, query_anchor_keys: frozenset[str]
) -> MatchKind | None:
    if not stored.is_partial:
        return MatchKind.PATTERN if fitted_misreads(query, stored) is not None else None
    # A stored partial reading is only findable through an anchor (a legible stretch, its
    # known start or end) that the query shows too; two fragments that merely could
    # overlap say nothing about identity.
    if stored.anchors.isdisjoint(query_anchor_keys):
        return None
    if query.is_partial:
        # Two partial readings: each must show an anchor of the other, so that which one
        # was stored and which searched for never decides whether they match.
        if query.anchors.isdisjoint(anchor_keys(stored.normalized)):
            return None
        return MatchKind.PATTERN if patterns_overlap(query.normalized, stored.normalized) else None
    return MatchKind.PATTERN if fitted_misreads(stored, query) is not None else None


def confidence(
    kind: MatchKind,
    query: SerialQuery,
    candidate: Described,
    catalogue: ReferenceCatalogue,
) -> float:
    """A confidence in [0, 1]: the match kind's base, moved by make, model and calibre."""
    base = _BASE_CONFIDENCE.get(kind) or _pattern_base(query.identifier, candidate.identifier)
    evidence = (
        _make_evidence(query.make, candidate.make)
        + _calibre_evidence(query.calibre, candidate.calibre, catalogue)
        + _model_evidence(query.model, candidate.model)
    )
    if kind in _NEIGHBOURLY:
        # A serial one character away, or one a partial reading fits, is most often a
        # neighbour from the same maker's run: the same make, model and calibre are what
        # such a neighbour has too, so agreement says nothing; disagreement still does.
        evidence = min(evidence, 0.0)
    logit = math.log(base / (1.0 - base)) + evidence
    return round(1.0 / (1.0 + math.exp(-logit)), 3)


def _pattern_base(query: Identifier, stored: Identifier) -> float:
    share = legible_share(query, stored)
    if query.is_partial != stored.is_partial:
        pattern, serial = (query, stored) if query.is_partial else (stored, query)
        # A letter read as the digit it resembles is a character not legible.
        share -= (fitted_misreads(pattern, serial) or 0) / max(len(serial.normalized), 1)
    return _PATTERN_FLOOR + _PATTERN_SPAN * max(share, 0.0)


def legible_share(a: Identifier, b: Identifier) -> float:
    """Of the serial two readings stand for, the share of characters legible in both:
    1.0 for two complete readings, 3/9 for `BER*` against `BER874612`. The same either
    way round."""
    partial = [i for i in (a, b) if i.is_partial]
    if not partial:
        return 1.0
    complete = [i for i in (a, b) if not i.is_partial]
    known = min(legible_count(i.normalized) for i in partial)
    # Without a complete reading the length is not known: each `*` stands for at least one
    # character (`BXK*` against `BXK*` shows 3 of at least 4, not all of it).
    length = len(complete[0].normalized) if complete else max(len(i.normalized) for i in partial)
    return min(1.0, known / max(length, 1))


def _make_evidence(query: Resolution | None, stored: Resolution | None) -> float:
    if query is None or stored is None:
        return 0.0
    if query.canonical and stored.canonical:
        return _MAKE_AGREES if query.canonical == stored.canonical else _MAKE_DIFFERS
    # An unresolved spelling is never guessed at; only the very same spelling counts.
    return _MAKE_SPELLING_AGREES if make_key(query.raw) == make_key(stored.raw) else 0.0


def _calibre_evidence(
    query: Resolution | None, stored: Resolution | None, catalogue: ReferenceCatalogue
) -> float:
    if query is None or stored is None or not query.canonical or not stored.canonical:
        return 0.0
    if query.canonical == stored.canonical:
        return _CALIBRE_AGREES
    if catalogue.calibres_related(query.canonical, stored.canonical):
        return _CALIBRE_RELATED
    return _CALIBRE_DIFFERS


def model_key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if c.isalnum())


def _model_evidence(query: str | None, stored: str | None) -> float:
    if not query or not stored:
        return 0.0
    a, b = model_key(query), model_key(stored)
    if not a or not b:
        return 0.0
    if a == b:
        return _MODEL_AGREES
    if a.startswith(b) or b.startswith(a):  # "17" and "17 Gen 4"
        return _MODEL_EXTENDS
    return _MODEL_DIFFERS


def rank(
    query: SerialQuery,
    candidates: Iterable[StoredIdentifier],
    catalogue: ReferenceCatalogue,
) -> list[SerialMatch]:
    """Every candidate that matches, most trustworthy first."""
    matches = []
    seen: set[tuple[UUID, IdentifierRole]] = set()
    query_anchor_keys = query.anchor_keys
    for candidate in candidates:
        key = (candidate.item_id, candidate.role)
        if key in seen:
            continue
        seen.add(key)
        kind = match_kind(query.identifier, candidate.identifier, query_anchor_keys)
        if kind is not None:
            matches.append(
                SerialMatch(
                    candidate,
                    kind,
                    confidence(kind, query, candidate, catalogue),
                )
            )
    matches.sort(
        key=lambda m: (
            -m.confidence,
            _KIND_RANK[m.kind],
            -m.candidate.recovered_at.timestamp(),
            m.candidate.item_id,
        )
    )
    return matches
