"""Recoveries in memory, their serial readings and the spellings no reference resolves."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from uuid import UUID

from service.adapters.memory.staging import Staging
from service.adapters.memory.store import InMemoryStore, kept
from service.domain.errors import StaleVersion
from service.domain.items import Item
from service.domain.matching import SerialQuery, StoredIdentifier, match_kind
from service.domain.ports.recoveries import (
    CandidateBatch,
    RecoveryCursor,
    RecoveryFilter,
    RecoveryPage,
    UnresolvedValue,
)
from service.domain.recovery import Recovery


class InMemoryRecoveryRepository:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging
        self._loaded_versions: dict[UUID, int] = {}

    async def get(self, recovery_id: UUID, *, of_agency: UUID | None = None) -> Recovery | None:
        found = self._store.recoveries.get(recovery_id)
        if found is None or of_agency not in (None, found.agency_id):
            return None
        self._loaded_versions[recovery_id] = found.version
        return kept(found)

    def add(self, recovery: Recovery) -> None:
        self._staging.saw(recovery)
        self._staging.write(lambda: self._store.recoveries.__setitem__(recovery.id, kept(recovery)))

    def save(self, recovery: Recovery) -> None:
        loaded = self._loaded_versions[recovery.id]

        def unchanged_since_read() -> None:
            current = self._store.recoveries[recovery.id].version
            if current != loaded:
                raise StaleVersion("recovery", loaded, current)

        self._staging.check(unchanged_since_read)
        self.add(recovery)

    async def ids_after(self, after: UUID | None, *, limit: int) -> list[UUID]:
        return sorted(i for i in self._store.recoveries if after is None or i > after)[:limit]

    async def get_many(self, recovery_ids: Sequence[UUID]) -> list[Recovery]:
        found = [self._store.recoveries.get(i) for i in recovery_ids]
        return [dataclasses.replace(kept(r), corrections=()) for r in found if r is not None]

    async def page(
        self,
        *,
        agency_id: UUID,
        recovery_filter: RecoveryFilter,
        after: RecoveryCursor | None,
        limit: int,
    ) -> RecoveryPage:
        chosen = [
            r
            for r in self._store.recoveries.values()
            if r.agency_id == agency_id and _passes(r, recovery_filter)
        ]
        chosen.sort(key=lambda r: (r.recovered_at, r.id), reverse=True)
        if after is not None:
            position = (after.recovered_at, after.recovery_id)
            chosen = [r for r in chosen if (r.recovered_at, r.id) < position]
        page = [kept(r) for r in chosen[:limit]]
        more = len(chosen) > limit
        cursor = RecoveryCursor(page[-1].recovered_at, page[-1].id) if more and page else None
        return RecoveryPage(recoveries=page, next_cursor=cursor)


def _passes(recovery: Recovery, f: RecoveryFilter) -> bool:
    if f.case_reference is not None and recovery.case_reference != f.case_reference:
        return False
    if f.country is not None and recovery.location.country != f.country:
        return False
    if f.recovered_from is not None and recovery.recovered_at < f.recovered_from:
        return False
    if f.recovered_to is not None and recovery.recovered_at >= f.recovered_to:
        return False
    items = recovery.items
    if f.item_kind is not None:
        items = tuple(i for i in items if i.kind == f.item_kind)
    if f.make is not None:
        items = tuple(i for i in items if _make_of(i) == f.make)
    if f.calibre is not None:
        items = tuple(i for i in items if _calibre_of(i) == f.calibre)
    return bool(items)


def _make_of(item: Item) -> str | None:
    return (item.make.canonical or item.make.raw) if item.make else None


def _calibre_of(item: Item) -> str | None:
    return (item.calibre.canonical or item.calibre.raw) if item.calibre else None


class InMemorySerialIndex:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def candidates(
        self, query: SerialQuery, *, agency_id: UUID | None, cap: int
    ) -> CandidateBatch:
        found: list[StoredIdentifier] = []
        for recovery in self._store.recoveries.values():
            if agency_id is not None and recovery.agency_id != agency_id:
                continue
            for candidate in stored_identifiers(recovery):
                if match_kind(query.identifier, candidate.identifier) is not None:
                    found.append(candidate)
        return CandidateBatch(candidates=found[:cap], truncated=len(found) > cap)

    async def candidates_many(
        self, queries: Sequence[SerialQuery], *, cap: int
    ) -> list[CandidateBatch]:
        return [await self.candidates(query, agency_id=None, cap=cap) for query in queries]


def stored_identifiers(recovery: Recovery) -> list[StoredIdentifier]:
    """Every serial and lot reading of a recovery, as the serial index holds them."""
    found = []
    for item in recovery.items:
        for role, identifier in item.identifiers():
            found.append(
                StoredIdentifier(
                    recovery_id=recovery.id,
                    item_id=item.id,
                    agency_id=recovery.agency_id,
                    item_kind=item.kind,
                    role=role,
                    identifier=identifier,
                    make=item.make,
                    model=item.model,
                    calibre=item.calibre,
                    recovered_at=recovery.recovered_at,
                    case_reference=recovery.case_reference,
                )
            )
    return found


class InMemoryReferenceUsage:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def unresolved(self, *, agency_id: UUID | None) -> list[UnresolvedValue]:
        counts: Counter[tuple[str, str]] = Counter()
        for recovery in self._store.recoveries.values():
            if agency_id is not None and recovery.agency_id != agency_id:
                continue
            for item in recovery.items:
                if item.make is not None and item.make.canonical is None:
                    counts["make", item.make.raw] += 1
                if item.calibre is not None and item.calibre.canonical is None:
                    counts["calibre", item.calibre.raw] += 1
        return [UnresolvedValue(field, raw, n) for (field, raw), n in counts.items()]
