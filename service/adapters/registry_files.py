"""Registry files: NDJSON (one JSON object per line) or CSV with a header row.

Fields: reference, status, serial, make, model, calibre, country, recorded_on
(YYYY-MM-DD); in NDJSON `details` is an object of text values, in CSV every other
column is a detail. Each line is validated on its own; a bad line is reported with its
number and field and never stops the good ones.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from service.adapters.tabular.reading import BoundedLines
from service.domain.errors import FieldProblem, ValidationFailed
from service.domain.reference import ReferenceCatalogue
from service.domain.registry import RegistryRecord, RegistryRecordReport

FIELDS: Final = ("reference", "status", "serial", "make", "model", "calibre", "country")


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    field: str
    detail: str


@dataclass
class RegistryFile:
    """What a file held: the valid records, and a problem for each line refused."""

    records: list[RegistryRecord] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    lines: int = 0


def read_registry_file(path: Path, *, registry: str, catalogue: ReferenceCatalogue) -> RegistryFile:
    """The whole file at once: for a registry held in memory."""
    result = RegistryFile()
    reading = RegistryLines(path, registry=registry, catalogue=catalogue)
    for entry in reading:
        if isinstance(entry, LineProblem):
            result.problems.append(entry)
        else:
            result.records.append(entry)
    result.lines = reading.lines
    return result


class RegistryLines:
    """The file's records and refused lines, read as a stream (lines bounded, as for
    imports of recoveries): iterate once; `lines` and `bytes_read` tell how far."""

    def __init__(self, path: Path, *, registry: str, catalogue: ReferenceCatalogue) -> None:
        self._path = path
        self._registry = registry
        self._catalogue = catalogue
        self._text: BoundedLines | None = None
        self.lines = 0

    @property
    def bytes_read(self) -> int:
        return self._text.bytes_read if self._text else 0

    def __iter__(self) -> Iterator[RegistryRecord | LineProblem]:
        # Bytes that are not UTF-8 are kept apart (as lone surrogates), so that only the
        # lines holding them are refused, each with its number.
        text = self._text = BoundedLines(self._path, "utf-8")
        csv_file = self._path.suffix.lower() == ".csv"
        rows = _csv_rows(text) if csv_file else _ndjson_rows(text)
        seen: dict[str, int] = {}
        for line, row in rows:
            self.lines += 1
            if not isinstance(row, FieldProblem) and _not_utf8(row):
                row = FieldProblem("", "not UTF-8 text")
            if isinstance(row, FieldProblem):
                yield LineProblem(line, row.field, row.detail)
                continue
            try:
                record = RegistryRecord.read(
                    _report(row), registry=self._registry, catalogue=self._catalogue
                )
            except ValidationFailed as failed:
                for p in failed.problems:
                    yield LineProblem(line, p.field, p.detail)
                continue
            except _Unreadable as problem:
                yield LineProblem(line, problem.field, problem.detail)
                continue
            if record.reference in seen:
                detail = f"the same reference as line {seen[record.reference]}"
                yield LineProblem(line, "reference", detail)
                continue
            seen[record.reference] = line
            yield record
        # Lines too long to read were passed over as empty: reported last.
        for line in sorted(text.too_long):
            self.lines += 1
            yield LineProblem(line, "", "the line is longer than 1024 KiB characters: not read")


def _not_utf8(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xDC80 <= ord(char) <= 0xDCFF for char in value)
    if isinstance(value, dict):
        return any(_not_utf8(k) or _not_utf8(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_not_utf8(v) for v in value)
    return False


class _Unreadable(Exception):
    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def _report(row: dict[str, Any]) -> RegistryRecordReport:
    for name in FIELDS:
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            raise _Unreadable(name, "must be text")
    for required in ("reference", "status", "serial"):
        if not row.get(required):
            raise _Unreadable(required, "is required")
    recorded_on = row.get("recorded_on")
    if recorded_on:
        try:
            recorded = date.fromisoformat(str(recorded_on))
        except ValueError:
            raise _Unreadable("recorded_on", "must be a date, YYYY-MM-DD") from None
    else:
        recorded = None
    details = row.get("details") or {}
    if not isinstance(details, dict) or not all(isinstance(v, str) for v in details.values()):
        raise _Unreadable("details", "must be an object of text values")
    return RegistryRecordReport(
        reference=row["reference"],
        status=row["status"],
        serial=row["serial"],
        make=row.get("make") or None,
        model=row.get("model") or None,
        calibre=row.get("calibre") or None,
        country=row.get("country") or None,
        recorded_on=recorded,
        details=details,
    )


def _ndjson_rows(lines: BoundedLines) -> Iterator[tuple[int, dict[str, Any] | FieldProblem]]:
    for line in lines:
        number = lines.number
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, FieldProblem("", f"not JSON: {error.msg}")
            continue
        except RecursionError:
            yield number, FieldProblem("", "not a record: JSON nested too deeply")
            continue
        if not isinstance(row, dict):
            yield number, FieldProblem("", "must be a JSON object")
            continue
        yield number, row


def _csv_rows(lines: BoundedLines) -> Iterator[tuple[int, dict[str, Any] | FieldProblem]]:
    reader = csv.DictReader(iter(lines))
    for row in reader:
        known = {name: row.get(name) for name in (*FIELDS, "recorded_on")}
        details = {
            key: value
            for key, value in row.items()
            if key is not None and key not in known and value not in (None, "")
        }
        yield reader.line_num, {**known, "details": details}
