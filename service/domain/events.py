"""What happened to aggregates, collected by them and drained by the unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from service.domain.recovery import FieldChange


@dataclass(frozen=True, slots=True)
class RecoveryRecorded:
    recovery_id: UUID
    agency_id: UUID
    at: datetime
    by: UUID


@dataclass(frozen=True, slots=True)
class RecoveryCorrected:
    recovery_id: UUID
    agency_id: UUID
    version: int
    changes: tuple[FieldChange, ...]
    reason: str
    at: datetime
    by: UUID


DomainEvent = RecoveryRecorded | RecoveryCorrected
