"""Firearm registries: databases that know a weapon's status (INTERPOL's iARMS for lost,
stolen, smuggled and trafficked firearms; national registries; manufacturer records).

A registry is searched with the same serial query as tracedesk's own records, and its
records are matched by the same rules, so a hit carries a match kind and a confidence
that mean what they mean everywhere else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final, TypeVar

from service.domain.choices import choose
from service.domain.errors import DomainError, InvalidValue, ValidationCollector
from service.domain.geography import check_country
from service.domain.identifiers import Identifier
from service.domain.matching import (
    MatchKind,
    SerialQuery,
    confidence,
    match_kind,
    stored_keys,
)
from service.domain.reference import ReferenceCatalogue, Resolution
from service.domain.text import check_text

T = TypeVar("T")
MAX_DETAILS: Final = 20


class RegistryStatus(StrEnum):
    LOST = "lost"
    STOLEN = "stolen"
    SMUGGLED = "smuggled"
    TRAFFICKED = "trafficked"
    REGISTERED = "registered"
    DESTROYED = "destroyed"


# A hit alerts only when its match is this strong: one character away, or a partial
# reading, is most often a neighbour of the listed weapon in its maker's run, a lead to
# weigh, not an alarm (the hit is kept and shown all the same).
ALERT_CONFIDENCE: Final = 0.6
# Statuses that make a hit an alert: the weapon should not be where it was recovered.
# A destroyed weapon that resurfaces was never destroyed.
ALERTING: Final = frozenset(
    {
        RegistryStatus.LOST,
        RegistryStatus.STOLEN,
        RegistryStatus.SMUGGLED,
        RegistryStatus.TRAFFICKED,
        RegistryStatus.DESTROYED,
    }
)


@dataclass(frozen=True, slots=True)
class RegistryRecordReport:
    """A record as a registry file or peer gives it, before validation."""

    reference: str
    status: str
    serial: str
    make: str | None = None
    model: str | None = None
    calibre: str | None = None
    country: str | None = None
    recorded_on: date | None = None
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    """A firearm as a registry records it. `reference` is the registry's own identifier;
    `details` are its other fields (reporting agency, case, notes) as it gave them."""

    registry: str
    reference: str
    status: RegistryStatus
    identifier: Identifier
    make: Resolution | None
    model: str | None
    calibre: Resolution | None
    country: str | None = None
    recorded_on: date | None = None
    details: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def read(
        cls, report: RegistryRecordReport, *, registry: str, catalogue: ReferenceCatalogue
    ) -> RegistryRecord:
        """Validate a record; every problem is reported with its field."""
        problems = ValidationCollector()
        _collect(problems, lambda: check_text(report.reference, "reference", max_length=100))
        _collect(problems, lambda: choose(RegistryStatus, report.status, "status"))
        identifier = _collect(problems, lambda: Identifier.read(report.serial, field="serial"))
        for name in ("make", "model", "calibre"):
            _text(problems, getattr(report, name), name, 64)
        if report.country is not None:
            _collect(problems, lambda: check_country(report.country or "", "country"))
        if len(report.details) > MAX_DETAILS:
            problems.add(InvalidValue("details", f"at most {MAX_DETAILS} fields"))
        for key, value in report.details.items():
            _text(problems, key, "details", 64)
            _text(problems, value, f"details.{key}", 1000)
        problems.raise_if_any()
        return cls(
            registry=registry,
            reference=report.reference,
            status=RegistryStatus(report.status),
            identifier=identifier,  # type: ignore[arg-type]  # checked above
            make=catalogue.resolve_make(report.make) if report.make else None,
            model=report.model,
            calibre=catalogue.resolve_calibre(report.calibre) if report.calibre else None,
            country=report.country,
            recorded_on=report.recorded_on,
            details=dict(report.details),
        )

    def fingerprint(self) -> str:
        """A digest of what the registry said, to tell a changed record on re-import."""
        said = {
            "reference": self.reference,
            "status": self.status.value,
            "serial": self.identifier.raw,
            "make": self.make.raw if self.make else None,
            "model": self.model,
            "calibre": self.calibre.raw if self.calibre else None,
            "country": self.country,
            "recorded_on": self.recorded_on.isoformat() if self.recorded_on else None,
            "details": dict(sorted(self.details.items())),
        }
        canonical = json.dumps(said, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def keys(self) -> frozenset[str]:
        """The lookup keys the record is filed under (see `SerialQuery.lookup_keys`)."""
        return stored_keys(self.identifier)


@dataclass(frozen=True, slots=True)
class RegistryMatch:
    record: RegistryRecord
    kind: MatchKind
    confidence: float

    @property
    def alerting(self) -> bool:
        return self.record.status in ALERTING and self.confidence >= ALERT_CONFIDENCE


def registry_matches(
    query: SerialQuery, candidates: Iterable[RegistryRecord], catalogue: ReferenceCatalogue
) -> list[RegistryMatch]:
    """The candidates that match, most trustworthy first (each record once)."""
    found: dict[tuple[str, str], RegistryMatch] = {}
    query_anchor_keys = query.anchor_keys
    for record in candidates:
        key = (record.registry, record.reference)
        if key in found:
            continue
        kind = match_kind(query.identifier, record.identifier, query_anchor_keys)
        if kind is not None:
            found[key] = RegistryMatch(record, kind, confidence(kind, query, record, catalogue))
    return sorted(
        found.values(),
        key=lambda m: (-m.confidence, list(MatchKind).index(m.kind), m.record.reference),
    )


def _text(problems: ValidationCollector, value: str | None, name: str, length: int) -> None:
    if value is not None:
        text = value
        _collect(problems, lambda: check_text(text, name, max_length=length))


def _collect(problems: ValidationCollector, rule: Callable[[], T]) -> T | None:
    try:
        return rule()
    except InvalidValue as error:
        problems.add(error)
        return None


class RegistryUnavailable(DomainError):
    """The registry did not answer usefully (down, slow, broken answer); retry later."""

    def __init__(self, registry: str, reason: str) -> None:
        super().__init__(f"registry {registry!r}: {reason}")
        self.registry = registry
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RegistryImport:
    added: int
    changed: int
    unchanged: int
