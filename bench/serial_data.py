"""Serials as they are on recovered firearms, for the serial search benchmark.

Random strings make every index look good: their trigrams are rare and no two serials
are neighbours. Real registers are not like that, so the generator follows makers:

- Kalashnikov-pattern rifles (Izhmash, Zastava, Norinco) carry plain numbers, six to
  eight digits, from production runs: many recovered serials are a few numbers apart,
  and a run's serials share their leading digits;
- Soviet pistols and older rifles carry two Cyrillic letters and digits (`БЖ 9735`,
  `ЧЛ-7079`), with and without a Latin look-alike;
- Glock letter series (`BXK482`), Beretta's `BER` prefix, CZ's letter and six digits,
  Smith & Wesson's three letters, SIG's `U` or factory code, Walther's five digits,
  Tokarev's two Cyrillic letters and three digits, a few Greek-lettered serials;
- every look-alike class (O/Q/D/0, I/L/1, S/5, B/8, Z/2, G/6) occurs in those letters;
- some readings are entered differently: typed in transliteration (`BZH 9735`), with a
  look-alike misread (`8XK482`), or partly ground off (`7312?4`, `BER12*`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from service.adapters.ids import UuidV7Generator
from service.adapters.reference_catalogue import packaged_catalogue
from service.domain.identifiers import Identifier
from service.domain.matching import filed_spellings
from service.domain.transliteration import Table, transliterate

CYRILLIC_SPELLED = "БГДЖЗИЛПФЦЧШЭЮЯ"
CYRILLIC_LOOKALIKE = "АВЕКМНОРСТХУ"
LATIN = "ABCDEFGHJKLMNPRSTUVWXYZ"
LOOKALIKE = {
    "O": "0", "0": "O", "Q": "0", "D": "0", "I": "1", "1": "I", "L": "1",
    "S": "5", "5": "S", "B": "8", "8": "B", "Z": "2", "2": "Z", "G": "6", "6": "G",
}  # fmt: skip


@dataclass
class Runs:
    """Production runs of one maker: ranges of numbers, each recovered densely."""

    digits: int
    count: int
    length: tuple[int, int]
    rng: random.Random
    ranges: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        low, high = 10 ** (self.digits - 1), 10**self.digits
        for _ in range(self.count):
            size = self.rng.randint(*self.length)
            start = self.rng.randrange(low, high - size)
            self.ranges.append((start, size))

    def number(self, rng: random.Random) -> str:
        start, size = rng.choice(self.ranges)
        return str(start + rng.randrange(size))


def _sep(rng: random.Random) -> str:
    return rng.choice(["", "", "", " ", "-"])


def _cyrillic_pair(rng: random.Random) -> str:
    # Two letters from the whole alphabet: about half the serials have a letter that
    # looks like no Latin one.
    letters = CYRILLIC_SPELLED + CYRILLIC_LOOKALIKE
    return rng.choice(letters) + rng.choice(letters)


def _glock_series(rng: random.Random) -> str:
    # Series advance through the alphabet; a few hundred of them are in circulation.
    first = rng.choice("ABCDEFGHKLMNPRS")
    return first + rng.choice(LATIN) + rng.choice(LATIN)


@dataclass(frozen=True)
class Maker:
    make: str
    model: str
    calibre: str
    weight: float
    serial: Callable[[random.Random], str]


def makers(seed: int) -> list[Maker]:
    rng = random.Random(seed)
    ak7 = Runs(7, 40, (20_000, 60_000), rng)
    ak6 = Runs(6, 25, (5_000, 30_000), rng)
    zastava = Runs(6, 20, (10_000, 40_000), rng)
    norinco = Runs(6, 15, (20_000, 50_000), rng)
    walther = Runs(5, 10, (2_000, 8_000), rng)
    cz = Runs(6, 30, (5_000, 20_000), rng)

    def kalashnikov(r: random.Random) -> str:
        roll = r.random()
        if roll < 0.6:
            return ak7.number(r)
        if roll < 0.8:
            return ak6.number(r)
        return _cyrillic_pair(r) + _sep(r) + f"{r.randrange(10_000):04d}"

    return [
        Maker("Izhmash", "AKM", "7.62x39", 0.30, kalashnikov),
        Maker("Zastava", "M70", "7.62x39", 0.08, lambda r: r.choice(["", "", "M70 "]) + zastava.number(r)),
        Maker("Norinco", "Type 56", "7.62x39", 0.06, lambda r: "56" + _sep(r) + norinco.number(r)),
        Maker("Izhevsk Mechanical Plant", "PM", "9x18mm Makarov", 0.08,
              lambda r: _cyrillic_pair(r) + _sep(r) + f"{r.randrange(1_000, 10_000)}"),
        Maker("Tula", "TT-33", "7.62x25mm Tokarev", 0.04,
              lambda r: _cyrillic_pair(r) + f"{r.randrange(1_000):03d}"),
        Maker("GLOCK GmbH", "17", "9mm", 0.16, lambda r: _glock_series(r) + _sep(r) + f"{r.randrange(1_000):03d}"),
        Maker("Beretta", "92FS", "9mm Luger", 0.07,
              lambda r: r.choice(["BER", "PX"]) + f"{r.randrange(100_000, 1_000_000)}" + r.choice(["Z", "", ""])),
        Maker("CZ", "75", "9x19", 0.07, lambda r: r.choice("ABCDGSZ") + cz.number(r)),
        Maker("Smith & Wesson", "10", ".38 Special", 0.04,
              lambda r: "".join(r.choice(LATIN) for _ in range(3)) + f"{r.randrange(10_000):04d}"),
        Maker("SIG Sauer", "P226", "9mm", 0.04,
              lambda r: r.choice(["U", "58B", "G"]) + f"{r.randrange(100_000, 1_000_000)}"),
        Maker("Walther", "P38", "9mm", 0.05, lambda r: walther.number(r) + r.choice(["", "", "", "a"])),
        Maker("Hellenic Arms", "HA-1", "9mm", 0.01,
              lambda r: r.choice("ΓΔΘΛΞΠΣΦΨΩ") + r.choice("ΑΒΓΔΛΠΣΦ") + f"{r.randrange(10_000, 100_000)}"),
    ]  # fmt: skip


def read_differently(raw: str, rng: random.Random) -> str:
    """How the same serial is sometimes entered: typed in transliteration, one
    look-alike misread, or partly ground off; else as it is."""
    roll = rng.random()
    if roll < 0.03 and any(c in CYRILLIC_SPELLED for c in raw):
        return transliterate(raw, rng.choice(list(Table)))
    if roll < 0.05:
        swappable = [i for i, c in enumerate(raw) if c in LOOKALIKE]
        if swappable:
            i = rng.choice(swappable)
            return raw[:i] + LOOKALIKE[raw[i]] + raw[i + 1 :]
    if roll < 0.06 and len(raw) >= 6:
        i = rng.randrange(2, len(raw) - 2)
        return raw[:i] + "?" + raw[i + 1 :] if rng.random() < 0.7 else raw[: i + 1] + "*"
    return raw


@dataclass
class Batch:
    recoveries: list[tuple] = field(default_factory=list)
    items: list[tuple] = field(default_factory=list)
    identifiers: list[tuple] = field(default_factory=list)
    deletions: list[tuple] = field(default_factory=list)
    spellings: list[tuple] = field(default_factory=list)
    anchors: list[tuple] = field(default_factory=list)
    # The searching agency's serials: (as entered, as stamped).
    searcher_serials: list[tuple[str, str]] = field(default_factory=list)


def batches(count: int, agencies: list[UUID], seed: int, size: int = 50_000) -> Iterator[Batch]:
    """Rows of `count` firearm items in recoveries spread over the agencies; the first
    agency's raw serials (the one that searches) ride along."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    ids = UuidV7Generator()
    catalogue = packaged_catalogue()
    kinds = makers(seed)
    weights = [m.weight for m in kinds]
    base = datetime(2015, 1, 1, tzinfo=UTC)
    for start in range(0, count, size):
        batch = Batch()
        for _ in range(min(size, count - start)):
            recovery_id, item_id = ids.new_id(), ids.new_id()
            agency = agencies[rng.randrange(len(agencies))]
            when = base + timedelta(minutes=rng.randrange(6_000_000))
            maker = rng.choices(kinds, weights)[0]
            stamped = maker.serial(rng)
            raw = read_differently(stamped, rng)
            reading = Identifier.read(raw)
            batch.recoveries.append(
                (recovery_id, agency, f"BENCH-{start}", when, "Synthetic", "FR", None, None,
                 "crime_scene", 1, when, recovery_id, when, catalogue.version)
            )  # fmt: skip
            batch.items.append(
                (item_id, recovery_id, 0, "firearm", maker.make,
                 catalogue.resolve_make(maker.make).canonical, maker.model, maker.calibre,
                 catalogue.resolve_calibre(maker.calibre).canonical,
                 "partly_legible" if reading.is_partial else "legible", "rifle")
                + (None,) * 10
            )  # fmt: skip
            batch.identifiers.append(
                (item_id, "serial", recovery_id, agency, raw, reading.normalized,
                 reading.skeleton, reading.is_partial, reading.reversed)
            )  # fmt: skip
            batch.deletions += [(v, item_id, "serial") for v in reading.deletion_variants]
            batch.spellings += [(s, item_id, "serial") for s in filed_spellings(reading)]
            batch.anchors += [(a, item_id, "serial") for a in reading.anchors]
            if agency == agencies[0]:
                batch.searcher_serials.append((raw, stamped))
        yield batch


RECOVERY_COLUMNS = [
    "id", "agency_id", "case_reference", "recovered_at", "location_description",
    "location_country", "location_lat", "location_lon", "circumstances", "version",
    "recorded_at", "recorded_by", "updated_at", "reference_version",
]  # fmt: skip
ITEM_COLUMNS = [
    "id", "recovery_id", "position", "kind", "make_raw", "make_canonical", "model",
    "calibre_raw", "calibre_canonical", "serial_state", "firearm_type",
    "country_of_manufacture", "import_marking_text", "import_marking_country",
    "import_marking_year", "other_markings", "headstamp", "quantity",
    "component_category", "part_number", "description",
]  # fmt: skip
IDENTIFIER_COLUMNS = [
    "item_id", "role", "recovery_id", "agency_id", "raw", "normalized", "skeleton",
    "is_partial", "reversed",
]  # fmt: skip
KEY_COLUMNS = {
    "identifier_deletions": ["variant", "item_id", "role"],
    "identifier_transliterations": ["transliterated", "item_id", "role"],
    "identifier_anchors": ["anchor", "item_id", "role"],
}


LOADED_TABLES = [
    "recoveries",
    "recovery_items",
    "item_identifiers",
    "identifier_deletions",
    "identifier_transliterations",
    "identifier_anchors",
]


async def load(
    connection: asyncpg.Connection, count: int, agencies: list[UUID], *, bulk: bool
) -> list[tuple[str, str]]:
    """Load `count` items; return the searching agency's raw serials.

    `bulk` loads as a restore would (secondary indexes and foreign keys rebuilt after
    the rows, then VACUUM ANALYZE). Otherwise the rows go into the indexed tables and
    nothing is analysed: the state right after a load, before autovacuum comes by."""
    tables = ", ".join(f"'{t}'" for t in LOADED_TABLES)
    indexes = await connection.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        f"AND tablename IN ({tables}) AND indexname NOT LIKE '%pkey'"
    )
    constraints = await connection.fetch(
        "SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def "
        f"FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN ({tables})"
    )
    if bulk:
        for row in constraints:
            await connection.execute(f'ALTER TABLE {row["tbl"]} DROP CONSTRAINT "{row["conname"]}"')
        for row in indexes:
            await connection.execute(f'DROP INDEX "{row["indexname"]}"')
    serials: list[tuple[str, str]] = []
    loaded = 0
    started = time.perf_counter()
    for batch in batches(count, agencies, seed=2370):
        for table, records, columns in [
            ("recoveries", batch.recoveries, RECOVERY_COLUMNS),
            ("recovery_items", batch.items, ITEM_COLUMNS),
            ("item_identifiers", batch.identifiers, IDENTIFIER_COLUMNS),
            ("identifier_deletions", batch.deletions, KEY_COLUMNS["identifier_deletions"]),
            (
                "identifier_transliterations",
                batch.spellings,
                KEY_COLUMNS["identifier_transliterations"],
            ),
            ("identifier_anchors", batch.anchors, KEY_COLUMNS["identifier_anchors"]),
        ]:
            await connection.copy_records_to_table(table, records=records, columns=columns)
        serials += batch.searcher_serials
        loaded += len(batch.items)
        print(f"  loaded {loaded:>9,} items ({time.perf_counter() - started:5.0f} s)", end="\r")
    print()
    if bulk:
        for row in indexes:
            await connection.execute(row["indexdef"])
        for row in constraints:
            await connection.execute(
                f'ALTER TABLE {row["tbl"]} ADD CONSTRAINT "{row["conname"]}" {row["def"]}'
            )
        await connection.execute("VACUUM ANALYZE")
        print(f"  indexes and constraints rebuilt ({time.perf_counter() - started:5.0f} s)")
    return serials


async def statistics_state(connection: asyncpg.Connection) -> str:
    """Whether the planner has column statistics for the serial tables, as it plans."""
    rows = await connection.fetch(
        "SELECT c.relname, (SELECT count(*) FROM pg_statistic s WHERE s.starelid = c.oid) AS columns, "
        "s.last_analyze, s.last_autoanalyze FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid "
        "WHERE c.relname = ANY($1::text[]) ORDER BY c.relname",
        LOADED_TABLES,
    )
    analysed = [r["relname"] for r in rows if r["columns"] or r["last_autoanalyze"]]
    return "analysed: " + (", ".join(analysed) if analysed else "none (no column statistics)")
