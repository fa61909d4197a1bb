"""What investigators search for, derived from serials of the searching agency, and the
bare index lookup that answers each shape (the benchmark's baseline).

Each query comes from one stored serial, so the benchmark also checks that the search
finds that serial, and as which kind.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.serial_data import CYRILLIC_SPELLED, LOOKALIKE
from service.domain.identifiers import Identifier, normalize, reversed_key
from service.domain.pattern_lookup import PatternSource, pattern_lookup
from service.domain.transliteration import Table, transliterate

# Shape -> the kind the source serial should be found as.
EXPECTED = {
    "exact": "exact",
    "normalized": "normalized",
    "skeleton": "skeleton",
    "edit": "edit",
    "transliterated": "transliterated",
    "pattern, one ? (BXK4?2)": "pattern",
    "pattern, two runs of 2 (10?46)": "pattern",
    "pattern, * inside (10*46)": "pattern",
    "pattern, inner run (*4567*)": "pattern",
}
KEY_KINDS = ("exact", "normalized", "skeleton", "edit")


@dataclass(frozen=True)
class Query:
    text: str
    source: str  # the stored serial it was read from


def _one_query(shape: str, raw: str, rng: random.Random) -> str | None:
    normalized = normalize(raw)
    if shape == "exact":
        return raw
    if shape == "normalized":  # case and separators differ
        plain = raw.lower().replace(" ", "").replace("-", "")
        cut = rng.randrange(1, len(plain))
        return plain[:cut] + "-" + plain[cut:]
    if shape == "skeleton":
        swappable = [i for i, c in enumerate(normalized) if c in LOOKALIKE]
        if not swappable:
            return None
        i = rng.choice(swappable)
        return normalized[:i] + LOOKALIKE[normalized[i]] + normalized[i + 1 :]
    if shape == "edit":
        digits = [i for i, c in enumerate(normalized) if c.isdigit()]
        if len(normalized) < 5 or not digits:
            return None
        i = rng.choice(digits)
        other = rng.choice([d for d in "3479" if d != normalized[i]])
        return normalized[:i] + other + normalized[i + 1 :]
    if shape == "transliterated":
        if any(c in CYRILLIC_SPELLED for c in raw):
            return normalize(transliterate(raw, rng.choice(list(Table))))
        return None
    if shape == "pattern, one ? (BXK4?2)":
        i = rng.randrange(len(normalized))
        return normalized[:i] + "?" + normalized[i + 1 :] if len(normalized) >= 6 else None
    if shape == "pattern, two runs of 2 (10?46)":
        return normalized[:2] + "?" + normalized[3:] if len(normalized) == 5 else None
    if shape == "pattern, * inside (10*46)":
        return normalized[:2] + "*" + normalized[-2:] if len(normalized) >= 6 else None
    if shape == "pattern, inner run (*4567*)":
        return "*" + normalized[1:5] + "*" if len(normalized) >= 7 else None
    raise ValueError(shape)


def query_sets(
    serials: list[tuple[str, str]], count: int, seed: int = 42
) -> dict[str, list[Query]]:
    """`count` queries of each shape, each from a different stored serial where the
    register allows. `serials` are (as entered, as stamped): a serial entered in Latin
    transliteration is searched as stamped, in Cyrillic, for half the transliterated
    queries (none when the stamped form is unknown)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic queries
    complete = [raw for raw, _ in serials if "?" not in raw and "*" not in raw]
    rng.shuffle(complete)
    sets: dict[str, list[Query]] = {}
    for shape in EXPECTED:
        found: list[Query] = []
        if shape == "transliterated":
            typed_in_latin = [
                Query(stamped, raw)
                for raw, stamped in serials
                if raw.isascii() and any(c in CYRILLIC_SPELLED for c in stamped)
            ]
            found = typed_in_latin[: count // 2]
        for raw in complete:
            if len(found) == count:
                break
            text = _one_query(shape, raw, rng)
            if text is not None and text != raw or shape == "exact":
                found.append(Query(text or raw, raw))
        sets[shape] = found
    return sets


def _like(pattern: str) -> str:
    return pattern.replace("?", "_").replace("*", "%")


def _raw_pattern(text: str) -> tuple[str, list[Any]]:
    pattern = normalize(text)
    lookup = pattern_lookup(pattern)
    if lookup.source is PatternSource.DELETIONS:
        return (
            "SELECT item_id, role FROM identifier_deletions WHERE variant = ANY($1::varchar[])",
            [list(lookup.keys)],
        )
    (known,) = lookup.keys
    if lookup.source is PatternSource.TRIGRAMS:
        return (
            "SELECT item_id, role FROM item_identifiers WHERE reversed LIKE $1 AND normalized LIKE $2",
            [f"%{reversed_key(known)}%", _like(pattern)],
        )
    column, edge = (
        ("normalized", known) if lookup.source is PatternSource.START else ("reversed", known[::-1])
    )
    return (
        f"SELECT item_id, role FROM item_identifiers WHERE {column} >= $1 AND {column} < $2 "
        "AND normalized LIKE $3",
        [edge, edge[:-1] + chr(ord(edge[-1]) + 1), _like(pattern)],
    )


def _spellings(text: str) -> list[str]:
    return sorted(Identifier.read(text).spellings)


# Shape -> (SQL, arguments): the bare index lookups that serve the shape's match.
RAW_LOOKUPS: dict[str, Callable[[str], tuple[str, list[Any]]]] = {
    "exact": lambda q: (
        "SELECT item_id, role FROM item_identifiers WHERE normalized = $1",
        [normalize(q)],
    ),
    "normalized": lambda q: (
        "SELECT item_id, role FROM item_identifiers WHERE normalized = $1",
        [normalize(q)],
    ),
    "skeleton": lambda q: (
        "SELECT item_id, role FROM item_identifiers WHERE skeleton = $1",
        [Identifier.read(q).skeleton],
    ),
    "edit": lambda q: (
        "SELECT item_id, role FROM item_identifiers WHERE normalized = ANY($1::varchar[]) "
        "UNION ALL SELECT item_id, role FROM identifier_deletions WHERE variant = ANY($1::varchar[])",
        [sorted(Identifier.read(q).spellings | Identifier.read(q).deletion_variants)],
    ),
    "transliterated": lambda q: (
        "SELECT item_id, role FROM item_identifiers WHERE normalized = ANY($1::varchar[]) "
        "UNION ALL SELECT item_id, role FROM identifier_transliterations "
        "WHERE transliterated = ANY($1::varchar[])",
        [_spellings(q)],
    ),
    **{shape: _raw_pattern for shape in EXPECTED if shape.startswith("pattern")},
}
