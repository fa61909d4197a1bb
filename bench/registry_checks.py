"""Registry checks for 10,000 new recoveries against an in-memory registry of 1,000,000
records, end to end through the outbox, on PostgreSQL.

Records the recoveries through the use case (which writes one `registry.check` message
each, in the same transaction), then times the outbox worker until every message is done:
claiming, loading the recoveries, searching, reconciling with stored hits, writing the
hits and their audit events, settling the messages. About 3% of the recoveries carry a
serial the registry knows (stolen, lost, trafficked...), a few more one that is one
character off. Baseline, in the same process: the bare registry searches for the same
recoveries, with no database at all.

    .venv/bin/python -m bench.registry_checks [--records 1000000] [--recoveries 10000]

Target (issue: registries and federation): >= 1,000 recoveries per second end to end.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import string
import time
from datetime import UTC, datetime, timedelta

import asyncpg

from bench.support import RESULTS, dsn, recreate_database, sqlalchemy_url
from service import accounts
from service.adapters.bootstrap import build_dependencies, open_database
from service.adapters.logging import configure_logging
from service.adapters.persistence.schema import upgrade
from service.adapters.reference_catalogue import packaged_catalogue
from service.adapters.registries.memory import InMemoryRegistry
from service.adapters.settings import Settings
from service.domain.access import Actor, ActorKind, Role
from service.domain.geography import LocationReport
from service.domain.items import FirearmReport
from service.domain.matching import SerialQuery
from service.domain.recovery import Circumstances
from service.domain.registry import RegistryRecord, RegistryRecordReport, RegistryStatus
from service.outbox_worker import OutboxWorker
from service.recoveries import RecordRecovery, record_recovery
from service.registry_checks import RegistryCheckHandler

DATABASE = "tracedesk_bench_registry_checks"
REGISTRY = "iarms-bench"
TARGET_PER_SECOND = 1000.0
MAKES = [("Glock", "17", "9mm Luger"), ("Beretta", "92FS", "9mm Luger"),
         ("Kalashnikov", "AKM", "7.62x39mm"), ("Colt", "M4", "5.56x45mm NATO"),
         ("Smith & Wesson", "M&P", ".40 S&W"), ("Zastava", "M70", "7.62x39mm")]  # fmt: skip
STATUSES = [RegistryStatus.STOLEN, RegistryStatus.LOST, RegistryStatus.TRAFFICKED,
            RegistryStatus.SMUGGLED, RegistryStatus.REGISTERED]  # fmt: skip


def serial(rng: random.Random) -> str:
    letters = "".join(rng.choices(string.ascii_uppercase, k=3))
    return f"{letters}{rng.randrange(10**6):06d}"


def registry_records(count: int, rng: random.Random) -> list[RegistryRecord]:
    catalogue = packaged_catalogue()
    records = []
    for n in range(count):
        make, model, calibre = MAKES[n % len(MAKES)]
        report = RegistryRecordReport(
            reference=f"IA-{n:08d}",
            status=STATUSES[n % len(STATUSES)].value,
            serial=serial(rng),
            make=make,
            model=model,
            calibre=calibre,
            country="FR",
        )
        records.append(RegistryRecord.read(report, registry=REGISTRY, catalogue=catalogue))
    return records


def recovered_serials(records: list[RegistryRecord], count: int, rng: random.Random) -> list[str]:
    """Mostly serials no registry knows; 3% known exactly, 2% one character off."""
    serials = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.03:
            serials.append(rng.choice(records).identifier.raw)
        elif draw < 0.05:
            known = rng.choice(records).identifier.raw
            at = rng.randrange(len(known))
            serials.append(known[:at] + rng.choice(string.digits) + known[at + 1 :])
        else:
            serials.append(serial(rng))
    return serials


def settings() -> Settings:
    return Settings(database_url=sqlalchemy_url(DATABASE), jwt_secret="b" * 48, log_level="WARNING")


async def run(record_count: int, recovery_count: int) -> dict[str, float]:
    rng = random.Random(2370)  # noqa: S311 - reproducible synthetic data
    started = time.perf_counter()
    records = registry_records(record_count, rng)
    registry = InMemoryRegistry(REGISTRY, records, packaged_catalogue())
    print(f"registry of {record_count:,} records built in {time.perf_counter() - started:.0f} s")
    serials = recovered_serials(records, recovery_count, rng)

    config = settings()
    configure_logging(config.environment, config.log_level)
    await upgrade(config.database_url)
    database = await open_database(config)
    deps = dataclasses.replace(
        build_dependencies(database, config), registries={REGISTRY: registry}
    )
    try:
        agency = await accounts.register_agency(
            deps=deps, name="Bench", country="FR", kind="police"
        )
        investigator = Actor(agency.id, ActorKind.USER, agency.id, frozenset({Role.INVESTIGATOR}))
        now = datetime.now(UTC)
        started = time.perf_counter()
        queries = []
        for n, recovered_serial in enumerate(serials):
            make, model, calibre = MAKES[n % len(MAKES)]
            recovery = await record_recovery(
                deps=deps,
                actor=investigator,
                command=RecordRecovery(
                    case_reference=f"CASE-{n}",
                    recovered_at=now - timedelta(days=n % 900),
                    location=LocationReport("Port", "FR"),
                    circumstances=Circumstances.SEIZURE,
                    items=[
                        FirearmReport(
                            make=make, model=model, calibre=calibre, serial=recovered_serial
                        )
                    ],  # fmt: skip
                ),
            )
            item = recovery.items[0]
            for _, identifier in item.identifiers():
                queries.append(SerialQuery(identifier, item.make, item.model, item.calibre))
        recorded = time.perf_counter() - started
        print(f"{recovery_count:,} recoveries recorded in {recorded:.1f} s (not measured)")

        started = time.perf_counter()
        hits_searched = 0
        for query in queries:
            hits_searched += len(await registry.search(query))
        bare = time.perf_counter() - started

        # Registry checks only: recording also asks for network linking, measured apart.
        worker = OutboxWorker(deps, [RegistryCheckHandler(deps)])
        started = time.perf_counter()
        while await worker.run_once():
            pass
        through_outbox = time.perf_counter() - started
    finally:
        await database.dispose()

    connection = await asyncpg.connect(dsn(DATABASE))
    try:
        left = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE done_at IS NULL AND topic = 'registry.check'"
        )
        hits = await connection.fetchval("SELECT count(*) FROM registry_hits")
        with_hits = await connection.fetchval(
            "SELECT count(DISTINCT recovery_id) FROM registry_hits"
        )
    finally:
        await connection.close()
    if left:
        raise RuntimeError(f"{left} outbox messages were not done")
    rate = recovery_count / through_outbox
    bare_rate = recovery_count / bare
    figures = {
        "registry_records": record_count,
        "recoveries": recovery_count,
        "hits_stored": hits,
        "recoveries_with_hits": with_hits,
        "hits_from_bare_search": hits_searched,
        "through_outbox_seconds": round(through_outbox, 2),
        "through_outbox_per_second": round(rate),
        "bare_search_per_second": round(bare_rate),
        "ratio_outbox_to_bare": round(rate / bare_rate, 3),
        "target_per_second": TARGET_PER_SECOND,
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--recoveries", type=int, default=10_000)
    arguments = parser.parse_args()
    recreate_database(DATABASE)
    figures = asyncio.run(run(arguments.records, arguments.recoveries))
    for name, value in figures.items():
        print(f"{name:>28}: {value}")
    verdict = "meets" if figures["through_outbox_per_second"] >= TARGET_PER_SECOND else "MISSES"
    print(f"{verdict} the target of {TARGET_PER_SECOND:,.0f} recoveries per second")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "registry_checks.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
