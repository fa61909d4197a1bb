"""A tracing officer's inbox with 100,000 trace requests in PostgreSQL.

Loads 100,000 requests (30% addressed to the officer's agency, in every state of the
workflow, spread over three years), then measures, interleaved with the raw SQL of the
same query on asyncpg: the list use case (query, mapping, the read record) and the whole
HTTP handler in process (authentication, JSON of 50 summaries), for the first page, a
status filter, the overdue filter and a page deep in the inbox.

    .venv/bin/python -m bench.inbox_listing [--requests 100000] [--queries 1000] [--reuse]

Target (issue: trace requests): p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from bench.serial_search import timed
from bench.support import (
    RESULTS,
    database_exists,
    dsn,
    percentile,
    recreate_database,
    register_agencies,
    sqlalchemy_url,
)
from service import accounts
from service.adapters.api.app import create_app
from service.adapters.api.cursors import encode_cursor
from service.adapters.bootstrap import build_dependencies, open_database, settle_for_serving
from service.adapters.logging import configure_logging
from service.adapters.persistence import tables, trace_requests
from service.adapters.persistence.schema import upgrade
from service.adapters.persistence.trace_rows import new_request_operations
from service.adapters.settings import Settings
from service.domain.access import Actor, ActorKind, Role
from service.domain.custody import CustodyEventReport, PartyReport
from service.domain.geography import LocationReport
from service.domain.items import FirearmReport
from service.domain.ports.tracing import Box, TraceRequestCursor, TraceRequestFilter
from service.domain.recovery import Circumstances
from service.domain.trace_request import Stamp, TraceRequest
from service.domain.trace_workflow import DEFAULT_DUE_POLICY, TraceStatus
from service.domain.traced_item import TracedItem
from service.recoveries import RecordRecovery, record_recovery
from service.trace_requests import list_trace_requests

DATABASE = "tracedesk_bench_inbox"
AGENCIES = 20
RECOVERIES = 2000
TARGET_P99_MS = 20.0
PASSWORD = "an inbox benchmark password"  # noqa: S105 - throwaway account
NOW = datetime.now(UTC).replace(microsecond=0)
# Where requests end up, roughly as a tracing centre's caseload looks.
ENDINGS = [
    (TraceStatus.SUBMITTED, 10),
    (TraceStatus.ACKNOWLEDGED, 15),
    (TraceStatus.INFO_REQUESTED, 3),
    (TraceStatus.RESPONDED, 30),
    (TraceStatus.CLOSED, 35),
    (TraceStatus.DECLINED, 3),
    (TraceStatus.WITHDRAWN, 4),
]


def settings() -> Settings:
    return Settings(database_url=sqlalchemy_url(DATABASE), jwt_secret="b" * 48, log_level="WARNING")


def built_request(
    rng: random.Random, item: TracedItem, requester: UUID, addressee: UUID, request_id: UUID
) -> TraceRequest:
    """A request taken through the domain's own workflow to a random end state."""
    created = NOW - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
    asker = Stamp(by=requester, agency_id=requester, at=created)
    request = TraceRequest.create(
        request_id=request_id,
        requester_agency_id=requester,
        addressee_agency_id=addressee,
        item=item,
        legal_justification="Recovered in a seizure; possession without licence.",
        intended_use="Criminal investigation",
        priority=rng.choice(["routine"] * 9 + ["urgent"]),
        actor=asker,
    )
    ending = rng.choices([s for s, _ in ENDINGS], weights=[w for _, w in ENDINGS])[0]
    request.submit(asker, expected_version=1, policy=DEFAULT_DUE_POLICY)
    clock = created

    def later(agency: UUID, hours: float) -> Stamp:
        nonlocal clock
        clock = min(clock + timedelta(hours=hours), NOW)
        return Stamp(by=agency, agency_id=agency, at=clock)

    if ending is TraceStatus.WITHDRAWN:
        request.withdraw(later(requester, 5), expected_version=2, reason="no longer needed")
        return request
    if ending is TraceStatus.SUBMITTED:
        return request
    if ending is TraceStatus.DECLINED:
        request.decline(
            later(addressee, 30), expected_version=2, response_id=request_id, reason="secret"
        )
        return request
    request.acknowledge(later(addressee, rng.uniform(1, 96)), expected_version=2)
    if ending is TraceStatus.ACKNOWLEDGED:
        return request
    if ending is TraceStatus.INFO_REQUESTED:
        request.request_info(later(addressee, 24), expected_version=3, question="photos?")
        return request
    request.respond(
        later(addressee, rng.uniform(24, 60 * 24)),
        expected_version=3,
        response_id=request_id,
        outcome="traced",
        chain_of_custody=[
            CustodyEventReport(
                "sale",
                item.recovered_on - timedelta(days=rng.randint(30, 4000)),
                PartyReport("Dealer", "dealer", "FR", "FFL-1"),
            )
        ],
        notes=None,
    )
    if ending is TraceStatus.CLOSED:
        request.close(later(requester, 48), expected_version=4)
    return request


async def load(count: int) -> tuple[list[UUID], str]:
    await upgrade(sqlalchemy_url(DATABASE))
    database = await open_database(settings())
    deps = build_dependencies(database, settings())
    rng = random.Random(2370)  # noqa: S311 - reproducible synthetic data
    try:
        agencies = await register_agencies(deps, AGENCIES)
        await accounts.register_user(
            deps=deps,
            agency_id=agencies[0],
            username="bench.officer",
            display_name="Officer",
            roles=[Role.TRACING_OFFICER.value],
            password=PASSWORD,
        )
        items: list[tuple[UUID, TracedItem]] = []
        for n in range(RECOVERIES):
            agency = agencies[1 + n % (AGENCIES - 1)]
            investigator = Actor(agency, ActorKind.USER, agency, frozenset({Role.INVESTIGATOR}))
            recovered = await record_recovery(
                deps=deps,
                actor=investigator,
                command=RecordRecovery(
                    case_reference=f"C-{n}",
                    recovered_at=NOW - timedelta(days=rng.randint(0, 1000)),
                    location=LocationReport("Port", "FR"),
                    circumstances=Circumstances.SEIZURE,
                    items=[FirearmReport(make="Glock", model="17", serial=f"BX{n:06d}")],
                ),
            )
            items.append((agency, TracedItem.of(recovered, recovered.items[0].id)))
    finally:
        await database.dispose()

    columns = {
        name: [c.name for c in table.columns]
        for name, table in (
            ("trace_requests", tables.trace_requests),
            ("trace_transitions", tables.trace_transitions),
            ("trace_responses", tables.trace_responses),
        )
    }
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in columns}
    for _ in range(count):
        requester, item = items[rng.randrange(len(items))]
        addressee = agencies[0] if rng.random() < 0.3 else rng.choice(agencies[1:])
        request = built_request(rng, item, requester, addressee, UUID(int=rng.getrandbits(128)))
        for operation in new_request_operations(request):
            name = operation.table.name  # type: ignore[union-attr]
            for row in operation.rows:  # type: ignore[union-attr]
                rows[name].append(tuple(row[c] for c in columns[name]))
    connection = await asyncpg.connect(dsn(DATABASE))
    try:
        # COPY is binary: jsonb's binary form is a version byte, then the text.
        await connection.set_type_codec(
            "jsonb",
            encoder=lambda value: b"\x01" + json.dumps(value).encode(),
            decoder=lambda data: json.loads(data[1:]),
            schema="pg_catalog",
            format="binary",
        )
        for name, records in rows.items():
            await connection.copy_records_to_table(name, records=records, columns=columns[name])
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return agencies, "bench.officer"


async def inbox_owner() -> list[UUID]:
    connection = await asyncpg.connect(dsn(DATABASE))
    try:
        agency = await connection.fetchval("SELECT id FROM agencies WHERE name = 'Agency 00'")
        return [agency]
    finally:
        await connection.close()


async def measure(agency: UUID, queries: int) -> dict[str, dict[str, float]]:
    config = settings()
    configure_logging(config.environment, config.log_level)
    database = await open_database(config)
    deps = build_dependencies(database, config)
    officer = Actor(agency, ActorKind.USER, agency, frozenset({Role.TRACING_OFFICER}))
    raw = await asyncpg.connect(dsn(DATABASE))
    app = create_app(config)
    rng = random.Random(7)  # noqa: S311
    results: dict[str, dict[str, float]] = {}
    try:
        created = [
            r["created_at"]
            for r in await raw.fetch(
                "SELECT created_at FROM trace_requests WHERE addressee_agency_id = $1 "
                "AND status <> 'draft'",
                agency,
            )
        ]
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                token = (
                    await client.post(
                        "/api/v1/auth/token",
                        data={"username": "bench.officer", "password": PASSWORD},
                    )
                ).json()["access_token"]
                headers = {"Authorization": f"Bearer {token}"}
                scenarios: dict[str, tuple[TraceRequestFilter, dict[str, str], bool]] = {
                    "first page": (TraceRequestFilter(), {}, False),
                    "status=acknowledged": (
                        TraceRequestFilter(statuses=frozenset({TraceStatus.ACKNOWLEDGED})),
                        {"status": "acknowledged"},
                        False,
                    ),
                    "overdue=true": (TraceRequestFilter(overdue=True), {"overdue": "true"}, False),
                    "deep page (cursor)": (TraceRequestFilter(), {}, True),
                }
                for name, (request_filter, params, deep) in scenarios.items():
                    cursors = [
                        TraceRequestCursor(rng.choice(created), UUID(int=0)) if deep else None
                        for _ in range(queries)
                    ]
                    results[name] = await _scenario(
                        raw,
                        Scenario(agency, officer, request_filter, params),
                        deps,
                        client,
                        headers,
                        cursors,
                    )
    finally:
        await raw.close()
        await database.dispose()
    return results


@dataclasses.dataclass(frozen=True)
class Scenario:
    agency: UUID
    officer: Actor
    request_filter: TraceRequestFilter
    params: dict[str, str]


async def _scenario(
    raw: asyncpg.Connection,
    scenario: Scenario,
    deps: Any,
    client: httpx.AsyncClient,
    headers: dict[str, str],
    cursors: list[TraceRequestCursor | None],
) -> dict[str, float]:
    deep = cursors[0] is not None
    compiled, parameters = _raw_query(scenario.agency, scenario.request_filter, after=deep)
    statement = await raw.prepare(compiled.text)

    def raw_call(cursor: TraceRequestCursor | None) -> Awaitable[object]:
        values = dict(parameters)
        if cursor is not None:
            values |= {"after_time": cursor.created_at, "after_id": cursor.request_id}
        return statement.fetch(*compiled.arguments(values))

    def ours(cursor: TraceRequestCursor | None) -> Awaitable[Any]:
        return list_trace_requests(
            deps=deps,
            actor=scenario.officer,
            box=Box.INBOX,
            request_filter=scenario.request_filter,
            after=cursor,
            limit=50,
        )

    def http(cursor: TraceRequestCursor | None) -> Awaitable[object]:
        query = {"box": "inbox", **scenario.params}
        if cursor is not None:
            query["cursor"] = encode_cursor(cursor.created_at, cursor.request_id)
        return client.get("/api/v1/trace-requests", params=query, headers=headers)

    settle_for_serving()
    raw_ms, ours_ms, http_ms = await timed(
        _calls(raw_call, cursors), _calls(ours, cursors), _calls(http, cursors)
    )
    listed = await ours(cursors[0])
    return {
        "raw_p50": percentile(raw_ms, 0.5),
        "raw_p99": percentile(raw_ms, 0.99),
        "ours_p50": percentile(ours_ms, 0.5),
        "ours_p99": percentile(ours_ms, 0.99),
        "http_p50": percentile(http_ms, 0.5),
        "http_p99": percentile(http_ms, 0.99),
        "rows": len(listed.requests),
    }


def _calls(
    call: Callable[[TraceRequestCursor | None], Awaitable[object]],
    cursors: list[TraceRequestCursor | None],
) -> list[Callable[[], Awaitable[object]]]:
    return [lambda c=c: call(c) for c in cursors]


def _raw_query(
    agency: UUID, request_filter: TraceRequestFilter, *, after: bool = False
) -> tuple[Any, dict[str, Any]]:
    """The statement the repository sends for this filter, and its parameters."""
    present: set[str] = set()
    parameters: dict[str, Any] = {"agency_id": agency, "limit": 51}
    if request_filter.statuses:
        present.add("statuses")
        parameters["statuses"] = sorted(s.value for s in request_filter.statuses)
    if request_filter.overdue:
        present.add("overdue")
        parameters["now"] = datetime.now(UTC)
    if after:
        present.add("after")
    query = trace_requests._PAGES[(Box.INBOX, frozenset(present))]  # noqa: SLF001
    return query.postgres(), parameters


def report(results: dict[str, dict[str, float]], count: int, inbox: int) -> None:
    print(
        f"\ninbox of a tracing officer: {inbox:,} of {count:,} trace requests, PostgreSQL, "
        "50 per page"
    )
    print(
        f"{'query':22} {'raw p50':>8} {'raw p99':>8} {'use case p50':>13} {'p99':>7} "
        f"{'HTTP p50':>9} {'p99':>7}  target p99 <= {TARGET_P99_MS:.0f} ms"
    )
    for name, r in results.items():
        ok = r["http_p99"] <= TARGET_P99_MS
        print(
            f"{name:22} {r['raw_p50']:7.2f}ms {r['raw_p99']:7.2f}ms {r['ours_p50']:12.2f}ms "
            f"{r['ours_p99']:6.2f}ms {r['http_p50']:8.2f}ms {r['http_p99']:6.2f}ms  "
            f"{'ok' if ok else 'MISS'} ({r['rows']:.0f} rows)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true", help="keep a previously loaded database")
    args = parser.parse_args()
    if not (args.reuse and database_exists(DATABASE)):
        print(f"loading {args.requests:,} trace requests")
        recreate_database(DATABASE)
        asyncio.run(load(args.requests))
    (agency,) = asyncio.run(inbox_owner())
    results = asyncio.run(measure(agency, args.queries))

    async def inbox_size() -> int:
        connection = await asyncpg.connect(dsn(DATABASE))
        try:
            return int(
                await connection.fetchval(
                    "SELECT count(*) FROM trace_requests WHERE addressee_agency_id = $1", agency
                )
            )
        finally:
            await connection.close()

    inbox = asyncio.run(inbox_size())
    report(results, args.requests, inbox)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "inbox_listing.json").write_text(
        json.dumps(
            {
                "requests": args.requests,
                "inbox": inbox,
                "queries": args.queries,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
