"""Import jobs, their reports and the keys of imported rows, in memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from service.adapters.memory.staging import Staging
from service.adapters.memory.store import InMemoryStore, kept
from service.domain.errors import StaleVersion
from service.domain.imports import ImportJob
from service.domain.ports.imports import ImportedKey, RejectedRow
from service.domain.recovery import Recovery


class InMemoryImportJobs:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    def add(self, job: ImportJob) -> None:
        self._staging.saw(job)
        self._staging.write(lambda: self._store.import_jobs.__setitem__(job.id, kept(job)))

    def save(self, job: ImportJob) -> None:
        loaded = job.version
        job.version += 1
        saved = kept(job)

        def unchanged_since_read() -> None:
            current = self._store.import_jobs[job.id].version
            if current != loaded:
                raise StaleVersion("import", loaded, current)

        self._staging.saw(job)
        self._staging.check(unchanged_since_read)
        self._staging.write(lambda: self._store.import_jobs.__setitem__(job.id, saved))

    async def get(self, job_id: UUID, *, of_agency: UUID | None = None) -> ImportJob | None:
        found = self._store.import_jobs.get(job_id)
        if found is None or of_agency not in (None, found.agency_id):
            return None
        return kept(found)

    async def of_agency(self, agency_id: UUID, *, limit: int) -> list[ImportJob]:
        jobs = [j for j in self._store.import_jobs.values() if j.agency_id == agency_id]
        jobs.sort(key=lambda j: (j.created_at, j.id), reverse=True)
        return [kept(j) for j in jobs[:limit]]

    async def unclaimed(self, *, now: datetime) -> list[ImportJob]:
        jobs = [
            j
            for j in self._store.import_jobs.values()
            if not j.finished and (j.claimed_until is None or j.claimed_until < now)
        ]
        jobs.sort(key=lambda j: (j.created_at, j.id))
        return [kept(j) for j in jobs]

    def reject(self, job_id: UUID, rows: Sequence[RejectedRow]) -> None:
        kept_rows = list(rows)
        self._staging.write(
            lambda: self._store.import_rejects.setdefault(job_id, []).extend(kept_rows)
        )

    def forget_rejects(self, job_id: UUID) -> None:
        def forget() -> None:
            self._store.import_rejects.pop(job_id, None)

        self._staging.write(forget)

    async def rejects(self, job_id: UUID, *, after: int, limit: int) -> list[RejectedRow]:
        rows = sorted(self._store.import_rejects.get(job_id, []), key=lambda r: r.position)
        return [r for r in rows if r.position > after][:limit]


class InMemoryBulkRecoveries:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    async def known(self, agency_id: UUID, keys: Sequence[str]) -> dict[str, tuple[UUID, UUID]]:
        return {
            key: self._store.import_keys[agency_id, key]
            for key in keys
            if (agency_id, key) in self._store.import_keys
        }

    async def held(
        self, agency_id: UUID, recovery_ids: Sequence[UUID]
    ) -> dict[UUID, frozenset[UUID]]:
        recoveries = (self._store.recoveries.get(r) for r in recovery_ids)
        return {
            recovery.id: frozenset(item.id for item in recovery.items)
            for recovery in recoveries
            if recovery is not None and recovery.agency_id == agency_id
        }

    def land(
        self,
        *,
        agency_id: UUID,
        import_id: UUID,
        batch: int,
        recoveries: Sequence[Recovery],
        keys: Sequence[ImportedKey],
    ) -> None:
        stored = [dataclasses.replace(kept(r), events=[]) for r in recoveries]
        entries = list(keys)

        def taken() -> None:
            for entry in entries:
                if (agency_id, entry.key) in self._store.import_keys:
                    raise KeyError(f"imported key taken: {entry.key}")

        def write() -> None:
            for recovery in stored:
                self._store.recoveries[recovery.id] = recovery
            for entry in entries:
                self._store.import_keys[agency_id, entry.key] = (entry.recovery_id, import_id)
                self._store.import_batches[entry.recovery_id] = (import_id, batch)

        self._staging.check(taken)
        self._staging.write(write)

    async def import_of(self, recovery_id: UUID) -> tuple[UUID, int] | None:
        return self._store.import_batches.get(recovery_id)
