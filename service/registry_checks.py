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
from service.domain.events import HitsChangedInBatch, RegistryHitsChanged
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


def batch_check_messages(
    deps: Dependencies, recovery_ids: Sequence[UUID], *, subject: str
) -> list[OutboxMessage]:
    """One check per configured registry for many new recoveries (an import's batch)."""
    now = deps.clock.now()
    ids = [str(recovery_id) for recovery_id in recovery_ids]
    return [
        OutboxMessage(
            id=deps.ids.new_id(),
            topic=REGISTRY_CHECK,
            payload={"recovery_ids": ids, "registry": name, "version": 1},
            created_at=now,
            subject=subject,
        )
        for name in deps.registries
    ]


def checks_subject(recovery_id: UUID) -> str:
    return f"recovery:{recovery_id}"


def import_subject(import_id: UUID, batch: int) -> str:
    """The subject of a batch's checks: a recovery it landed finds its checks there."""
    return f"import:{import_id}:{batch}"


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
        registry could not answer, with why. A batch's message (an import's) asks for
        many recoveries: each registry is searched for all of them at once."""
        asked: dict[tuple[UUID, str], list[OutboxMessage]] = defaultdict(list)
        batched: set[UUID] = set()
        for message in messages:
            payload = message.payload
            ids = payload.get("recovery_ids") or [payload["recovery_id"]]
            for recovery_id in ids:
                asked[(UUID(recovery_id), payload["registry"])].append(message)
                if "recovery_ids" in payload:
                    batched.add(UUID(recovery_id))
        recovery_ids = sorted({recovery_id for recovery_id, _ in asked})
        recoveries = {r.id: r for r in await uow.recoveries.get_many(recovery_ids)}
        standing: dict[UUID, list[RegistryHit]] = defaultdict(list)
        for hit in await uow.registry_hits.for_recoveries(recovery_ids):
            standing[hit.recovery_id].append(hit)
        by_registry: dict[str, list[Recovery]] = defaultdict(list)
        for recovery_id, name in asked:
            recovery, registry = recoveries.get(recovery_id), self._deps.registries.get(name)
            if recovery is None or registry is None:
                # Nothing left to check: a registry removed from the configuration.
                log.warning("registry check dropped", registry=name, recovery_id=str(recovery_id))
                continue
            by_registry[name].append(recovery)
        failures: dict[UUID, HandlingFailed] = {}
        changed: list[UUID] = []
        for name, checked in by_registry.items():
            try:
                found = await _search(self._deps.registries[name], checked)
            except RegistryUnavailable as unavailable:
                for recovery in checked:
                    failures |= {
                        m.id: HandlingFailed(unavailable.reason) for m in asked[(recovery.id, name)]
                    }
                continue
            for recovery in checked:
                together = recovery.id in batched
                if self._record(
                    uow, recovery, name, standing[recovery.id], found[recovery.id], together
                ):
                    if together:
                        changed.append(recovery.id)
        if changed:
            uow.record(HitsChangedInBatch(sorted(set(changed))))
        return failures

    def _record(
        self,
        uow: UnitOfWork,
        recovery: Recovery,
        registry: str,
        standing: list[RegistryHit],
        matches: Mapping[UUID, list[RegistryMatch]],
        linked_with_batch: bool,
    ) -> bool:
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
            return False
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
                linked_with_batch=linked_with_batch,
            )
        )
        return True


async def _search(
    registry: FirearmRegistry, recoveries: Sequence[Recovery]
) -> dict[UUID, dict[UUID, list[RegistryMatch]]]:
    """Each recovery's matches by item, the registry searched once for all of them."""
    asked: list[tuple[UUID, UUID, SerialQuery]] = []
    for recovery in recoveries:
        for item in recovery.items:
            for _, identifier in item.identifiers():
                query = SerialQuery(
                    identifier=identifier, make=item.make, model=item.model, calibre=item.calibre
                )
                asked.append((recovery.id, item.id, query))
    answers = await registry.search_many([query for _, _, query in asked])
    matches: dict[UUID, dict[UUID, list[RegistryMatch]]] = {
        r.id: {item.id: [] for item in r.items} for r in recoveries
    }
    for (recovery_id, item_id, _), found in zip(asked, answers, strict=True):
        matches[recovery_id][item_id] += found
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
    # An imported recovery was checked with its batch.
    imported = await uow.bulk_recoveries.import_of(recovery_id)
    if imported is not None:
        asked += await uow.outbox.about(import_subject(*imported))
    checks = [entry for entry in asked if entry.message.topic == REGISTRY_CHECK]
    return RegistryFindings(hits, check_states(deps.registries, checks))
