"""The console's languages: message catalogues, the language and time zone of the
request, and dates and numbers written the way its reader writes them.

Catalogues are the `.po` files under `locales/` (made with Babel, see docs/console.md),
compiled in memory when the console starts, so no binary file is kept in the
repository. The language and time zone of the request being answered live in context
variables: templates and handlers ask for them without passing them along.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from service.domain.identity import LANGUAGES

LOCALES_DIR: Final = Path(__file__).with_name("locales")
DEFAULT_LANGUAGE: Final = "en"
# Written right to left: the page is mirrored, not only its text.
RIGHT_TO_LEFT: Final = frozenset({"ar"})


@dataclass(frozen=True, slots=True)
class Reading:
    """How the person behind the request reads: their language and time zone."""

    language: str
    time_zone: tzinfo

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RIGHT_TO_LEFT else "ltr"

    @property
    def locale(self) -> Locale:
        return _locale(self.language)


_reading: ContextVar[Reading] = ContextVar("console_reading")


def reading() -> Reading:
    return _reading.get(Reading(DEFAULT_LANGUAGE, UTC))


def read_as(language: str, time_zone: tzinfo) -> None:
    _reading.set(Reading(language, time_zone))


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


@cache
def catalogues() -> Mapping[str, gettext.NullTranslations]:
    """Every language's compiled catalogue; English is the source text itself."""
    compiled: dict[str, gettext.NullTranslations] = {DEFAULT_LANGUAGE: gettext.NullTranslations()}
    for language in LANGUAGES:
        source = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
        if language == DEFAULT_LANGUAGE or not source.exists():
            continue
        with source.open("rb") as po:
            catalog = read_po(po, locale=language)
        binary = BytesIO()
        write_mo(binary, catalog, use_fuzzy=False)
        binary.seek(0)
        compiled[language] = gettext.GNUTranslations(binary)
    return compiled


def gettext_(message: str) -> str:
    return catalogues()[reading().language].gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return catalogues()[reading().language].ngettext(singular, plural, n)


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The person's own choice, else the best of the browser's languages we speak."""
    if chosen in LANGUAGES:
        return chosen
    preferred = []
    for part in (accept_language or "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        if tag:
            preferred.append((weight, tag.replace("_", "-")))
    ordered = [tag for _, tag in sorted(preferred, key=lambda p: -p[0])]
    try:
        found = Locale.negotiate(ordered, list(LANGUAGES), sep="-")
    except (ValueError, UnknownLocaleError):
        found = None
    return str(found.language) if found is not None else DEFAULT_LANGUAGE


def zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def moment(value: datetime | None, style: str = "medium") -> str:
    """A point in time in the reader's zone and language, e.g. 28 Nov 2026, 14:30. The
    long and full styles name the zone as `zone_label` does (CET, UTC+9, UTC+05:30)."""
    if value is None:
        return ""
    current = reading()
    if style not in ("long", "full"):
        return _isolated(
            format_datetime(value, style, tzinfo=current.time_zone, locale=current.locale)
        )
    local = value.astimezone(current.time_zone)
    # The locale's own time pattern, with its zone field replaced by our label: Babel
    # would write "+0900" where the zone has no abbreviation.
    zone = zone_label(local)
    if current.direction == "rtl":  # kept left to right inside the line: UTC+9, not 9+UTC
        zone = f"\u2066{zone}\u2069"
    pattern = _ZONE_FIELD.sub(
        lambda field: field[1] or "'" + zone.replace("'", "''") + "'",
        current.locale.time_formats[style].pattern,
    )
    return _isolated(
        str(current.locale.datetime_formats[style])
        .replace("'", "")
        .replace("{0}", format_time(local, pattern, locale=current.locale))
        .replace("{1}", format_date(local, style, locale=current.locale))
    )


def _isolated(text: str) -> str:
    """Text set apart from the line around it on a right-to-left page (Unicode's first
    strong isolate), so that a date after a Latin name is not torn apart by it."""
    return f"\u2068{text}\u2069" if reading().direction == "rtl" else text


# A run of z, Z, O, v, V, x or X outside quotes: the zone in an LDML pattern.
_ZONE_FIELD: Final = re.compile(r"('[^']*')|[zZOvVxX]+")


def zone_label(value: datetime) -> str:
    """The zone of an aware time as people write it: its abbreviation where the zone has
    one (UTC, CET, EST), else its offset from UTC: UTC+9, UTC-3, UTC+05:30, never +09."""
    name = value.tzname() or ""
    if name.isalpha():
        return name
    offset = value.utcoffset()
    if offset is None:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" if rest == 0 else f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_name() -> str:
    """The reader's zone for a hint: its IANA name and where it stands now, e.g.
    Asia/Tokyo (UTC+9); plain UTC when that is the zone."""
    current = reading().time_zone
    now = datetime.now(current)
    label = zone_label(now)
    key = getattr(current, "key", None)
    return f"{key} ({label})" if key and key != label else label


def day(value: date | datetime | None) -> str:
    """A day in the reader's language; a point in time is first put in the reader's zone."""
    if value is None:
        return ""
    current = reading()
    if isinstance(value, datetime):
        value = value.astimezone(current.time_zone)
    return _isolated(format_date(value, "medium", locale=current.locale))


def number(value: float | int) -> str:
    return format_decimal(value, locale=reading().locale)


def share(value: float) -> str:
    return format_percent(value, locale=reading().locale)


def N_(message: str) -> str:  # noqa: N802 - the name Babel's extractor looks for
    """Marks a message for the catalogue where it is defined; translated where shown."""
    return message
