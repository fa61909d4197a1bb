"""Use case: import a registry's records into tracedesk's own database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.events import RegistryImported
from service.domain.registry import RegistryImport, RegistryRecord

# Records per transaction: a large file is imported in steps; a step that fails leaves
# the earlier ones in place, and running the import again completes it.
CHUNK: Final = 5000


async def import_registry(
    *,
    deps: Dependencies,
    actor: Actor | None,
    registry: str,
    records: Sequence[RegistryRecord],
    source: str,
) -> RegistryImport:
    """Add new records and replace changed ones; importing the same file twice changes
    nothing. `actor` None: the console. `source` names the file (and its digest) in the
    audit trail."""
    async with deps.unit_of_work() as uow:
        known = await uow.registry_records.fingerprints(registry)
    added = changed = unchanged = 0
    for start in range(0, len(records), CHUNK):
        async with deps.unit_of_work() as uow:
            for record in records[start : start + CHUNK]:
                fingerprint = known.get(record.reference)
                if fingerprint is None:
                    uow.registry_records.add(record)
                    added += 1
                elif fingerprint != record.fingerprint():
                    uow.registry_records.replace(record)
                    changed += 1
                else:
                    unchanged += 1
            await uow.commit()
    outcome = RegistryImport(added=added, changed=changed, unchanged=unchanged)
    async with deps.unit_of_work() as uow:
        uow.record(RegistryImported(registry, source, outcome, actor))
        await uow.commit()
    return outcome
