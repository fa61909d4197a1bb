"""Column mappings: which of a file's columns holds which field, and how to read cells.

By default a column named as a field (in any case, spaces around ignored) holds that
field. A mapping file (TOML) names an agency's own columns, in its own language, and how
its values are written:

    encoding = "latin-1"            # CSV and NDJSON; UTF-8 by default, a BOM always wins
    delimiter = ";"                 # CSV; by default guessed from the header: , ; or tab
    time_zone = "Europe/Paris"      # for times written without an offset
    date_formats = ["%d/%m/%Y %H:%M", "%d/%m/%Y"]
    decimal_comma = true            # 48,85 is 48.85
    sheet = "Saisies"               # .xlsx; the first sheet by default
    ignore = ["Remarques"]          # columns present but not imported

    [columns]                       # the file's column = the field
    "N° de dossier" = "case_reference"
    "Date de saisie" = "recovered_at"

    [values.circumstances]          # a field's values as written = as tracedesk names them
    "Saisie" = "seizure"
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.domain.errors import InvalidValue, ValidationFailed
from service.domain.import_fields import FIELD_NAMES, REQUIRED, ReadingRules
from service.domain.import_rows import UnreadableFile

MAX_MAPPING_BYTES: Final = 64 * 1024
_KNOWN_KEYS: Final = frozenset(
    {
        "encoding",
        "delimiter",
        "time_zone",
        "date_formats",
        "decimal_comma",
        "sheet",
        "ignore",
        "columns",
        "values",
    }
)


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    columns: Mapping[str, str] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    rules: ReadingRules = ReadingRules()
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    def resolve(self, headers: Sequence[str]) -> list[str | None]:
        """The field of each column (None: ignored); a column that is neither a field,
        mapped, nor ignored, a field held twice, or a required field missing makes the
        file unreadable, with what to do about it."""
        fields: list[str | None] = []
        seen: dict[str, str] = {}
        for header in headers:
            name = self.field_of(header)
            if name is None:
                fields.append(None)
                continue
            if name in seen:
                raise UnreadableFile(
                    f"columns {seen[name]!r} and {header!r} both hold {name}", line=1
                )
            seen[name] = header
            fields.append(name)
        missing = sorted(REQUIRED - set(seen))
        if missing:
            raise UnreadableFile(
                f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
                "(name the file's columns in a mapping file if they are called otherwise)",
                line=1,
            )
        return fields

    def field_of(self, header: str) -> str | None:
        if header in self.columns:
            return self.columns[header]
        if header in self.ignore:
            return None
        plain = header.strip().lower()
        if plain in FIELD_NAMES:
            return plain
        if not plain:
            raise UnreadableFile("a column has no name in the header", line=1)
        close = difflib.get_close_matches(plain, FIELD_NAMES, n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnreadableFile(
            f"unknown column {header!r}{hint}: name it in a mapping file, or ignore it there",
            line=1,
        )

    def translated(self, name: str, value: Any) -> Any:
        """A value as tracedesk names it, when the mapping translates it."""
        table = self.values.get(name)
        if table and isinstance(value, str):
            return table.get(value.strip(), value)
        return value


def read_mapping(text: str) -> ColumnMapping:
    """A mapping from its TOML text; every problem is reported at once, with its key."""
    if len(text.encode()) > MAX_MAPPING_BYTES:
        raise ValidationFailed.of(InvalidValue("mapping", "must be at most 64 KiB"))
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValidationFailed.of(InvalidValue("mapping", f"is not TOML: {error}")) from None
    except RecursionError:
        raise ValidationFailed.of(InvalidValue("mapping", "is nested too deeply")) from None
    problems: list[InvalidValue] = []
    for key in sorted(set(document) - _KNOWN_KEYS):
        problems.append(InvalidValue(f"mapping.{key}", "is not a setting of a mapping"))
    columns = _table(document, "columns", problems)
    for column, name in columns.items():
        if name not in FIELD_NAMES:
            problems.append(InvalidValue(f"mapping.columns.{column}", f"{name!r} is no field"))
    values: dict[str, dict[str, str]] = {}
    for name, table in _table(document, "values", problems).items():
        if name not in FIELD_NAMES or not isinstance(table, dict):
            problems.append(InvalidValue(f"mapping.values.{name}", "must be a field's table"))
            continue
        values[name] = {str(k): str(v) for k, v in table.items()}
    zone = None
    if "time_zone" in document:
        try:
            zone = ZoneInfo(str(document["time_zone"]))
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(InvalidValue("mapping.time_zone", "is not an IANA time zone"))
    formats = document.get("date_formats", [])
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        problems.append(InvalidValue("mapping.date_formats", "must be a list of formats"))
        formats = []
    ignore = document.get("ignore", [])
    if not isinstance(ignore, list):
        problems.append(InvalidValue("mapping.ignore", "must be a list of column names"))
        ignore = []
    delimiter = document.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        problems.append(InvalidValue("mapping.delimiter", "must be one character"))
    encoding = document.get("encoding")
    if encoding is not None:
        try:
            "".encode(str(encoding))
        except LookupError:
            problems.append(InvalidValue("mapping.encoding", "is not a known encoding"))
    if problems:
        raise ValidationFailed.of(*problems)
    return ColumnMapping(
        columns={str(k): str(v) for k, v in columns.items()},
        ignore=frozenset(str(c) for c in ignore),
        values=values,
        rules=ReadingRules(
            time_zone=zone,
            date_formats=tuple(formats),
            decimal_comma=bool(document.get("decimal_comma", False)),
        ),
        encoding=str(encoding) if encoding else None,
        delimiter=delimiter,
        sheet=str(document["sheet"]) if "sheet" in document else None,
    )


def _table(document: Mapping[str, Any], key: str, problems: list[InvalidValue]) -> dict[str, Any]:
    table = document.get(key, {})
    if not isinstance(table, dict):
        problems.append(InvalidValue(f"mapping.{key}", "must be a table"))
        return {}
    return table
