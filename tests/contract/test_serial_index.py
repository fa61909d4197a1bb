"""Serial search answers the same on every storage adapter.

The in-memory adapter scans everything and asks the domain; the SQL adapters narrow
through indexes first. Random registers built from look-alike characters make every
match kind collide, so a key the SQL lookups forget shows up as a missing match.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.adapters.memory import InMemoryStore, InMemoryUnitOfWork
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

ALPHABET = "AB80OQ15S-"
complete = st.text(st.sampled_from(ALPHABET), min_size=2, max_size=8).filter(
    lambda s: s.replace("-", "")
)
partial = st.builds(
    lambda head, tail, wild: head + wild + tail,
    st.text(st.sampled_from("AB80"), min_size=3, max_size=4),
    st.text(st.sampled_from("AB80"), max_size=3),
    st.sampled_from(["?", "*", "??"]),
)
readings = st.one_of(complete, complete, complete, partial)
LOOKALIKES = {"B": "8", "8": "B", "0": "O", "O": "Q", "Q": "0", "1": "I", "5": "S", "S": "5"}


@st.composite
def query_near(draw: st.DrawFn, stored: list[str]) -> str:
    """A reading near a stored one: one edit, a look-alike, a separator, a wildcard."""
    base = draw(st.sampled_from(stored))
    if not base:
        return base
    i = draw(st.integers(0, len(base) - 1))
    char = draw(st.sampled_from("AB80OQ15S"))
    edits = [
        base,
        base.lower(),
        base[:i] + "-" + base[i:],
        base[:i] + LOOKALIKES.get(base[i], base[i]) + base[i + 1 :],
        base[:i] + char + base[i + 1 :],
        base[:i] + char + base[i:],
        base[:i] + base[i + 1 :],
        base[:i] + base[i + 1 : i + 2] + base[i] + base[i + 2 :],
        "".join(LOOKALIKES.get(c, c) for c in base),
        base[:i] + "?" + base[i + 1 :],
        base[: i + 1] + "*",
        base + "*",
        "?" + base[1:],
        "*" + base[i:],
    ]
    return draw(st.sampled_from(edits))


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
        except InvalidValue:  # a pattern without three legible characters in a row
            continue
        found = await search_serials(deps=indexed, actor=investigator, serial=query, limit=500)
        assert [(m.candidate.item_id, m.kind, m.confidence) for m in found.matches] == [
            (m.candidate.item_id, m.kind, m.confidence) for m in expected.matches
        ], query
