"""An import of recoveries from a file: a job with a state, counts and progress.

A job lands the valid rows of its file batch by batch, each batch in one transaction,
and reports every rejected row. It ends `done` (every row imported, or imported before),
`done_with_rejects` (some rows were rejected, the others landed) or `failed` (the file
could not be read to its end, or, all or nothing, some row was rejected: nothing landed).
Running the same file again changes nothing that landed and completes what did not.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final
from uuid import UUID

from service.domain.access import Actor
from service.domain.errors import InvalidValue
from service.domain.events import DomainEvent, ImportFinished, ImportQueued
from service.domain.text import check_text, shortened

# A running job renews its claim after each batch; one whose claim ran out (its process
# died) is taken up again by another.
CLAIM: Final = timedelta(minutes=2)
MAX_SOURCE_NAME: Final = 200
MAX_FAILURE: Final = 1000  # characters: a failure may quote the file


class ImportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DONE_WITH_REJECTS = "done_with_rejects"
    FAILED = "failed"


FINISHED: Final = frozenset({ImportState.DONE, ImportState.DONE_WITH_REJECTS, ImportState.FAILED})


class ImportFormat(StrEnum):
    CSV = "csv"
    NDJSON = "ndjson"
    XLSX = "xlsx"


@dataclass(frozen=True, slots=True)
class ImportCounts:
    rows_read: int = 0
    rows_imported: int = 0
    # Rows that an earlier import landed already: the same external id or content.
    rows_already_imported: int = 0
    rows_rejected: int = 0
    recoveries_imported: int = 0
    batches: int = 0

    def plus(self, other: ImportCounts) -> ImportCounts:
        return ImportCounts(
            *(
                a + b
                for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)
            )
        )


@dataclass(frozen=True, slots=True)
class ImportSource:
    """The file to import: its name as given (no path), format, size and SHA-256."""

    name: str
    format: ImportFormat
    size: int
    sha256: str

    def __post_init__(self) -> None:
        check_text(self.name, "file", max_length=MAX_SOURCE_NAME)
        if len(self.sha256) != 64:
            raise InvalidValue("file", "needs its SHA-256")


@dataclass
class ImportJob:
    id: UUID
    agency_id: UUID
    created_by: UUID
    # user or service_account: a job taken up again acts for them as they are then.
    created_by_kind: str
    created_at: datetime
    source: ImportSource
    all_or_nothing: bool
    # The column mapping the file was read with, as given (None: the default columns).
    mapping: str | None
    state: ImportState = ImportState.QUEUED
    counts: ImportCounts = ImportCounts()
    bytes_read: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    failure: str | None = None
    claimed_until: datetime | None = None
    # Moved on by each save: a job claimed meanwhile by another process is not overwritten.
    version: int = 1
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def queue(
        cls,
        *,
        job_id: UUID,
        by: Actor,
        now: datetime,
        source: ImportSource,
        all_or_nothing: bool,
        mapping: str | None,
    ) -> ImportJob:
        """A job for the actor's agency: whatever the file says, it lands there."""
        job = cls(
            id=job_id,
            agency_id=by.agency_id,
            created_by=by.id,
            created_by_kind=by.kind.value,
            created_at=now,
            source=source,
            all_or_nothing=all_or_nothing,
            mapping=mapping,
        )
        job.events.append(ImportQueued(job.id, source, all_or_nothing, mapping is not None, by))
        return job

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def start(self, *, now: datetime) -> None:
        """Started, or started again after its process stopped: counts start afresh (rows
        landed before are counted again as this job's)."""
        self.state = ImportState.RUNNING
        self.started_at = self.started_at or now
        self.counts = ImportCounts()
        self.bytes_read = 0
        self.claimed_until = now + CLAIM

    def advance(self, counts: ImportCounts, *, bytes_read: int, now: datetime) -> None:
        self.counts = self.counts.plus(counts)
        self.bytes_read = bytes_read
        self.claimed_until = now + CLAIM

    def finish(self, *, now: datetime, by: Actor, failure: str | None = None) -> None:
        """Done, done with rejects, or failed with why."""
        if failure is not None:
            failure = shortened(failure, MAX_FAILURE)
            self.state, self.failure = ImportState.FAILED, failure
        elif self.counts.rows_rejected:
            self.state = ImportState.DONE_WITH_REJECTS
        else:
            self.state = ImportState.DONE
        self.finished_at = now
        self.claimed_until = None
        self.events.append(ImportFinished(self.id, self.state.value, self.counts, failure, by))
