"""The public shape of import jobs."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from service.domain.imports import ImportJob, ImportState


class ImportCountsOut(BaseModel):
    rows_read: int
    rows_imported: int
    rows_already_imported: int = Field(
        description="Rows an earlier import landed already (same item key or content)."
    )
    rows_rejected: int
    recoveries_imported: int
    batches: int


class ImportProgressOut(BaseModel):
    bytes_read: int
    bytes_total: int
    fraction: float = Field(description="0 to 1")
    rows_per_second: float | None = Field(description="Since the job started")
    seconds_left: float | None = Field(description="At that rate; null until known")


class ImportPublic(BaseModel):
    id: UUID
    state: ImportState = Field(
        description="queued, running, done, done_with_rejects (the valid rows landed), or "
        "failed (see `failure`; all or nothing: nothing landed)"
    )
    file: str
    format: str
    sha256: str
    all_or_nothing: bool
    mapped: bool = Field(description="Read with a column mapping")
    counts: ImportCountsOut
    progress: ImportProgressOut
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    failure: str | None
    rejects: str | None = Field(description="Where the report of rejected rows is (CSV)")


class ImportList(BaseModel):
    imports: list[ImportPublic]


def import_public(job: ImportJob, *, now: datetime) -> ImportPublic:
    counts = job.counts
    total = job.source.size
    fraction = 1.0 if job.finished else (job.bytes_read / total if total else 0.0)
    rate = left = None
    if job.started_at is not None:
        elapsed = ((job.finished_at or now) - job.started_at).total_seconds()
        if elapsed > 0:
            rate = round(counts.rows_read / elapsed, 1)
            if not job.finished and 0 < fraction:
                left = round(elapsed * (1 - fraction) / fraction, 1)
    return ImportPublic(
        id=job.id,
        state=job.state,
        file=job.source.name,
        format=job.source.format.value,
        sha256=job.source.sha256,
        all_or_nothing=job.all_or_nothing,
        mapped=job.mapping is not None,
        counts=ImportCountsOut(
            rows_read=counts.rows_read,
            rows_imported=counts.rows_imported,
            rows_already_imported=counts.rows_already_imported,
            rows_rejected=counts.rows_rejected,
            recoveries_imported=counts.recoveries_imported,
            batches=counts.batches,
        ),
        progress=ImportProgressOut(
            bytes_read=job.bytes_read,
            bytes_total=total,
            fraction=round(min(fraction, 1.0), 4),
            rows_per_second=rate,
            seconds_left=left,
        ),
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        failure=job.failure,
        rejects=f"/api/v1/imports/{job.id}/rejects" if counts.rows_rejected else None,
    )
