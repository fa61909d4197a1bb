"""Reading import files as streams: CSV and NDJSON here, .xlsx in `xlsx`.

Nothing holds more than a line: lines are read with a bound (a 2 GB line costs 1 MiB of
memory and is reported, not read), and rows are handed on one by one. Text that is not in
the file's encoding rejects only the rows holding it. A byte-order mark says the encoding
(UTF-8, or UTF-16 from a spreadsheet's "Unicode text"); otherwise UTF-8, or the mapping's.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

from service.adapters.tabular.formulas import as_written
from service.adapters.tabular.mapping import ColumnMapping
from service.domain.import_fields import Cell
from service.domain.import_rows import RowProblem, SourceRow, UnreadableFile
from service.domain.imports import ImportFormat

MAX_LINE: Final = 1024 * 1024  # characters
_TOO_LONG: Final = f"longer than {MAX_LINE // 1024} KiB characters: not read"
_NOT_DECODED: Final = (
    "holds bytes that are not {encoding} text (name the file's encoding in the mapping, "
    'for example encoding = "latin-1")'
)
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def import_format(name: str) -> ImportFormat:
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return ImportFormat.CSV
    if suffix in (".ndjson", ".jsonl"):
        return ImportFormat.NDJSON
    if suffix == ".xlsx":
        return ImportFormat.XLSX
    raise UnreadableFile(f"cannot tell the format of {name!r}: .csv, .ndjson or .xlsx")


def unneutralised(value: Any) -> Any:
    """A leading apostrophe an export put before formula-like text (so that no
    spreadsheet runs it) is the export's, not the value's."""
    return as_written(value)


class _Counting(io.RawIOBase):
    """A binary file that tells how many bytes were read from it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


class BoundedLines:
    """Text lines of a file, each cut at MAX_LINE characters; numbers from 1; the lines
    that were too long or not decodable are remembered by number."""

    def __init__(self, path: Path, encoding: str | None) -> None:
        try:
            self._file = path.open("rb")
        except OSError as error:
            raise UnreadableFile(f"cannot open the file: {error.strerror}") from None
        self._counter = _Counting(self._file)
        head = self._file.read(4)
        self._file.seek(0)
        detected = next((name for bom, name in _BOMS if head.startswith(bom)), None)
        self.encoding = detected or encoding or "utf-8"
        buffered = io.BufferedReader(self._counter, buffer_size=1 << 20)
        if detected:
            buffered.read(len(next(bom for bom, name in _BOMS if name == detected)))
        self._text = io.TextIOWrapper(
            buffered, encoding=self.encoding, errors="surrogateescape", newline=""
        )
        self.number = 0
        self.too_long: set[int] = set()
        self.undecoded: set[int] = set()

    @property
    def bytes_read(self) -> int:
        return self._counter.count

    def __iter__(self) -> Iterator[str]:
        try:
            while True:
                line = self._text.readline(MAX_LINE)
                if not line:
                    return
                self.number += 1
                if len(line) == MAX_LINE and not line.endswith("\n"):
                    self.too_long.add(self.number)
                    while True:  # skip to the end of the line without keeping it
                        rest = self._text.readline(MAX_LINE)
                        if not rest or rest.endswith("\n"):
                            break
                    line = "\n"
                elif _undecoded(line):
                    self.undecoded.add(self.number)
                yield line
        except UnicodeError as error:  # UTF-16 with an odd byte count: truncated
            raise UnreadableFile(f"not {self.encoding} text: {error}", line=self.number) from None
        finally:
            self._file.close()


def _undecoded(text: str) -> bool:
    return not text.isascii() and any(0xDC80 <= ord(char) <= 0xDCFF for char in text)


class _TextRows:
    """What the row sources of text files share: the file read line by line, bounded,
    and the file's own names of the columns, for reports."""

    def __init__(self, path: Path, mapping: ColumnMapping) -> None:
        self._path = path
        self._mapping = mapping
        self._lines: BoundedLines | None = None
        self._columns: dict[str, str] = {}

    @property
    def bytes_read(self) -> int:
        return self._lines.bytes_read if self._lines else 0

    def column(self, field: str) -> str:
        return self._columns.get(field, field)


class CsvRows(_TextRows):
    """RowSource of a CSV file with a header row. A quoted field may hold line breaks;
    a row is reported at the line it starts on."""

    def rows(self) -> Iterator[SourceRow | RowProblem]:
        lines = self._lines = BoundedLines(self._path, self._mapping.encoding)
        iterator = iter(lines)
        first = next(iterator, None)
        if first is None:
            raise UnreadableFile("the file is empty: it has no header row")
        if lines.too_long or lines.undecoded:
            raise UnreadableFile(
                _NOT_DECODED.format(encoding=lines.encoding)
                if lines.undecoded
                else f"the header is {_TOO_LONG}",
                line=1,
            )
        delimiter = self._mapping.delimiter or _delimiter(first)
        csv.field_size_limit(MAX_LINE)
        header = next(csv.reader([first], delimiter=delimiter), [])
        fields = self._mapping.resolve(header)
        self._columns = {f: h for f, h in zip(fields, header, strict=True) if f is not None}
        reader = csv.reader(iterator, delimiter=delimiter)
        end = 1
        while True:
            start = end + 1
            try:
                cells = next(reader, None)
            except csv.Error as error:
                end = lines.number
                yield RowProblem(start, "", f"not a CSV row: {error}")
                continue
            if cells is None:
                return
            end = lines.number
            problem = self._problem(lines, start, end, cells, len(header))
            if problem is not None:
                yield problem
            elif any(cell.strip() for cell in cells):
                yield SourceRow(start, self._cells(fields, cells))

    def _problem(
        self, lines: BoundedLines, start: int, end: int, cells: list[str], width: int
    ) -> RowProblem | None:
        for number in range(start, end + 1):
            if number in lines.too_long:
                return RowProblem(start, "", f"line {number} is {_TOO_LONG}")
            if number in lines.undecoded:
                return RowProblem(start, "", _NOT_DECODED.format(encoding=lines.encoding))
        if cells and len(cells) != width:
            if end > start:  # every line the row took in is named: none goes unreported
                return RowProblem(
                    start,
                    "",
                    f"lines {start} to {end} were read as one row of {len(cells)} cells (the "
                    f"header has {width}): a quote opened on line {start} is not closed where "
                    "it should be; none of these lines was imported",
                )
            return RowProblem(start, "", f"has {len(cells)} cells; the header has {width}")
        return None

    def _cells(self, fields: list[str | None], cells: list[str]) -> dict[str, Cell]:
        return {
            name: self._mapping.translated(name, unneutralised(cell))
            for name, cell in zip(fields, cells, strict=True)
            if name is not None
        }


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


class NdjsonRows(_TextRows):
    """RowSource of NDJSON: one JSON object per line, its keys the file's columns."""

    def rows(self) -> Iterator[SourceRow | RowProblem]:
        lines = self._lines = BoundedLines(self._path, self._mapping.encoding)
        for line in lines:
            number = lines.number
            if number in lines.too_long:
                yield RowProblem(number, "", f"the line is {_TOO_LONG}")
                continue
            if number in lines.undecoded:
                yield RowProblem(number, "", _NOT_DECODED.format(encoding=lines.encoding))
                continue
            if not line.strip():
                continue
            yield self._row(number, line)

    def _row(self, number: int, line: str) -> SourceRow | RowProblem:
        try:
            # Members as the line gives them: a parser's dict keeps the last of two
            # members of one name, and the row would silently say only one of them.
            document = json.loads(line, object_pairs_hook=_Members)
        except json.JSONDecodeError as error:
            return RowProblem(number, "", f"not JSON: {error.msg} at column {error.colno}")
        except RecursionError:
            return RowProblem(number, "", "not a row: JSON nested too deeply")
        if not isinstance(document, _Members):
            return RowProblem(number, "", "not a JSON object")
        cells: dict[str, Cell] = {}
        given: dict[str, str] = {}
        for key, value in document:
            try:
                name = self._mapping.field_of(key)
            except UnreadableFile as unknown:
                return RowProblem(number, key, unknown.detail)
            if name is None:
                continue
            if name in given:
                same = (
                    "is given twice"
                    if given[name] == key
                    else f"gives {name} as {given[name]!r} does"
                )
                return RowProblem(number, key, f"{same}: which one is meant?")
            given[name] = key
            if isinstance(value, _Members | list):
                return RowProblem(number, key, "must be a single value, not an object or list")
            self._columns.setdefault(name, key)
            cells[name] = self._mapping.translated(name, value)
        return SourceRow(number, cells)


class _Members(list[tuple[str, Any]]):
    """A JSON object's members in the order given, names repeated or not."""
