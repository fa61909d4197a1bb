"""Migration 0020 files readings stored before it under today's keys, on both databases:
a serial with a capital sharp s, with a Turkish dotted I, or typed with ISO 9's letters
(`Č` for `Ч`) is found as today's rules find it, and one padded with zeros however it is
padded, in tracedesk's records and in a registry; other readings are left as they were."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from alembic import command

from service.adapters.persistence import tables
from service.adapters.persistence.database import Database, migration_engine, open_database
from service.adapters.persistence.registry import SqlRegistry
from service.adapters.persistence.schema import _alembic_config, upgrade
from service.domain.identifiers import one_deletion_variants
from service.domain.matching import SerialQuery
from service.domain.reference import ReferenceCatalogue
from tests.contract.serial_migrations import recovery_rows, searcher
from tests.contract.serial_migrations import url as url  # the fixture: each database

AGENCY = UUID("00000000-0000-7000-8000-00000000020a")
RECOVERY = UUID("00000000-0000-7000-8000-0000000020f0")
# Item id -> (serial, normalized and skeleton as the rules before 0020 made them).
READINGS = {
    UUID("00000000-0000-7000-8000-0000000020f1"): ("STRAẞE 12", "STRAẞE12", "5TRAẞE12"),
    UUID("00000000-0000-7000-8000-0000000020f2"): ("İK 4242", "İK4242", "İK4242"),
    UUID("00000000-0000-7000-8000-0000000020f3"): ("ČŠČ 4412", "ČŠČ4412", "ČŠČ4412"),
    UUID("00000000-0000-7000-8000-0000000020f4"): ("BXK 482", "BXK482", "8XK482"),
    UUID("00000000-0000-7000-8000-0000000020f5"): ("GLK-00731", "GLK00731", "61K00731"),
}
SHARP_S, DOTTED_I, ISO_9, ASCII, PADDED = READINGS


def _rows_as_0019_wrote_them() -> dict[sa.Table, list[dict[str, Any]]]:
    identifiers, deletions = [], []
    for item_id, (raw, normalized, skeleton) in READINGS.items():
        identifiers.append(
            {
                "item_id": item_id,
                "role": "serial",
                "recovery_id": RECOVERY,
                "agency_id": AGENCY,
                "raw": raw,
                "normalized": normalized,
                "skeleton": skeleton,
                "is_partial": False,
                "reversed": normalized[::-1],
            }
        )
        deletions += [
            {"variant": v, "item_id": item_id, "role": "serial"}
            for v in one_deletion_variants(normalized)
        ]
    record = {"registry_name": "iarms", "status": "stolen", "details": {}, "fingerprint": "f"}
    return {
        **recovery_rows(AGENCY, RECOVERY, list(READINGS)),
        tables.item_identifiers: identifiers,
        tables.identifier_deletions: deletions,
        tables.registry_records: [
            {**record, "reference": "R-1", "serial": "ŽČ-731", "normalized": "ŽČ731"},
            {**record, "reference": "R-2", "serial": "00001234", "normalized": "00001234"},
        ],
        tables.registry_keys: [
            {"key": key, "registry_name": "iarms", "reference": reference}
            for reference, normalized in [("R-1", "ŽČ731"), ("R-2", "00001234")]
            for key in [
                f"e:{normalized}",
                f"s:{normalized}",
                *(f"e:{v}" for v in one_deletion_variants(normalized)),
            ]
        ],
    }


async def _at_0019_with_readings(url: str) -> None:
    engine = migration_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(_alembic_config(c), "0019"))
        async with engine.begin() as connection:
            for table, rows in _rows_as_0019_wrote_them().items():
                await connection.execute(sa.insert(table), rows)
    finally:
        await engine.dispose()


async def test_readings_beyond_ascii_are_filed_again_and_found_by_todays_rules(
    url: str, catalogue: ReferenceCatalogue
) -> None:
    await _at_0019_with_readings(url)
    assert (await upgrade(url)).is_current
    engine = migration_engine(url)
    try:
        async with engine.connect() as connection:
            keys = {
                row.item_id: (row.normalized, row.skeleton, row.reversed)
                for row in await connection.execute(sa.select(tables.item_identifiers))
            }
            spelled = set(
                (await connection.execute(sa.select(tables.identifier_transliterations))).all()
            )
            sharp_s_variants = {
                row.variant
                for row in await connection.execute(
                    sa.select(tables.identifier_deletions).where(
                        tables.identifier_deletions.c.item_id == SHARP_S
                    )
                )
            }
    finally:
        await engine.dispose()
    assert keys == {
        SHARP_S: ("STRASSE12", "5TRA55E12", "21ESSARTS"),
        DOTTED_I: ("İK4242", "1K4242", "2424Kİ"),
        ISO_9: ("ČŠČ4412", "C5C4412", "2144ČŠČ"),
        ASCII: ("BXK482", "8XK482", "284KXB"),
        PADDED: ("GLK00731", "61K00731", "13700KLG"),
    }
    assert spelled == {("CHSHCH4412", ISO_9, "serial"), ("GLK731", PADDED, "serial")}
    assert sharp_s_variants == one_deletion_variants("STRASSE12")  # the old ones gone

    database: Database = await open_database(url)
    try:
        found = searcher(database, catalogue, AGENCY)

        assert await found("strasse-12") == [("STRAẞE 12", "normalized")]
        assert await found("IK4242") == [("İK 4242", "skeleton")]
        assert await found("ЧЩ4412") == [("ČŠČ 4412", "transliterated")]
        assert await found("GLK 0000731") == [("GLK-00731", "padding")]
        registry = SqlRegistry("iarms", database, catalogue)
        for serial, reference, kind in [
            ("ZHCH731", "R-1", "transliterated"),
            ("1234", "R-2", "padding"),
        ]:
            matches = await registry.search(SerialQuery.parse(serial, catalogue=catalogue))
            assert [(m.record.reference, m.kind.value) for m in matches] == [(reference, kind)]
    finally:
        await database.dispose()
