"""Use cases run against the in-memory adapters: authorization, staleness, atomicity."""

import dataclasses
from datetime import UTC, datetime

import pytest

from service.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from service.dependencies import Dependencies
from service.domain.access import Role
from service.domain.errors import Forbidden, NotFound, StaleVersion, ValidationFailed
from service.domain.items import Firearm
from service.domain.matching import MatchKind
from service.domain.ports.recoveries import RecoveryFilter
from service.domain.recovery import RecoveryCorrection
from service.domain.reference import ReferenceCatalogue
from service.recoveries import (
    correct_recovery,
    get_recovery,
    list_recoveries,
    record_recovery,
)
from service.reference_report import unresolved_reference_values
from service.serial_search import search_serials
from tests.builders import (
    AGENCY_B,
    actor,
    dependencies_for_tests,
    firearm,
    record_command,
)
from tests.fakes import Clock


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def deps(store: InMemoryStore, catalogue: ReferenceCatalogue) -> Dependencies:
    return dependencies_for_tests(
        lambda: InMemoryUnitOfWork(store), clock=Clock(), catalogue=catalogue
    )


async def test_an_investigator_records_and_reads_back_a_recovery(deps: Dependencies) -> None:
    investigator = actor(Role.INVESTIGATOR)
    recorded = await record_recovery(deps=deps, actor=investigator, command=record_command())
    assert recorded.agency_id == investigator.agency_id
    assert await get_recovery(deps=deps, actor=investigator, recovery_id=recorded.id) == recorded


async def test_roles_without_the_permission_are_forbidden(deps: Dependencies) -> None:
    for role in (Role.AUDITOR, Role.ADMIN, Role.TRACING_OFFICER):
        with pytest.raises(Forbidden):
            await record_recovery(deps=deps, actor=actor(role), command=record_command())


async def test_another_agencys_recovery_is_not_found(deps: Dependencies) -> None:
    recorded = await record_recovery(deps=deps, actor=actor(), command=record_command())
    outsider = actor(Role.SUPERVISOR, agency=AGENCY_B)
    with pytest.raises(NotFound):
        await get_recovery(deps=deps, actor=outsider, recovery_id=recorded.id)
    with pytest.raises(NotFound):
        await correct_recovery(
            deps=deps,
            actor=outsider,
            recovery_id=recorded.id,
            expected_version=1,
            correction=RecoveryCorrection(case_reference="X"),
            reason="r",
        )
    page = await list_recoveries(
        deps=deps, actor=outsider, recovery_filter=RecoveryFilter(), after=None, limit=50
    )
    assert page.recoveries == []
    result = await search_serials(deps=deps, actor=outsider, serial="ABC123")
    assert result.matches == []


async def test_a_rejected_recovery_stores_nothing(deps: Dependencies, store: InMemoryStore) -> None:
    with pytest.raises(ValidationFailed):
        await record_recovery(deps=deps, actor=actor(), command=record_command("AB\x00C"))
    assert store.recoveries == {}


async def test_corrections_made_from_an_old_version_are_stale(deps: Dependencies) -> None:
    investigator = actor()
    recorded = await record_recovery(deps=deps, actor=investigator, command=record_command())
    corrected = await correct_recovery(
        deps=deps,
        actor=investigator,
        recovery_id=recorded.id,
        expected_version=1,
        correction=RecoveryCorrection(case_reference="CASE-2"),
        reason="typo in case reference",
    )
    assert corrected.version == 2
    with pytest.raises(StaleVersion):
        await correct_recovery(
            deps=deps,
            actor=investigator,
            recovery_id=recorded.id,
            expected_version=1,
            correction=RecoveryCorrection(case_reference="CASE-3"),
            reason="late writer",
        )
    reread = await get_recovery(deps=deps, actor=investigator, recovery_id=recorded.id)
    assert reread.case_reference == "CASE-2" and len(reread.corrections) == 1


async def test_serial_search_finds_every_reading_of_a_weapon(deps: Dependencies) -> None:
    investigator = actor()
    for serial in ["ABC 123", "abc-123", "A8C123", "ABC124", "ABC1?3", "ZZZ999"]:
        await record_recovery(deps=deps, actor=investigator, command=record_command(serial))
    result = await search_serials(deps=deps, actor=investigator, serial="ABC 123")
    assert [m.kind for m in result.matches] == [
        MatchKind.EXACT,
        MatchKind.NORMALIZED,
        MatchKind.SKELETON,
        MatchKind.EDIT,
        MatchKind.PATTERN,
    ]
    assert not result.truncated


async def test_serial_search_says_when_it_cut_the_list(deps: Dependencies) -> None:
    investigator = actor()
    for _ in range(3):
        await record_recovery(deps=deps, actor=investigator, command=record_command("0000"))
    result = await search_serials(deps=deps, actor=investigator, serial="0000", limit=2)
    assert len(result.matches) == 2 and result.truncated


async def test_unresolved_values_are_reported_with_counts(deps: Dependencies) -> None:
    investigator = actor()
    for make in ["Glok", "Glok", "Glock", "Fabrica X"]:
        recovery_command = dataclasses.replace(
            record_command(), items=[firearm(make=make, calibre="9mm Wonder")]
        )
        await record_recovery(deps=deps, actor=investigator, command=recovery_command)
    report = await unresolved_reference_values(deps=deps, actor=actor(Role.SUPERVISOR))
    assert [(v.field, v.raw, v.count) for v in report] == [
        ("calibre", "9mm Wonder", 4),
        ("make", "Glok", 2),
        ("make", "Fabrica X", 1),
    ]
    with pytest.raises(Forbidden):
        await unresolved_reference_values(deps=deps, actor=investigator)


async def test_listing_pages_newest_first_without_gaps(deps: Dependencies) -> None:
    investigator = actor()
    ids = []
    for day in range(1, 8):
        recorded = await record_recovery(
            deps=deps,
            actor=investigator,
            command=record_command(when=datetime(2026, 10, day, tzinfo=UTC)),
        )
        ids.append(recorded.id)
    seen, cursor = [], None
    while True:
        page = await list_recoveries(
            deps=deps, actor=investigator, recovery_filter=RecoveryFilter(), after=cursor, limit=3
        )
        seen.extend(r.id for r in page.recoveries)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(reversed(ids))


async def test_a_correction_can_add_an_item_found_later(deps: Dependencies) -> None:
    investigator = actor()
    recorded = await record_recovery(deps=deps, actor=investigator, command=record_command())
    corrected = await correct_recovery(
        deps=deps,
        actor=investigator,
        recovery_id=recorded.id,
        expected_version=1,
        correction=RecoveryCorrection(new_items=[firearm(serial="XYZ 987", make="Beretta")]),
        reason="second pistol found in the car",
    )
    assert len(corrected.items) == 2
    second = corrected.items[1]
    assert isinstance(second, Firearm) and second.make is not None
    assert second.make.canonical == "Beretta"
