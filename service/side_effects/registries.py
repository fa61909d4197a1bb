"""What a registry's answer and an import call for: their audit events, and the linking
of a recovery whose hits changed (a hit links it to the registry's record)."""

from __future__ import annotations

from typing import Any

from service.domain.events import RegistryHitsChanged, RegistryImported
from service.domain.registry_hits import RegistryHit
from service.network_linking import network_link_message
from service.side_effects.effects import Effects, HandlerTable


async def link(effects: Effects, event: RegistryHitsChanged) -> None:
    if event.linked_with_batch:
        return  # with the rest of its batch (HitsChangedInBatch)
    effects.send(network_link_message(effects.deps, event.recovery_id))


async def audit_hits(effects: Effects, event: RegistryHitsChanged) -> None:
    effects.audit(
        actor=None,
        action="registry_hits.changed",
        entity_type="recovery",
        entity_id=event.recovery_id,
        changes={
            "registry": event.registry,
            "recovery_version": event.recovery_version,
            "found": [_summary(h) for h in event.found],
            "updated": [_summary(h) for h in event.updated],
            "cleared": [_summary(h) for h in event.cleared],
        },
    )


def _summary(hit: RegistryHit) -> dict[str, Any]:
    return {
        "item_id": hit.item_id,
        "reference": hit.reference,
        "status": hit.status,
        "match_kind": hit.match_kind,
        "confidence": str(hit.confidence),
    }


async def audit_import(effects: Effects, event: RegistryImported) -> None:
    effects.audit(
        actor=event.actor,
        action="registry.imported",
        entity_type="registry",
        entity_id=event.registry,
        changes={
            "source": event.source,
            "added": event.outcome.added,
            "changed": event.outcome.changed,
            "unchanged": event.outcome.unchanged,
        },
    )


HANDLERS: HandlerTable = {
    RegistryHitsChanged: [link, audit_hits],
    RegistryImported: [audit_import],
}
