"""Use case: import a registry's records into tracedesk's own database."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Final

from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.events import RegistryImported
from service.domain.registry import RegistryImport, RegistryRecord

# Records per transaction: a large file is imported in steps (read as a stream, memory
# holds one step); a step that fails leaves the earlier ones in place, and running the
# import again completes it.
CHUNK: Final = 5000


async def import_registry(
    *,
    deps: Dependencies,
    actor: Actor | None,
    registry: str,
    records: Iterable[RegistryRecord],
    source: str,
    progress: Callable[[RegistryImport], None] | None = None,
) -> RegistryImport:
    """Add new records and replace changed ones; importing the same file twice changes
    nothing. `actor` None: the console. `source` names the file (and its digest) in the
    audit trail."""
    added = changed = unchanged = 0
    stream = iter(records)
    while chunk := list(itertools.islice(stream, CHUNK)):
        async with deps.unit_of_work() as uow:
            known = await uow.registry_records.fingerprints(
                registry, [record.reference for record in chunk]
            )
            for record in chunk:
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
        if progress is not None:
            progress(RegistryImport(added=added, changed=changed, unchanged=unchanged))
    outcome = RegistryImport(added=added, changed=changed, unchanged=unchanged)
    async with deps.unit_of_work() as uow:
        uow.record(RegistryImported(registry, source, outcome, actor))
        await uow.commit()
    return outcome
