"""Registry hits: what the configured registries said about a recovery's items.

Each check of a recovery against a registry is reconciled with the hits already stored
for that pair: new matches are added, matches no longer found (the serial was corrected,
the registry changed its record) are cleared, never deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from service.domain.matching import MatchKind
from service.domain.outbox import OutboxEntry
from service.domain.registry import (
    ALERT_CONFIDENCE,
    ALERTING,
    RegistryMatch,
    RegistryStatus,
)


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
        return (
            self.cleared_at is None
            and self.status in ALERTING
            and self.confidence >= ALERT_CONFIDENCE
        )

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


class CheckState(StrEnum):
    """Where a recovery's check against one registry stands, so that no hits is never
    read as "checked, clean" before the check has run."""

    PENDING = "pending"  # asked for, not run yet
    CHECKED = "checked"  # the latest check asked for has run
    RETRYING = "retrying"  # the registry did not answer; tried again at `next_attempt_at`
    FAILED = "failed"  # given up after the last attempt: an operator must requeue it
    NOT_CHECKED = "not_checked"  # never asked for (the registry was configured later)


@dataclass(frozen=True, slots=True)
class RegistryCheck:
    registry: str
    state: CheckState
    # The last check that ran: when, and which version of the recovery it saw (a newer
    # one may be pending).
    checked_at: datetime | None
    checked_version: int | None
    next_attempt_at: datetime | None


def check_states(registries: Iterable[str], checks: Iterable[OutboxEntry]) -> list[RegistryCheck]:
    """The state of each registry's checks of one recovery, from the check messages
    asked for it (oldest first)."""
    by_registry: dict[str, list[OutboxEntry]] = {}
    for entry in checks:
        by_registry.setdefault(entry.message.payload["registry"], []).append(entry)
    states = []
    for registry in sorted(set(registries)):
        asked = by_registry.get(registry, [])
        ran = [e for e in asked if e.done_at is not None]
        last_ran = ran[-1] if ran else None
        latest = asked[-1] if asked else None
        next_attempt = None
        if latest is None:
            state = CheckState.NOT_CHECKED
        elif latest.done_at is not None:
            state = CheckState.CHECKED
        elif latest.failed_at is not None:
            state = CheckState.FAILED
        elif latest.message.attempts:
            state, next_attempt = CheckState.RETRYING, latest.available_at
        else:
            state = CheckState.PENDING
        states.append(
            RegistryCheck(
                registry=registry,
                state=state,
                checked_at=last_ran.done_at if last_ran else None,
                checked_version=last_ran.message.payload["version"] if last_ran else None,
                next_attempt_at=next_attempt,
            )
        )
    return states
