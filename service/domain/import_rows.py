"""From the rows of a file to recoveries: rows sharing a recovery key are one recovery,
built and checked by `Recovery.record`, the rule the API applies, and every problem is
brought back to the row (line) and field it came from.

A recovery lands whole or not at all: a row that breaks a rule rejects its recovery, and
the recovery's other rows are reported as not imported, naming the row that was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

from service.domain.access import Actor
from service.domain.errors import DomainError, InvalidValue, ValidationFailed
from service.domain.geography import LocationReport
from service.domain.import_fields import (
    FIELD_AT_ITEM_PATH,
    FIELD_AT_RECOVERY_PATH,
    FIELDS,
    RECOVERY_FIELDS,
    Cell,
    ReadingRules,
    read_cell,
)
from service.domain.items import (
    AmmunitionReport,
    ComponentReport,
    FirearmReport,
    ImportMarking,
    ItemKind,
    ItemReport,
)
from service.domain.persons import PersonReport
from service.domain.recovery import Recovery
from service.domain.reference import ReferenceCatalogue
from service.domain.text import shortened

MAX_KEY_LENGTH: Final = 200
# What a report quotes of a file is bounded (characters): a column's name, a reason.
MAX_FIELD: Final = 100
MAX_REASON: Final = 500

# The fields each kind of item has, besides item_key and item_kind.
_KIND_FIELDS: Final[Mapping[ItemKind, frozenset[str]]] = {
    ItemKind.FIREARM: frozenset(
        {
            "make",
            "model",
            "calibre",
            "serial",
            "serial_state",
            "firearm_type",
            "country_of_manufacture",
            "import_marking_text",
            "import_marking_country",
            "import_marking_year",
            "other_markings",
        }
    ),
    ItemKind.AMMUNITION: frozenset({"calibre", "headstamp", "lot", "quantity"}),
    ItemKind.COMPONENT: frozenset(
        {"component_category", "make", "part_number", "serial", "lot", "description"}
    ),
}


class UnreadableFile(DomainError):
    """The file cannot be read on from here (wrong format, truncated, corrupt): what was
    read before stands, nothing after it is known."""

    def __init__(self, detail: str, *, line: int | None = None) -> None:
        detail = shortened(detail, MAX_REASON)
        super().__init__(f"line {line}: {detail}" if line else detail)
        self.detail = detail
        self.line = line


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A row as read from a file: where it starts (line, or row of a sheet) and its cells
    by field name."""

    line: int
    cells: Mapping[str, Cell]


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why a row was not imported: the field (empty: the row as a whole) and the reason."""

    line: int
    field: str
    reason: str

    def __post_init__(self) -> None:
        # Both may quote the file (a column's name, a cell): bounded, whatever it holds.
        object.__setattr__(self, "field", shortened(self.field, MAX_FIELD))
        object.__setattr__(self, "reason", shortened(self.reason, MAX_REASON))


@dataclass(frozen=True, slots=True)
class ReadRow:
    """A row whose cells were read: its values, its identity for re-imports (the item's
    external id, or a hash of its content), and what was wrong with its cells."""

    line: int
    values: Mapping[str, Any]
    key: str
    digest: str  # SHA-256 of the row's values as read, whatever the file's layout
    problems: tuple[RowProblem, ...]

    @property
    def recovery_key(self) -> str:
        return str(self.values.get("recovery_key") or "")


def read_row(row: SourceRow, rules: ReadingRules) -> ReadRow:
    values: dict[str, Any] = {}
    problems: list[RowProblem] = []
    for name, cell in row.cells.items():
        try:
            value = read_cell(FIELDS[name], cell, rules)
        except InvalidValue as error:
            problems.append(RowProblem(row.line, error.field, error.detail))
            continue
        if value is not None:
            values[name] = value
    for name in ("recovery_key", "item_key"):
        key = values.get(name)
        if key is not None and len(key) > MAX_KEY_LENGTH:
            problems.append(RowProblem(row.line, name, f"at most {MAX_KEY_LENGTH} characters"))
    if "recovery_key" not in values and not any(p.field == "recovery_key" for p in problems):
        problems.append(RowProblem(row.line, "recovery_key", "is required"))
    digest = content_digest(values)
    return ReadRow(row.line, values, row_key(values, digest), digest, tuple(problems))


def content_digest(values: Mapping[str, Any]) -> str:
    """SHA-256 of a row's values as read (so that a spreadsheet's 12345.0 and a CSV's
    "12345" are one value), whatever the columns were called or their order."""
    content = json.dumps(
        [[name, _canonical(values[name])] for name in sorted(values)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()


def row_key(values: Mapping[str, Any], digest: str) -> str:
    """What makes a row the same row again: its recovery key and item key when it has
    one, else its content."""
    recovery = str(values.get("recovery_key", ""))
    item = values.get("item_key")
    if item is not None:
        return f"item:{recovery}\x1f{item}"
    return f"row:{digest}"


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value


@dataclass
class RecoveryRows:
    """The rows of one recovery, in file order."""

    key: str
    rows: list[ReadRow] = field(default_factory=list)

    @property
    def lines(self) -> list[int]:
        return [row.line for row in self.rows]


@dataclass(frozen=True, slots=True)
class Built:
    """The recovery (None: rejected, every row with a problem) and the rows refused."""

    recovery: Recovery | None
    problems: list[RowProblem]


def build_recovery(
    group: RecoveryRows,
    *,
    recovery_id: UUID,
    agency_id: UUID,
    by: Actor,
    now: datetime,
    new_id: Callable[[], UUID],
    catalogue: ReferenceCatalogue,
) -> Built:
    """The recovery the rows describe, checked by the domain's rules; or, if any rule
    fails, no recovery and a problem for every row (at least one each).

    A row that repeats one before it (the same content) is refused alone, and leaves
    `group`: the recovery lands with the first. Two items alike (two boxes of the same
    cartridges) are told apart by an item key each. An item key given to rows that say
    different things names no one item: the recovery is refused."""
    seen: dict[str, ReadRow] = {}
    repeated: list[RowProblem] = []
    unique: list[ReadRow] = []
    conflicts: list[RowProblem] = []
    for row in group.rows:
        first = seen.get(row.key)
        if first is None:
            seen[row.key] = row
            unique.append(row)
        elif first.digest == row.digest:
            repeated.append(
                RowProblem(
                    row.line,
                    "",
                    f"the same row as line {first.line}: imported once (two items alike need "
                    "an item_key each; once imported, add the other with a correction)",
                )
            )
        else:
            conflicts.append(
                RowProblem(
                    row.line,
                    "item_key",
                    f"names the item of line {first.line} too, with other values: an item "
                    "key names one item",
                )
            )
    group.rows[:] = unique
    problems = [p for row in group.rows for p in row.problems] + conflicts
    shared, given_at = _recovery_values(group, problems)
    reports = [_item_report(row, problems) for row in group.rows]
    if problems:
        return Built(None, _every_row(group, [*problems, *repeated]))
    try:
        recovery = Recovery.record(
            recovery_id=recovery_id,
            agency_id=agency_id,
            by=by,
            now=now,
            case_reference=shared.get("case_reference", ""),
            recovered_at=shared["recovered_at"],
            location=LocationReport(
                shared.get("location_description", ""),
                shared.get("location_country", ""),
                shared.get("location_lat"),
                shared.get("location_lon"),
            ),
            circumstances=shared.get("circumstances", ""),
            items=[report for report in reports if report is not None],
            new_id=new_id,
            catalogue=catalogue,
            possessor=_possessor(shared),
        )
    except ValidationFailed as failed:
        for problem in failed.problems:
            problems.append(_located(problem.field, problem.detail, group, given_at))
        return Built(None, _every_row(group, [*problems, *repeated]))
    return Built(recovery, repeated)


def _recovery_values(
    group: RecoveryRows, problems: list[RowProblem]
) -> tuple[dict[str, Any], dict[str, int]]:
    """The recovery's own values: each from the first row that gives it; a later row may
    leave it empty or repeat it, not say something else."""
    shared: dict[str, Any] = {}
    given_at: dict[str, int] = {}
    for row in group.rows:
        for name in RECOVERY_FIELDS:
            value = row.values.get(name)
            if value is None:
                continue
            if name not in shared:
                shared[name], given_at[name] = value, row.line
            elif shared[name] != value:
                problems.append(
                    RowProblem(
                        row.line,
                        name,
                        f"differs from line {given_at[name]}, the same recovery "
                        f"({group.key!r}): a recovery's values are the same in all its rows",
                    )
                )
    if "recovered_at" not in shared and not any(p.field == "recovered_at" for p in problems):
        problems.append(RowProblem(group.rows[0].line, "recovered_at", "is required"))
    return shared, given_at


def _possessor(shared: Mapping[str, Any]) -> PersonReport | None:
    names = [n for n in RECOVERY_FIELDS if n.startswith("possessor_")]
    if not any(name in shared for name in names):
        return None
    return PersonReport(
        name=shared.get("possessor_name", ""),
        born_on=shared.get("possessor_born_on"),
        nationality=shared.get("possessor_nationality"),
        document_number=shared.get("possessor_document_number"),
        document_country=shared.get("possessor_document_country"),
    )


def _item_report(row: ReadRow, problems: list[RowProblem]) -> ItemReport | None:
    values = row.values
    given = values.get("item_kind", ItemKind.FIREARM.value)
    try:
        kind = ItemKind(given)
    except ValueError:
        allowed = ", ".join(k.value for k in ItemKind)
        problems.append(RowProblem(row.line, "item_kind", f"must be one of: {allowed}"))
        return None
    extra = sorted(
        name
        for name in values
        if FIELDS[name].level.value == "item"
        and name not in ("item_key", "item_kind")
        and name not in _KIND_FIELDS[kind]
    )
    for name in extra:
        problems.append(RowProblem(row.line, name, f"is not a field of a {kind.value} item"))
    if extra:
        return None
    if kind is ItemKind.FIREARM:
        has_marking = any(
            name in values
            for name in ("import_marking_text", "import_marking_country", "import_marking_year")
        )
        return FirearmReport(
            make=values.get("make"),
            model=values.get("model"),
            calibre=values.get("calibre"),
            serial=values.get("serial"),
            serial_state=values.get("serial_state"),
            type=values.get("firearm_type"),
            country_of_manufacture=values.get("country_of_manufacture"),
            import_marking=ImportMarking(
                values.get("import_marking_text"),
                values.get("import_marking_country"),
                values.get("import_marking_year"),
            )
            if has_marking
            else None,
            other_markings=values.get("other_markings"),
        )
    if kind is ItemKind.AMMUNITION:
        return AmmunitionReport(
            calibre=values.get("calibre"),
            headstamp=values.get("headstamp"),
            lot=values.get("lot"),
            quantity=values.get("quantity"),
        )
    return ComponentReport(
        category=values.get("component_category"),
        manufacturer=values.get("make"),
        part_number=values.get("part_number"),
        serial=values.get("serial"),
        lot=values.get("lot"),
        description=values.get("description"),
    )


def _located(
    path: str, detail: str, group: RecoveryRows, given_at: Mapping[str, int]
) -> RowProblem:
    """A problem the domain reports at a path of the recovery, at the row and field it
    came from: `items.2.serial` is the third row's serial, `location.country` the row
    that gave the country."""
    head, _, rest = path.partition(".")
    if head == "items" and rest:
        index, _, inner = rest.partition(".")
        if index.isdigit() and int(index) < len(group.rows):
            line = group.rows[int(index)].line
            return RowProblem(line, FIELD_AT_ITEM_PATH.get(inner, inner), detail)
    if head == "items":
        return RowProblem(group.rows[0].line, "", f"the recovery's items: {detail}")
    name = FIELD_AT_RECOVERY_PATH.get(path, path)
    return RowProblem(given_at.get(name, group.rows[0].line), name, detail)


def _every_row(group: RecoveryRows, problems: Sequence[RowProblem]) -> list[RowProblem]:
    """The problems, and for each row without one, why it was not imported either."""
    lines = {p.line for p in problems}
    first = min(lines)
    others = [
        RowProblem(
            row.line,
            "",
            f"not imported: its recovery ({group.key!r}) has a rejected row (line {first})",
        )
        for row in group.rows
        if row.line not in lines
    ]
    return sorted([*problems, *others], key=lambda p: (p.line, p.field))
