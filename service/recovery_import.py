"""Use cases for imports of recoveries: queue a file, run (or run again) its job, read
the job and its report.

A job reads its file as a stream and lands it batch by batch, each batch in one unit of
work: its recoveries (written in bulk), the keys they are known by, the report of its
rejected rows, the job's counts, one audit event and the batch's registry checks and
linking. A stop in the middle leaves whole batches; running the job again lands the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Final
from uuid import UUID

import structlog

from service.dependencies import Dependencies
from service.domain.access import Action, Actor, ActorKind, authorize
from service.domain.errors import NotFound, StaleVersion
from service.domain.events import RecoveriesImported
from service.domain.import_fields import ReadingRules
from service.domain.import_rows import UnreadableFile
from service.domain.imports import ImportCounts, ImportJob, ImportSource
from service.domain.ports.identity import TokenSubject
from service.domain.ports.imports import RejectedRow, RowSource
from service.import_batches import (
    BATCH_ROWS,
    Prepared,
    batches,
    decide,
    held_keys,
    prepare,
    rows_digest,
)

log = structlog.get_logger("tracedesk.imports")

MAX_LISTED: Final = 100
Progress = Callable[[ImportJob], None]


async def queue_import(
    *,
    deps: Dependencies,
    actor: Actor,
    source: ImportSource,
    all_or_nothing: bool,
    mapping: str | None,
) -> ImportJob:
    """A job importing the file into the actor's agency, to be run by `run_import`."""
    authorize(actor, Action.RECOVERY_IMPORT)
    job = ImportJob.queue(
        job_id=deps.ids.new_id(),
        by=actor,
        now=deps.clock.now(),
        source=source,
        all_or_nothing=all_or_nothing,
        mapping=mapping,
    )
    async with deps.unit_of_work() as uow:
        uow.import_jobs.add(job)
        await uow.commit()
    return job


async def claim_import(*, deps: Dependencies, job_id: UUID) -> tuple[ImportJob, Actor] | None:
    """Start a job, or start again one whose process stopped, for the account that queued
    it as it is now; None when another process runs it or it is finished. A job whose
    account may no longer import fails without reading its file."""
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        job = await uow.import_jobs.get(job_id)
        if job is None or job.finished or (job.claimed_until and job.claimed_until > now):
            return None
        subject = TokenSubject(job.created_by, ActorKind(job.created_by_kind))
        actor = await deps.actors.active_actor(subject)
        job.start(now=now)
        uow.import_jobs.forget_rejects(job.id)
        if actor is None or not actor.may(Action.RECOVERY_IMPORT):
            job.finish(
                now=now,
                by=actor or _system(job),
                failure="the account that asked for the import may no longer import",
            )
        uow.import_jobs.save(job)
        try:
            await uow.commit()
        except StaleVersion:
            return None  # another process claimed it first
    if actor is None or job.finished:
        return None
    return job, actor


def _system(job: ImportJob) -> Actor:
    return Actor(job.created_by, ActorKind(job.created_by_kind), job.agency_id)


async def run_import(
    *,
    deps: Dependencies,
    job: ImportJob,
    actor: Actor,
    open_rows: Callable[[], RowSource],
    rules: ReadingRules,
    progress: Progress | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ImportJob:
    """Run a claimed job to its end: done, done with rejects, or failed (with why)."""
    run = _Run(deps, job, actor, rules, progress, batch_rows)
    failure: str | None = None
    try:
        if job.all_or_nothing:
            await run.read(open_rows(), land=False)
            if job.counts.rows_rejected:
                failure = (
                    f"{job.counts.rows_rejected} rows rejected; all or nothing: "
                    "nothing was imported"
                )
            else:
                job.counts = ImportCounts()
        if failure is None:
            await run.read(open_rows(), land=True)
    except UnreadableFile as unreadable:
        failure = str(unreadable)
    async with deps.unit_of_work() as uow:
        job.finish(now=deps.clock.now(), by=actor, failure=failure)
        uow.import_jobs.save(job)
        await uow.commit()
    return job


async def abandon_import(
    *, deps: Dependencies, job_id: UUID, actor: Actor, failure: str
) -> ImportJob | None:
    """End a job that cannot go on, as failed with why; the batches it landed stand.
    Read afresh: the job as its run held it may be ahead of what was committed."""
    async with deps.unit_of_work() as uow:
        job = await uow.import_jobs.get(job_id)
        if job is None or job.finished:
            return job
        job.finish(now=deps.clock.now(), by=actor, failure=failure)
        uow.import_jobs.save(job)
        await uow.commit()
    return job


class _Run:
    """One reading of the file: batches prepared in a worker thread (reading, parsing,
    the domain's rules) while the batch before is written."""

    def __init__(
        self,
        deps: Dependencies,
        job: ImportJob,
        actor: Actor,
        rules: ReadingRules,
        progress: Progress | None,
        batch_rows: int,
    ) -> None:
        self.deps, self.job, self.actor, self.rules = deps, job, actor, rules
        self.progress, self.batch_rows = progress, batch_rows
        self.position = 0  # of the last line of the report

    async def read(self, source: RowSource, *, land: bool) -> None:
        stream = batches(source.rows(), self.rules, size=self.batch_rows)

        def next_prepared() -> tuple[Prepared, int] | None:
            # Reading and preparing touch no database: whatever fails here fails on this
            # file, and would fail again on every retry, so it ends the job instead.
            try:
                batch = next(stream, None)
                if batch is None:
                    return None
                prepared = prepare(
                    batch,
                    agency_id=self.job.agency_id,
                    by=self.actor,
                    now=self.deps.clock.now(),
                    new_id=self.deps.ids.new_id,
                    catalogue=self.deps.catalogue,
                )
            except UnreadableFile:
                raise
            except Exception as error:
                log.exception("import stopped on its file", import_id=str(self.job.id))
                raise UnreadableFile(
                    f"tracedesk could not read on from here ({type(error).__name__}); the "
                    f"error is logged with import {self.job.id}"
                ) from error
            return prepared, source.bytes_read

        current = await asyncio.to_thread(next_prepared)
        while current is not None:
            following = asyncio.ensure_future(asyncio.to_thread(next_prepared))
            try:
                await self._write(source, *current, land=land)
            except BaseException:
                with contextlib.suppress(Exception):
                    await following
                raise
            current = await following

    async def _write(
        self, source: RowSource, prepared: Prepared, bytes_read: int, *, land: bool
    ) -> None:
        deps, job = self.deps, self.job
        async with deps.unit_of_work() as uow:
            known: dict[str, tuple[UUID, UUID | None]] = dict(
                await uow.bulk_recoveries.known(job.agency_id, prepared.keys())
            )
            held = await uow.bulk_recoveries.held(job.agency_id, prepared.recovery_ids())
            known |= held_keys(prepared, held)
            outcome = decide(prepared, known, import_id=job.id)
            counts = outcome.counts
            if land and outcome.recoveries:
                batch = job.counts.batches + 1
                uow.bulk_recoveries.land(
                    agency_id=job.agency_id,
                    import_id=job.id,
                    batch=batch,
                    recoveries=outcome.recoveries,
                    keys=outcome.keys,
                )
                lines = [row.line for row in outcome.landed_rows]
                uow.record(
                    RecoveriesImported(
                        import_id=job.id,
                        batch=batch,
                        first_line=min(lines),
                        last_line=max(lines),
                        recovery_ids=[r.id for r in outcome.recoveries],
                        rows=len(outcome.landed_rows),
                        rows_sha256=rows_digest(outcome.landed_rows),
                        file_sha256=job.source.sha256,
                        actor=self.actor,
                    )
                )
            elif not land:
                # Only reading: what would land is not counted as landed.
                counts = ImportCounts(
                    rows_read=counts.rows_read, rows_rejected=counts.rows_rejected
                )
            if outcome.problems:
                rows = []
                for problem in outcome.problems:
                    self.position += 1
                    column = source.column(problem.field) if problem.field else ""
                    rows.append(RejectedRow(self.position, problem.line, column, problem.reason))
                uow.import_jobs.reject(job.id, rows)
            job.advance(counts, bytes_read=bytes_read, now=deps.clock.now())
            uow.import_jobs.save(job)
            await uow.commit()
        if self.progress is not None:
            self.progress(job)


async def import_job(*, deps: Dependencies, actor: Actor, import_id: UUID) -> ImportJob:
    """A job of the actor's agency (another agency's is not found)."""
    authorize(actor, Action.RECOVERY_IMPORT)
    async with deps.unit_of_work() as uow:
        job = await uow.import_jobs.get(import_id, of_agency=actor.agency_id)
    if job is None:
        raise NotFound("import", str(import_id))
    return job


async def import_jobs(*, deps: Dependencies, actor: Actor, limit: int = 50) -> list[ImportJob]:
    """The agency's latest jobs, newest first."""
    authorize(actor, Action.RECOVERY_IMPORT)
    async with deps.unit_of_work() as uow:
        return await uow.import_jobs.of_agency(actor.agency_id, limit=min(limit, MAX_LISTED))


async def rejected_rows(
    *, deps: Dependencies, actor: Actor, import_id: UUID, after: int, limit: int
) -> list[RejectedRow]:
    """A page of a job's report of rejected rows, for the agency that imported."""
    await import_job(deps=deps, actor=actor, import_id=import_id)
    async with deps.unit_of_work() as uow:
        return await uow.import_jobs.rejects(import_id, after=after, limit=limit)
