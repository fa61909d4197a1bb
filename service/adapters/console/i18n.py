"""The console's languages: message catalogues, the language and time zone of the
request, and dates and numbers written the way its reader writes them.

Catalogues are the `.po` files under `locales/` (made with Babel, see docs/console.md),
compiled in memory when the console starts, so no binary file is kept in the
repository. The language and time zone of the request being answered live in context
variables: templates and handlers ask for them without passing them along.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
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
    """A point in time in the reader's zone and language, e.g. 28 Nov 2026, 14:30."""
    if value is None:
        return ""
    current = reading()
    return format_datetime(value, style, tzinfo=current.time_zone, locale=current.locale)


def day(value: datetime | None) -> str:
    if value is None:
        return ""
    current = reading()
    return format_date(value.astimezone(current.time_zone), "medium", locale=current.locale)


def number(value: float | int) -> str:
    return format_decimal(value, locale=reading().locale)


def share(value: float) -> str:
    return format_percent(value, locale=reading().locale)


def N_(message: str) -> str:  # noqa: N802 - the name Babel's extractor looks for
    """Marks a message for the catalogue where it is defined; translated where shown."""
    return message
