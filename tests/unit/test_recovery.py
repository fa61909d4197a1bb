"""Recording and correcting recoveries: every rule, every problem with its path."""

from datetime import UTC, datetime, timedelta

import pytest

from service.domain.errors import StaleVersion, ValidationFailed
from service.domain.events import RecoveryCorrected, RecoveryRecorded
from service.domain.items import (
    Ammunition,
    AmmunitionReport,
    Component,
    ComponentCategory,
    ComponentReport,
    Firearm,
    ImportMarking,
    SerialState,
)
from service.domain.recovery import RecoveryCorrection
from service.domain.reference import ReferenceCatalogue
from tests.builders import NOW, actor, firearm, location, new_id, recovery


def problems_of(error: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {p.field: p.detail for p in error.value.problems}


def test_a_recorded_firearm_keeps_raw_text_and_derives_canonical_values() -> None:
    recorded = recovery(firearm(make="GLOCK GmbH", calibre="9mm Luger", serial="abc 123"))
    item = recorded.items[0]
    assert isinstance(item, Firearm)
    assert item.make is not None and item.make.raw == "GLOCK GmbH"
    assert item.make.canonical == "Glock"
    assert item.calibre is not None and item.calibre.canonical == "9x19mm Parabellum"
    assert item.serial is not None and item.serial.raw == "abc 123"
    assert item.serial.normalized == "ABC123"
    assert item.serial_state is SerialState.LEGIBLE
    assert recorded.version == 1
    (event,) = recorded.events
    assert isinstance(event, RecoveryRecorded)
    assert (event.recovery_id, event.version, event.actor.id) == (
        recorded.id,
        1,
        recorded.recorded_by,
    )
    # The raw text as entered, never what was derived from it.
    assert event.evidence["items"][0]["serial"] == "abc 123"
    assert event.evidence["items"][0]["make"] == "GLOCK GmbH"


def test_unresolved_make_is_kept_raw_and_not_guessed() -> None:
    item = recovery(firearm(make="Glok")).items[0]
    assert isinstance(item, Firearm) and item.make is not None
    assert (item.make.raw, item.make.canonical) == ("Glok", None)


def test_every_problem_is_reported_with_its_field_path() -> None:
    with pytest.raises(ValidationFailed) as error:
        recovery(
            firearm(serial="AB\x07C", country_of_manufacture="XX"),
            firearm(serial=None),
            case_reference="",
            location=location(country="ZZ", lat=91.0),
        )
    assert set(problems_of(error)) == {
        "case_reference",
        "location.country",
        "location.lat",
        "items.0.serial",
        "items.0.country_of_manufacture",
        "items.1.serial",
    }


def test_recovery_time_must_carry_a_zone_and_not_lie_in_the_future() -> None:
    with pytest.raises(ValidationFailed) as naive:
        recovery(recovered_at=datetime(2026, 11, 1, 10, 30))  # noqa: DTZ001
    assert "time zone" in problems_of(naive)["recovered_at"]
    with pytest.raises(ValidationFailed) as future:
        recovery(recovered_at=NOW + timedelta(hours=1))
    assert problems_of(future) == {"recovered_at": "lies in the future"}
    within_skew = recovery(recovered_at=NOW + timedelta(minutes=4))
    assert within_skew.recovered_at == NOW + timedelta(minutes=4)


def test_recovery_time_is_stored_in_utc() -> None:
    paris = datetime(2026, 11, 1, 11, 30, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Paris")
    )
    assert recovery(recovered_at=paris).recovered_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("serial", "state", "problem_field"),
    [
        ("ABC?23", SerialState.LEGIBLE, "serial_state"),
        ("ABC123", SerialState.PARTLY_LEGIBLE, "serial_state"),
        ("ABC123", SerialState.OBLITERATED, "serial_state"),
        (None, None, "serial"),
        (None, SerialState.LEGIBLE, "serial"),
    ],
)
def test_serial_state_must_agree_with_the_reading(
    serial: str | None, state: SerialState | None, problem_field: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        recovery(firearm(serial=serial, serial_state=state))
    assert set(problems_of(error)) == {f"items.0.{problem_field}"}


def test_serial_state_is_inferred_only_when_it_cannot_be_anything_else() -> None:
    partial = recovery(firearm(serial="AB?-12*")).items[0]
    assert isinstance(partial, Firearm) and partial.serial_state is SerialState.PARTLY_LEGIBLE
    ground_off = recovery(firearm(serial=None, serial_state=SerialState.OBLITERATED)).items[0]
    assert isinstance(ground_off, Firearm) and ground_off.serial is None


def test_ammunition_and_components_are_validated_and_carry_lots() -> None:
    recorded = recovery(
        AmmunitionReport(calibre="7.62x39", headstamp="711 79", lot="L-4471", quantity=120),
        ComponentReport(category=ComponentCategory.UAS, manufacturer="DJI", serial="0SSDH7"),
    )
    ammunition, component = recorded.items
    assert isinstance(ammunition, Ammunition) and ammunition.calibre.canonical == "7.62x39mm"
    assert ammunition.lot is not None and ammunition.lot.normalized == "L4471"
    assert isinstance(component, Component) and component.make is not None
    assert [role.value for role, _ in component.identifiers()] == ["serial"]

    with pytest.raises(ValidationFailed) as error:
        recovery(AmmunitionReport(quantity=0), ComponentReport(category=ComponentCategory.IED))
    assert problems_of(error) == {
        "items.0.calibre": "is required",
        "items.0.quantity": "must be between 1 and 10000000",
        "items.1": "needs a manufacturer, part number, serial or lot to be traceable",
    }


def test_import_marking_country_and_year_are_checked() -> None:
    with pytest.raises(ValidationFailed) as error:
        recovery(
            firearm(import_marking=ImportMarking(text="CAI GEORGIA VT", country="QQ", year=3000))
        )
    assert set(problems_of(error)) == {
        "items.0.import_marking.year",
        "items.0.import_marking.country",
    }


def test_a_correction_keeps_the_raw_value_it_replaces(catalogue: ReferenceCatalogue) -> None:
    recorded = recovery(firearm(serial="ABC 123"))
    item_id = recorded.items[0].id
    correction = recorded.correct(
        RecoveryCorrection(item_changes={item_id: {"serial": "ABC 128"}}, case_reference="CASE-9"),
        reason="Re-read under magnification",
        expected_version=1,
        now=NOW,
        by=actor(),
        new_id=new_id,
        catalogue=catalogue,
    )
    assert correction is not None and correction.version == 2
    changes = {c.field: (c.before, c.after) for c in correction.changes}
    assert changes == {
        "case_reference": ("CASE-2026-0042", "CASE-9"),
        f"items.{item_id}.serial": ("ABC 123", "ABC 128"),
    }
    item = recorded.items[0]
    assert isinstance(item, Firearm) and item.serial is not None
    assert item.serial.normalized == "ABC128"
    assert recorded.version == 2 and recorded.corrections == (correction,)
    assert isinstance(recorded.events[-1], RecoveryCorrected)


def test_a_correction_against_an_old_version_is_stale(catalogue: ReferenceCatalogue) -> None:
    recorded = recovery()
    with pytest.raises(StaleVersion):
        recorded.correct(
            RecoveryCorrection(case_reference="X"),
            reason="r",
            expected_version=0,
            now=NOW,
            by=actor(),
            new_id=new_id,
            catalogue=catalogue,
        )


def test_a_correction_that_changes_nothing_records_nothing(catalogue: ReferenceCatalogue) -> None:
    recorded = recovery()
    result = recorded.correct(
        RecoveryCorrection(case_reference=recorded.case_reference),
        reason="retry",
        expected_version=1,
        now=NOW,
        by=actor(),
        new_id=new_id,
        catalogue=catalogue,
    )
    assert result is None and recorded.version == 1 and recorded.corrections == ()


def test_an_invalid_correction_changes_nothing(catalogue: ReferenceCatalogue) -> None:
    recorded = recovery()
    item_id = recorded.items[0].id
    with pytest.raises(ValidationFailed) as error:
        recorded.correct(
            RecoveryCorrection(
                item_changes={item_id: {"country_of_manufacture": "QQ"}, new_id(): {"model": "x"}}
            ),
            reason="",
            expected_version=1,
            now=NOW,
            by=actor(),
            new_id=new_id,
            catalogue=catalogue,
        )
    fields = set(problems_of(error))
    assert "reason" in fields and f"items.{item_id}.country_of_manufacture" in fields
    assert len(fields) == 3
    assert recorded.version == 1
    first = recorded.items[0]
    assert isinstance(first, Firearm) and first.country_of_manufacture == "AT"


def test_recovery_times_before_1900_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        recovery(recovered_at=datetime(1899, 12, 31, tzinfo=UTC))
