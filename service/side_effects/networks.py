"""What decisions on links and the linking itself call for: their audit events, and
bringing the networks in line with a link a person decided on or made."""

from __future__ import annotations

from service.domain.events import LinkDecided, LinkMade, RecoveryLinked
from service.network_linking import relink_message
from service.side_effects.effects import Effects, HandlerTable


async def relink_decided(effects: Effects, event: LinkDecided) -> None:
    effects.send(relink_message(effects.deps, event.after.id))


async def audit_decided(effects: Effects, event: LinkDecided) -> None:
    effects.audit(
        actor=event.actor,
        action=f"network_link.{event.after.status.value}",
        entity_type="network_link",
        entity_id=event.after.id,
        changes={
            "kind": event.before.kind,
            "status": {"before": event.before.status, "after": event.after.status},
            "source_id": event.before.source_id,
            "target_id": event.before.target_id,
        },
        reason=event.reason,
    )


async def relink_made(effects: Effects, event: LinkMade) -> None:
    effects.send(relink_message(effects.deps, event.link.id))


async def audit_made(effects: Effects, event: LinkMade) -> None:
    link = event.link
    effects.audit(
        actor=event.actor,
        action="network_link.made",
        entity_type="network_link",
        entity_id=link.id,
        changes={
            "kind": link.kind,
            "from_recovery_id": event.from_recovery,
            "to_recovery_id": event.to_recovery,
            "confidence": str(link.confidence),
            "evidence": link.evidence,
        },
    )


async def audit_linked(effects: Effects, event: RecoveryLinked) -> None:
    effects.audit(
        actor=None,
        action="network.linked",
        entity_type="recovery",
        entity_id=event.recovery_id,
        changes=event.changes,
    )


HANDLERS: HandlerTable = {
    LinkDecided: [relink_decided, audit_decided],
    LinkMade: [relink_made, audit_made],
    RecoveryLinked: [audit_linked],
}
