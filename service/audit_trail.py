"""Use cases for the audit trail: verify it, anchor its head, read it."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.audit import ChainVerifier, Verification
from service.domain.ports.audit import AuditFilter, StoredAuditEvent
from service.domain.ports.unit_of_work import UnitOfWork
from service.recovery_access import recovery_for

PAGE = 1000
MAX_EVENTS = 500


async def verify_audit_trail(*, deps: Dependencies, actor: Actor | None) -> Verification:
    """Recompute the whole chain against its recorded head. `actor` None: the console."""
    if actor is not None:
        authorize(actor, Action.AUDIT_VERIFY)
    async with deps.unit_of_work() as uow:
        return await verify_in(uow)


async def verify_in(uow: UnitOfWork) -> Verification:
    """The whole chain against the head. Events keep arriving while the chain is read
    (read records are written in the background), each with its head in the same
    transaction: a head read after the chain is never behind it, and when it is ahead the
    events that arrived meanwhile are read and checked too. A chain that runs past its
    head (an event added without moving it) is still a break."""
    verifier = ChainVerifier()
    after = 0
    while True:
        page = await uow.audit.chain(after_seq=after, limit=PAGE)
        for event in page:
            if not verifier.feed(event):
                return verifier.result()
        if page:
            after = page[-1].seq
        if len(page) < PAGE:
            head = await uow.audit.head()
            # Nothing new to read while the head is ahead: the chain was cut short.
            if head[0] <= after or not page:
                return verifier.result(expected_head=head)


async def audit_head(*, deps: Dependencies, actor: Actor) -> tuple[int, str]:
    """Position and hash of the last event: record it elsewhere to anchor the chain."""
    authorize(actor, Action.AUDIT_READ)
    async with deps.unit_of_work() as uow:
        return await uow.audit.head()


async def audit_events(
    *,
    deps: Dependencies,
    actor: Actor,
    audit_filter: AuditFilter,
    before_seq: int | None,
    limit: int,
) -> list[StoredAuditEvent]:
    """Events, newest first. Auditors see what their agency's people did; system auditors
    see everything."""
    authorize(actor, Action.AUDIT_READ)
    audit_filter.check()
    if not actor.across_agencies(Action.AUDIT_READ):
        audit_filter = replace(audit_filter, agency_id=actor.agency_id)
    async with deps.unit_of_work() as uow:
        return await uow.audit.events(
            audit_filter, after_seq=before_seq, limit=max(1, min(limit, MAX_EVENTS))
        )


async def recovery_history(
    *, deps: Dependencies, actor: Actor, recovery_id: UUID, before_seq: int | None, limit: int
) -> list[StoredAuditEvent]:
    """Who did what to a recovery: for its agency's investigators and supervisors, its
    agency's auditors, and system auditors."""
    async with deps.unit_of_work() as uow:
        await recovery_for(uow, actor, Action.RECOVERY_HISTORY, recovery_id)
        return await uow.audit.events(
            AuditFilter(entity_type="recovery", entity_id=str(recovery_id)),
            after_seq=before_seq,
            limit=max(1, min(limit, MAX_EVENTS)),
        )
