"""Use cases for recoveries: record, correct, read, list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from service.auditing import audit_event
from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.geography import LocationReport
from service.domain.items import ItemReport
from service.domain.persons import PersonReport
from service.domain.ports import RecoveryCursor, RecoveryFilter, RecoveryPage
from service.domain.recovery import Circumstances, Recovery, RecoveryCorrection
from service.network_linking import network_link_message
from service.recovery_access import recovery_for
from service.registry_checks import registry_check_messages

MAX_PAGE_SIZE = 200


def evidence_as_recorded(recovery: Recovery) -> dict[str, Any]:
    """What was entered, as the audit trail keeps it: raw values, not derived ones."""
    return {
        "agency_id": recovery.agency_id,
        "case_reference": recovery.case_reference,
        "recovered_at": recovery.recovered_at,
        "location": recovery.location,
        "circumstances": recovery.circumstances,
        "possessor": recovery.possessor,
        # The report's fields as they are: recorded_value turns them into JSON, nested
        # values included, so a deep copy by asdict would be done twice.
        "items": [
            {"id": item.id, "kind": item.kind, **_fields_of(item.report())}
            for item in recovery.items
        ],
    }


def _fields_of(report: Any) -> dict[str, Any]:
    return {f.name: getattr(report, f.name) for f in fields(report)}


@dataclass(frozen=True, slots=True)
class RecordRecovery:
    case_reference: str
    recovered_at: datetime
    location: LocationReport
    circumstances: Circumstances
    items: Sequence[ItemReport]
    possessor: PersonReport | None = None


async def record_recovery(*, deps: Dependencies, actor: Actor, command: RecordRecovery) -> Recovery:
    """Record a recovery for the actor's agency."""
    authorize(actor, Action.RECOVERY_RECORD)
    recovery = Recovery.record(
        recovery_id=deps.ids.new_id(),
        agency_id=actor.agency_id,
        recorded_by=actor.id,
        now=deps.clock.now(),
        case_reference=command.case_reference,
        recovered_at=command.recovered_at,
        location=command.location,
        circumstances=command.circumstances,
        items=command.items,
        possessor=command.possessor,
        new_id=deps.ids.new_id,
        catalogue=deps.catalogue,
    )
    async with deps.unit_of_work() as uow:
        uow.recoveries.add(recovery)
        for check in registry_check_messages(deps, recovery):
            uow.outbox.add(check)
        uow.outbox.add(network_link_message(deps, recovery.id))
        uow.audit.append(
            audit_event(
                deps,
                actor=actor,
                action="recovery.recorded",
                entity_type="recovery",
                entity_id=recovery.id,
                changes={"recorded": evidence_as_recorded(recovery)},
            )
        )
        await uow.commit()
    return recovery


async def get_recovery(*, deps: Dependencies, actor: Actor, recovery_id: UUID) -> Recovery:
    authorize(actor, Action.RECOVERY_READ)
    async with deps.unit_of_work() as uow:
        return await recovery_for(uow, actor, Action.RECOVERY_READ, recovery_id)


async def correct_recovery(
    *,
    deps: Dependencies,
    actor: Actor,
    recovery_id: UUID,
    expected_version: int,
    correction: RecoveryCorrection,
    reason: str,
) -> Recovery:
    """Correct a recovery the caller read at `expected_version`; earlier values are kept."""
    authorize(actor, Action.RECOVERY_CORRECT)
    async with deps.unit_of_work() as uow:
        recovery = await recovery_for(uow, actor, Action.RECOVERY_CORRECT, recovery_id)
        recorded = recovery.correct(
            correction,
            reason=reason,
            expected_version=expected_version,
            now=deps.clock.now(),
            by=actor.id,
            new_id=deps.ids.new_id,
            catalogue=deps.catalogue,
        )
        if recorded is not None:
            uow.recoveries.save(recovery)
            for check in registry_check_messages(deps, recovery):
                uow.outbox.add(check)
            uow.outbox.add(network_link_message(deps, recovery.id))
            uow.audit.append(
                audit_event(
                    deps,
                    actor=actor,
                    action="recovery.corrected",
                    entity_type="recovery",
                    entity_id=recovery.id,
                    changes={
                        "version": recorded.version,
                        "fields": {
                            c.field: {"before": c.before, "after": c.after}
                            for c in recorded.changes
                        },
                    },
                    reason=reason,
                )
            )
            await uow.commit()
    return recovery


async def list_recoveries(
    *,
    deps: Dependencies,
    actor: Actor,
    recovery_filter: RecoveryFilter,
    after: RecoveryCursor | None,
    limit: int,
) -> RecoveryPage:
    """The actor's agency's recoveries, newest first, one page at a time."""
    authorize(actor, Action.RECOVERY_READ)
    async with deps.unit_of_work() as uow:
        return await uow.recoveries.page(
            agency_id=actor.agency_id,
            recovery_filter=recovery_filter,
            after=after,
            limit=min(limit, MAX_PAGE_SIZE),
        )
