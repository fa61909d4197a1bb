"""Reading .xlsx files as a stream (openpyxl's read-only mode parses the sheet as it goes).

The first row is the header. A formula cell is refused (its cached result may be stale
or absent, and evidence is what was entered, not computed); so is an error cell. Dates
arrive as the sheet typed them, without a zone: the mapping's time zone applies.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO, Final
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from service.adapters.tabular.mapping import ColumnMapping
from service.adapters.tabular.reading import unneutralised
from service.domain.import_fields import Cell
from service.domain.import_rows import RowProblem, SourceRow, UnreadableFile

_BROKEN = (zipfile.BadZipFile, zlib.error, ParseError, EOFError, KeyError, OSError)
# openpyxl holds the shared strings, and each cell's text, whole in memory: a part that
# expands far more than a spreadsheet's XML does (5 to 20 times) is a zip bomb, and the
# parts read whole (shared strings, styles) are bounded outright. A million rows fit well
# within both.
_MAX_EXPANSION: Final = 100
_EXPANSION_CHECKED_FROM: Final = 8 * 1024 * 1024  # bytes, expanded
_MAX_HELD: Final = 256 * 1024 * 1024


class XlsxRows:
    def __init__(self, path: Path, mapping: ColumnMapping) -> None:
        self._path = path
        self._mapping = mapping
        self._columns: dict[str, str] = {}
        self._size = 0
        self._rows_read = 0
        self._rows_total = 0

    @property
    def bytes_read(self) -> int:
        # The sheet is compressed: progress is told by rows, scaled to the file's size.
        if not self._rows_total:
            return 0
        return min(self._size, self._size * self._rows_read // self._rows_total)

    def column(self, field: str) -> str:
        return self._columns.get(field, field)

    def rows(self) -> Iterator[SourceRow | RowProblem]:
        try:
            self._size = self._path.stat().st_size
            # Opened here, not by name: openpyxl refuses names not ending in .xlsx, and
            # an upload is kept under its job's id.
            handle = self._path.open("rb")
        except OSError as error:
            raise UnreadableFile(f"cannot open the file: {error.strerror}") from None
        try:
            try:
                _refuse_bombs(handle)
                book = load_workbook(handle, read_only=True, data_only=False)
            except (InvalidFileException, *_BROKEN) as error:
                raise UnreadableFile(f"not a readable .xlsx file: {_reason(error)}") from None
            try:
                yield from self._sheet_rows(book)
            except _BROKEN as error:
                raise UnreadableFile(
                    f"the .xlsx file is truncated or corrupt: {_reason(error)}",
                    line=self._rows_read + 1,
                ) from None
            finally:
                book.close()
        finally:
            handle.close()

    def _sheet_rows(self, book: Any) -> Iterator[SourceRow | RowProblem]:
        name = self._mapping.sheet
        if name is not None and name not in book.sheetnames:
            raise UnreadableFile(f"no sheet {name!r}; the file has {', '.join(book.sheetnames)}")
        sheet = book[name] if name else book.worksheets[0]
        self._rows_total = sheet.max_row or 0
        rows = sheet.iter_rows()
        header_cells = next(rows, None)
        if header_cells is None:
            raise UnreadableFile("the sheet is empty: it has no header row")
        header = ["" if c.value is None else str(c.value) for c in header_cells]
        while header and not header[-1]:
            header.pop()  # a sheet's trailing empty columns are not columns
        fields = self._mapping.resolve(header)
        self._columns = {f: h for f, h in zip(fields, header, strict=True) if f is not None}
        for number, cells in enumerate(rows, start=2):
            self._rows_read = number
            yield from self._row(number, fields, header, cells)

    def _row(
        self, number: int, fields: list[str | None], header: list[str], cells: Any
    ) -> Iterator[SourceRow | RowProblem]:
        values: dict[str, Cell] = {}
        for position, cell in enumerate(cells):
            if cell.value is None:
                continue
            if position >= len(fields):
                yield RowProblem(
                    number, "", f"has a value beyond the header's {len(fields)} columns"
                )
                return
            name = fields[position]
            if name is None:
                continue
            if cell.data_type == "f":
                yield RowProblem(number, name, "is a formula: import its value (paste as values)")
                return
            if cell.data_type == "e":
                yield RowProblem(number, name, f"is a spreadsheet error ({cell.value})")
                return
            values[name] = self._mapping.translated(name, _cell(cell.value))
        if values:
            yield SourceRow(number, values)


def _refuse_bombs(handle: BinaryIO) -> None:
    with zipfile.ZipFile(handle) as archive:
        parts = archive.infolist()
        # Whatever is not a sheet is read whole (shared strings, styles), under any name.
        held = sum(p.file_size for p in parts if not p.filename.startswith("xl/worksheets/"))
        if held > _MAX_HELD:
            raise UnreadableFile(
                f"its shared strings and styles expand to {held // 2**20:,} MiB, more than "
                f"{_MAX_HELD // 2**20} MiB: save it as CSV and import that"
            )
        for part in parts:
            expanded = part.file_size
            if expanded > _EXPANSION_CHECKED_FROM and expanded > _MAX_EXPANSION * max(
                part.compress_size, 1
            ):
                raise UnreadableFile(
                    f"{part.filename} expands {expanded // max(part.compress_size, 1):,} times "
                    f"(to {expanded // 2**20:,} MiB); no spreadsheet compresses so well: "
                    "not read"
                )
    handle.seek(0)


def _cell(value: Any) -> Cell:
    if isinstance(value, str):
        text: str = unneutralised(value)
        return text
    if isinstance(value, datetime | date | int | float | bool):
        return value
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
