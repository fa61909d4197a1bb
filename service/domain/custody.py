"""Chains of custody: the history a tracing officer reconstructs for a recovered weapon.

Each event names the party that acted in it (the manufacturer that made it, the exporter
that shipped it, the dealer that sold it or the retail purchaser who bought it...) and a
date. The chain must be plausible: dates in order and not after the recovery, parties in
roles that fit the event, countries as ISO codes. From it comes time-to-crime, the classic
indicator of trafficking: days from the first retail sale (or, failing one, the last legal
transfer) to the recovery.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final, TypeVar

from service.domain.choices import choose
from service.domain.errors import InvalidValue, ValidationCollector
from service.domain.geography import check_country
from service.domain.text import check_text

T = TypeVar("T")

MAX_CUSTODY_EVENTS: Final = 100
EARLIEST_CUSTODY_DATE: Final = date(1800, 1, 1)


class CustodyEventKind(StrEnum):
    MANUFACTURE = "manufacture"
    EXPORT = "export"
    IMPORT = "import"
    SALE = "sale"
    TRANSFER = "transfer"
    REPORTED_LOST = "reported_lost"
    REPORTED_STOLEN = "reported_stolen"
    GOVERNMENT_CUSTODY = "government_custody"


class PartyRole(StrEnum):
    MANUFACTURER = "manufacturer"
    EXPORTER = "exporter"
    IMPORTER = "importer"
    WHOLESALER = "wholesaler"
    DEALER = "dealer"
    RETAIL_PURCHASER = "retail_purchaser"
    GOVERNMENT_HOLDER = "government_holder"


_ANY_ROLE: Final = frozenset(PartyRole)

# Who can act in each event. A sale names either side of it (the dealer who sold, or
# the purchaser who bought); a loss or theft is reported by whoever held the weapon.
ROLES_FOR_EVENT: Final[dict[CustodyEventKind, frozenset[PartyRole]]] = {
    CustodyEventKind.MANUFACTURE: frozenset({PartyRole.MANUFACTURER}),
    CustodyEventKind.EXPORT: frozenset(
        {
            PartyRole.EXPORTER,
            PartyRole.MANUFACTURER,
            PartyRole.WHOLESALER,
            PartyRole.GOVERNMENT_HOLDER,
        }
    ),
    CustodyEventKind.IMPORT: frozenset({PartyRole.IMPORTER, PartyRole.GOVERNMENT_HOLDER}),
    CustodyEventKind.SALE: frozenset(
        {
            PartyRole.MANUFACTURER,
            PartyRole.IMPORTER,
            PartyRole.WHOLESALER,
            PartyRole.DEALER,
            PartyRole.RETAIL_PURCHASER,
        }
    ),
    CustodyEventKind.TRANSFER: _ANY_ROLE,
    CustodyEventKind.REPORTED_LOST: _ANY_ROLE,
    CustodyEventKind.REPORTED_STOLEN: _ANY_ROLE,
    CustodyEventKind.GOVERNMENT_CUSTODY: frozenset({PartyRole.GOVERNMENT_HOLDER}),
}

# Events by which a weapon legally changes hands.
_LEGAL_TRANSFERS: Final = frozenset(
    {
        CustodyEventKind.EXPORT,
        CustodyEventKind.IMPORT,
        CustodyEventKind.SALE,
        CustodyEventKind.TRANSFER,
        CustodyEventKind.GOVERNMENT_CUSTODY,
    }
)


@dataclass(frozen=True, slots=True)
class PartyReport:
    name: str
    role: str
    country: str
    licence: str | None = None


@dataclass(frozen=True, slots=True)
class CustodyEventReport:
    """A custody event as the tracing officer entered it."""

    kind: str
    date: date
    party: PartyReport


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    role: PartyRole
    country: str
    # Licence or registration number: how a dealer or importer is known across traces.
    licence: str | None = None


@dataclass(frozen=True, slots=True)
class CustodyEvent:
    kind: CustodyEventKind
    date: date
    party: Party


def read_chain(
    reports: Sequence[CustodyEventReport], *, recovered_on: date, field: str = "chain_of_custody"
) -> tuple[CustodyEvent, ...]:
    """Validate a chain of custody as a whole; every problem is reported with its path."""
    problems = ValidationCollector()
    if len(reports) > MAX_CUSTODY_EVENTS:
        problems.add(InvalidValue(field, f"at most {MAX_CUSTODY_EVENTS} events"))
        problems.raise_if_any()
    events: list[CustodyEvent] = []
    previous: date | None = None
    for index, report in enumerate(reports):
        path = f"{field}.{index}"
        event = _read_event(report, path, problems)
        if report.date > recovered_on:
            problems.add(InvalidValue(f"{path}.date", "lies after the recovery of the item"))
        elif report.date < EARLIEST_CUSTODY_DATE:
            problems.add(InvalidValue(f"{path}.date", "lies before 1800"))
        if previous is not None and report.date < previous:
            problems.add(
                InvalidValue(
                    f"{path}.date", f"is earlier than the event before it ({previous.isoformat()})"
                )
            )
        previous = report.date
        if event is not None:
            events.append(event)
    problems.raise_if_any()
    return tuple(events)


def _read_event(
    report: CustodyEventReport, path: str, problems: ValidationCollector
) -> CustodyEvent | None:
    kind = _checked(problems, lambda: choose(CustodyEventKind, report.kind, f"{path}.kind"))
    role = _checked(problems, lambda: choose(PartyRole, report.party.role, f"{path}.party.role"))
    name = _checked(
        problems, lambda: check_text(report.party.name, f"{path}.party.name", max_length=200)
    )
    country = _checked(
        problems, lambda: check_country(report.party.country, f"{path}.party.country")
    )
    licence = report.party.licence
    if licence is not None:
        licence = _checked(
            problems, lambda: check_text(licence or "", f"{path}.party.licence", max_length=64)
        )
    if kind is not None and role is not None and role not in ROLES_FOR_EVENT[kind]:
        fitting = ", ".join(sorted(r.value for r in ROLES_FOR_EVENT[kind]))
        problems.add(
            InvalidValue(
                f"{path}.party.role",
                f"a {role.value} does not act in a {kind.value} event (one of: {fitting})",
            )
        )
        return None
    if kind is None or role is None or name is None or country is None:
        return None
    return CustodyEvent(
        kind=kind,
        date=report.date,
        party=Party(name=name, role=role, country=country, licence=licence),
    )


def _checked(problems: ValidationCollector, rule: Callable[[], T]) -> T | None:
    try:
        return rule()
    except InvalidValue as error:
        problems.add(error)
        return None


def time_to_crime(chain: Sequence[CustodyEvent], *, recovered_on: date) -> int | None:
    """Days from the first retail sale to the recovery; without a retail sale, from the
    last legal transfer. None when the chain has neither."""
    start = next(
        (
            event.date
            for event in chain
            if event.kind is CustodyEventKind.SALE
            and event.party.role is PartyRole.RETAIL_PURCHASER
        ),
        None,
    )
    if start is None:
        start = next(
            (event.date for event in reversed(chain) if event.kind in _LEGAL_TRANSFERS), None
        )
    if start is None:
        return None
    return (recovered_on - start).days
