"""Writing recoveries in the import's columns, one row per item: CSV, NDJSON, .xlsx.

The recovery's id is its `recovery_key` and each item's id its `item_key`, so that the
file imports again into another database as the same recoveries. In CSV and .xlsx a text
cell starting with =, +, - or @ gets a leading apostrophe, so that no spreadsheet takes
it for a formula (an import takes the apostrophe off again); .xlsx cells are always text
or numbers, never formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import orjson
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from service.adapters.tabular.formulas import spreadsheet_safe
from service.domain.import_fields import FIELD_NAMES, FIELDS, Kind
from service.domain.items import Ammunition, Component, Firearm, Item
from service.domain.recovery import Recovery

COLUMNS: Final = FIELD_NAMES


def item_row(recovery: Recovery, item: Item) -> dict[str, Any]:
    """The import's fields of one item of a recovery, raw values as entered."""
    location, person = recovery.location, recovery.possessor
    row: dict[str, Any] = {
        "recovery_key": str(recovery.id),
        "case_reference": recovery.case_reference,
        "recovered_at": recovery.recovered_at.isoformat(),
        "location_description": location.description,
        "location_country": location.country,
        "location_lat": location.lat,
        "location_lon": location.lon,
        "circumstances": recovery.circumstances.value,
        "possessor_name": person.name if person else None,
        "possessor_born_on": person.born_on.isoformat() if person and person.born_on else None,
        "possessor_nationality": person.nationality if person else None,
        "possessor_document_number": person.document_number if person else None,
        "possessor_document_country": person.document_country if person else None,
        "item_key": str(item.id),
        "item_kind": item.kind.value,
    }
    if isinstance(item, Firearm):
        marking = item.import_marking
        row |= {
            "make": item.make.raw if item.make else None,
            "model": item.model,
            "calibre": item.calibre.raw if item.calibre else None,
            "serial": item.serial.raw if item.serial else None,
            "serial_state": item.serial_state.value,
            "firearm_type": item.type.value if item.type else None,
            "country_of_manufacture": item.country_of_manufacture,
            "import_marking_text": marking.text if marking else None,
            "import_marking_country": marking.country if marking else None,
            "import_marking_year": marking.year if marking else None,
            "other_markings": item.other_markings,
        }
    elif isinstance(item, Ammunition):
        row |= {
            "calibre": item.calibre.raw,
            "headstamp": item.headstamp,
            "lot": item.lot.raw if item.lot else None,
            "quantity": item.quantity,
        }
    elif isinstance(item, Component):
        row |= {
            "component_category": item.category.value,
            "make": item.manufacturer.raw if item.manufacturer else None,
            "part_number": item.part_number,
            "serial": item.serial.raw if item.serial else None,
            "lot": item.lot.raw if item.lot else None,
            "description": item.description,
        }
    return {name: row.get(name) for name in COLUMNS}


def rows_of(recoveries: Iterable[Recovery]) -> Iterable[dict[str, Any]]:
    for recovery in recoveries:
        for item in recovery.items:
            yield item_row(recovery, item)


def neutralised(name: str, value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula, made plain text."""
    if FIELDS[name].kind is Kind.TEXT:
        return spreadsheet_safe(value)
    return value


class CsvExport:
    """CSV text, a chunk per call: the header first."""

    def header(self) -> str:
        return self._line(list(COLUMNS))

    def chunk(self, rows: Iterable[dict[str, Any]]) -> str:
        return "".join(
            self._line(["" if v is None else neutralised(n, v) for n, v in row.items()])
            for row in rows
        )

    @staticmethod
    def _line(cells: list[Any]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(cells)
        return buffer.getvalue()


class NdjsonExport:
    def header(self) -> str:
        return ""

    def chunk(self, rows: Iterable[dict[str, Any]]) -> str:
        return "".join(
            orjson.dumps({n: v for n, v in row.items() if v is not None}).decode() + "\n"
            for row in rows
        )


class XlsxExport:
    """A workbook written row by row to a file (openpyxl's write-only mode)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("recoveries")
        self._sheet.append(list(COLUMNS))

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self._sheet.append([self._cell(n, v) for n, v in row.items()])

    def _cell(self, name: str, value: Any) -> Any:
        if value is None or not isinstance(value, str):
            return value
        cell = WriteOnlyCell(self._sheet, value=neutralised(name, value))
        cell.data_type = "s"  # text, whatever it looks like: never a formula
        return cell

    def close(self) -> None:
        self._book.save(self._path)
