"""Serial search on realistic serials in PostgreSQL: each query shape in process and
over HTTP, every lookup's plan checked.

    .venv/bin/python -m bench.serial_search [--items 1000000] [--queries 500] [--reuse] [--keep]
    .venv/bin/python -m bench.serial_search --items 20000 --fresh

The register is `bench/serial_data.py`'s: maker formats, dense numeric production runs,
shared prefixes, Cyrillic serials, every look-alike class. For each query shape
(`bench/serial_queries.py`) it times, interleaved in one run: the bare index lookup
that answers the shape (the baseline), the search statement as the adapter runs it, and
the use case behind the API (parse, lookup, ranking, the audit record as the server
batches it). Then the API end to end over HTTP at 1, 8 and 32 clients. The baseline
runs with sequential scans and hash joins disabled: it is the index lookup by definition.

Each distinct search statement's generic plan (what tracedesk's connections run) is
printed with the index every lookup used; a lookup served by another index, or a
sequential scan, stops the benchmark with an error.

`--fresh` loads into the indexed tables with autovacuum off and nothing analysed: the
planner has no column statistics, as right after a load. Otherwise the load is a
restore (indexes rebuilt after the rows, then VACUUM ANALYZE). The database is dropped
at the end unless --keep.

Targets (issue #15): the search statement p99 at most 5 ms for exact, normalized,
skeleton and edit queries; search p99 at most 5 ms for transliterated queries and 20 ms
for patterns, each within 5x of its raw lookup (and, from the issue before, exact and
normalized 3 ms, skeleton 5 ms, edit 20 ms); over HTTP at one client p99 at most 15 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg

from bench.serial_data import LOADED_TABLES, load, statistics_state
from bench.serial_http import measure_http, report_http
from bench.serial_plans import UnintendedPlan, generic_plan, lookups
from bench.serial_queries import EXPECTED, KEY_KINDS, RAW_LOOKUPS, Query, query_sets
from bench.support import (
    RESULTS,
    database_exists,
    drop_database,
    dsn,
    migrated_with_investigator,
    percentile,
    recreate_database,
    sqlalchemy_url,
)
from service.adapters.bootstrap import (
    batch_read_records,
    build_dependencies,
    open_database,
    settle_for_serving,
)
from service.adapters.persistence.serial_index import candidate_statement
from service.adapters.reference_catalogue import packaged_catalogue
from service.adapters.settings import Settings
from service.domain.access import Actor, ActorKind, Role
from service.domain.matching import SerialQuery
from service.serial_search import CANDIDATE_CAP, search_serials

AGENCIES = 4
STATEMENT_P99_MS = 5.0
SEARCH_P99_MS = {
    "exact": 3,
    "normalized": 3,
    "skeleton": 5,
    "edit": 20,
    "transliterated": 5,
    **{shape: 20 for shape in EXPECTED if shape.startswith("pattern")},
}
HTTP_P99_MS = 15.0
RATIO_MAX = 5  # search p99 within this many times its raw lookup's
GENERIC = {"plan_cache_mode": "force_generic_plan"}  # as tracedesk's pool connects
# The baseline is the bare index lookup, by definition: never a scan of the table.
INDEX_ONLY = GENERIC | {
    "enable_seqscan": "off",
    "enable_hashjoin": "off",
    "enable_mergejoin": "off",
}


def environment(database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEDESK_")}
    return env | {
        "TRACEDESK_DATABASE_URL": sqlalchemy_url(database),
        "TRACEDESK_JWT_SECRET": secrets.token_urlsafe(48),
        "TRACEDESK_ENVIRONMENT": "production",
        "TRACEDESK_WORKER": "external",
        "TRACEDESK_ACCESS_TOKEN_MINUTES": "240",
    }


async def _load(database: str, items: int, fresh: bool) -> tuple[list[UUID], list[tuple[str, str]]]:
    connection = await asyncpg.connect(dsn(database))
    try:
        # The console made the investigator's agency; the others hold the rest.
        agencies = [await connection.fetchval("SELECT id FROM agencies")]
        for n in range(1, AGENCIES):
            agencies.append(
                await connection.fetchval(
                    "INSERT INTO agencies (id, name, country, kind, created_at) "
                    "VALUES (gen_random_uuid(), $1, 'FR', 'police', now()) RETURNING id",
                    f"Other agency {n}",
                )
            )
        if fresh:
            for table in LOADED_TABLES:
                await connection.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = off)")
        return agencies, await load(connection, items, agencies, bulk=not fresh)
    finally:
        await connection.close()


async def _reuse(database: str) -> tuple[list[UUID], list[tuple[str, str]]]:
    connection = await asyncpg.connect(dsn(database))
    try:
        agencies = [
            r["id"] for r in await connection.fetch("SELECT id FROM agencies ORDER BY name")
        ]
        searcher = await connection.fetchval("SELECT agency_id FROM users LIMIT 1")
        agencies.sort(key=lambda a: a != searcher)
        rows = await connection.fetch(
            "SELECT raw FROM item_identifiers WHERE agency_id = $1", agencies[0]
        )
        return agencies, [(r["raw"], r["raw"]) for r in rows]
    finally:
        await connection.close()


async def timed(*series: list[Callable[[], Awaitable[object]]]) -> list[list[float]]:
    """Latencies in ms of each series, run interleaved so that every series meets the
    same moments of the machine."""
    for calls in series:
        for call in calls[: max(20, len(calls) // 10)]:
            await call()
    latencies: list[list[float]] = [[] for _ in series]
    for turn in zip(*series, strict=True):
        for index, call in enumerate(turn):
            started = time.perf_counter()
            await call()
            latencies[index].append((time.perf_counter() - started) * 1000)
    return [sorted(values) for values in latencies]


async def _plans(
    app: asyncpg.Connection,
    baseline: asyncpg.Connection,
    statements: dict[str, list],
    raw: tuple[str, list],
) -> tuple[dict[str, list[str]], list[str]]:
    """Every distinct statement's lookups, and the lookups that strayed."""
    found, strays = {}, []
    named = {
        f"search statement {n} of {len(statements)}": (app, text, arguments)
        for n, (text, arguments) in enumerate(statements.items(), start=1)
    }
    for name, (connection, text, arguments) in [*named.items(), ("raw lookup", (baseline, *raw))]:
        try:
            found[name] = lookups(await generic_plan(connection, text, arguments))
        except UnintendedPlan as stray:
            found[name] = [f"UNINTENDED: {stray}"]
            strays.append(f"{name}: {stray}")
    return found, strays


async def measure(database: str, agencies: list[UUID], sets: dict[str, list[Query]]) -> dict:
    settings = Settings(database_url=sqlalchemy_url(database))
    db = await open_database(settings)
    deps, reads = batch_read_records(build_dependencies(db, settings))
    reads.start()
    actor = Actor(
        id=agencies[0],
        kind=ActorKind.USER,
        agency_id=agencies[0],
        roles=frozenset({Role.INVESTIGATOR}),
    )
    catalogue = packaged_catalogue()
    app = await asyncpg.connect(dsn(database), server_settings=GENERIC)
    raw = await asyncpg.connect(dsn(database), server_settings=INDEX_ONLY)
    planner = await asyncpg.connect(dsn(database))
    raw_planner = await asyncpg.connect(dsn(database), server_settings=INDEX_ONLY)
    results = {}
    try:
        for shape, queries in sets.items():
            texts = [q.text for q in queries]
            lookup = [RAW_LOOKUPS[shape](t) for t in texts]
            statements = []
            for t in texts:
                found = candidate_statement(
                    SerialQuery.parse(t, catalogue=catalogue),
                    agency_id=agencies[0],
                    cap=CANDIDATE_CAP,
                )
                assert found is not None
                compiled = found[0].postgres()
                statements.append((compiled.text, compiled.arguments(found[1])))
            distinct = dict(statements)
            plans, strays = await _plans(planner, raw_planner, distinct, lookup[0])
            raw_ms, statement_ms, search_ms = await timed(
                [lambda sql=sql, a=a: raw.fetch(sql, *a) for sql, a in lookup],
                [lambda sql=sql, a=a: app.fetch(sql, *a) for sql, a in statements],
                [
                    lambda t=t: search_serials(deps=deps, actor=actor, serial=t, limit=50)
                    for t in texts
                ],
            )
            found_as, truncated = 0, 0
            for q in queries[:100]:
                answer = await search_serials(deps=deps, actor=actor, serial=q.text, limit=500)
                truncated += answer.truncated
                found_as += any(
                    m.candidate.identifier.raw == q.source and m.kind.value == EXPECTED[shape]
                    for m in answer.matches
                )
            await reads.flush()
            results[shape] = {
                "queries": len(texts),
                "statement": (percentile(statement_ms, 0.5), percentile(statement_ms, 0.99)),
                "search": (percentile(search_ms, 0.5), percentile(search_ms, 0.99)),
                "raw": (percentile(raw_ms, 0.5), percentile(raw_ms, 0.99)),
                "found": found_as / min(100, len(queries)),
                "truncated": truncated / min(100, len(queries)),
                "plans": plans,
                "strays": strays,
                "example": texts[0],
            }
            print(f"  {shape}: measured", flush=True)
        settle_for_serving()
    finally:
        for connection in (app, raw, planner, raw_planner):
            await connection.close()
        await reads.stop()
        await db.dispose()
    return results


def report(results: dict, items: int, state: str, *, ratios: bool) -> tuple[list[str], bool]:
    lines = [
        f"\nserial search over {items:,} firearm items, PostgreSQL, one of {AGENCIES} agencies searching;",
        f"tables {state}",
        f"{'query shape':32} {'statement p50/p99':>18} {'search p50/p99':>16} {'raw lookup p50/p99':>19} "
        f"{'ratio':>6} {'target':>9}   found  cut",
    ]
    met = True
    for shape, r in results.items():
        ratio = r["search"][1] / r["raw"][1]
        # Right after a load (--fresh) the targets are the statement's and HTTP's.
        ok = not ratios or (r["search"][1] <= SEARCH_P99_MS[shape] and ratio <= RATIO_MAX)
        if shape in KEY_KINDS:
            ok = ok and r["statement"][1] <= STATEMENT_P99_MS
        met = met and ok
        lines.append(
            f"{shape:32} {r['statement'][0]:7.2f} / {r['statement'][1]:5.2f} ms "
            f"{r['search'][0]:6.2f} / {r['search'][1]:5.2f} ms {r['raw'][0]:8.2f} / {r['raw'][1]:5.2f} ms "
            f"{ratio:5.1f}x {'<=' + str(SEARCH_P99_MS[shape]) + ' ms':>8} {'ok  ' if ok else 'MISS'} "
            f"{r['found']:4.0%} {r['truncated']:4.0%}"
        )
    lines.append(
        f"(targets: search p99 and 5x its raw lookup; the statement p99 <= {STATEMENT_P99_MS:.0f} ms "
        "for exact, normalized, skeleton, edit; found: the serial the query was read from, "
        "as the shape's kind, among 500 results; cut: answers marked truncated)"
    )
    lines.append("\nplans (generic, as tracedesk runs them): index per lookup")
    for shape, r in results.items():
        lines.append(f"  {shape}  e.g. {r['example']!r}")
        for name, used in r["plans"].items():
            lines.append(f"    {name}: " + "; ".join(used))
    return lines, met


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--fresh", action="store_true", help="no statistics: as right after a load")
    parser.add_argument("--reuse", action="store_true", help="the database a --keep run left")
    parser.add_argument("--keep", action="store_true", help="keep the database for --reuse")
    parser.add_argument("--http-seconds", type=float, default=10.0)
    args = parser.parse_args()
    database = "tracedesk_bench_serials" + ("_fresh" if args.fresh else "")
    env = environment(database)
    if args.reuse and database_exists(database):
        agencies, serials = asyncio.run(_reuse(database))
    else:
        print(f"loading {args.items:,} firearm items with realistic serials")
        recreate_database(database)
        migrated_with_investigator(env)
        agencies, serials = asyncio.run(_load(database, args.items, args.fresh))
    try:
        sets = query_sets(serials, args.queries)

        async def state() -> str:
            connection = await asyncpg.connect(dsn(database))
            try:
                return await statistics_state(connection)
            finally:
                await connection.close()

        before = asyncio.run(state())
        results = asyncio.run(measure(database, agencies, sets))
        http = measure_http(env, sets, args.http_seconds)
        after = asyncio.run(state())
    finally:
        if not args.keep:
            drop_database(database)
    state = f"{before} before measuring, {after} after"
    lines, met = report(results, args.items, state, ratios=not args.fresh)
    lines += report_http(http, HTTP_P99_MS)
    print("\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "serial_search_fresh" if args.fresh else "serial_search"
    (RESULTS / f"{name}.json").write_text(
        json.dumps(
            {
                "items": args.items,
                "fresh": args.fresh,
                "queries": args.queries,
                "http_seconds": args.http_seconds,
                "in_process": results,
                "http": http,
            },
            indent=2,
        )
    )
    (RESULTS / f"{name}.txt").write_text("\n".join(lines) + "\n")
    if not met:
        print("\nsome targets were missed (marked MISS)")
    strays = [f"{shape}, {s}" for shape, r in results.items() for s in r["strays"]]
    if strays:
        raise SystemExit("\nFAILED: lookups served by an unintended plan:\n" + "\n".join(strays))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
