"""Mapping between recoveries and their rows, in both directions.

Rows are built into domain objects directly, without running the validation rules:
stored evidence must always load, even after a rule has been tightened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from service.adapters.persistence import tables
from service.adapters.persistence.database import Row
from service.adapters.persistence.writes import DeleteRows, InsertRows, RowOperation, UpdateRow
from service.domain.errors import StaleVersion
from service.domain.geography import Location
from service.domain.identifiers import Identifier
from service.domain.items import (
    Ammunition,
    Component,
    ComponentCategory,
    Firearm,
    FirearmType,
    IdentifierRole,
    ImportMarking,
    Item,
    ItemKind,
    SerialState,
)
from service.domain.matching import filed_spellings
from service.domain.persons import Person
from service.domain.recovery import Circumstances, Correction, FieldChange, Recovery
from service.domain.reference import Resolution


def new_recovery_operations(recovery: Recovery) -> list[RowOperation]:
    """Every row of a recovery just recorded, parents first."""
    items = list(recovery.items)
    return [
        InsertRows(tables.recoveries, [_recovery_values(recovery)]),
        InsertRows(
            tables.recovery_items, [_item_values(recovery.id, i, p) for p, i in enumerate(items)]
        ),
        *identifier_operations(recovery, items),
        InsertRows(
            tables.recovery_corrections,
            [_correction_values(recovery.id, c) for c in recovery.corrections],
        ),
    ]


def corrected_recovery_operations(loaded: Recovery, corrected: Recovery) -> list[RowOperation]:
    """The rows a correction changes. The recovery row is updated only if it is still at
    the version that was loaded; otherwise the whole write fails as stale."""
    header = {
        name: value
        for name, value in _recovery_values(corrected).items()
        if name not in ("id", "agency_id", "recorded_at", "recorded_by")
    }
    operations: list[RowOperation] = [
        UpdateRow(
            tables.recoveries,
            key={"id": corrected.id},
            values=header,
            expected={"version": loaded.version},
            when_missing=lambda: StaleVersion("recovery", loaded.version, None),
        )
    ]
    before = {item.id: item for item in loaded.items}
    added: list[Item] = []
    for position, item in enumerate(corrected.items):
        previous = before.get(item.id)
        if previous is None:
            added.append(item)
            operations.append(
                InsertRows(tables.recovery_items, [_item_values(corrected.id, item, position)])
            )
        elif previous != item:
            values = _item_values(corrected.id, item, position)
            del values["id"]
            operations += [
                UpdateRow(tables.recovery_items, key={"id": item.id}, values=values),
                # Search keys are derived; the raw reading they replace is kept in the
                # correction record, so the old keys can go.
                DeleteRows(tables.item_identifiers, {"item_id": item.id}),
            ]
            added.append(item)
    operations += [
        *identifier_operations(corrected, added),
        InsertRows(
            tables.recovery_corrections,
            [
                _correction_values(corrected.id, c)
                for c in corrected.corrections
                if c.version > loaded.version
            ],
        ),
    ]
    return operations


def _recovery_values(recovery: Recovery) -> dict[str, Any]:
    location = recovery.location
    return {
        "id": recovery.id,
        "agency_id": recovery.agency_id,
        "case_reference": recovery.case_reference,
        "recovered_at": recovery.recovered_at,
        "location_description": location.description,
        "location_country": location.country,
        "location_lat": location.lat,
        "location_lon": location.lon,
        "circumstances": recovery.circumstances.value,
        "version": recovery.version,
        "recorded_at": recovery.recorded_at,
        "recorded_by": recovery.recorded_by,
        "updated_at": recovery.updated_at,
        "reference_version": recovery.reference_version,
        **_possessor_values(recovery.possessor),
    }


def _possessor_values(person: Person | None) -> dict[str, Any]:
    return {
        "possessor_name": person.name if person else None,
        "possessor_born_on": person.born_on if person else None,
        "possessor_nationality": person.nationality if person else None,
        "possessor_document_number": person.document_number if person else None,
        "possessor_document_country": person.document_country if person else None,
    }


def _possessor_from_row(row: Row) -> Person | None:
    if row["possessor_name"] is None:
        return None
    return Person(
        name=row["possessor_name"],
        born_on=row["possessor_born_on"],
        nationality=row["possessor_nationality"],
        document_number=row["possessor_document_number"],
        document_country=row["possessor_document_country"],
    )


def _item_values(recovery_id: UUID, item: Item, position: int) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": item.id,
        "recovery_id": recovery_id,
        "position": position,
        "kind": item.kind.value,
        "make_raw": item.make.raw if item.make else None,
        "make_canonical": item.make.canonical if item.make else None,
        "model": item.model,
        "calibre_raw": item.calibre.raw if item.calibre else None,
        "calibre_canonical": item.calibre.canonical if item.calibre else None,
        "serial_state": None,
        "firearm_type": None,
        "country_of_manufacture": None,
        "import_marking_text": None,
        "import_marking_country": None,
        "import_marking_year": None,
        "other_markings": None,
        "headstamp": None,
        "quantity": None,
        "component_category": None,
        "part_number": None,
        "description": None,
    }
    if isinstance(item, Firearm):
        marking = item.import_marking
        values |= {
            "serial_state": item.serial_state.value,
            "firearm_type": item.type.value if item.type else None,
            "country_of_manufacture": item.country_of_manufacture,
            "import_marking_text": marking.text if marking else None,
            "import_marking_country": marking.country if marking else None,
            "import_marking_year": marking.year if marking else None,
            "other_markings": item.other_markings,
        }
    elif isinstance(item, Ammunition):
        values |= {"headstamp": item.headstamp, "quantity": item.quantity}
    else:
        values |= {
            "component_category": item.category.value,
            "part_number": item.part_number,
            "description": item.description,
        }
    return values


def identifier_operations(recovery: Recovery, items: Iterable[Item]) -> list[RowOperation]:
    """The rows of the items' readings: each with its derived keys (parents first)."""
    items = list(items)
    return [
        InsertRows(tables.item_identifiers, _identifier_values(recovery, items)),
        InsertRows(
            tables.identifier_deletions,
            _key_values(items, "variant", lambda reading: reading.deletion_variants),
        ),
        InsertRows(
            tables.identifier_transliterations,
            _key_values(items, "transliterated", filed_spellings),
        ),
        InsertRows(
            tables.identifier_anchors,
            _key_values(items, "anchor", lambda reading: reading.anchors),
        ),
    ]


def _identifier_values(recovery: Recovery, items: Iterable[Item]) -> list[dict[str, Any]]:
    return [
        {
            "item_id": item.id,
            "role": role.value,
            "recovery_id": recovery.id,
            "agency_id": recovery.agency_id,
            "raw": identifier.raw,
            "normalized": identifier.normalized,
            "skeleton": identifier.skeleton,
            "is_partial": identifier.is_partial,
            "reversed": identifier.reversed,
        }
        for item in items
        for role, identifier in item.identifiers()
    ]


def _key_values(
    items: Iterable[Item], column: str, keys: Callable[[Identifier], frozenset[str]]
) -> list[dict[str, Any]]:
    """Rows of a key table (deletion variants, transliterations, anchors): one per key."""
    return [
        {column: key, "item_id": item.id, "role": role.value}
        for item in items
        for role, identifier in item.identifiers()
        for key in sorted(keys(identifier))
    ]


def _correction_values(recovery_id: UUID, correction: Correction) -> dict[str, Any]:
    return {
        "recovery_id": recovery_id,
        "version": correction.version,
        "corrected_at": correction.corrected_at,
        "corrected_by": correction.corrected_by,
        "reason": correction.reason,
        "changes": [
            {"field": c.field, "before": c.before, "after": c.after} for c in correction.changes
        ],
    }


def recovery_from_rows(
    recovery: Row, items: Sequence[tuple[Row, Mapping[str, Row]]], corrections: Iterable[Row]
) -> Recovery:
    """A recovery from its row, its item rows (each with its identifier rows by role)
    and its correction rows."""
    return Recovery(
        id=recovery["id"],
        agency_id=recovery["agency_id"],
        case_reference=recovery["case_reference"],
        recovered_at=recovery["recovered_at"],
        location=Location(
            description=recovery["location_description"],
            country=recovery["location_country"],
            lat=recovery["location_lat"],
            lon=recovery["location_lon"],
        ),
        circumstances=Circumstances(recovery["circumstances"]),
        items=tuple(item_from_row(item, identifiers) for item, identifiers in items),
        version=recovery["version"],
        recorded_at=recovery["recorded_at"],
        recorded_by=recovery["recorded_by"],
        updated_at=recovery["updated_at"],
        reference_version=recovery["reference_version"],
        possessor=_possessor_from_row(recovery),
        corrections=tuple(_correction_from_row(row) for row in corrections),
    )


def identifier_from_row(row: Row) -> Identifier:
    return Identifier(raw=row["raw"], normalized=row["normalized"], skeleton=row["skeleton"])


def _resolution(raw: str | None, canonical: str | None) -> Resolution | None:
    return None if raw is None else Resolution(raw, canonical)


def item_from_row(row: Row, identifiers: Mapping[str, Row]) -> Item:
    def reading(role: IdentifierRole) -> Identifier | None:
        found = identifiers.get(role.value)
        return identifier_from_row(found) if found else None

    kind = ItemKind(row["kind"])
    if kind is ItemKind.FIREARM:
        has_marking = any(
            row[c] is not None
            for c in ("import_marking_text", "import_marking_country", "import_marking_year")
        )
        return Firearm(
            id=row["id"],
            make=_resolution(row["make_raw"], row["make_canonical"]),
            model=row["model"],
            calibre=_resolution(row["calibre_raw"], row["calibre_canonical"]),
            serial=reading(IdentifierRole.SERIAL),
            serial_state=SerialState(row["serial_state"]),
            type=FirearmType(row["firearm_type"]) if row["firearm_type"] else None,
            country_of_manufacture=row["country_of_manufacture"],
            import_marking=ImportMarking(
                text=row["import_marking_text"],
                country=row["import_marking_country"],
                year=row["import_marking_year"],
            )
            if has_marking
            else None,
            other_markings=row["other_markings"],
        )
    if kind is ItemKind.AMMUNITION:
        return Ammunition(
            id=row["id"],
            calibre=Resolution(row["calibre_raw"], row["calibre_canonical"]),
            headstamp=row["headstamp"],
            lot=reading(IdentifierRole.LOT),
            quantity=row["quantity"],
        )
    return Component(
        id=row["id"],
        category=ComponentCategory(row["component_category"]),
        manufacturer=_resolution(row["make_raw"], row["make_canonical"]),
        part_number=row["part_number"],
        serial=reading(IdentifierRole.SERIAL),
        lot=reading(IdentifierRole.LOT),
        description=row["description"],
    )


def _correction_from_row(row: Row) -> Correction:
    return Correction(
        version=row["version"],
        corrected_at=row["corrected_at"],
        corrected_by=row["corrected_by"],
        reason=row["reason"],
        changes=tuple(FieldChange(c["field"], c["before"], c["after"]) for c in row["changes"]),
    )
