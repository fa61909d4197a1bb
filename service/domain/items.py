"""What was recovered: firearms first, and the ammunition and UAS/IED components the
Security Council names beside them. Each item is built from a report (the values as
entered) by one function that applies every rule and reports every problem at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from service.domain.choices import choose
from service.domain.errors import InvalidValue, ValidationCollector
from service.domain.geography import check_country
from service.domain.identifiers import Identifier
from service.domain.reference import ReferenceCatalogue, Resolution
from service.domain.text import check_text

MAX_SHORT_TEXT = 64
MAX_MARKINGS_TEXT = 1000
MAX_AMMUNITION_QUANTITY = 10_000_000


class ItemKind(StrEnum):
    FIREARM = "firearm"
    AMMUNITION = "ammunition"
    COMPONENT = "component"


class SerialState(StrEnum):
    LEGIBLE = "legible"
    PARTLY_LEGIBLE = "partly_legible"
    OBLITERATED = "obliterated"
    # Never marked: privately made, craft-produced or 3D-printed weapons.
    UNMARKED = "unmarked"


class FirearmType(StrEnum):
    PISTOL = "pistol"
    REVOLVER = "revolver"
    RIFLE = "rifle"
    CARBINE = "carbine"
    SHOTGUN = "shotgun"
    SUBMACHINE_GUN = "submachine_gun"
    MACHINE_GUN = "machine_gun"
    GRENADE_LAUNCHER = "grenade_launcher"
    LIGHT_WEAPON = "light_weapon"
    OTHER = "other"


class ComponentCategory(StrEnum):
    UAS = "uas"
    IED = "ied"


class IdentifierRole(StrEnum):
    SERIAL = "serial"
    LOT = "lot"


@dataclass(frozen=True, slots=True)
class ImportMarking:
    """An importer's mark: the text as stamped and, when read, its country and year."""

    text: str | None = None
    country: str | None = None
    year: int | None = None


@dataclass(frozen=True, slots=True)
class FirearmReport:
    make: str | None = None
    model: str | None = None
    calibre: str | None = None
    serial: str | None = None
    serial_state: SerialState | None = None
    type: FirearmType | None = None
    country_of_manufacture: str | None = None
    import_marking: ImportMarking | None = None
    other_markings: str | None = None


@dataclass(frozen=True, slots=True)
class AmmunitionReport:
    calibre: str | None = None
    headstamp: str | None = None
    lot: str | None = None
    quantity: int | None = None


@dataclass(frozen=True, slots=True)
class ComponentReport:
    category: ComponentCategory | None = None
    manufacturer: str | None = None
    part_number: str | None = None
    serial: str | None = None
    lot: str | None = None
    description: str | None = None


ItemReport = FirearmReport | AmmunitionReport | ComponentReport


@dataclass(frozen=True, slots=True)
class Firearm:
    kind: ClassVar[ItemKind] = ItemKind.FIREARM
    id: UUID
    make: Resolution | None
    model: str | None
    calibre: Resolution | None
    serial: Identifier | None
    serial_state: SerialState
    type: FirearmType | None
    country_of_manufacture: str | None
    import_marking: ImportMarking | None
    other_markings: str | None

    def identifiers(self) -> list[tuple[IdentifierRole, Identifier]]:
        return [(IdentifierRole.SERIAL, self.serial)] if self.serial else []

    def report(self) -> FirearmReport:
        return FirearmReport(
            make=_raw(self.make),
            model=self.model,
            calibre=_raw(self.calibre),
            serial=self.serial.raw if self.serial else None,
            serial_state=self.serial_state,
            type=self.type,
            country_of_manufacture=self.country_of_manufacture,
            import_marking=self.import_marking,
            other_markings=self.other_markings,
        )


@dataclass(frozen=True, slots=True)
class Ammunition:
    kind: ClassVar[ItemKind] = ItemKind.AMMUNITION
    make: ClassVar[None] = None
    model: ClassVar[None] = None
    id: UUID
    calibre: Resolution
    headstamp: str | None
    lot: Identifier | None
    quantity: int

    def identifiers(self) -> list[tuple[IdentifierRole, Identifier]]:
        return [(IdentifierRole.LOT, self.lot)] if self.lot else []

    def report(self) -> AmmunitionReport:
        return AmmunitionReport(
            calibre=self.calibre.raw,
            headstamp=self.headstamp,
            lot=self.lot.raw if self.lot else None,
            quantity=self.quantity,
        )


@dataclass(frozen=True, slots=True)
class Component:
    kind: ClassVar[ItemKind] = ItemKind.COMPONENT
    model: ClassVar[None] = None
    calibre: ClassVar[None] = None
    id: UUID
    category: ComponentCategory
    manufacturer: Resolution | None
    part_number: str | None
    serial: Identifier | None
    lot: Identifier | None
    description: str | None

    @property
    def make(self) -> Resolution | None:
        """The manufacturer, under the name every item kind uses for its maker."""
        return self.manufacturer

    def identifiers(self) -> list[tuple[IdentifierRole, Identifier]]:
        found = [(IdentifierRole.SERIAL, self.serial), (IdentifierRole.LOT, self.lot)]
        return [(role, identifier) for role, identifier in found if identifier]

    def report(self) -> ComponentReport:
        return ComponentReport(
            category=self.category,
            manufacturer=_raw(self.manufacturer),
            part_number=self.part_number,
            serial=self.serial.raw if self.serial else None,
            lot=self.lot.raw if self.lot else None,
            description=self.description,
        )


Item = Firearm | Ammunition | Component


def _raw(resolution: Resolution | None) -> str | None:
    return resolution.raw if resolution else None


T = TypeVar("T")
R = TypeVar("R")
E = TypeVar("E", bound=StrEnum)


class _ItemBuilder:
    """Applies field rules, collecting every problem instead of stopping at the first."""

    def __init__(self, catalogue: ReferenceCatalogue) -> None:
        self.catalogue = catalogue
        self.problems = ValidationCollector()

    def check(self, field: str, value: T | None, rule: Callable[[T, str], R]) -> R | None:
        if value is None:
            return None
        try:
            return rule(value, field)
        except InvalidValue as error:
            self.problems.add(error)
            return None

    def short_text(self, field: str, value: str | None) -> str | None:
        return self.check(field, value, lambda v, f: check_text(v, f, max_length=MAX_SHORT_TEXT))

    def long_text(self, field: str, value: str | None) -> str | None:
        return self.check(
            field,
            value,
            lambda v, f: check_text(v, f, max_length=MAX_MARKINGS_TEXT, multiline=True),
        )

    def identifier(self, field: str, value: str | None) -> Identifier | None:
        return self.check(field, value, lambda v, f: Identifier.read(v, field=f))

    def make(self, field: str, value: str | None) -> Resolution | None:
        if self.short_text(field, value) is None or value is None:
            return None
        return self.catalogue.resolve_make(value)

    def calibre(self, field: str, value: str | None) -> Resolution | None:
        if self.short_text(field, value) is None or value is None:
            return None
        return self.catalogue.resolve_calibre(value)

    def member(self, field: str, value: object, enum: type[E]) -> E | None:
        return self.check(field, value, lambda v, f: choose(enum, v, f))

    def require(self, field: str, value: object) -> None:
        if value is None:
            self.problems.add(InvalidValue(field, "is required"))


def build_item(report: ItemReport, *, item_id: UUID, catalogue: ReferenceCatalogue) -> Item:
    """Validate a report and derive the item; raises ValidationFailed naming every field."""
    builder = _ItemBuilder(catalogue)
    item: Item
    if isinstance(report, FirearmReport):
        item = _build_firearm(report, item_id, builder)
    elif isinstance(report, AmmunitionReport):
        item = _build_ammunition(report, item_id, builder)
    else:
        item = _build_component(report, item_id, builder)
    builder.problems.raise_if_any()
    return item


def _build_firearm(report: FirearmReport, item_id: UUID, b: _ItemBuilder) -> Firearm:
    serial = b.identifier("serial", report.serial)
    serial_state = _serial_state(report, serial, b)
    return Firearm(
        id=item_id,
        make=b.make("make", report.make),
        model=b.short_text("model", report.model),
        calibre=b.calibre("calibre", report.calibre),
        serial=serial,
        serial_state=serial_state,
        type=b.member("type", report.type, FirearmType),
        country_of_manufacture=b.check(
            "country_of_manufacture", report.country_of_manufacture, check_country
        ),
        import_marking=_import_marking(report.import_marking, b),
        other_markings=b.long_text("other_markings", report.other_markings),
    )


def _serial_state(report: FirearmReport, serial: Identifier | None, b: _ItemBuilder) -> SerialState:
    """The serial state must agree with what was read; it is inferred only when it can't
    be anything else (a complete reading is legible, one with `?` or `*` partly legible)."""
    state = b.member("serial_state", report.serial_state, SerialState)
    if report.serial is None:
        if state in (SerialState.OBLITERATED, SerialState.UNMARKED):
            return state
        b.problems.add(
            InvalidValue("serial", "is required unless serial_state is obliterated or unmarked")
        )
        return state or SerialState.OBLITERATED
    if serial is None:  # the reading itself was rejected; that problem is already recorded
        return state or SerialState.LEGIBLE
    inferred = SerialState.PARTLY_LEGIBLE if serial.is_partial else SerialState.LEGIBLE
    if state is None or state == inferred:
        return inferred
    if state in (SerialState.OBLITERATED, SerialState.UNMARKED):
        detail = f"a serial was read, so serial_state cannot be {state.value}"
    elif state == SerialState.LEGIBLE:
        detail = "the serial has unknown characters (? or *), so it is partly_legible"
    else:
        detail = "a partly legible serial marks each unreadable character with ? or a run with *"
    b.problems.add(InvalidValue("serial_state", detail))
    return state


def _import_marking(marking: ImportMarking | None, b: _ItemBuilder) -> ImportMarking | None:
    if marking is None:
        return None
    if marking.text is None and marking.country is None and marking.year is None:
        b.problems.add(InvalidValue("import_marking", "needs its text, country or year"))
        return None
    if marking.year is not None and not 1800 <= marking.year <= 2200:
        b.problems.add(InvalidValue("import_marking.year", "must be a year between 1800 and 2200"))
    return ImportMarking(
        text=b.short_text("import_marking.text", marking.text),
        country=b.check("import_marking.country", marking.country, check_country),
        year=marking.year,
    )


def _build_ammunition(report: AmmunitionReport, item_id: UUID, b: _ItemBuilder) -> Ammunition:
    b.require("calibre", report.calibre)
    b.require("quantity", report.quantity)
    if report.quantity is not None and not 1 <= report.quantity <= MAX_AMMUNITION_QUANTITY:
        b.problems.add(InvalidValue("quantity", f"must be between 1 and {MAX_AMMUNITION_QUANTITY}"))
    calibre = b.calibre("calibre", report.calibre)
    return Ammunition(
        id=item_id,
        calibre=calibre or Resolution("", None),
        headstamp=b.short_text("headstamp", report.headstamp),
        lot=b.identifier("lot", report.lot),
        quantity=report.quantity or 0,
    )


def _build_component(report: ComponentReport, item_id: UUID, b: _ItemBuilder) -> Component:
    b.require("category", report.category)
    category = b.member("category", report.category, ComponentCategory)
    identifying = (report.manufacturer, report.part_number, report.serial, report.lot)
    if all(value is None for value in identifying):
        b.problems.add(
            InvalidValue("", "needs a manufacturer, part number, serial or lot to be traceable")
        )
    return Component(
        id=item_id,
        category=category or ComponentCategory.IED,
        manufacturer=b.make("manufacturer", report.manufacturer),
        part_number=b.short_text("part_number", report.part_number),
        serial=b.identifier("serial", report.serial),
        lot=b.identifier("lot", report.lot),
        description=b.long_text("description", report.description),
    )


def corrected_report(item: Item, changes: dict[str, Any]) -> ItemReport:
    """The item's report with some fields replaced: what a correction asks to record."""
    report = item.report()
    unknown = set(changes) - {f.name for f in dataclasses.fields(report)}
    if unknown:
        raise InvalidValue(sorted(unknown)[0], f"is not a field of a {item.kind.value} item")
    return dataclasses.replace(report, **changes)
