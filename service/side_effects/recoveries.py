"""What recording or correcting a recovery calls for: its audit event, a check against
every configured registry, and its linking into the case networks. A photo attached to
one of its items is audited with the recovery, with the digests of its files."""

from __future__ import annotations

from service.domain.events import PhotoAttached, RecoveryCorrected, RecoveryRecorded
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


async def audit_photo_attached(effects: Effects, event: PhotoAttached) -> None:
    effects.audit(
        actor=event.actor,
        action="recovery.photo_attached",
        entity_type="recovery",
        entity_id=event.recovery_id,
        changes={
            "photo": {
                "id": event.photo_id,
                "item_id": event.item_id,
                "sha256": event.sha256,
                "thumbnail_sha256": event.thumbnail_sha256,
                "media_type": event.media_type,
                "byte_size": event.byte_size,
                "width": event.width,
                "height": event.height,
                "caption": event.caption,
            }
        },
    )


HANDLERS: HandlerTable = {
    RecoveryRecorded: [check_registries, link, audit_recorded],
    RecoveryCorrected: [check_registries, link, audit_corrected],
    PhotoAttached: [audit_photo_attached],
}
