"""Checking recoveries against the configured registries, through the outbox.

Recording or correcting a recovery writes one outbox message per registry in the same
unit of work; the worker runs the checks later, reconciles each registry's answer with
the hits already stored, and records in the audit trail what changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

import structlog

from service.dependencies import Dependencies
from service.domain.access import Action, Actor
from service.domain.events import RegistryHitsChanged
from service.domain.matching import SerialQuery
from service.domain.outbox import REGISTRY_CHECK, HandlingFailed, OutboxMessage
from service.domain.ports.registries import FirearmRegistry
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.recovery import Recovery
from service.domain.registry import RegistryMatch, RegistryUnavailable
from service.domain.registry_hits import RegistryCheck, RegistryHit, check_states, reconcile
from service.recovery_access import recovery_for

log = structlog.get_logger("tracedesk.registries")


def registry_check_messages(
    deps: Dependencies, recovery_id: UUID, version: int
) -> list[OutboxMessage]:
    """One check per configured registry, for the recovery at `version`."""
    now = deps.clock.now()
    return [
        OutboxMessage(
            id=deps.ids.new_id(),
            topic=REGISTRY_CHECK,
            payload={"recovery_id": str(recovery_id), "registry": name, "version": version},
            created_at=now,
            subject=checks_subject(recovery_id),
        )
        for name in deps.registries
    ]


def checks_subject(recovery_id: UUID) -> str:
    return f"recovery:{recovery_id}"


class RegistryCheckHandler:
    """Handles `registry.check` messages a batch at a time."""

    topic = REGISTRY_CHECK

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def prepare(self) -> None:
        pass

    async def handle(
        self, uow: UnitOfWork, messages: Sequence[OutboxMessage]
    ) -> dict[UUID, HandlingFailed]:
        """Stage the hits of every check that could be made; return the messages whose
        registry could not answer, with why."""
        pairs: dict[tuple[UUID, str], list[OutboxMessage]] = defaultdict(list)
        for message in messages:
            pairs[(UUID(message.payload["recovery_id"]), message.payload["registry"])].append(
                message
            )
        recovery_ids = sorted({recovery_id for recovery_id, _ in pairs})
        recoveries = {r.id: r for r in await uow.recoveries.get_many(recovery_ids)}
        standing: dict[UUID, list[RegistryHit]] = defaultdict(list)
        for hit in await uow.registry_hits.for_recoveries(recovery_ids):
            standing[hit.recovery_id].append(hit)
        failures: dict[UUID, HandlingFailed] = {}
        for (recovery_id, name), asked in pairs.items():
            recovery, registry = recoveries.get(recovery_id), self._deps.registries.get(name)
            if recovery is None or registry is None:
                # Nothing left to check: a registry removed from the configuration.
                log.warning("registry check dropped", registry=name, recovery_id=str(recovery_id))
                continue
            try:
                matches = await _search(registry, recovery)
            except RegistryUnavailable as unavailable:
                failures |= {m.id: HandlingFailed(unavailable.reason) for m in asked}
                continue
            self._record(uow, recovery, name, standing[recovery_id], matches)
        return failures

    def _record(
        self,
        uow: UnitOfWork,
        recovery: Recovery,
        registry: str,
        standing: list[RegistryHit],
        matches: Mapping[UUID, list[RegistryMatch]],
    ) -> None:
        deps = self._deps
        outcome = reconcile(
            standing,
            matches,
            recovery_id=recovery.id,
            agency_id=recovery.agency_id,
            recovery_version=recovery.version,
            registry=registry,
            now=deps.clock.now(),
            new_id=deps.ids.new_id,
        )
        if not outcome.changed:
            return
        for hit in outcome.found:
            uow.registry_hits.add(hit)
        for hit in (*outcome.updated, *outcome.cleared):
            uow.registry_hits.update(hit)
        uow.record(
            RegistryHitsChanged(
                recovery_id=recovery.id,
                recovery_version=recovery.version,
                registry=registry,
                found=outcome.found,
                updated=outcome.updated,
                cleared=outcome.cleared,
            )
        )


async def _search(registry: FirearmRegistry, recovery: Recovery) -> dict[UUID, list[RegistryMatch]]:
    matches: dict[UUID, list[RegistryMatch]] = {}
    for item in recovery.items:
        found: list[RegistryMatch] = []
        for _, identifier in item.identifiers():
            query = SerialQuery(
                identifier=identifier, make=item.make, model=item.model, calibre=item.calibre
            )
            found += await registry.search(query)
        matches[item.id] = found
    return matches


async def current_alerts(*, deps: Dependencies, recovery: Recovery) -> list[RegistryHit]:
    """The alerting hits of a recovery the caller has been allowed to read."""
    async with deps.unit_of_work() as uow:
        hits = await uow.registry_hits.for_recoveries([recovery.id])
    return [hit for hit in hits if hit.alerting]


@dataclass(frozen=True, slots=True)
class RegistryFindings:
    """What the registries said about a recovery, and how far their checks have got."""

    hits: list[RegistryHit]  # current and cleared
    checks: list[RegistryCheck]  # one per configured registry


async def registry_hits(*, deps: Dependencies, actor: Actor, recovery_id: UUID) -> RegistryFindings:
    """A recovery's registry hits and the state of its checks, for those who may see it."""
    async with deps.unit_of_work() as uow:
        await recovery_for(uow, actor, Action.RECOVERY_READ, recovery_id)
        return await findings_in(deps, uow, recovery_id)


async def findings_in(deps: Dependencies, uow: UnitOfWork, recovery_id: UUID) -> RegistryFindings:
    """The findings about a recovery the caller was allowed to read (recovery_for)."""
    hits = await uow.registry_hits.for_recoveries([recovery_id])
    asked = await uow.outbox.about(checks_subject(recovery_id))
    checks = [entry for entry in asked if entry.message.topic == REGISTRY_CHECK]
    return RegistryFindings(hits, check_states(deps.registries, checks))
