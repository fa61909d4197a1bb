"""A recovery: one event in which an agency came into possession of items.

A recovery is evidence. It is never deleted; it is corrected, and each correction keeps
what was recorded before, who changed it, when and why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

from service.domain.access import Actor
from service.domain.choices import choose
from service.domain.errors import (
    InvalidValue,
    StaleVersion,
    ValidationCollector,
    ValidationFailed,
)
from service.domain.events import DomainEvent, RecoveryCorrected, RecoveryRecorded
from service.domain.geography import Location, LocationReport
from service.domain.items import (
    Item,
    ItemReport,
    build_item,
    corrected_report,
)
from service.domain.moments import as_utc
from service.domain.persons import Person, PersonReport
from service.domain.reference import ReferenceCatalogue
from service.domain.text import check_text

# Clocks of the recording devices are not perfect; a recovery a few minutes "in the
# future" is a clock difference, one hours ahead is a mistake.
MAX_CLOCK_SKEW: Final = timedelta(minutes=5)
MAX_ITEMS: Final = 500


class Circumstances(StrEnum):
    CRIME_SCENE = "crime_scene"
    SEIZURE = "seizure"
    BORDER_SEIZURE = "border_seizure"
    CONFLICT_ZONE = "conflict_zone"
    FOUND_PROPERTY = "found_property"
    SURRENDER = "surrender"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One corrected value: the path inside the recovery and the raw values around it."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class Correction:
    version: int
    corrected_at: datetime
    corrected_by: UUID
    reason: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class RecoveryCorrection:
    """What a correction asks to change; None leaves a field as it is."""

    case_reference: str | None = None
    recovered_at: datetime | None = None
    location: LocationReport | None = None
    circumstances: Circumstances | None = None
    possessor: PersonReport | None = None
    # The possessor was recorded by mistake (the history keeps who it was).
    remove_possessor: bool = False
    item_changes: Mapping[UUID, Mapping[str, Any]] = field(default_factory=dict)
    new_items: Sequence[ItemReport] = ()


@dataclass
class Recovery:
    id: UUID
    agency_id: UUID
    case_reference: str
    recovered_at: datetime
    location: Location
    circumstances: Circumstances
    items: tuple[Item, ...]
    version: int
    recorded_at: datetime
    recorded_by: UUID
    updated_at: datetime
    reference_version: str
    possessor: Person | None = None
    corrections: tuple[Correction, ...] = ()
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def record(
        cls,
        *,
        recovery_id: UUID,
        agency_id: UUID,
        by: Actor,
        now: datetime,
        case_reference: str,
        recovered_at: datetime,
        location: LocationReport,
        circumstances: Circumstances,
        items: Sequence[ItemReport],
        new_id: Callable[[], UUID],
        catalogue: ReferenceCatalogue,
        possessor: PersonReport | None = None,
    ) -> Recovery:
        """Validate a new recovery as a whole; every problem is reported with its path."""
        problems = ValidationCollector()
        _check(problems, lambda: _case_reference(case_reference))
        when = _check(problems, lambda: recovery_time(recovered_at, now=now))
        place = _check(problems, lambda: Location.read(location), prefix="location")
        kind = _check(problems, lambda: choose(Circumstances, circumstances, "circumstances"))
        held_by = None
        if possessor is not None:
            held_by = _check(
                problems, lambda: Person.read(possessor, today=now.date()), prefix="possessor"
            )
        if not items:
            problems.add(InvalidValue("items", "a recovery holds at least one item"))
        if len(items) > MAX_ITEMS:
            problems.add(InvalidValue("items", f"at most {MAX_ITEMS} items per recovery"))
        built = _build_items(items, problems, new_id, catalogue)
        problems.raise_if_any()
        recovery = cls(
            id=recovery_id,
            agency_id=agency_id,
            case_reference=case_reference,
            recovered_at=when,
            location=place,
            circumstances=kind,
            items=tuple(built),
            version=1,
            recorded_at=now,
            recorded_by=by.id,
            updated_at=now,
            reference_version=catalogue.version,
            possessor=held_by,
        )
        recovery.events.append(
            RecoveryRecorded(recovery_id, recovery.version, recovery.as_recorded(), by)
        )
        return recovery

    def as_recorded(self) -> dict[str, Any]:
        """What was entered, as the audit trail keeps it: raw values, not derived ones."""
        return {
            "agency_id": self.agency_id,
            "case_reference": self.case_reference,
            "recovered_at": self.recovered_at,
            "location": self.location,
            "circumstances": self.circumstances,
            "possessor": self.possessor,
            # The report's fields as they are: the audit trail turns them into JSON,
            # nested values included, so a deep copy here would be done twice.
            "items": [
                {"id": item.id, "kind": item.kind, **_fields_of(item.report())}
                for item in self.items
            ],
        }

    def correct(
        self,
        correction: RecoveryCorrection,
        *,
        reason: str,
        expected_version: int,
        now: datetime,
        by: Actor,
        new_id: Callable[[], UUID],
        catalogue: ReferenceCatalogue,
    ) -> Correction | None:
        """Apply a correction made against `expected_version`, keeping the values it replaces.

        Returns the recorded correction, or None when every value was already as asked."""
        if expected_version != self.version:
            raise StaleVersion("recovery", expected_version, self.version)
        problems = ValidationCollector()
        _check(problems, lambda: check_text(reason, "reason", max_length=2000, multiline=True))
        replacement: dict[str, Any] = {}
        if correction.case_reference is not None:
            replacement["case_reference"] = _check(
                problems, lambda: _case_reference(correction.case_reference or "")
            )
        if correction.recovered_at is not None:
            replacement["recovered_at"] = _check(
                problems, lambda: recovery_time(correction.recovered_at or now, now=now)
            )
        if correction.location is not None:
            location = correction.location
            replacement["location"] = _check(
                problems, lambda: Location.read(location), prefix="location"
            )
        if correction.circumstances is not None:
            given = correction.circumstances
            replacement["circumstances"] = _check(
                problems, lambda: choose(Circumstances, given, "circumstances")
            )
        if correction.remove_possessor:
            replacement["possessor"] = None
        elif correction.possessor is not None:
            report = correction.possessor
            replacement["possessor"] = _check(
                problems, lambda: Person.read(report, today=now.date()), prefix="possessor"
            )
        items = self._corrected_items(correction, problems, new_id, catalogue)
        problems.raise_if_any()

        changes = [
            FieldChange(name, _plain(getattr(self, name)), _plain(value))
            for name, value in replacement.items()
            if getattr(self, name) != value
        ]
        changes.extend(_item_changes(self.items, items))
        if not changes:
            # Repeating a correction that is already recorded is not an error: retries of
            # the same request must be harmless. Nothing is recorded and the version stays.
            return None
        record = Correction(
            version=self.version + 1,
            corrected_at=now,
            corrected_by=by.id,
            reason=reason,
            changes=tuple(changes),
        )
        for name, value in replacement.items():
            setattr(self, name, value)
        self.items = tuple(items)
        self.version = record.version
        self.updated_at = now
        self.reference_version = catalogue.version
        self.corrections = (*self.corrections, record)
        self.events.append(RecoveryCorrected(self.id, record.version, record.changes, reason, by))
        return record

    def _corrected_items(
        self,
        correction: RecoveryCorrection,
        problems: ValidationCollector,
        new_id: Callable[[], UUID],
        catalogue: ReferenceCatalogue,
    ) -> list[Item]:
        by_id = {item.id: item for item in self.items}
        for item_id in correction.item_changes:
            if item_id not in by_id:
                problems.add(InvalidValue(f"items.{item_id}", "is not an item of this recovery"))
        items: list[Item] = []
        for item in self.items:
            changes = correction.item_changes.get(item.id)
            if not changes:
                items.append(item)
                continue
            try:
                report = corrected_report(item, dict(changes))
                items.append(build_item(report, item_id=item.id, catalogue=catalogue))
            except InvalidValue as error:
                problems.add(error.at(f"items.{item.id}"))
                items.append(item)
            except ValidationFailed as error:
                problems.extend(error, prefix=f"items.{item.id}")
                items.append(item)
        if len(items) + len(correction.new_items) > MAX_ITEMS:
            problems.add(InvalidValue("items", f"at most {MAX_ITEMS} items per recovery"))
        new_items = correction.new_items
        items.extend(_build_items(new_items, problems, new_id, catalogue, path="new_items"))
        return items


def recovery_time(value: datetime, *, now: datetime) -> datetime:
    """A recovery time in UTC; it must carry its zone and cannot lie in the future."""
    utc = as_utc(value, "recovered_at")
    if utc > now + MAX_CLOCK_SKEW:
        raise InvalidValue("recovered_at", "lies in the future")
    return utc


def _case_reference(value: str) -> str:
    return check_text(value, "case_reference", max_length=64)


def _check(problems: ValidationCollector, rule: Callable[[], Any], prefix: str = "") -> Any:
    try:
        return rule()
    except InvalidValue as error:
        problems.add(error.at(prefix))
    except ValidationFailed as error:
        problems.extend(error, prefix=prefix)
    return None


def _build_items(
    reports: Iterable[ItemReport],
    problems: ValidationCollector,
    new_id: Callable[[], UUID],
    catalogue: ReferenceCatalogue,
    *,
    path: str = "items",
) -> list[Item]:
    built: list[Item] = []
    for index, report in enumerate(reports):
        try:
            built.append(build_item(report, item_id=new_id(), catalogue=catalogue))
        except ValidationFailed as error:
            problems.extend(error, prefix=f"{path}.{index}")
    return built


def _item_changes(before: Sequence[Item], after: Sequence[Item]) -> list[FieldChange]:
    old = {item.id: item for item in before}
    changes: list[FieldChange] = []
    for item in after:
        previous = old.get(item.id)
        if previous is None:
            changes.append(FieldChange(f"items.{item.id}", None, _plain(item.report())))
            continue
        old_report, new_report = previous.report(), item.report()
        for f in dataclasses.fields(new_report):
            a, b = getattr(old_report, f.name), getattr(new_report, f.name)
            if a != b:
                changes.append(FieldChange(f"items.{item.id}.{f.name}", _plain(a), _plain(b)))
    return changes


def _plain(value: Any) -> Any:
    """A JSON-ready copy of a recorded value, for correction history and audit."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    return value


def _fields_of(report: Any) -> dict[str, Any]:
    return {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
