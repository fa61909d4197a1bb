"""Registry records held in memory."""

from __future__ import annotations

from collections.abc import Sequence

from service.adapters.memory.staging import Staging
from service.adapters.memory.store import InMemoryStore
from service.domain.registry import RegistryRecord


class InMemoryRegistryRecords:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    async def fingerprints(self, registry: str, references: Sequence[str]) -> dict[str, str]:
        held = self._store.registry_records
        return {
            reference: held[registry, reference].fingerprint()
            for reference in references
            if (registry, reference) in held
        }

    def add(self, record: RegistryRecord) -> None:
        self._staging.write(
            lambda: self._store.registry_records.__setitem__(
                (record.registry, record.reference), record
            )
        )

    def replace(self, record: RegistryRecord) -> None:
        self.add(record)
