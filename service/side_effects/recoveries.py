"""What recording or correcting a recovery calls for: its audit event, a check against
every configured registry, and its linking into the case networks."""

from __future__ import annotations

from service.domain.events import RecoveryCorrected, RecoveryRecorded
from service.network_linking import network_link_message
from service.registry_checks import registry_check_messages
from service.side_effects.effects import Effects, HandlerTable


async def check_registries(effects: Effects, event: RecoveryRecorded | RecoveryCorrected) -> None:
    for check in registry_check_messages(effects.deps, event.recovery_id, event.version):
        effects.send(check)


async def link(effects: Effects, event: RecoveryRecorded | RecoveryCorrected) -> None:
    effects.send(network_link_message(effects.deps, event.recovery_id))


async def audit_recorded(effects: Effects, event: RecoveryRecorded) -> None:
    effects.audit(
        actor=event.actor,
        action="recovery.recorded",
        entity_type="recovery",
        entity_id=event.recovery_id,
        changes={"recorded": event.evidence},
    )


async def audit_corrected(effects: Effects, event: RecoveryCorrected) -> None:
    effects.audit(
        actor=event.actor,
        action="recovery.corrected",
        entity_type="recovery",
        entity_id=event.recovery_id,
        changes={
            "version": event.version,
            "fields": {c.field: {"before": c.before, "after": c.after} for c in event.changes},
        },
        reason=event.reason,
    )


HANDLERS: HandlerTable = {
    RecoveryRecorded: [check_registries, link, audit_recorded],
    RecoveryCorrected: [check_registries, link, audit_corrected],
}
