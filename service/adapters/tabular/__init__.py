"""Files of recoveries: reading imports (CSV, NDJSON, .xlsx) as streams, with a column
mapping, and writing exports in the same columns, so that an export imports again."""

from __future__ import annotations

from pathlib import Path

from service.adapters.tabular.mapping import ColumnMapping
from service.adapters.tabular.reading import CsvRows, NdjsonRows
from service.adapters.tabular.xlsx import XlsxRows
from service.domain.imports import ImportFormat
from service.domain.ports.imports import RowSource


def open_rows(path: Path, format: ImportFormat, mapping: ColumnMapping) -> RowSource:
    """The file's rows, read when iterated (each call reads the file afresh)."""
    if format is ImportFormat.CSV:
        return CsvRows(path, mapping)
    if format is ImportFormat.NDJSON:
        return NdjsonRows(path, mapping)
    return XlsxRows(path, mapping)
