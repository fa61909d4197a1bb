"""Registries to search, the records held here, and the hits of recoveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from service.domain.matching import SerialQuery
from service.domain.registry import RegistryMatch, RegistryRecord
from service.domain.registry_hits import RegistryHit


class RegistryRecords(Protocol):
    """A registry kept in tracedesk's own database, as its imports write it."""

    async def fingerprints(self, registry: str, references: Sequence[str]) -> dict[str, str]:
        """Reference -> fingerprint of those of these records the registry holds."""
        ...

    def add(self, record: RegistryRecord) -> None: ...

    def replace(self, record: RegistryRecord) -> None:
        """Stage a record that changed since the last import (same reference)."""


class RegistryHits(Protocol):
    async def for_recoveries(self, recovery_ids: Sequence[UUID]) -> list[RegistryHit]:
        """Every hit of these recoveries, cleared ones included, oldest first."""
        ...

    async def recent_of_agency(
        self, agency_id: UUID, *, since: datetime, limit: int
    ) -> list[RegistryHit]:
        """The agency's hits found since then, newest first (cleared ones included)."""
        ...

    def add(self, hit: RegistryHit) -> None: ...

    def update(self, hit: RegistryHit) -> None:
        """Stage a hit's new status, match, confidence, version or clearing."""


class FirearmRegistry(Protocol):
    """A registry tracedesk can search: in memory, in its own database, or a peer."""

    @property
    def name(self) -> str: ...

    async def search(self, query: SerialQuery) -> list[RegistryMatch]:
        """Records that may be the queried weapon, with how they match; raises
        RegistryUnavailable when the registry cannot answer now."""
        ...

    async def search_many(self, queries: Sequence[SerialQuery]) -> list[list[RegistryMatch]]:
        """`search` of each query, in order, in as few reads as the registry allows (a
        batch of recoveries is checked at once)."""
        ...
