"""Serial search answers the same on every storage adapter.

The in-memory adapter scans everything and asks the domain; the SQL adapters narrow
through indexes first. Random registers built from look-alike characters, Cyrillic
letters and their Latin spellings make every match kind collide, so a key the SQL
lookups forget shows up as a missing match.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from service.adapters.persistence import serial_index
from service.adapters.persistence.database import Database
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.domain.access import Role
from service.domain.errors import InvalidValue, ValidationFailed
from service.domain.items import FirearmReport
from service.domain.reference import ReferenceCatalogue
from service.recoveries import RecordRecovery, record_recovery
from service.serial_search import search_serials
from tests.builders import actor, dependencies_for_tests, location
from tests.databases import reset
from tests.serial_shapes import query_near, readings


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stored=st.lists(readings, min_size=1, max_size=25), data=st.data())
async def test_sql_search_finds_exactly_what_a_full_scan_finds(
    database: Database, catalogue: ReferenceCatalogue, stored: list[str], data: st.DataObject
) -> None:
    queries = data.draw(st.lists(st.one_of(query_near(stored), readings), min_size=1, max_size=6))
    await reset(database)
    investigator = actor(Role.INVESTIGATOR)
    memory = InMemoryStore()
    command = RecordRecovery(
        case_reference="PROPERTY",
        recovered_at=datetime(2026, 1, 1, tzinfo=UTC),
        location=location(),
        circumstances="crime_scene",  # type: ignore[arg-type]
        items=[FirearmReport(serial=s, make="Glock") for s in stored],
    )
    scan = dependencies_for_tests(lambda: InMemoryUnitOfWork(memory), catalogue=catalogue)
    indexed = dependencies_for_tests(lambda: SqlUnitOfWork(database), catalogue=catalogue)
    try:
        recorded = await record_recovery(deps=scan, actor=investigator, command=command)
    except ValidationFailed:  # readings the domain refuses are not this test's subject
        return
    async with SqlUnitOfWork(database) as uow:
        uow.recoveries.add(recorded)
        await uow.commit()

    for query in queries:
        try:
            expected = await search_serials(deps=scan, actor=investigator, serial=query, limit=500)
        except InvalidValue:  # a pattern without three legible characters
            continue
        found = await search_serials(deps=indexed, actor=investigator, serial=query, limit=500)
        assert [(m.candidate.item_id, m.kind, m.confidence) for m in found.matches] == [
            (m.candidate.item_id, m.kind, m.confidence) for m in expected.matches
        ], query


async def _recorded(database: Database, catalogue: ReferenceCatalogue, serials: list[str]) -> Any:
    """SQL search dependencies over one recovery holding these serials."""
    await reset(database)
    deps = dependencies_for_tests(lambda: SqlUnitOfWork(database), catalogue=catalogue)
    command = RecordRecovery(
        case_reference="LOOKUPS",
        recovered_at=datetime(2026, 1, 1, tzinfo=UTC),
        location=location(),
        circumstances="crime_scene",  # type: ignore[arg-type]
        items=[FirearmReport(serial=s, make="Glock") for s in serials],
    )
    await record_recovery(deps=deps, actor=actor(Role.INVESTIGATOR), command=command)
    return deps


@pytest.mark.parametrize(
    ("stored", "query", "kind"),
    [
        # Spellings under four characters have no deletion variants: only the spellings
        # table finds them.
        ("Ж1", "ZH1", "transliterated"),
        ("ЖЦ1", "JC1", "transliterated"),
        ("JC1", "ЖЦ1", "transliterated"),  # the query's spelling, on the normalized key
        ("БЖ9735", "BZH9735", "transliterated"),
        ("CHL7079", "ЧЛ7079", "transliterated"),
        ("БЖ9735", "BZH9736", "edit"),  # a deletion variant of a spelling
        ("10746", "10?46", "pattern"),  # one unknown: a deletion key
        ("107466", "1?7?66", "pattern"),  # two: expanded deletion keys
        ("ER4465", "ER*65", "pattern"),  # the known end, on the reversed key
        ("AK471234", "AK47*", "pattern"),  # the known start, on the normalized key
        ("X123456Y", "*23456*", "pattern"),  # a run's trigrams
        ("Q1A2B3C", "*A?B?C*", "pattern"),  # nothing to narrow by: a bounded scan
        # Look-alike letters read as digits: by deletion keys, a range, a run.
        ("10746", "1O?46", "pattern"),
        ("ER4405", "ER*4O5", "pattern"),
        ("1047123", "1O47*", "pattern"),
        ("X125456Y", "*2S45*", "pattern"),
        ("10?46", "10746", "pattern"),  # a stored partial reading, anchored by its end
        ("AB?C?6", "ABXCY6", "pattern"),  # ...or by its start
    ],
)
async def test_each_lookup_finds_the_readings_it_is_for(
    database: Database, catalogue: ReferenceCatalogue, stored: str, query: str, kind: str
) -> None:
    deps = await _recorded(database, catalogue, [stored, "QQQQ"])
    found = await search_serials(deps=deps, actor=actor(Role.INVESTIGATOR), serial=query)
    assert [(m.candidate.identifier.raw, m.kind.value) for m in found.matches] == [(stored, kind)]


async def test_a_range_read_to_its_bound_says_the_answer_was_cut(
    database: Database, catalogue: ReferenceCatalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    ending = ["1046", "1146", "2246", "1346", "4446", "1546"]
    deps = await _recorded(database, catalogue, ending)
    investigator = actor(Role.INVESTIGATOR)
    whole = await search_serials(deps=deps, actor=investigator, serial="1*46")
    assert sorted(m.candidate.identifier.raw for m in whole.matches) == [
        "1046",
        "1146",
        "1346",
        "1546",
    ]
    assert whole.truncated is False

    monkeypatch.setattr(serial_index, "MAX_PATTERN_SCAN", 3)
    cut = await search_serials(deps=deps, actor=investigator, serial="1*46")
    assert cut.truncated is True
    # The first three entries of the range, in reversed-key order: 6401, 6411, 6422.
    assert sorted(m.candidate.identifier.raw for m in cut.matches) == ["1046", "1146"]

    # Readings past the bound may fit when none of those read does.
    monkeypatch.setattr(serial_index, "MAX_PATTERN_SCAN", 2)
    none_read_fit = await search_serials(deps=deps, actor=investigator, serial="13*46")
    assert (none_read_fit.matches, none_read_fit.truncated) == ([], True)
    # A range with exactly as many entries as the bound reads cannot tell: it says cut.
    monkeypatch.setattr(serial_index, "MAX_PATTERN_SCAN", len(ending))
    full = await search_serials(deps=deps, actor=investigator, serial="1*46")
    assert (len(full.matches), full.truncated) == (4, True)
    # Nothing known at either end: the scan from the index's start is bounded too.
    monkeypatch.setattr(serial_index, "MAX_PATTERN_SCAN", 3)
    unbounded = await search_serials(deps=deps, actor=investigator, serial="*1?46*")
    assert (len(unbounded.matches), unbounded.truncated) == (2, True)
