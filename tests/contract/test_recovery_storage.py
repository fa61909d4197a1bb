"""The storage contract: every adapter (memory, SQLite, PostgreSQL) behaves the same."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from service.adapters.persistence.database import Database
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.domain.errors import StaleVersion
from service.domain.items import (
    AmmunitionReport,
    ComponentCategory,
    ComponentReport,
    FirearmType,
    ImportMarking,
    ItemKind,
    SerialState,
)
from service.domain.persons import PersonReport
from service.domain.ports.recoveries import RecoveryCursor, RecoveryFilter
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.recovery import Recovery, RecoveryCorrection
from service.domain.reference import ReferenceCatalogue
from tests.builders import AGENCY_A, AGENCY_B, NOW, actor, firearm, new_id, recovery
from tests.databases import FOREIGN_KEY_REFUSED

Factory = Callable[[], UnitOfWork]


async def store(unit_of_work: Factory, *recoveries: Recovery) -> None:
    async with unit_of_work() as uow:
        for r in recoveries:
            uow.recoveries.add(r)
        await uow.commit()


async def load(unit_of_work: Factory, recovery_id: object) -> Recovery | None:
    async with unit_of_work() as uow:
        return await uow.recoveries.get(recovery_id)  # type: ignore[arg-type]


async def correct_stored(
    unit_of_work: Factory,
    recovery_id: UUID,
    correction: RecoveryCorrection,
    *,
    version: int,
    catalogue: ReferenceCatalogue,
) -> Recovery:
    """Load, correct and store a recovery in one unit of work; the corrected recovery."""
    async with unit_of_work() as uow:
        loaded = await uow.recoveries.get(recovery_id)
        assert loaded is not None
        loaded.correct(
            correction,
            reason="checked in the lab",
            expected_version=version,
            now=NOW,
            by=actor(),
            new_id=new_id,
            catalogue=catalogue,
        )
        uow.recoveries.save(loaded)
        await uow.commit()
    return loaded


def every_kind_of_item() -> Recovery:
    return recovery(
        firearm(
            serial="АВС 123",  # Cyrillic letters, kept verbatim
            import_marking=ImportMarking(text="CAI GEORGIA VT", country="US", year=1998),
            other_markings="proof marks: crown over N\nunit marking on the grip",
        ),
        firearm(
            serial="KD?-4*1", make="Zastava", model="M70", calibre="7.62x39", type=FirearmType.RIFLE
        ),
        firearm(serial=None, serial_state=SerialState.UNMARKED, make="Polymer80", model="PF940C"),
        AmmunitionReport(calibre="9mm", headstamp="PPU 9x19", lot="LOT 2021-44", quantity=50),
        ComponentReport(
            category=ComponentCategory.UAS,
            manufacturer="DJI",
            part_number="FC3170",
            serial="1581F4XFC2",
            lot="B-77",
            description="Flight controller of a commercial quadcopter",
        ),
        possessor=PersonReport(
            "Иван Петров",
            date(1979, 2, 28),
            "RS",
            document_number="008 123 456",
            document_country="RS",
        ),
    )


async def test_a_stored_recovery_reads_back_identical(unit_of_work: Factory) -> None:
    original = every_kind_of_item()
    await store(unit_of_work, original)
    loaded = await load(unit_of_work, original.id)
    assert loaded == original
    assert loaded is not None and loaded.items[0].serial.raw == "АВС 123"  # type: ignore[union-attr]


async def test_nothing_is_written_without_commit(unit_of_work: Factory) -> None:
    recorded = recovery()
    async with unit_of_work() as uow:
        uow.recoveries.add(recorded)
    assert await load(unit_of_work, recorded.id) is None


async def test_a_correction_is_stored_with_its_history(
    unit_of_work: Factory, catalogue: ReferenceCatalogue
) -> None:
    recorded = recovery(firearm(serial="ABC 123"), firearm(serial="XYZ 999"))
    await store(unit_of_work, recorded)
    first = recorded.items[0].id
    loaded = await correct_stored(
        unit_of_work,
        recorded.id,
        RecoveryCorrection(
            item_changes={first: {"serial": "ABC 128", "make": "Beretta"}},
            new_items=[AmmunitionReport(calibre="9mm", quantity=3)],
        ),
        version=1,
        catalogue=catalogue,
    )
    reloaded = await load(unit_of_work, recorded.id)
    assert reloaded == loaded
    assert reloaded is not None and reloaded.version == 2 and len(reloaded.items) == 3
    (correction,) = reloaded.corrections
    assert {c.field for c in correction.changes} >= {f"items.{first}.serial", f"items.{first}.make"}

    from service.domain.matching import SerialQuery

    async with unit_of_work() as uow:
        old = await uow.serials.candidates(
            SerialQuery.parse("ABC 123", catalogue=catalogue), agency_id=AGENCY_A, cap=10
        )
        new = await uow.serials.candidates(
            SerialQuery.parse("ABC 128", catalogue=catalogue), agency_id=AGENCY_A, cap=10
        )
    # The old reading is one edit from the new one; what matters is which raw text is indexed.
    assert {c.identifier.raw for c in old.candidates} == {"ABC 128"}
    assert {c.identifier.raw for c in new.candidates} == {"ABC 128"}


async def test_a_removed_possessor_is_gone_from_the_recovery_but_kept_in_its_history(
    unit_of_work: Factory, catalogue: ReferenceCatalogue
) -> None:
    recorded = recovery(possessor=PersonReport("Jean Dupont", date(1980, 1, 2), "FR"))
    await store(unit_of_work, recorded)
    for version, correction in enumerate(
        (
            RecoveryCorrection(possessor=PersonReport("Jean Dupond", date(1980, 1, 2), "FR")),
            RecoveryCorrection(remove_possessor=True),
        ),
        start=1,
    ):
        loaded = await correct_stored(
            unit_of_work, recorded.id, correction, version=version, catalogue=catalogue
        )
        reloaded = await load(unit_of_work, recorded.id)
        assert reloaded == loaded
    assert reloaded is not None and reloaded.possessor is None
    names = [c.changes[0].before["name"] for c in reloaded.corrections]
    assert names == ["Jean Dupont", "Jean Dupond"]


async def test_the_later_of_two_concurrent_corrections_is_stale(
    unit_of_work: Factory, catalogue: ReferenceCatalogue
) -> None:
    recorded = recovery()
    await store(unit_of_work, recorded)

    async def correct(case_reference: str) -> None:
        async with unit_of_work() as uow:
            loaded = await uow.recoveries.get(recorded.id)
            assert loaded is not None
            loaded.correct(
                RecoveryCorrection(case_reference=case_reference),
                reason="conflict test",
                expected_version=1,
                now=NOW,
                by=actor(),
                new_id=new_id,
                catalogue=catalogue,
            )
            uow.recoveries.save(loaded)
            await barrier.wait()
            await uow.commit()

    barrier = asyncio.Barrier(2)
    outcomes = await asyncio.gather(correct("FIRST"), correct("SECOND"), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "StaleVersion"]
    winner = "FIRST" if outcomes[0] is None else "SECOND"
    stored = await load(unit_of_work, recorded.id)
    assert stored is not None and stored.case_reference == winner and stored.version == 2
    assert isinstance(outcomes[1] if outcomes[0] is None else outcomes[0], StaleVersion)


async def test_pages_follow_filters_and_the_cursor(unit_of_work: Factory) -> None:
    recoveries = [
        recovery(
            firearm(make="Glock" if day % 2 else "Beretta"),
            recovered_at=datetime(2026, 10, day, tzinfo=UTC),
            case_reference=f"CASE-{day % 3}",
        )
        for day in range(1, 11)
    ] + [recovery(agency=AGENCY_B), recovery(AmmunitionReport(calibre="9mm", quantity=5))]
    await store(unit_of_work, *recoveries)

    async def page(f: RecoveryFilter, after: RecoveryCursor | None = None, limit: int = 50):  # type: ignore[no-untyped-def]
        async with unit_of_work() as uow:
            return await uow.recoveries.page(
                agency_id=AGENCY_A, recovery_filter=f, after=after, limit=limit
            )

    everything = await page(RecoveryFilter())
    assert len(everything.recoveries) == 11 and everything.next_cursor is None
    assert [r.recovered_at for r in everything.recoveries] == sorted(
        (r.recovered_at for r in everything.recoveries), reverse=True
    )
    glocks = await page(RecoveryFilter(make="Glock", item_kind=ItemKind.FIREARM))
    assert {r.recovered_at.day for r in glocks.recoveries} == {1, 3, 5, 7, 9}
    october = await page(
        RecoveryFilter(
            recovered_from=datetime(2026, 10, 3, tzinfo=UTC),
            recovered_to=datetime(2026, 10, 6, tzinfo=UTC),
            case_reference="CASE-1",
        )
    )
    assert [r.recovered_at.day for r in october.recoveries] == [4]
    ammunition = await page(
        RecoveryFilter(item_kind=ItemKind.AMMUNITION, calibre="9x19mm Parabellum")
    )
    assert len(ammunition.recoveries) == 1

    seen = []
    cursor = None
    while True:
        chunk = await page(RecoveryFilter(country="FR"), cursor, limit=4)
        seen += [r.id for r in chunk.recoveries]
        if chunk.next_cursor is None:
            break
        cursor = chunk.next_cursor
    assert seen == [r.id for r in everything.recoveries]


async def test_unresolved_spellings_are_counted(unit_of_work: Factory) -> None:
    await store(
        unit_of_work,
        recovery(firearm(make="Glok", calibre="9mm Wonder"), firearm(make="Glok")),
        recovery(firearm(make="Glok"), agency=AGENCY_B),
    )
    async with unit_of_work() as uow:
        own = await uow.reference_usage.unresolved(agency_id=AGENCY_A)
        everyone = await uow.reference_usage.unresolved(agency_id=None)
    assert sorted((v.field, v.raw, v.count) for v in own) == [
        ("calibre", "9mm Wonder", 1),
        ("make", "Glok", 2),
    ]
    assert ("make", "Glok", 3) in {(v.field, v.raw, v.count) for v in everyone}


async def test_a_failed_write_leaves_nothing_behind(database: Database) -> None:
    good = recovery()
    orphan = recovery(agency=new_id())  # no such agency: the foreign key refuses it
    async with SqlUnitOfWork(database) as uow:
        uow.recoveries.add(good)
        uow.recoveries.add(orphan)
        with pytest.raises(FOREIGN_KEY_REFUSED) as failure:
            await uow.commit()
    assert "foreign key" in str(failure.value).lower()
    assert await load(lambda: SqlUnitOfWork(database), good.id) is None
