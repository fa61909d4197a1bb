"""Bulk import of recoveries, then their registry checks and linking, on PostgreSQL.

1. Writes a CSV file of `--rows` item rows (one recovery in ten has two items; 3% of the
   serials are in the registry, 1% repeat another recovery's serial), then imports it
   through the use case the CLI runs: streaming, the domain's rules, reference
   resolution, serial keys, COPY in batches, one audit event per batch. Peak resident
   memory of the process is read after the import (the registry of step 3 is built
   after it).
2. Baseline: a raw COPY of the very rows the import wrote (every table the import fills)
   into a second database with the same schema and indexes.
3. Registry checks and linking of every imported recovery through the outbox (the batch
   path), against an in-memory registry of `--records` records, while a search every
   50 ms measures its latency. Baseline: today's one-at-a-time linking of a sample, on
   the same database.

    .venv/bin/python -m bench.bulk_import [--rows 1000000] [--records 1000000]

Targets (issue #18): >= 25,000 rows/s and >= 30% of the raw COPY; < 300 MB resident for
1,000,000 rows; checks and linking >= 1,100 recoveries/s (15 minutes for a million).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import resource
import statistics
import string
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

from bench.support import RESULTS, dsn, recreate_database, sqlalchemy_url
from service import accounts
from service.adapters.bootstrap import build_dependencies, open_database
from service.adapters.logging import configure_logging
from service.adapters.persistence.schema import upgrade
from service.adapters.reference_catalogue import packaged_catalogue
from service.adapters.registries.memory import InMemoryRegistry
from service.adapters.settings import Settings
from service.adapters.tabular import open_rows
from service.adapters.tabular.mapping import ColumnMapping
from service.dependencies import Dependencies
from service.domain.imports import ImportFormat, ImportSource
from service.domain.registry import RegistryRecord, RegistryRecordReport
from service.linking_worker import NetworkLinkHandler
from service.network_linking import link_recovery
from service.outbox_worker import OutboxWorker
from service.recovery_import import claim_import, queue_import, run_import
from service.registry_checks import RegistryCheckHandler
from service.serial_search import search_serials

RATE_MIN = 25_000  # rows per second
COPY_SHARE_MIN = 0.30  # of a raw COPY of the same rows
RSS_MAX_MB = 300
LINK_RATE_MIN = 1_100  # recoveries checked and linked per second
DATABASE = "tracedesk_bench_bulk_import"
RAW = "tracedesk_bench_bulk_raw"
REGISTRY = "iarms-bench"
TABLES = ("recoveries", "recovery_items", "item_identifiers", "identifier_deletions",
          "identifier_transliterations", "identifier_anchors")  # fmt: skip
MAKES = [("Glock", "17", "9mm Luger"), ("Beretta", "92FS", "9mm Luger"),
         ("Kalashnikov", "AKM", "7.62x39mm"), ("CZ", "75", "9mm"), ("Zastava", "M70", "7.62x39mm")]  # fmt: skip
HEADER = ("recovery_key,case_reference,recovered_at,location_description,location_country,"
          "circumstances,item_kind,make,model,calibre,serial,quantity\n")  # fmt: skip


def serial(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_uppercase, k=3)) + f"{rng.randrange(10**7):07d}"


def write_file(path: Path, rows: int, registry: list[str], seed: int = 7) -> int:
    """The CSV, written as it is generated; how many recoveries it holds."""
    rng = random.Random(seed)
    recent: list[str] = []
    written = recoveries = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        while written < rows:
            recoveries += 1
            key = f"K{recoveries}"
            make, model, calibre = rng.choice(MAKES)
            roll = rng.random()
            number = rng.choice(registry) if roll < 0.03 else (
                rng.choice(recent) if roll < 0.04 and recent else serial(rng))  # fmt: skip
            recent = (recent + [number])[-1000:]
            day = f"20{rng.randrange(10, 26)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            head = f"{key},CASE-{recoveries // 3},{day}T10:00:00Z,Port {recoveries % 97},FR,seizure"
            out.write(f"{head},firearm,{make},{model},{calibre},{number},\n")
            written += 1
            if rng.random() < 0.1 and written < rows:
                out.write(f"{key},,,,,,ammunition,,,{calibre},,{rng.randrange(1, 500)}\n")
                written += 1
    return recoveries


async def prepare(url: str) -> tuple[Dependencies, Any, Any]:
    await upgrade(url)
    settings = Settings(database_url=url, worker="external")
    database = await open_database(settings)
    deps = build_dependencies(database, settings)
    agency = await accounts.register_agency(deps=deps, name="Bench", country="FR", kind="police")
    user = await accounts.register_user(
        deps=deps, agency_id=agency.id, username="bench", display_name="Bench",
        roles=["supervisor"], password="a long bench password",  # noqa: S106
    )  # fmt: skip
    return deps, database, user.as_actor()


class Directory:
    def __init__(self, actor: Any) -> None:
        self.actor = actor

    async def active_actor(self, subject: Any) -> Any:
        return self.actor

    def forget(self, actor_id: Any) -> None:
        pass


async def import_file(deps: Dependencies, actor: Any, path: Path) -> dict[str, Any]:
    deps = dataclasses.replace(deps, actors=Directory(actor))
    source = ImportSource(path.name, ImportFormat.CSV, path.stat().st_size, "0" * 64)
    job = await queue_import(
        deps=deps, actor=actor, source=source, all_or_nothing=False, mapping=None
    )
    claimed = await claim_import(deps=deps, job_id=job.id)
    assert claimed is not None
    job, acting = claimed
    started = time.perf_counter()
    job = await run_import(
        deps=deps, job=job, actor=acting, rules=ColumnMapping().rules,
        open_rows=lambda: open_rows(path, ImportFormat.CSV, ColumnMapping()),
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    assert job.counts.rows_rejected == 0, job.counts
    return {
        "rows": job.counts.rows_read,
        "recoveries": job.counts.recoveries_imported,
        "batches": job.counts.batches,
        "seconds": round(elapsed, 2),
        "rows_per_second": round(job.counts.rows_read / elapsed),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


async def raw_copy(rows: int) -> dict[str, Any]:
    """The import's own rows, copied raw into the same tables of another database."""
    await upgrade(sqlalchemy_url(RAW))
    source = await asyncpg.connect(dsn(DATABASE))
    target = await asyncpg.connect(dsn(RAW))
    files = {}
    try:
        agencies = await source.fetch("SELECT * FROM agencies")
        await target.copy_records_to_table(
            "agencies",
            records=[tuple(a.values()) for a in agencies],
            columns=list(agencies[0].keys()),
        )
        for table in TABLES:
            handle, name = tempfile.mkstemp(suffix=f".{table}.copy")
            os.close(handle)
            await source.copy_from_table(table, output=name, format="binary")
            files[table] = name
        started = time.perf_counter()
        async with target.transaction():
            for table in TABLES:
                await target.copy_to_table(table, source=files[table], format="binary")
        elapsed = time.perf_counter() - started
    finally:
        await source.close()
        await target.close()
        for name in files.values():
            os.unlink(name)
    return {"seconds": round(elapsed, 2), "rows_per_second": round(rows / elapsed)}


async def link_all(
    deps: Dependencies, actor: Any, records: list[RegistryRecord], recoveries: int
) -> dict[str, Any]:
    catalogue = deps.catalogue
    deps = dataclasses.replace(
        deps, registries={REGISTRY: InMemoryRegistry(REGISTRY, records, catalogue)}
    )
    worker = OutboxWorker(deps, [RegistryCheckHandler(deps), NetworkLinkHandler(deps)], batch=50)
    await worker.prepare()
    latencies: list[float] = []
    done = asyncio.Event()

    async def searching() -> None:
        rng = random.Random(3)
        while not done.is_set():
            started = time.perf_counter()
            await search_serials(deps=deps, actor=actor, serial=serial(rng))
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.05)

    probe = asyncio.create_task(searching())
    started = time.perf_counter()
    while await worker.run_once():
        pass
    elapsed = time.perf_counter() - started
    done.set()
    await probe
    async with deps.unit_of_work() as uow:
        sample = await uow.recoveries.ids_after(None, limit=200)
    one_started = time.perf_counter()
    for recovery_id in sample:
        async with deps.unit_of_work() as uow:
            await link_recovery(deps, uow, recovery_id)
            await uow.commit()
    one_each = (time.perf_counter() - one_started) / len(sample)
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0.0] * 99
    return {
        "seconds": round(elapsed, 1),
        "recoveries_per_second": round(recoveries / elapsed),
        "one_at_a_time_per_second": round(1 / one_each),
        "search_p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "search_p99_ms": round(cuts[98], 2),
        "searches": len(latencies),
    }


def registry_records(count: int) -> list[RegistryRecord]:
    """The registry, its serials drawn as `run` drew the file's (same seed, same order)."""
    catalogue = packaged_catalogue()
    rng = random.Random(11)
    return [
        RegistryRecord.read(
            RegistryRecordReport(f"IA-{n}", "stolen", serial(rng), make="Glock"),
            registry=REGISTRY,
            catalogue=catalogue,
        )
        for n in range(count)
    ]


async def run(rows: int, records_count: int) -> dict[str, Any]:
    deps, database, actor = await prepare(sqlalchemy_url(DATABASE))
    directory = Path(tempfile.mkdtemp())
    path = directory / "recoveries.csv"
    # The registry's first tenth, for the file; the registry itself is built after the
    # import, so that the import's peak memory is the import's, not the registry's.
    rng = random.Random(11)
    known = [serial(rng) for _ in range(max(1, records_count // 10))]
    recoveries = write_file(path, rows, known)
    del known
    load = os.getloadavg()
    try:
        imported = await import_file(deps, actor, path)
        raw = await raw_copy(imported["rows"])
        linked = await link_all(deps, actor, registry_records(records_count), recoveries)
    finally:
        await database.dispose()
        path.unlink()
        directory.rmdir()
    return {
        "rows": rows, "records": records_count, "import": imported, "raw_copy": raw,
        "linking": linked, "load_average": [round(x, 2) for x in (*load, *os.getloadavg())],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    arguments = parser.parse_args()
    configure_logging("production", "WARNING")
    recreate_database(DATABASE)
    recreate_database(RAW)
    figures = asyncio.run(run(arguments.rows, arguments.records))
    print(json.dumps(figures, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bulk_import.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
