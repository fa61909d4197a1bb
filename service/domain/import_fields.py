"""The fields of an import row: one row is one item, and the recovery it belongs to.

A file's columns are mapped to these names (by default a column carries the field's own
name). Cells arrive as the file holds them: text from CSV, JSON values from NDJSON, typed
cells from a spreadsheet. Each field says how its cell becomes the value the domain's
rules then check, with the same rules as the API, and says what is wrong when it cannot.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from enum import StrEnum
from typing import Final

from service.domain.choices import choose
from service.domain.errors import InvalidValue
from service.domain.geography import check_country
from service.domain.items import ComponentCategory, FirearmType, ItemKind, SerialState
from service.domain.moments import FINER_THAN_STORED, finer_than_stored, in_zone
from service.domain.recovery import Circumstances

# A cell as a reader hands it over.
Cell = str | int | float | bool | datetime | date | None


class Level(StrEnum):
    RECOVERY = "recovery"  # the same in every row of a recovery (or left empty)
    ITEM = "item"  # the row's own


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    WHOLE = "whole number"
    MOMENT = "moment"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    level: Level
    kind: Kind = Kind.TEXT
    required: bool = False
    # Where the domain reports a problem with it, under the recovery or under an item.
    path: str = ""


_FIELDS: Final = (
    Field("recovery_key", Level.RECOVERY, required=True),
    Field("case_reference", Level.RECOVERY, required=True, path="case_reference"),
    Field("recovered_at", Level.RECOVERY, Kind.MOMENT, required=True, path="recovered_at"),
    Field("location_description", Level.RECOVERY, required=True, path="location.description"),
    Field("location_country", Level.RECOVERY, required=True, path="location.country"),
    Field("location_lat", Level.RECOVERY, Kind.NUMBER, path="location.lat"),
    Field("location_lon", Level.RECOVERY, Kind.NUMBER, path="location.lon"),
    Field("circumstances", Level.RECOVERY, required=True, path="circumstances"),
    Field("possessor_name", Level.RECOVERY, path="possessor.name"),
    Field("possessor_born_on", Level.RECOVERY, Kind.DAY, path="possessor.born_on"),
    Field("possessor_nationality", Level.RECOVERY, path="possessor.nationality"),
    Field("possessor_document_number", Level.RECOVERY, path="possessor.document_number"),
    Field("possessor_document_country", Level.RECOVERY, path="possessor.document_country"),
    Field("item_key", Level.ITEM),
    Field("item_kind", Level.ITEM, path="kind"),
    # The maker: a firearm's make, a component's manufacturer.
    Field("make", Level.ITEM, path="make"),
    Field("model", Level.ITEM, path="model"),
    Field("calibre", Level.ITEM, path="calibre"),
    Field("serial", Level.ITEM, path="serial"),
    Field("serial_state", Level.ITEM, path="serial_state"),
    Field("firearm_type", Level.ITEM, path="type"),
    Field("country_of_manufacture", Level.ITEM, path="country_of_manufacture"),
    Field("import_marking_text", Level.ITEM, path="import_marking.text"),
    Field("import_marking_country", Level.ITEM, path="import_marking.country"),
    Field("import_marking_year", Level.ITEM, Kind.WHOLE, path="import_marking.year"),
    Field("other_markings", Level.ITEM, path="other_markings"),
    Field("headstamp", Level.ITEM, path="headstamp"),
    Field("lot", Level.ITEM, path="lot"),
    Field("quantity", Level.ITEM, Kind.WHOLE, path="quantity"),
    Field("component_category", Level.ITEM, path="category"),
    Field("part_number", Level.ITEM, path="part_number"),
    Field("description", Level.ITEM, path="description"),
)

FIELDS: Final[Mapping[str, Field]] = {f.name: f for f in _FIELDS}
FIELD_NAMES: Final[Sequence[str]] = tuple(f.name for f in _FIELDS)
REQUIRED: Final = frozenset(f.name for f in _FIELDS if f.required)
RECOVERY_FIELDS: Final = tuple(f.name for f in _FIELDS if f.level is Level.RECOVERY)
ITEM_FIELDS: Final = tuple(f.name for f in _FIELDS if f.level is Level.ITEM)
# Under a recovery and under an item, the domain's path of a problem -> the field.
FIELD_AT_RECOVERY_PATH: Final = {
    f.path: f.name for f in _FIELDS if f.level is Level.RECOVERY and f.path
}
FIELD_AT_ITEM_PATH: Final = {f.path: f.name for f in _FIELDS if f.level is Level.ITEM and f.path}
FIELD_AT_ITEM_PATH["manufacturer"] = "make"


# Fields whose values are one of a fixed set, and those that hold a country's code.
CHOICES: Final[Mapping[str, type[StrEnum]]] = {
    "circumstances": Circumstances,
    "item_kind": ItemKind,
    "serial_state": SerialState,
    "firearm_type": FirearmType,
    "component_category": ComponentCategory,
}
COUNTRY_FIELDS: Final = frozenset(
    {
        "location_country",
        "possessor_nationality",
        "possessor_document_country",
        "country_of_manufacture",
        "import_marking_country",
    }
)


@dataclass(frozen=True, slots=True)
class ReadingRules:
    """How cells that do not say everything are read: the zone of times written without
    one, the formats of dates that are not ISO 8601, the decimal separator."""

    time_zone: tzinfo | None = None
    date_formats: tuple[str, ...] = ()
    decimal_comma: bool = False


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NO_ZONE: Final = (
    "gives no time zone: write it with its offset (2024-03-01T14:30:00+01:00 or ...Z), "
    "or name the file's zone (time_zone in the mapping file)"
)


def read_cell(field: Field, cell: Cell, rules: ReadingRules) -> object:
    """The value of a cell for its field (None when empty), or InvalidValue naming the
    field. Text is kept exactly as written; only a cell of nothing but spaces is empty."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if field.kind is Kind.TEXT:
        return _text(field.name, cell)
    if field.kind is Kind.NUMBER:
        return _number(field.name, cell, rules)
    if field.kind is Kind.WHOLE:
        return _whole(field.name, cell)
    if field.kind is Kind.DAY:
        return _day(field.name, cell, rules)
    return _moment(field.name, cell, rules)


def _text(name: str, cell: Cell) -> str:
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        raise InvalidValue(name, "must be text, not true or false")
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        # A spreadsheet keeps "12345" typed in a number cell as 12345.0.
        if cell.is_integer():
            return str(int(cell))
        return repr(cell)
    raise InvalidValue(name, "must be text, not a date")


def _number(name: str, cell: Cell, rules: ReadingRules) -> float:
    if isinstance(cell, bool) or isinstance(cell, datetime | date):
        raise InvalidValue(name, "must be a number")
    if isinstance(cell, int | float):
        value = float(cell)
    elif isinstance(cell, str):
        text = cell.strip()
        if rules.decimal_comma:
            text = text.replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            raise InvalidValue(name, f"must be a number, not {cell!r}") from None
    else:
        raise InvalidValue(name, "must be a number")
    if not math.isfinite(value):
        raise InvalidValue(name, "must be a finite number")
    return value


def _whole(name: str, cell: Cell) -> int:
    if isinstance(cell, bool) or isinstance(cell, datetime | date):
        raise InvalidValue(name, "must be a whole number")
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        if cell.is_integer():
            return int(cell)
        raise InvalidValue(name, "must be a whole number")
    if cell is None:
        raise InvalidValue(name, "must be a whole number")
    text = cell.strip()
    if not re.fullmatch(r"[+-]?\d{1,12}", text):
        raise InvalidValue(name, f"must be a whole number, not {cell!r}")
    return int(text)


def _moment(name: str, cell: Cell, rules: ReadingRules) -> datetime:
    if isinstance(cell, datetime):
        moment = cell
    elif isinstance(cell, date):
        moment = datetime.combine(cell, time())
    elif isinstance(cell, str):
        moment = _parsed(name, cell.strip(), rules, "a date and time")
    else:
        raise InvalidValue(name, "must be a date and time")
    if moment.tzinfo is None:
        if rules.time_zone is None:
            raise InvalidValue(name, NO_ZONE)
        moment = in_zone(moment, rules.time_zone, name)
    return moment


def _day(name: str, cell: Cell, rules: ReadingRules) -> date:
    if isinstance(cell, datetime):
        if cell.time() != time():
            raise InvalidValue(name, "must be a date without a time")
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, str):
        text = cell.strip()
        if _ISO_DAY.match(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise InvalidValue(name, f"{text!r} is not a date") from None
        parsed = _parsed(name, text, rules, "a date")
        if parsed.time() != time() or parsed.tzinfo is not None:
            raise InvalidValue(name, "must be a date without a time")
        return parsed.date()
    raise InvalidValue(name, "must be a date, YYYY-MM-DD")


def _parsed(name: str, text: str, rules: ReadingRules, what: str) -> datetime:
    """ISO 8601 first, then each of the mapping's formats in order."""
    if finer_than_stored(text):
        raise InvalidValue(name, FINER_THAN_STORED)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for layout in rules.date_formats:
        try:
            return datetime.strptime(text, layout)  # noqa: DTZ007 - the zone is applied after
        except ValueError:
            continue
    formats = ", ".join(rules.date_formats) or "none given"
    raise InvalidValue(
        name, f"{text!r} is not {what} in ISO 8601 or in a format of the mapping ({formats})"
    )


def check_translation(field: Field, value: str, rules: ReadingRules) -> None:
    """A value a mapping file translates a file's value into, checked as every cell
    translated into it would be: one of the field's values, a country's code, or a number
    or date its rules read. Left empty, the cell is empty, which a required field is not.
    Free text is checked with its row, as any cell of it is."""
    if not value.strip():
        if field.required:
            raise InvalidValue(field.name, f"cannot be empty: {field.name} is required")
        return
    if field.name in CHOICES:
        choose(CHOICES[field.name], value, field.name)
    elif field.name in COUNTRY_FIELDS:
        check_country(value, field.name)
    else:
        read_cell(field, value, rules)
