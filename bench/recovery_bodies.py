"""Request bodies for `POST /api/v1/recoveries` shaped like an agency's daily recoveries,
for the write benchmarks that run the background work each write causes.

What a recovery costs after it is written (registry checks, linking into case networks)
depends on what it shares with the recoveries before it: a serial from a dense production
run has many neighbours within one edit, a place or a case already seen joins a network.
A load that sends the same few bodies, all at one spot, builds one network of everything
and measures that pathology; this one follows `serial_data`'s makers instead:

- serials from the makers' formats and production runs (dense numeric runs, shared
  prefixes, Cyrillic pairs), some read differently (transliterated, a look-alike, partly
  ground off), and about one in a hundred a weapon recovered before;
- places spread around cities of several countries, a few hot spots where recoveries
  meet (a cell of about 100 m is shared only there);
- cases of one to a few recoveries, a named possessor in about one in five, people who
  recur, and ammunition beside the weapon in about one in ten.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from bench.serial_data import makers, read_differently

CITIES: Final = [
    ("Paris", "FR", 48.857, 2.352), ("Marseille", "FR", 43.296, 5.370),
    ("Lyon", "FR", 45.764, 4.836), ("Brussels", "BE", 50.847, 4.357),
    ("Antwerp", "BE", 51.219, 4.402), ("Rotterdam", "NL", 51.924, 4.478),
    ("Hamburg", "DE", 53.551, 9.994), ("Berlin", "DE", 52.520, 13.405),
    ("Madrid", "ES", 40.417, -3.704), ("Barcelona", "ES", 41.385, 2.173),
    ("Naples", "IT", 40.852, 14.268), ("Milan", "IT", 45.464, 9.190),
    ("Belgrade", "RS", 44.787, 20.457), ("Sarajevo", "BA", 43.856, 18.413),
    ("Tirana", "AL", 41.328, 19.819), ("Athens", "GR", 37.984, 23.728),
    ("Dakar", "SN", 14.716, -17.467), ("Abidjan", "CI", 5.360, -4.008),
    ("Tunis", "TN", 36.806, 10.181), ("Casablanca", "MA", 33.573, -7.590),
]  # fmt: skip
CIRCUMSTANCES: Final = ["crime_scene", "seizure", "border_seizure", "found_property", "surrender"]
GIVEN: Final = ["Adrian", "Bilal", "Dragan", "Elena", "Farid", "Goran", "Ines", "Jamal",
                "Karim", "Luca", "Marko", "Nadia", "Omar", "Petra", "Samir", "Yannick"]  # fmt: skip
FAMILY: Final = ["Benali", "Costa", "Dimitrov", "Haddad", "Jovanovic", "Kovac", "Leroy",
                 "Mensah", "Novak", "Petrovic", "Rossi", "Sow", "Traore", "Weber"]  # fmt: skip
HOT_SPOTS: Final = 60  # places where several recoveries meet, of every city
REPEAT_WEAPON: Final = 0.01  # a weapon recovered before, read the same or differently
TWO_YEARS_MINUTES: Final = 2 * 365 * 24 * 60


def bodies(count: int, *, seed: int = 11) -> Iterator[dict[str, Any]]:
    """`count` recovery bodies, deterministic for a seed."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    kinds = makers(seed)
    weights = [m.weight for m in kinds]
    hot = [_near(rng, rng.choice(CITIES), 0.05) for _ in range(HOT_SPOTS)]
    people = [f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}" for _ in range(max(50, count // 40))]
    seen: list[tuple[str, str, str, str]] = []
    start = datetime(2024, 1, 1, tzinfo=UTC)
    case = 0
    for n in range(count):
        if rng.random() < 0.6:
            case += 1
        place = rng.choice(hot) if rng.random() < 0.1 else _near(rng, rng.choice(CITIES), 0.15)
        items = [_firearm(rng, kinds, weights, seen)]
        if rng.random() < 0.15:
            items.append(_firearm(rng, kinds, weights, seen))
        if rng.random() < 0.1:
            items.append({"kind": "ammunition", "calibre": items[0]["calibre"],
                          "quantity": rng.randrange(1, 200)})  # fmt: skip
        body: dict[str, Any] = {
            "case_reference": f"CASE-2026-{case:06d}",
            # Seven minutes apart over two years, round again after: never in the future,
            # which the API refuses, however many bodies are asked for.
            "recovered_at": (
                start + timedelta(minutes=(7 * n) % TWO_YEARS_MINUTES + rng.randrange(600))
            ).isoformat(),
            "location": {
                "description": place[0],
                "country": place[1],
                "lat": place[2],
                "lon": place[3],
            },  # fmt: skip
            "circumstances": rng.choice(CIRCUMSTANCES),
            "items": items,
        }
        if rng.random() < 0.2:
            body["possessor"] = {"name": rng.choice(people)}
        yield body


def write(path: Path, count: int, *, seed: int = 11) -> Path:
    """The bodies as NDJSON, one request a line (bench/loadgen.py --bodies)."""
    with path.open("w", encoding="utf-8") as out:
        for body in bodies(count, seed=seed):
            out.write(json.dumps(body, ensure_ascii=False) + "\n")
    return path


def _near(
    rng: random.Random, city: tuple[str, str, float, float], spread: float
) -> tuple[str, str, float, float]:
    name, country, lat, lon = city
    return (
        name,
        country,
        round(lat + rng.uniform(-spread, spread), 5),
        round(lon + rng.uniform(-spread, spread), 5),
    )


def _firearm(
    rng: random.Random, kinds: list[Any], weights: list[float], seen: list[tuple[str, ...]]
) -> dict[str, Any]:
    if seen and rng.random() < REPEAT_WEAPON:
        make, model, calibre, stamped = rng.choice(seen)
    else:
        maker = rng.choices(kinds, weights)[0]
        make, model, calibre, stamped = maker.make, maker.model, maker.calibre, maker.serial(rng)
        seen.append((make, model, calibre, stamped))
    return {
        "kind": "firearm",
        "make": make,
        "model": model,
        "calibre": calibre,
        "serial": read_differently(stamped, rng),
    }
