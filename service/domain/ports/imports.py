"""Imports of recoveries: their jobs and reports, and the bulk store their batches land in."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from service.domain.import_rows import RowProblem, SourceRow
from service.domain.imports import ImportJob
from service.domain.recovery import Recovery


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A line of an import's report: the row, the file's column (empty: the whole row)
    and why it was not imported."""

    position: int
    line: int
    column: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportedKey:
    """What a landed row or recovery is known by on a later import (`recovery:<key>`,
    `item:<recovery key>␟<item key>` or `row:<sha256>`), and the recovery it made."""

    key: str
    recovery_id: UUID


class ImportJobs(Protocol):
    def add(self, job: ImportJob) -> None: ...

    def save(self, job: ImportJob) -> None:
        """Stage the job's state, counts and claim. The write fails with StaleVersion if
        the job changed since it was read (another process claimed it)."""

    async def get(self, job_id: UUID, *, of_agency: UUID | None = None) -> ImportJob | None:
        """The job; with `of_agency`, only if it is that agency's."""
        ...

    async def of_agency(self, agency_id: UUID, *, limit: int) -> list[ImportJob]:
        """The agency's jobs, newest first."""
        ...

    async def unclaimed(self, *, now: datetime) -> list[ImportJob]:
        """Jobs not finished whose claim is free or ran out, oldest first."""
        ...

    def reject(self, job_id: UUID, rows: Sequence[RejectedRow]) -> None:
        """Stage lines of the job's report."""

    def forget_rejects(self, job_id: UUID) -> None:
        """Stage the removal of the job's report: a job started again reports afresh."""

    async def rejects(self, job_id: UUID, *, after: int, limit: int) -> list[RejectedRow]:
        """Lines of the report after `after` (a position), in order."""
        ...


class BulkRecoveries(Protocol):
    async def known(self, agency_id: UUID, keys: Sequence[str]) -> dict[str, tuple[UUID, UUID]]:
        """Of these keys, those an import of the agency landed: key -> (recovery id, the
        import that landed it)."""
        ...

    async def held(
        self, agency_id: UUID, recovery_ids: Sequence[UUID]
    ) -> dict[UUID, frozenset[UUID]]:
        """Of these recovery ids, those of the agency's recoveries, each with the ids of
        its items (an export names recoveries and items by their ids)."""
        ...

    def land(
        self,
        *,
        agency_id: UUID,
        import_id: UUID,
        batch: int,
        recoveries: Sequence[Recovery],
        keys: Sequence[ImportedKey],
    ) -> None:
        """Stage new recoveries (validated by the domain) and the keys they are known by,
        to be written in bulk at commit, with the rest of the unit of work."""

    async def import_of(self, recovery_id: UUID) -> tuple[UUID, int] | None:
        """The import and batch that landed a recovery, if one did."""
        ...


class RowSource(Protocol):
    """A file's rows, read as a stream: memory does not grow with the file."""

    def rows(self) -> Iterator[SourceRow | RowProblem]:
        """Rows in file order, each with the fields it maps; a line that cannot be read
        is a RowProblem. Raises UnreadableFile when the rest of the file cannot be read."""
        ...

    @property
    def bytes_read(self) -> int:
        """How far the reading has got in the file, for progress."""
        ...

    def column(self, field: str) -> str:
        """The file's name for a field (its column header), for the report."""
        ...
