"""The FirearmRegistry contract, on every adapter: each finds exactly what a full scan of
the registry's records finds, with the same match kinds and confidences."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service import accounts
from service.adapters.api.app import create_app
from service.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from service.adapters.persistence.database import Database
from service.adapters.persistence.registry import SqlRegistry
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.adapters.registries.http import HttpRegistry
from service.adapters.registries.memory import InMemoryRegistry
from service.adapters.registry_files import read_registry_file
from service.adapters.settings import Settings
from service.domain.errors import InvalidValue, ValidationFailed
from service.domain.matching import MatchKind, SerialQuery
from service.domain.ports.registries import FirearmRegistry
from service.domain.reference import ReferenceCatalogue
from service.domain.registry import (
    RegistryRecord,
    RegistryRecordReport,
    RegistryStatus,
    registry_matches,
)
from service.registry_import import import_registry
from tests.builders import AGENCY_A, dependencies_for_tests
from tests.databases import reset
from tests.serial_shapes import query_near, readings

Load = Callable[[list[RegistryRecord]], Awaitable[FirearmRegistry]]
NAME = "contract-registry"


@pytest.fixture(params=["memory", "sqlite", "postgresql", "http"])
def kind(request: pytest.FixtureRequest) -> tuple[str, Database | None]:
    # Sync on purpose: the session's database fixtures are set up outside the loop.
    name = {"memory": None, "http": "sqlite"}.get(request.param, request.param)
    database = request.getfixturevalue(f"{name}_database") if name else None
    return request.param, database


@pytest.fixture
async def load(
    kind: tuple[str, Database | None], catalogue: ReferenceCatalogue, tmp_path: Path
) -> AsyncIterator[Load]:
    """Puts records into a fresh registry of each kind and returns it. `http`: a
    tracedesk instance holds the registry and the HTTP adapter asks it, signing in with
    a service account's API key as a peer would."""
    adapter, database = kind
    if database is None:

        async def in_memory(records: list[RegistryRecord]) -> FirearmRegistry:
            return InMemoryRegistry(NAME, records, catalogue)

        yield in_memory
        return
    if adapter == "http":
        async with AsyncExitStack() as stack:
            yield await served_over_http(database, catalogue, tmp_path, stack)
        return

    async def imported(records: list[RegistryRecord]) -> FirearmRegistry:
        await reset(database)
        deps = dependencies_for_tests(lambda: SqlUnitOfWork(database), catalogue=catalogue)
        await import_registry(deps=deps, actor=None, registry=NAME, records=records, source="t")
        return SqlRegistry(NAME, database, catalogue)

    yield imported


async def served_over_http(
    database: Database, catalogue: ReferenceCatalogue, tmp_path: Path, stack: AsyncExitStack
) -> Load:
    configuration = tmp_path / "registries.toml"
    configuration.write_text(f'[[registry]]\nname = "{NAME}"\nadapter = "sql"\n')
    app = create_app(
        Settings(database_url=database.url, connections_file=configuration, worker="external")
    )
    await stack.enter_async_context(app.router.lifespan_context(app))

    async def served(records: list[RegistryRecord]) -> FirearmRegistry:
        await reset(database)
        deps = dependencies_for_tests(lambda: SqlUnitOfWork(database), catalogue=catalogue)
        await import_registry(deps=deps, actor=None, registry=NAME, records=records, source="t")
        account = await accounts.register_service_account(
            deps=deps, agency_id=AGENCY_A, name="peer", scopes=["registries:search"]
        )
        key = await accounts.issue_api_key(deps=deps, service_account_id=account.id)
        registry = HttpRegistry(
            name=NAME,
            url="http://peer.test",
            client_id=key.client_id,
            client_secret=key.secret,
            catalogue=catalogue,
            transport=httpx.ASGITransport(app=app),
        )
        stack.push_async_callback(registry.aclose)
        return registry

    return served


def record(
    catalogue: ReferenceCatalogue, reference: str, serial: str, status: str = "stolen", **more: str
) -> RegistryRecord:
    return RegistryRecord.read(
        RegistryRecordReport(reference=reference, status=status, serial=serial, **more),
        registry=NAME,
        catalogue=catalogue,
    )


async def test_every_kind_of_match_with_its_status(
    load: Load, catalogue: ReferenceCatalogue
) -> None:
    records = [
        record(catalogue, "IA-1", "BXK 482", make="Glock", calibre="9mm"),
        record(catalogue, "IA-2", "ВХК482", "trafficked", make="GLOCK GmbH"),  # Cyrillic
        record(catalogue, "IA-3", "8XK482", "lost"),
        record(catalogue, "IA-4", "BXK 483", "registered", make="Zastava"),
        record(catalogue, "IA-5", "BXK4?2", "smuggled"),
        record(catalogue, "IA-6", "QQQ 999", "destroyed"),
    ]
    registry = await load(records)
    query = SerialQuery.parse("BXK 482", catalogue=catalogue, make="Glock")
    found = {m.record.reference: m for m in await registry.search(query)}
    assert {ref: m.kind for ref, m in found.items()} == {
        "IA-1": MatchKind.EXACT,
        "IA-2": MatchKind.NORMALIZED,
        "IA-3": MatchKind.SKELETON,
        "IA-4": MatchKind.EDIT,
        "IA-5": MatchKind.PATTERN,
    }
    assert found["IA-2"].record.status is RegistryStatus.TRAFFICKED and found["IA-2"].alerting
    assert not found["IA-4"].alerting  # a registered weapon is no alert
    assert found["IA-4"].confidence < found["IA-3"].confidence  # Zastava is not a Glock
    assert found["IA-1"].record.identifier.raw == "BXK 482"
    pattern = await registry.search(SerialQuery.parse("BXK4*", catalogue=catalogue))
    # IA-3 (8XK482) too: the pattern's B may be an 8 misread.
    assert {m.record.reference for m in pattern} == {"IA-1", "IA-2", "IA-3", "IA-4", "IA-5"}
    assert await registry.search(SerialQuery.parse("ZZZ 111", catalogue=catalogue)) == []


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stored=st.lists(readings, min_size=1, max_size=20), data=st.data())
async def test_a_registry_finds_exactly_what_a_full_scan_finds(
    load: Load, catalogue: ReferenceCatalogue, stored: list[str], data: st.DataObject
) -> None:
    queries = data.draw(st.lists(st.one_of(query_near(stored), readings), min_size=1, max_size=5))
    records = []
    for n, serial in enumerate(stored):
        try:
            records.append(record(catalogue, f"R-{n}", serial, make="Glock"))
        except ValidationFailed:
            continue
    registry = await load(records)
    for text in queries:
        try:
            query = SerialQuery.parse(text, catalogue=catalogue)
        except InvalidValue:
            continue
        expected = registry_matches(query, records, catalogue)
        found = await registry.search(query)
        assert [(m.record.reference, m.kind, m.confidence) for m in found] == [
            (m.record.reference, m.kind, m.confidence) for m in expected
        ], text


async def test_files_are_read_line_by_line_and_bad_lines_reported(
    tmp_path: Path, catalogue: ReferenceCatalogue
) -> None:
    ndjson = tmp_path / "iarms.ndjson"
    ndjson.write_text(
        '{"reference": "IA-1", "status": "stolen", "serial": "BXK 482", "make": "Glock",'
        ' "recorded_on": "2023-09-04", "details": {"reported_by": "LKA Hamburg"}}\n'
        "not json\n"
        '{"reference": "IA-2", "status": "borrowed", "serial": "A1"}\n'
        '{"reference": "IA-1", "status": "lost", "serial": "X 1"}\n'
        '{"reference": "IA-3", "status": "lost", "serial": "ABC-777", "country": "DE"}\n'
        + '{"details": ' * 50_000
        + "1"
        + "}" * 50_000,  # nested past a recursive parser's reach
        encoding="utf-8",
    )
    read = read_registry_file(ndjson, registry=NAME, catalogue=catalogue)
    assert [r.reference for r in read.records] == ["IA-1", "IA-3"]
    assert read.records[0].recorded_on == date(2023, 9, 4)
    assert read.records[0].details == {"reported_by": "LKA Hamburg"}
    assert [(p.line, p.field) for p in read.problems] == [
        (2, ""),
        (3, "status"),
        (4, "reference"),
        (6, ""),
    ]

    csv_file = tmp_path / "national.csv"
    csv_file.write_text(
        "reference,status,serial,make,calibre,owner_licence\n"
        "N-1,registered,731 204,Zastava,7.62x39,RS-LIC-1\n"
        "N-2,stolen,,Glock,,\n",
        encoding="utf-8",
    )
    read = read_registry_file(csv_file, registry=NAME, catalogue=catalogue)
    assert [r.details for r in read.records] == [{"owner_licence": "RS-LIC-1"}]
    assert [(p.line, p.field) for p in read.problems] == [(3, "serial")]


async def test_a_line_that_is_not_utf8_is_refused_alone(
    tmp_path: Path, catalogue: ReferenceCatalogue
) -> None:
    for suffix, lines in [
        (
            "ndjson",
            [
                b'{"reference": "IA-1", "status": "stolen", "serial": "BX 1"}',
                b'{"reference": "IA-2", "status": "stolen", "serial": "BX \xff2"}',
                b'{"reference": "IA-3", "status": "lost", "serial": "BX 3"}',
            ],
        ),
        (
            "csv",
            [b"reference,status,serial", b"N-1,stolen,AB 1", b"N-2,stolen,A\xffB", b"N-3,lost,C 3"],
        ),
    ]:
        path = tmp_path / f"mixed.{suffix}"
        path.write_bytes(b"\n".join(lines) + b"\n")
        read = read_registry_file(path, registry=NAME, catalogue=catalogue)
        assert len(read.records) == 2, suffix
        assert [(p.line, p.detail) for p in read.problems] == [
            (2 if suffix == "ndjson" else 3, "not UTF-8 text")
        ]


async def test_importing_the_same_records_twice_changes_nothing(
    database: Database, catalogue: ReferenceCatalogue
) -> None:
    deps = dependencies_for_tests(lambda: SqlUnitOfWork(database), catalogue=catalogue)
    first = [record(catalogue, "A", "AAA 111"), record(catalogue, "B", "BBB 222", "lost")]
    outcome = await import_registry(deps=deps, actor=None, registry=NAME, records=first, source="1")
    assert (outcome.added, outcome.changed, outcome.unchanged) == (2, 0, 0)
    again = await import_registry(deps=deps, actor=None, registry=NAME, records=first, source="2")
    assert (again.added, again.changed, again.unchanged) == (0, 0, 2)
    moved = [
        record(catalogue, "A", "AAA 111", "registered"),
        record(catalogue, "B", "BBB 223", "lost"),
    ]
    changed = await import_registry(deps=deps, actor=None, registry=NAME, records=moved, source="3")
    assert (changed.added, changed.changed, changed.unchanged) == (0, 2, 0)
    registry = SqlRegistry(NAME, database, catalogue)
    old_serial = await registry.search(SerialQuery.parse("BBB 222", catalogue=catalogue))
    assert [(m.record.reference, m.kind) for m in old_serial] == [("B", MatchKind.EDIT)]
    status = await registry.search(SerialQuery.parse("AAA 111", catalogue=catalogue))
    assert status[0].record.status is RegistryStatus.REGISTERED


async def test_memory_and_sql_record_stores_agree_on_fingerprints(
    catalogue: ReferenceCatalogue,
) -> None:
    store = InMemoryStore()
    deps = dependencies_for_tests(lambda: InMemoryUnitOfWork(store), catalogue=catalogue)
    records = [record(catalogue, "A", "AAA 111")]
    await import_registry(deps=deps, actor=None, registry=NAME, records=records, source="1")
    again = await import_registry(deps=deps, actor=None, registry=NAME, records=records, source="1")
    assert again.unchanged == 1
