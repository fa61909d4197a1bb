"""Times as the console writes them: in the reader's zone, the zone named by its
abbreviation where it has one and by its offset from UTC where it has none."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from service.adapters.console import i18n

AT = datetime(2026, 11, 28, 13, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def english_in_utc() -> Iterator[None]:
    yield
    i18n.read_as("en", UTC)


@pytest.mark.parametrize(
    ("zone", "written"),
    [
        ("UTC", "UTC"),
        ("Europe/Paris", "CET"),
        ("America/New_York", "EST"),
        ("Asia/Yakutsk", "UTC+9"),  # tzdata's abbreviation is "+09"
        ("America/Bogota", "UTC-5"),  # "-05"
        ("Asia/Kathmandu", "UTC+05:45"),  # "+0545"
        ("Asia/Tehran", "UTC+03:30"),  # "+0330"
    ],
)
def test_a_zone_is_named_by_its_abbreviation_or_its_offset_never_plus_nine(
    zone: str, written: str
) -> None:
    assert i18n.zone_label(AT.astimezone(i18n.zone(zone))) == written


def test_a_fixed_offset_without_a_name_is_an_offset_from_utc() -> None:
    assert i18n.zone_label(AT.astimezone(timezone(timedelta(hours=5, minutes=30)))) == ("UTC+05:30")
    assert i18n.zone_label(AT.astimezone(timezone(timedelta(hours=-3)))) == "UTC-3"
    assert i18n.zone_label(AT.astimezone(timezone(timedelta(0)))) == "UTC"


@pytest.mark.parametrize(
    ("language", "zone", "expected"),
    [
        ("en", "Asia/Yakutsk", ["November 28, 2026", "10:30:00", "UTC+9"]),
        ("fr", "Asia/Kathmandu", ["28 novembre 2026", "19:15:00", "UTC+05:45"]),
        ("es", "Europe/Paris", ["28 de noviembre de 2026", "14:30:00", "CET"]),
        ("ar", "America/Bogota", ["نوفمبر 2026", "8:30:00", "\u2066UTC-5\u2069"]),
    ],
)
def test_a_long_time_is_in_the_readers_zone_and_names_it(
    language: str, zone: str, expected: list[str]
) -> None:
    i18n.read_as(language, i18n.zone(zone))
    written = i18n.moment(AT, "long")
    for part in expected:
        assert part in written, written
    assert "+09" not in written and "+0545" not in written and "-0500" not in written


def test_short_times_are_in_the_readers_zone() -> None:
    i18n.read_as("fr", i18n.zone("Asia/Kolkata"))
    assert i18n.moment(AT, "short") == "28/11/2026 19:00"
    assert i18n.moment(None) == ""


def test_the_zone_hint_names_the_zone_and_its_offset() -> None:
    i18n.read_as("en", i18n.zone("Asia/Yakutsk"))
    assert i18n.zone_name() == "Asia/Yakutsk (UTC+9)"
    i18n.read_as("en", UTC)
    assert i18n.zone_name() == "UTC"


def test_a_day_is_the_readers_day_and_a_date_is_written_as_it_is() -> None:
    i18n.read_as("fr", i18n.zone("Pacific/Auckland"))
    assert i18n.day(datetime(2026, 11, 28, 20, 0, tzinfo=UTC)) == "29 nov. 2026"
    assert i18n.day(date(1990, 4, 2)) == "2 avr. 1990"
    assert i18n.day(None) == ""


def test_on_a_right_to_left_page_a_time_is_kept_whole_inside_its_line() -> None:
    """First strong isolate ... pop directional isolate: a date after a Latin name is not
    torn apart by it (the name's direction would otherwise carry the day along)."""
    i18n.read_as("ar", UTC)
    assert i18n.moment(AT, "short").startswith("\u2068")
    assert i18n.moment(AT, "short").endswith("\u2069")
    assert i18n.day(AT).startswith("\u2068")
    i18n.read_as("fr", UTC)
    assert "\u2068" not in i18n.moment(AT, "long") + i18n.day(AT)
