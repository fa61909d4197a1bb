"""The public shape of the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from service.domain.audit import Verification
from service.domain.ports.audit import StoredAuditEvent


class AuditEventPublic(BaseModel):
    seq: int = Field(description="Position in the chain")
    id: UUID
    occurred_at: datetime
    action: str = Field(examples=["recovery.corrected"])
    entity_type: str
    entity_id: str
    actor_id: UUID | None
    actor_kind: str | None
    actor_agency_id: UUID | None
    changes: Any = Field(description="Before/after of what changed, or what was recorded")
    reason: str | None
    request_id: str | None
    prev_hash: str
    hash: str


class AuditEventPage(BaseModel):
    events: list[AuditEventPublic] = Field(description="Newest first")
    next_before_seq: int | None = Field(description="Pass as `before_seq` for older events")


class AuditHead(BaseModel):
    seq: int
    hash: str = Field(description="SHA-256 of the last event; record it elsewhere to anchor")


class AuditVerification(BaseModel):
    status: str = Field(description="ok, or broken")
    count: int = Field(description="Events verified")
    head_seq: int
    head_hash: str
    broken_at: int | None = Field(default=None, description="First position where it breaks")
    problem: str | None = Field(default=None, description="changed, missing or reordered")
    detail: str | None = None


def event_public(stored: StoredAuditEvent) -> AuditEventPublic:
    e = stored.event
    return AuditEventPublic(
        seq=stored.seq,
        id=e.id,
        occurred_at=e.occurred_at,
        action=e.action,
        entity_type=e.entity_type,
        entity_id=e.entity_id,
        actor_id=e.actor_id,
        actor_kind=e.actor_kind,
        actor_agency_id=e.actor_agency_id,
        changes=e.changes,
        reason=e.reason,
        request_id=e.request_id,
        prev_hash=stored.prev_hash,
        hash=stored.hash,
    )


def page(events: list[StoredAuditEvent], limit: int) -> AuditEventPage:
    return AuditEventPage(
        events=[event_public(e) for e in events],
        next_before_seq=events[-1].seq if len(events) == limit and events else None,
    )


def verification_public(result: Verification) -> AuditVerification:
    return AuditVerification(
        status="ok" if result.ok else "broken",
        count=result.count,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        broken_at=result.broken_at,
        problem=result.problem.value if result.problem else None,
        detail=result.detail,
    )
