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
from datetime import UTC, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.domain.errors import InvalidValue, ValidationFailed
from service.domain.import_fields import (
    FIELD_NAMES,
    FIELDS,
    REQUIRED,
    ReadingRules,
    check_translation,
)
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
    """A mapping from its TOML text; every problem is reported at once, with its key:
    a setting of the wrong type, and a value translated into one its field does not take,
    as much as an unknown setting or field."""
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
        if not isinstance(name, str) or name not in FIELD_NAMES:
            problems.append(InvalidValue(f"mapping.columns.{column}", f"{name!r} is no field"))
    rules = _rules(document, problems)
    values = _values(document, rules, problems)
    ignore = _texts(document, "ignore", "must be a list of column names", problems)
    delimiter = _text(document, "delimiter", "must be one character", problems)
    if delimiter is not None and len(delimiter) != 1:
        problems.append(InvalidValue("mapping.delimiter", "must be one character"))
    encoding = _text(document, "encoding", "is not a known encoding", problems)
    if encoding is not None:
        try:
            "".encode(encoding)
        except LookupError:
            problems.append(InvalidValue("mapping.encoding", "is not a known encoding"))
    sheet = _text(document, "sheet", "must be the name of a sheet", problems)
    if problems:
        raise ValidationFailed.of(*problems)
    return ColumnMapping(
        columns={str(k): str(v) for k, v in columns.items()},
        ignore=frozenset(ignore),
        values=values,
        rules=rules,
        encoding=encoding or None,
        delimiter=delimiter,
        sheet=sheet,
    )


def _rules(document: Mapping[str, Any], problems: list[InvalidValue]) -> ReadingRules:
    """How cells are read: each setting its own type, or a problem (and its default)."""
    zone = None
    name = _text(document, "time_zone", "is not an IANA time zone", problems)
    if name is not None:
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(InvalidValue("mapping.time_zone", "is not an IANA time zone"))
    formats = _texts(document, "date_formats", "must be a list of formats", problems)
    for layout in formats:
        if not _reads_dates(layout):
            problems.append(
                InvalidValue(
                    "mapping.date_formats",
                    f"{layout!r} is not a date format (write it as %d/%m/%Y %H:%M and the like)",
                )
            )
    decimal_comma = document.get("decimal_comma", False)
    if not isinstance(decimal_comma, bool):
        # TOML's true or false: the text "false" would otherwise read as true.
        problems.append(InvalidValue("mapping.decimal_comma", "must be true or false"))
        decimal_comma = False
    return ReadingRules(time_zone=zone, date_formats=tuple(formats), decimal_comma=decimal_comma)


def _values(
    document: Mapping[str, Any], rules: ReadingRules, problems: list[InvalidValue]
) -> dict[str, dict[str, str]]:
    """Each field's values as written -> as tracedesk names them, every one checked as a
    cell of the field (`check_translation`): a value no row could hold is refused here,
    not in every row that has it."""
    values: dict[str, dict[str, str]] = {}
    for name, table in _table(document, "values", problems).items():
        if name not in FIELD_NAMES or not isinstance(table, dict):
            problems.append(InvalidValue(f"mapping.values.{name}", "must be a field's table"))
            continue
        values[name] = {}
        for written, meant in table.items():
            path = f"mapping.values.{name}.{written}"
            if not isinstance(meant, str):
                problems.append(InvalidValue(path, "must be text, the value as tracedesk names it"))
                continue
            try:
                check_translation(FIELDS[name], meant, rules)
            except InvalidValue as wrong:
                problems.append(InvalidValue(path, wrong.detail))
                continue
            values[name][written] = meant
    return values


def _reads_dates(layout: str) -> bool:
    """Whether a format reads what it writes: one without a directive reads no date, and
    one with a directive strptime does not know reads nothing."""
    if "%" not in layout:
        return False
    sample = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
    try:
        datetime.strptime(sample.strftime(layout), layout)
    except ValueError:
        return False
    return True


def _text(
    document: Mapping[str, Any], key: str, wrong: str, problems: list[InvalidValue]
) -> str | None:
    """A setting that is text, if given."""
    value = document.get(key)
    if value is not None and not isinstance(value, str):
        problems.append(InvalidValue(f"mapping.{key}", wrong))
        return None
    return value


def _texts(
    document: Mapping[str, Any], key: str, wrong: str, problems: list[InvalidValue]
) -> list[str]:
    """A setting that is a list of texts, if given."""
    value = document.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(InvalidValue(f"mapping.{key}", wrong))
        return []
    return value


def _table(document: Mapping[str, Any], key: str, problems: list[InvalidValue]) -> dict[str, Any]:
    table = document.get(key, {})
    if not isinstance(table, dict):
        problems.append(InvalidValue(f"mapping.{key}", "must be a table"))
        return {}
    return table
