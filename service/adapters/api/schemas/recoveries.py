"""The public shape of recoveries: what clients send (`...Create`, `...Update`) and get
back (`...Public`, `...Summary`, `...Page`), and the mapping to and from the domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from service.adapters.moments import Day, ZonedMoment
from service.domain.errors import FieldProblem, ValidationFailed
from service.domain.geography import LocationReport
from service.domain.identifiers import Identifier
from service.domain.items import (
    Ammunition,
    AmmunitionReport,
    Component,
    ComponentCategory,
    ComponentReport,
    Firearm,
    FirearmReport,
    FirearmType,
    ImportMarking,
    Item,
    SerialState,
)
from service.domain.persons import Person, PersonReport
from service.domain.recovery import Circumstances, Correction, Recovery, RecoveryCorrection
from service.recoveries import RecordRecovery

ShortText = Annotated[str, Field(max_length=64)]
LongText = Annotated[str, Field(max_length=1000)]
CountryCode = Annotated[str, Field(min_length=2, max_length=2, examples=["FR"])]


class Strict(BaseModel):
    """Input models: unknown fields are refused. Numbers are strict (a string is not a
    number); FastAPI validates parsed JSON, so datetimes and enums arrive as strings."""

    model_config = ConfigDict(extra="forbid")


class LocationIn(Strict):
    description: str = Field(max_length=500, examples=["Rue X, Paris"])
    country: CountryCode = Field(description="ISO 3166-1 alpha-2")
    lat: float | None = Field(default=None, ge=-90, le=90, strict=True)
    lon: float | None = Field(default=None, ge=-180, le=180, strict=True)

    def report(self) -> LocationReport:
        return LocationReport(self.description, self.country, self.lat, self.lon)


class PersonIn(Strict):
    """Who held what was recovered. Personal data: shown only to the recording agency,
    never sent in a trace request."""

    name: str = Field(max_length=200, examples=["Jean Dupont"])
    born_on: Day | None = Field(default=None, description="Date of birth")
    nationality: CountryCode | None = None
    document_number: str | None = Field(
        default=None, max_length=64, description="Identity document (passport, ID card) number"
    )
    document_country: CountryCode | None = Field(
        default=None, description="Country that issued the document"
    )

    def report(self) -> PersonReport:
        return PersonReport(
            self.name, self.born_on, self.nationality, self.document_number, self.document_country
        )


class ImportMarkingIn(Strict):
    text: ShortText | None = Field(default=None, examples=["CAI GEORGIA VT"])
    country: CountryCode | None = None
    year: int | None = Field(default=None, strict=True)


class FirearmIn(Strict):
    kind: Literal["firearm"]
    make: ShortText | None = Field(default=None, examples=["GLOCK GmbH"])
    model: ShortText | None = Field(default=None, examples=["17"])
    calibre: ShortText | None = Field(default=None, examples=["9mm Luger"])
    serial: ShortText | None = Field(
        default=None,
        description="As read, verbatim. `?` marks one unreadable character, `*` a run.",
        examples=["ABC 123"],
    )
    serial_state: SerialState | None = Field(
        default=None, description="Inferred from the serial when omitted."
    )
    type: FirearmType | None = None
    country_of_manufacture: CountryCode | None = None
    import_marking: ImportMarkingIn | None = None
    other_markings: LongText | None = None

    def report(self) -> FirearmReport:
        marking = self.import_marking
        return FirearmReport(
            make=self.make,
            model=self.model,
            calibre=self.calibre,
            serial=self.serial,
            serial_state=self.serial_state,
            type=self.type,
            country_of_manufacture=self.country_of_manufacture,
            import_marking=ImportMarking(marking.text, marking.country, marking.year)
            if marking
            else None,
            other_markings=self.other_markings,
        )


class AmmunitionIn(Strict):
    kind: Literal["ammunition"]
    calibre: ShortText = Field(examples=["7.62x39mm"])
    headstamp: ShortText | None = None
    lot: ShortText | None = None
    quantity: int = Field(ge=1, strict=True)

    def report(self) -> AmmunitionReport:
        return AmmunitionReport(self.calibre, self.headstamp, self.lot, self.quantity)


class ComponentIn(Strict):
    kind: Literal["component"]
    category: ComponentCategory = Field(description="uas or ied")
    manufacturer: ShortText | None = None
    part_number: ShortText | None = None
    serial: ShortText | None = None
    lot: ShortText | None = None
    description: LongText | None = None

    def report(self) -> ComponentReport:
        return ComponentReport(
            self.category,
            self.manufacturer,
            self.part_number,
            self.serial,
            self.lot,
            self.description,
        )


ItemIn = Annotated[FirearmIn | AmmunitionIn | ComponentIn, Field(discriminator="kind")]


class RecoveryCreate(Strict):
    case_reference: str = Field(min_length=1, max_length=64, examples=["CASE-2026-0042"])
    # The range is the domain's rule, checked with every other value of the recovery, so
    # that a request learns all its problems at once.
    recovered_at: ZonedMoment = Field(description="With its zone offset; stored in UTC.")
    location: LocationIn
    circumstances: Circumstances
    possessor: PersonIn | None = Field(
        default=None, description="The person who held the items, when known"
    )
    items: list[ItemIn] = Field(min_length=1, max_length=500)

    def command(self) -> RecordRecovery:
        return RecordRecovery(
            case_reference=self.case_reference,
            recovered_at=self.recovered_at,
            location=self.location.report(),
            circumstances=self.circumstances,
            items=[item.report() for item in self.items],
            possessor=self.possessor.report() if self.possessor else None,
        )


class ItemCorrectionIn(Strict):
    """Fields of one item to correct; absent fields stay, `null` clears a field."""

    id: UUID
    make: ShortText | None = None
    model: ShortText | None = None
    calibre: ShortText | None = None
    serial: ShortText | None = None
    serial_state: SerialState | None = None
    type: FirearmType | None = None
    country_of_manufacture: CountryCode | None = None
    import_marking: ImportMarkingIn | None = None
    other_markings: LongText | None = None
    headstamp: ShortText | None = None
    lot: ShortText | None = None
    quantity: int | None = Field(default=None, strict=True)
    category: ComponentCategory | None = None
    manufacturer: ShortText | None = None
    part_number: ShortText | None = None
    description: LongText | None = None

    def changes(self) -> dict[str, Any]:
        changed: dict[str, Any] = {}
        for name in self.model_fields_set - {"id"}:
            value = getattr(self, name)
            if isinstance(value, ImportMarkingIn):
                value = ImportMarking(value.text, value.country, value.year)
            changed[name] = value
        return changed


class RecoveryUpdate(Strict):
    """A correction: what changes and why. Send the ETag you read in If-Match."""

    reason: str = Field(min_length=1, max_length=2000, examples=["Serial re-read in the lab"])
    case_reference: str | None = Field(default=None, max_length=64)
    recovered_at: ZonedMoment | None = None
    location: LocationIn | None = None
    circumstances: Circumstances | None = None
    possessor: PersonIn | None = Field(
        default=None, description="Replaces the possessor; `null` removes it (history kept)"
    )
    items: list[ItemCorrectionIn] = Field(default_factory=list, max_length=500)
    new_items: list[ItemIn] = Field(default_factory=list, max_length=500)

    def correction(self) -> RecoveryCorrection:
        problems = [
            FieldProblem(name, "is required and cannot be removed")
            for name in ("case_reference", "recovered_at", "location", "circumstances")
            if name in self.model_fields_set and getattr(self, name) is None
        ]
        first: dict[UUID, int] = {}
        for index, item in enumerate(self.items):
            earlier = first.setdefault(item.id, index)
            if earlier != index:
                # Two changes of one item: which is meant, and in which order?
                problems.append(
                    FieldProblem(
                        f"items.{index}.id",
                        f"names the item of items.{earlier} again: give an item's changes once",
                    )
                )
        if problems:
            raise ValidationFailed(problems)
        return RecoveryCorrection(
            case_reference=self.case_reference,
            recovered_at=self.recovered_at,
            location=self.location.report() if self.location else None,
            circumstances=self.circumstances,
            possessor=self.possessor.report() if self.possessor else None,
            remove_possessor="possessor" in self.model_fields_set and self.possessor is None,
            item_changes={item.id: item.changes() for item in self.items},
            new_items=[item.report() for item in self.new_items],
        )

    def item_positions(self) -> dict[UUID, int]:
        """Where each corrected item sits in the request, to point errors at it."""
        return {item.id: index for index, item in enumerate(self.items)}


class LocationOut(BaseModel):
    description: str
    country: str
    lat: float | None
    lon: float | None


class PersonOut(BaseModel):
    name: str
    born_on: date | None
    nationality: str | None
    document_number: str | None
    document_country: str | None


class ImportMarkingOut(BaseModel):
    text: str | None
    country: str | None
    year: int | None


class FirearmOut(BaseModel):
    id: UUID
    kind: Literal["firearm"] = "firearm"
    make: str | None
    make_canonical: str | None
    model: str | None
    calibre: str | None
    calibre_canonical: str | None
    serial: str | None
    serial_normalized: str | None
    serial_skeleton: str | None
    serial_state: SerialState
    type: FirearmType | None
    country_of_manufacture: str | None
    import_marking: ImportMarkingOut | None
    other_markings: str | None


class AmmunitionOut(BaseModel):
    id: UUID
    kind: Literal["ammunition"] = "ammunition"
    calibre: str
    calibre_canonical: str | None
    headstamp: str | None
    lot: str | None
    lot_normalized: str | None
    lot_skeleton: str | None
    quantity: int


class ComponentOut(BaseModel):
    id: UUID
    kind: Literal["component"] = "component"
    category: ComponentCategory
    manufacturer: str | None
    manufacturer_canonical: str | None
    part_number: str | None
    serial: str | None
    serial_normalized: str | None
    serial_skeleton: str | None
    lot: str | None
    lot_normalized: str | None
    lot_skeleton: str | None
    description: str | None


ItemOut = Annotated[FirearmOut | AmmunitionOut | ComponentOut, Field(discriminator="kind")]


class FieldChangeOut(BaseModel):
    field: str = Field(description="Path in the recovery, e.g. items.<item id>.serial")
    before: Any
    after: Any


class CorrectionOut(BaseModel):
    version: int
    corrected_at: datetime
    corrected_by: UUID
    reason: str
    changes: list[FieldChangeOut]


class RecoverySummary(BaseModel):
    id: UUID
    agency_id: UUID
    case_reference: str
    recovered_at: datetime
    location: LocationOut
    circumstances: Circumstances
    possessor: PersonOut | None
    items: list[ItemOut]
    version: int
    created_at: datetime
    created_by: UUID
    updated_at: datetime
    reference_version: str = Field(description="Version of the make/calibre reference table")


class RegistryAlertOut(BaseModel):
    item_id: UUID
    registry: str
    reference: str
    status: str = Field(description="lost, stolen, smuggled or trafficked")
    match_kind: str
    confidence: float


class RecoveryPublic(RecoverySummary):
    corrections: list[CorrectionOut] = Field(
        description="Every correction, oldest first, with the raw values it replaced"
    )
    registry_alerts: list[RegistryAlertOut] = Field(
        default_factory=list,
        description="Current registry hits saying the weapon should not be where it was "
        "found (details at /recoveries/{id}/registry-hits)",
    )


class RecoveryPage(BaseModel):
    recoveries: list[RecoverySummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


def _readings(prefix: str, reading: Identifier | None) -> dict[str, str | None]:
    return {
        prefix: reading.raw if reading else None,
        f"{prefix}_normalized": reading.normalized if reading else None,
        f"{prefix}_skeleton": reading.skeleton if reading else None,
    }


def item_out(item: Item) -> FirearmOut | AmmunitionOut | ComponentOut:
    if isinstance(item, Firearm):
        marking = item.import_marking
        return FirearmOut(
            id=item.id,
            make=item.make.raw if item.make else None,
            make_canonical=item.make.canonical if item.make else None,
            model=item.model,
            calibre=item.calibre.raw if item.calibre else None,
            calibre_canonical=item.calibre.canonical if item.calibre else None,
            **_readings("serial", item.serial),
            serial_state=item.serial_state,
            type=item.type,
            country_of_manufacture=item.country_of_manufacture,
            import_marking=ImportMarkingOut(
                text=marking.text, country=marking.country, year=marking.year
            )
            if marking
            else None,
            other_markings=item.other_markings,
        )
    if isinstance(item, Ammunition):
        return AmmunitionOut(
            id=item.id,
            calibre=item.calibre.raw,
            calibre_canonical=item.calibre.canonical,
            headstamp=item.headstamp,
            **_readings("lot", item.lot),
            quantity=item.quantity,
        )
    component: Component = item
    return ComponentOut(
        id=component.id,
        category=component.category,
        manufacturer=component.manufacturer.raw if component.manufacturer else None,
        manufacturer_canonical=component.manufacturer.canonical if component.manufacturer else None,
        part_number=component.part_number,
        **_readings("serial", component.serial),
        **_readings("lot", component.lot),
        description=component.description,
    )


def _summary_fields(recovery: Recovery) -> dict[str, Any]:
    location = recovery.location
    return {
        "id": recovery.id,
        "agency_id": recovery.agency_id,
        "case_reference": recovery.case_reference,
        "recovered_at": recovery.recovered_at,
        "location": LocationOut(
            description=location.description,
            country=location.country,
            lat=location.lat,
            lon=location.lon,
        ),
        "circumstances": recovery.circumstances,
        "possessor": _person_out(recovery.possessor),
        "items": [item_out(item) for item in recovery.items],
        "version": recovery.version,
        "created_at": recovery.recorded_at,
        "created_by": recovery.recorded_by,
        "updated_at": recovery.updated_at,
        "reference_version": recovery.reference_version,
    }


def _person_out(person: Person | None) -> PersonOut | None:
    if person is None:
        return None
    return PersonOut(
        name=person.name,
        born_on=person.born_on,
        nationality=person.nationality,
        document_number=person.document_number,
        document_country=person.document_country,
    )


def _correction_out(correction: Correction) -> CorrectionOut:
    return CorrectionOut(
        version=correction.version,
        corrected_at=correction.corrected_at,
        corrected_by=correction.corrected_by,
        reason=correction.reason,
        changes=[
            FieldChangeOut(field=c.field, before=c.before, after=c.after)
            for c in correction.changes
        ],
    )


def recovery_public(recovery: Recovery) -> RecoveryPublic:
    return RecoveryPublic(
        **_summary_fields(recovery),
        corrections=[_correction_out(c) for c in recovery.corrections],
    )


def recovery_summary(recovery: Recovery) -> RecoverySummary:
    return RecoverySummary(**_summary_fields(recovery))
