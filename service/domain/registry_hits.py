"""Registry hits: what the configured registries said about a recovery's items.

Each check of a recovery against a registry is reconciled with the hits already stored
for that pair: new matches are added, matches no longer found (the serial was corrected,
the registry changed its record) are cleared, never deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from service.domain.matching import MatchKind
from service.domain.registry import ALERTING, RegistryMatch, RegistryStatus


@dataclass(frozen=True, slots=True)
class RegistryHit:
    id: UUID
    recovery_id: UUID
    item_id: UUID
    agency_id: UUID
    registry: str
    reference: str
    status: RegistryStatus
    match_kind: MatchKind
    confidence: float
    record: Mapping[str, Any]  # the registry's record as it was when found
    found_at: datetime
    recovery_version: int
    cleared_at: datetime | None = None

    @property
    def alerting(self) -> bool:
        return self.cleared_at is None and self.status in ALERTING

    @property
    def key(self) -> tuple[UUID, str, str]:
        return (self.item_id, self.registry, self.reference)


@dataclass(frozen=True, slots=True)
class Reconciled:
    found: list[RegistryHit]
    updated: list[RegistryHit]  # same record, now matching otherwise or with a new status
    cleared: list[RegistryHit]

    @property
    def changed(self) -> bool:
        return bool(self.found or self.updated or self.cleared)


def reconcile(
    current: Iterable[RegistryHit],
    matches: Mapping[UUID, list[RegistryMatch]],
    *,
    recovery_id: UUID,
    agency_id: UUID,
    recovery_version: int,
    registry: str,
    now: datetime,
    new_id: Callable[[], UUID],
) -> Reconciled:
    """Compare a registry's answer for each item (`matches`) with the hits stored for
    this recovery and registry."""
    standing = {h.key: h for h in current if h.registry == registry and h.cleared_at is None}
    seen: set[tuple[UUID, str, str]] = set()
    found: list[RegistryHit] = []
    updated: list[RegistryHit] = []
    for item_id, item_matches in matches.items():
        for match in item_matches:
            key = (item_id, registry, match.record.reference)
            seen.add(key)
            existing = standing.get(key)
            hit = RegistryHit(
                id=existing.id if existing else new_id(),
                recovery_id=recovery_id,
                item_id=item_id,
                agency_id=agency_id,
                registry=registry,
                reference=match.record.reference,
                status=match.record.status,
                match_kind=match.kind,
                confidence=match.confidence,
                record=describe_record(match),
                found_at=existing.found_at if existing else now,
                recovery_version=recovery_version,
            )
            if existing is None:
                found.append(hit)
            elif (existing.status, existing.match_kind, existing.confidence) != (
                hit.status,
                hit.match_kind,
                hit.confidence,
            ):
                updated.append(hit)
    cleared = [replace(h, cleared_at=now) for key, h in standing.items() if key not in seen]
    return Reconciled(found=found, updated=updated, cleared=cleared)


def describe_record(match: RegistryMatch) -> dict[str, Any]:
    record = match.record
    return {
        "reference": record.reference,
        "status": record.status.value,
        "serial": record.identifier.raw,
        "make": record.make.raw if record.make else None,
        "model": record.model,
        "calibre": record.calibre.raw if record.calibre else None,
        "country": record.country,
        "recorded_on": record.recorded_on.isoformat() if record.recorded_on else None,
        "details": dict(record.details),
    }
