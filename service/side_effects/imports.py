"""What an import calls for: an audit event when it is queued and when it ends, and per
batch that landed one audit event (its lines, the SHA-256 of its rows and of the file,
the recoveries it made), the batch's registry checks and its linking, a message each."""

from __future__ import annotations

import dataclasses

from service.domain.events import (
    HitsChangedInBatch,
    ImportFinished,
    ImportQueued,
    RecoveriesExported,
    RecoveriesImported,
)
from service.network_linking import batch_link_message
from service.registry_checks import batch_check_messages, import_subject
from service.side_effects.effects import Effects, HandlerTable


async def audit_queued(effects: Effects, event: ImportQueued) -> None:
    source = event.source
    effects.audit(
        actor=event.actor,
        action="import.queued",
        entity_type="import",
        entity_id=event.import_id,
        changes={
            "file": source.name,
            "format": source.format,
            "size": source.size,
            "sha256": source.sha256,
            "all_or_nothing": event.all_or_nothing,
            "mapping": event.mapped,
        },
    )


async def audit_batch(effects: Effects, event: RecoveriesImported) -> None:
    effects.audit(
        actor=event.actor,
        action="recoveries.imported",
        entity_type="import",
        entity_id=event.import_id,
        changes={
            "batch": event.batch,
            "lines": [event.first_line, event.last_line],
            "rows": event.rows,
            "rows_sha256": event.rows_sha256,
            "file_sha256": event.file_sha256,
            "recoveries": list(event.recovery_ids),
        },
    )


async def check_batch(effects: Effects, event: RecoveriesImported) -> None:
    subject = import_subject(event.import_id, event.batch)
    for message in batch_check_messages(effects.deps, event.recovery_ids, subject=subject):
        effects.send(message)


async def link_batch(effects: Effects, event: RecoveriesImported | HitsChangedInBatch) -> None:
    effects.send(batch_link_message(effects.deps, event.recovery_ids))


async def audit_finished(effects: Effects, event: ImportFinished) -> None:
    effects.audit(
        actor=event.actor,
        action="import.finished",
        entity_type="import",
        entity_id=event.import_id,
        changes={"state": event.state, **dataclasses.asdict(event.counts)},
        reason=event.failure,
    )


async def audit_exported(effects: Effects, event: RecoveriesExported) -> None:
    effects.audit(
        actor=event.actor,
        action="recoveries.exported",
        entity_type="agency",
        entity_id=event.actor.agency_id,
        changes={"format": event.format, "filters": dict(event.filters)},
    )


HANDLERS: HandlerTable = {
    ImportQueued: [audit_queued],
    RecoveriesImported: [audit_batch, check_batch, link_batch],
    ImportFinished: [audit_finished],
    HitsChangedInBatch: [link_batch],
    RecoveriesExported: [audit_exported],
}
