"""Use cases for recoveries: record, correct, read, list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.geography import LocationReport
from service.domain.items import ItemReport
from service.domain.persons import PersonReport
from service.domain.ports.recoveries import RecoveryCursor, RecoveryFilter, RecoveryPage
from service.domain.recovery import Circumstances, Recovery, RecoveryCorrection
from service.recovery_access import recovery_for

MAX_PAGE_SIZE = 200


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
        by=actor,
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
            by=actor,
            new_id=deps.ids.new_id,
            catalogue=deps.catalogue,
        )
        if recorded is not None:
            uow.recoveries.save(recovery)
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
    """The actor's agency's recoveries, newest first, one page at a time; from the read
    replica when there is one, so a recovery recorded a moment ago may be missing. A
    filter that can find nothing (an unknown country, a period ending before it starts)
    is refused with InvalidValue."""
    authorize(actor, Action.RECOVERY_READ)
    recovery_filter.check()
    async with deps.reading() as uow:
        return await uow.recoveries.page(
            agency_id=actor.agency_id,
            recovery_filter=recovery_filter,
            after=after,
            limit=min(limit, MAX_PAGE_SIZE),
        )
